import { describe, expect, it } from 'vitest'
import { createJobBrain, parsePlan } from '../../src/think/job-brain.ts'
import { createInferencePool } from '../../src/think/pool.ts'
import { thinkConfigSchema } from '../../src/think/config.ts'
import type { TaskReportInput, VerifiedFinding } from '../../src/think/types.ts'
import { fakeOpenAIPerTest, turns, type Script } from '../helpers/fake-openai.ts'

const fake = fakeOpenAIPerTest()

const job = { jobId: 'j1', prompt: 'audit disk and DNS' }
const members = [{ peerId: 'P1', name: 'web1' }, { peerId: 'P2', name: 'db1', tags: ['db'] }]

const finding = (severity: VerifiedFinding['severity'], title: string, verified: boolean | null): VerifiedFinding =>
  ({ severity, title, detail: '', evidence: [], claims: [], verified, checks: [] })
const outcome = (findings: VerifiedFinding[]) => ({ answer: 'a', findings, toolCalls: [], brain: { kind: 'playbook' as const, reason: 'configured' as const }, steps: 0, ms: 1 })
const results: TaskReportInput[] = [
  { taskId: 'j1.1', host: 'P1', hostName: 'web1', state: 'done', outcome: outcome([finding('warning', 'w1', true), finding('critical', 'c-lie', false)]) },
  { taskId: 'j1.2', host: 'P2', hostName: 'db1', state: 'done', outcome: outcome([finding('critical', 'c-true', true), finding('info', 'i', null)]) },
  { taskId: 'j1.3', host: 'P3', hostName: 'gone', state: 'unreachable' }
]

async function modelBrain (script: Script) {
  const llm = await fake({ script })
  const pool = createInferencePool({ endpoints: [{ url: llm.url, source: 'config' }], model: 'm', maxAttempts: 1 })
  return { llm, brain: createJobBrain({ pool }) }
}

describe('job brain', () => {
  it('plans one task per host and ranks findings without a model', async () => {
    const brain = createJobBrain()
    const plan = await brain.decompose(job, members)
    expect(plan).toEqual({
      tasks: [{ taskId: 'j1.1', host: 'P1', prompt: job.prompt }, { taskId: 'j1.2', host: 'P2', prompt: job.prompt }],
      brain: { kind: 'playbook', reason: 'no-endpoint' }
    })
    const s = await brain.synthesize(job, results)
    expect(s.findings.map(f => `${f.hostName}:${f.title}`)).toEqual(['db1:c-true', 'web1:c-lie', 'web1:w1', 'db1:i'])
    expect(s.summary).toMatch(/1 unreachable \(gone\)/)
    expect(s.summary).toMatch(/contradicted/)
    expect(s.summary).toMatch(/c-lie \(UNVERIFIED/)
    const forced = createJobBrain({ config: thinkConfigSchema.parse({ brain: 'playbook' }) })
    expect((await forced.decompose(job, members)).brain).toEqual({ kind: 'playbook', reason: 'configured' })
  })

  it('takes a valid plan from the model, hosts by peerId or name', async () => {
    const { llm, brain } = await modelBrain([turns.text('```json\n{"tasks": [{"host": "db1", "prompt": "check the database disk"}, {"host": null, "prompt": "resolve example.com"}]}\n```')])
    const plan = await brain.decompose(job, members)
    expect(plan.tasks).toEqual([{ taskId: 'j1.1', host: 'P2', prompt: 'check the database disk' }, { taskId: 'j1.2', host: null, prompt: 'resolve example.com' }])
    expect(plan.brain).toMatchObject({ kind: 'model', model: 'm' })
    expect(llm.requests[0].body.messages[1].content).toMatch(/P2/)
  })

  it('falls back to the playbook plan on an invalid plan or a failing endpoint', async () => {
    const { brain } = await modelBrain([turns.text('{"tasks": [{"host": "P9", "prompt": "x"}]}'), turns.error(500)])
    expect((await brain.decompose(job, members)).brain).toEqual({ kind: 'playbook', reason: 'fallback' })
    expect((await brain.decompose(job, members)).tasks).toHaveLength(2)
    expect(() => parsePlan('nothing here', job, members)).toThrow(expect.objectContaining({ name: 'InvalidPlanError' }))
  })

  it('lets the model write the summary but keeps the verified findings as they are', async () => {
    const { llm, brain } = await modelBrain([turns.text('db1 has a full disk; web1 looks fine.'), turns.error(500)])
    const s = await brain.synthesize(job, results)
    expect(s.summary).toBe('db1 has a full disk; web1 looks fine.')
    expect(s.findings).toHaveLength(4)
    expect(s.findings[1]).toMatchObject({ title: 'c-lie', verified: false })
    expect(llm.requests[0].body.messages[1].content).toMatch(/"verified":false/)
    const fallback = await brain.synthesize(job, results)
    expect(fallback.brain).toEqual({ kind: 'playbook', reason: 'fallback' })
    expect(fallback.findings).toHaveLength(4)
  })
})
