
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createLab, labSupport, NODE, type Lab, type LabPeer } from '../helpers/netlab.ts'
import { callControl } from '../../src/node/control-client.ts'
import type { JobReport } from '../../src/gossip/messages-report.ts'

// Four real peers, one network namespace each, the playbook brain (no model): jobs from
// two different CLIs, forged messages from a rogue member, and the history surviving a
// restart of every peer, one of which was dead when the last job ended.
const support = labSupport()
if (!support.ok && process.env.CI === 'true') throw new Error(`CI=true but the netns lab cannot run: ${support.reason}`)
if (!support.ok) console.warn(`skipping jobs netns tests: ${support.reason}`)

const ENV = {
  OPENAI_BASE_URL: '',
  OPENAI_API_KEY: '',
  SWARM_MODEL: '',
  SWARM_CONFIG__JOBS__UNREACHABLEWAITMS: '1000',
  SWARM_CONFIG__JOBS__DIGESTDELAYMS: '500'
}

describe.skipIf(!support.ok)('jobs across network namespaces (playbook brain)', () => {
  let lab: Lab
  let peers: LabPeer[]
  const reports = new Map<string, JobReport>()

  async function allAlive (observers: LabPeer[], n: number): Promise<void> {
    await lab.waitFor(async () => {
      const views = await Promise.all(observers.map(async o => await o.peers()))
      return views.every(rows => rows.filter(r => r.state === 'alive').length === n)
    }, { timeoutMs: 20_000 })
  }

  async function run (from: LabPeer, args: string[]): Promise<{ code: number | null, report: JobReport, stderr: string }> {
    const r = await lab.cli(from, ['run', ...args, '--json'])
    let report: JobReport
    try { report = JSON.parse(r.stdout) } catch { throw new Error(`swarm run printed no JSON (exit ${r.code}):\n${r.stdout}\n${r.stderr}`) }
    return { code: r.code, report, stderr: r.stderr }
  }

  beforeAll(async () => {
    lab = await createLab()
    peers = await Promise.all(['alpha', 'bravo', 'charlie', 'delta'].map(async name => await lab.addPeer({ name, env: ENV })))
    await allAlive(peers, 4)
  })

  afterAll(async () => {
    await lab?.destroy()
  })

  it('runs a job from one CLI with one task per host, and the same from another CLI', async () => {
    const t0 = Date.now()
    const first = await run(peers[0], ['audit disk, memory and services on every box'])
    console.log(`4-host playbook job: ${Date.now() - t0} ms wall from the CLI`)
    expect(first.code, first.stderr).toBe(0)
    const r = first.report
    expect(r.status).toBe('completed')
    expect(r.hosts.map(h => h.name).sort()).toEqual(['alpha', 'bravo', 'charlie', 'delta'])
    expect(r.tasks).toHaveLength(4)
    expect(new Set(r.tasks.map(t => t.host)).size).toBe(4)
    for (const t of r.tasks) {
      expect(t.state).toBe('done')
      expect(t.worker).toBe(t.host)
      expect(t.toolCalls.length).toBeGreaterThan(0)
      expect(t.brain?.kind).toBe('playbook')
    }
    expect(r.summary.length).toBeGreaterThan(0)
    expect(r.stats.perHost).toHaveLength(4)
    expect(first.stderr).toMatch(/coordinator \w+ \(epoch 1\)/)
    expect(first.stderr).toMatch(/done 4/)
    reports.set('first', r)

    const second = await run(peers[2], ['audit disk, memory and services on every box'])
    expect(second.code, second.stderr).toBe(0)
    expect(second.report.status).toBe('completed')
    expect(second.report.tasks).toHaveLength(4)
    expect(second.report.submitter.name).toBe('charlie')
    reports.set('second', second.report)

    // the human format and the list
    const jobs = await lab.cli(peers[3], ['jobs', '--json'])
    expect(jobs.code).toBe(0)
    const list = JSON.parse(jobs.stdout) as Array<{ jobId: string, status: string }>
    expect(list.map(j => j.jobId)).toEqual(expect.arrayContaining([r.jobId, second.report.jobId]))
    const shown = await lab.cli(peers[1], ['show', r.jobId])
    expect(shown.code).toBe(0)
    expect(shown.stdout).toContain('COMPLETED')
    expect(shown.stdout).toContain('SUMMARY')
  })

  it('rejects a usage error with exit 2', async () => {
    expect((await lab.cli(peers[0], ['run'])).code).toBe(2)
    expect((await lab.cli(peers[0], ['run', 'x', '--target', 'nosuchbox'])).code).toBe(2)
    expect((await lab.cli(peers[0], ['run', 'x', '--deadline', 'soon'])).code).toBe(2)
  })

  it('drops forged, stale and malformed messages from a rogue member, counts them, changes nothing', async () => {
    const r = reports.get('first')!
    const task = r.tasks[0]
    const before = await callControl<JobReport>(peers[1].home, 'job.show', { jobId: r.jobId })
    const statsBefore = await Promise.all(peers.map(async p => await callControl(p.home, 'jobs.stats')))
    const rogue = await lab.addPeer({ name: 'mallory', env: ENV, start: false })
    const forged = [
      // a result for a task the rogue was never granted
      { msg: { type: 'task.result', jobId: r.jobId, epoch: r.epoch, taskId: task.taskId, attempt: 1, worker: '$SELF', outcome: { answer: 'all fine', findings: [], toolCalls: [], brain: { kind: 'playbook', reason: 'configured' }, steps: 0, ms: 1 } } },
      // a claim with an epoch older than the job's
      { msg: { type: 'job.claim', jobId: r.jobId, epoch: 0, coordinator: '$SELF', coordinatorName: 'mallory', leaseMs: 3000 } },
      { raw: '{"v":1,"type":"task.result","jobId":' },
      { raw: JSON.stringify({ v: 1, type: 'task.grant', jobId: r.jobId }) },
      // a relayed report of a job nobody heard of, in a real member's name, not signed by it
      { msg: { type: 'job.report', jobId: 'jmadeup', epoch: r.epoch, submitted: { v: 1, ts: r.submittedAt, type: 'job.submitted', jobId: 'jmadeup', epoch: 0, prompt: r.prompt, targets: null, submitter: r.submitter.peerId, submitterName: r.submitter.name, submittedAt: r.submittedAt, deadline: r.deadline }, report: { ...r, jobId: 'jmadeup', summary: 'all fine' }, sig: Buffer.alloc(64, 7).toString('base64') } }
    ]
    const out = await lab.exec(rogue.ns, [NODE, '--import', 'tsx', join(import.meta.dirname, 'fixtures/forger.ts'), rogue.home, `/ip4/${rogue.ip}/tcp/4001`, '4', JSON.stringify(forged)])
    expect(out).toMatch(/published to [1-9]/)
    await lab.waitFor(async () => {
      const stats = await Promise.all(peers.map(async p => await callControl(p.home, 'jobs.stats')))
      return stats.every((s, i) =>
        (s.drops['not-granted'] ?? 0) === (statsBefore[i].drops['not-granted'] ?? 0) + 1 &&
        (s.drops['stale-epoch'] ?? 0) === (statsBefore[i].drops['stale-epoch'] ?? 0) + 1 &&
        (s.drops['bad-json'] ?? 0) === (statsBefore[i].drops['bad-json'] ?? 0) + 1 &&
        (s.drops['bad-schema'] ?? 0) === (statsBefore[i].drops['bad-schema'] ?? 0) + 1 &&
        (s.drops['bad-signature'] ?? 0) === (statsBefore[i].drops['bad-signature'] ?? 0) + 1)
    }, { timeoutMs: 15_000 })
    for (const p of peers) expect((await lab.cli(p, ['show', 'jmadeup'])).code).not.toBe(0)
    const after = await callControl<JobReport>(peers[1].home, 'job.show', { jobId: r.jobId })
    expect(after).toEqual(before)
  })

  it('keeps every report across a restart of every peer, one of them dead when the job ended', async () => {
    const delta = peers[3]
    await delta.kill('SIGKILL')
    await lab.waitFor(async () => (await peers[1].peers()).find(p => p.peerId === delta.peerId)?.state === 'dead', { timeoutMs: 10_000 })
    const third = await run(peers[1], ['check DNS'])
    expect(third.code, third.stderr).toBe(0)
    expect(third.report.hosts.map(h => h.name).sort()).toEqual(['alpha', 'bravo', 'charlie'])
    for (const p of peers.slice(0, 3)) await p.kill('SIGTERM')
    await Promise.all(peers.map(async p => { await p.start() }))
    await allAlive(peers, 4)
    for (const key of ['first', 'second']) {
      const want = reports.get(key)!
      for (const p of peers) {
        const r = await lab.cli(p, ['show', want.jobId, '--json'])
        expect(r.code, r.stderr).toBe(0)
        expect(JSON.parse(r.stdout)).toEqual(want)
      }
    }
    // delta was dead when the third job ended: it catches up from the others
    await lab.waitFor(async () => {
      const r = await lab.cli(delta, ['show', third.report.jobId, '--json'])
      return r.code === 0
    }, { timeoutMs: 15_000 })
    for (const p of peers) {
      const r = await lab.cli(p, ['show', third.report.jobId, '--json'])
      expect(JSON.parse(r.stdout)).toEqual(third.report)
    }
  })
})


