import { describe, expect, it } from 'vitest'
import { createTaskBrain } from '../../src/think/agent.ts'
import { createInferencePool } from '../../src/think/pool.ts'
import { defaultThinkConfig, type ThinkConfig } from '../../src/think/config.ts'
import type { AgentEvent } from '../../src/think/types.ts'
import { fakeOpenAIPerTest, turns, type Script } from '../helpers/fake-openai.ts'
import { fixtureTools } from './fixture-tools.ts'

const fake = fakeOpenAIPerTest()

async function setup (script: Script, opts: { config?: Partial<ThinkConfig>, stream?: boolean } = {}) {
  const llm = await fake({ script })
  const config = { ...defaultThinkConfig(), ...opts.config }
  const pool = createInferencePool({ endpoints: [{ url: llm.url, source: 'config' }], model: 'm', stream: opts.stream ?? false, requestTimeoutMs: 2000, maxAttempts: 2 })
  const brain = createTaskBrain({ pool, config })
  const tools = fixtureTools()
  const events: AgentEvent[] = []
  const run = async (prompt = 'check the disks') => await brain.runTask({ prompt }, { tools, onEvent: e => events.push(e) })
  return { llm, pool, brain, tools, events, run }
}

const report = (prose: string, findings: unknown[]) => `${prose}\n\`\`\`json\n${JSON.stringify({ findings })}\n\`\`\``

describe.each([false, true])('agent loop (stream=%s)', (stream) => {
  it('runs the tools the model asks for, in parallel, and keeps verified findings', async () => {
    const { llm, run, events } = await setup([
      turns.toolCalls({ id: 'c1', name: 'disk_usage', arguments: {} }, { id: 'c2', name: 'memory' }),
      turns.text(report('/data is fine.', [{ severity: 'info', title: '/data at 40%', detail: 'ok', evidence: ['c1'], claims: [{ metric: 'disk.usedPercent', subject: '/data', value: 40, unit: '%' }] }]))
    ], { stream })
    const out = await run()
    llm.assertDone()
    expect(out.brain).toEqual({ kind: 'model', endpoint: llm.url, model: 'm' })
    expect(out.steps).toBe(2)
    expect(out.answer).toBe('/data is fine.')
    expect(out.toolCalls.map(c => [c.id, c.tool, c.ok])).toEqual([['t1', 'disk_usage', true], ['t2', 'memory', true]])
    expect(out.findings[0]).toMatchObject({ verified: true, evidence: ['t1'] })
    // the protocol: tools offered, tool messages answer the model's ids, and carry our ids
    const second = llm.requests[1].body
    expect(llm.requests[0].body.tools.map((t: any) => t.function.name)).toContain('disk_usage')
    const toolMsgs = second.messages.filter((m: any) => m.role === 'tool')
    expect(toolMsgs.map((m: any) => m.tool_call_id)).toEqual(['c1', 'c2'])
    expect(JSON.parse(toolMsgs[0].content)).toMatchObject({ id: 't1', tool: 'disk_usage', ok: true })
    expect(events.map(e => e.type)).toEqual(['thinking', 'tool:start', 'tool:start', 'tool:end', 'tool:end', 'thinking', 'answer'])
  })

  it('reports "/ is at 90%" as verified false when disk_usage says 12%', async () => {
    const { run } = await setup([
      turns.toolCalls({ id: 'd1', name: 'disk_usage' }),
      turns.text(report('Root is nearly full!', [{ severity: 'critical', title: '/ at 90%', detail: 'root filesystem nearly full', evidence: ['d1'], claims: [{ metric: 'disk.usedPercent', subject: '/', value: 90, unit: '%' }] }]))
    ], { stream })
    const out = await run()
    expect(out.findings).toHaveLength(1)
    expect(out.findings[0].verified).toBe(false)
    expect(out.findings[0].checks[0]).toMatchObject({ verified: false, observed: 12, source: 't1' })
  })
})

describe('agent loop: model quirks', () => {
  it('sends malformed arguments, unknown tools and invalid arguments back as errors the model can read', async () => {
    const { llm, run, tools } = await setup([
      turns.toolCalls(
        { id: 'a', name: 'disk_usage', arguments: '{"path": "/",' },
        { id: 'b', name: 'rm_rf' },
        { id: 'c', name: 'disk_usage', arguments: { bogus: 1 } }
      ),
      turns.toolCalls({ id: 'd', name: 'disk_usage', arguments: { path: '/' } }),
      turns.text('Done, nothing wrong.')
    ])
    const out = await run()
    llm.assertDone()
    const msgs = llm.requests[1].body.messages.filter((m: any) => m.role === 'tool').map((m: any) => JSON.parse(m.content))
    expect(msgs.map((m: any) => m.ok)).toEqual([false, false, false])
    expect(msgs[0].error).toMatch(/JSON/)
    expect(msgs[1].error).toMatch(/unknown tool/)
    expect(msgs[1].error).toMatch(/disk_usage/)
    expect(msgs[2].error).toMatch(/invalid arguments/)
    expect(tools.runs.filter(r => r.name === 'rm_rf')).toHaveLength(0)
    expect(out.toolCalls.map(c => c.ok)).toEqual([false, false, false, true])
    expect(out.answer).toBe('Done, nothing wrong.')
    expect(out.findings).toEqual([])
  })

  it.each(['json', 'hermes', 'fenced'] as const)('recognises tool calls written as text (%s)', async (style) => {
    const { llm, run, tools } = await setup([
      turns.toolCallsAsText(style, { name: 'disk_usage', arguments: {} }, { name: 'memory', arguments: {} }),
      turns.text(report('ok', []))
    ])
    const out = await run()
    llm.assertDone()
    expect(tools.runs.map(r => r.name).sort()).toEqual(['disk_usage', 'memory'])
    expect(out.toolCalls).toHaveLength(2)
    const last = llm.requests[1].body.messages.at(-1)
    expect(last.role).toBe('user')
    expect(last.content).toMatch(/"id":"t1"/)
  })

  it('answers an identical repeated call from the earlier result', async () => {
    const { run, tools } = await setup([
      turns.toolCalls({ name: 'disk_usage', arguments: { path: '/' } }),
      turns.toolCalls({ name: 'disk_usage', arguments: { path: '/' } }, { name: 'memory' }),
      turns.text('fine')
    ])
    const out = await run()
    expect(tools.runs.filter(r => r.name === 'disk_usage')).toHaveLength(1)
    expect(out.toolCalls.map(c => [c.id, c.cached === true])).toEqual([['t1', false], ['t2', true], ['t3', false]])
    expect(out.toolCalls[1].data).toEqual(out.toolCalls[0].data)
  })

  it('stops endless tool calling at the step limit, offering no tools on the last step', async () => {
    let n = 0
    const { llm, run } = await setup(() => turns.toolCalls({ name: 'system_load', arguments: { n: n++ } }), { config: { maxSteps: 4 } })
    const out = await run()
    expect(llm.requests).toHaveLength(4)
    expect(llm.requests.slice(0, 3).every(r => r.body.tools?.length > 0)).toBe(true)
    expect(llm.requests[3].body.tools).toBeUndefined()
    expect(out.steps).toBe(4)
    expect(out.error).toMatch(/step limit/)
    expect(out.brain.kind).toBe('model')
  })

  it('lets the model answer on the last step', async () => {
    const { llm, run } = await setup([turns.toolCalls({ name: 'memory' }), turns.text('memory is fine')], { config: { maxSteps: 2 } })
    const out = await run()
    expect(llm.requests[1].body.tools).toBeUndefined()
    expect(out).toMatchObject({ answer: 'memory is fine', steps: 2 })
    expect(out.error).toBeUndefined()
  })

  it('keeps a text answer with no structure and invents no findings', async () => {
    const { run } = await setup([turns.text('I think the disk might be full, maybe 90%.')])
    const out = await run()
    expect(out).toMatchObject({ answer: 'I think the disk might be full, maybe 90%.', findings: [] })
  })

  it('drops findings that do not fit the structure but keeps the good ones', async () => {
    const { run } = await setup([turns.text(report('two', [{ severity: 'urgent', title: 'x' }, { severity: 'Warning', title: 'real one', evidence: [], claims: [] }]))])
    const out = await run()
    expect(out.findings.map(f => [f.severity, f.title, f.verified])).toEqual([['warning', 'real one', null]])
  })

  it('cuts large tool results for the model and says so', async () => {
    const { llm, run, tools } = await setup([turns.toolCalls({ name: 'disk_usage' }), turns.text('ok')], { config: { maxToolResultChars: 300 } })
    tools.data.disk_usage = { mounts: Array.from({ length: 50 }, (_, i) => ({ filesystem: `fs${i}`, type: 'ext4', mount: `/m${i}`, sizeBytes: 1, usedBytes: 0, availableBytes: 1, usedPercent: 0 })) }
    const out = await run()
    const content: string = llm.requests[1].body.messages.at(-1).content
    expect(content.length).toBeLessThan(500)
    expect(content).toMatch(/\[truncated: showing 300 of \d+ characters/)
    expect((out.toolCalls[0].data as any).mounts).toHaveLength(50) // the record keeps it all
  })

  it('shortens the oldest tool results to fit the context budget, never the instructions or the newest', async () => {
    const { llm, run, tools } = await setup([
      turns.toolCalls({ name: 'disk_usage' }),
      turns.toolCalls({ name: 'memory' }),
      turns.text('ok')
    ], { config: { maxContextChars: 2000, maxToolResultChars: 1500 } })
    tools.data.disk_usage = { mounts: Array.from({ length: 12 }, (_, i) => ({ filesystem: `fs${i}`, type: 'ext4', mount: `/m${i}`, sizeBytes: 1, usedBytes: 0, availableBytes: 1, usedPercent: 0 })) }
    await run()
    const msgs = llm.requests[2].body.messages
    expect(msgs[0].role).toBe('system')
    expect(msgs[0].content).toMatch(/findings/)
    const toolMsgs = msgs.filter((m: any) => m.role === 'tool')
    expect(JSON.parse(toolMsgs[0].content)).toMatchObject({ ids: ['t1'] })
    expect(JSON.parse(toolMsgs[1].content)).toMatchObject({ id: 't2', ok: true })
  })

  it('falls back to the playbook when no endpoint answers, and says so', async () => {
    const { run, events } = await setup(() => turns.error(500))
    const out = await run()
    expect(out.brain).toEqual({ kind: 'playbook', reason: 'fallback' })
    expect(events.some(e => e.type === 'fallback')).toBe(true)
    expect(out.toolCalls.some(c => c.tool === 'disk_usage')).toBe(true)
  })

  it('falls back mid-task and keeps the calls made before', async () => {
    const { run } = await setup([turns.toolCalls({ name: 'memory' }), turns.error(503), turns.error(503)])
    const out = await run()
    expect(out.brain).toEqual({ kind: 'playbook', reason: 'fallback' })
    expect(out.toolCalls[0]).toMatchObject({ id: 't1', tool: 'memory' })
    expect(out.answer).toMatch(/after 1 step/)
  })

  it('uses the playbook with no endpoint at all', async () => {
    const brain = createTaskBrain({ pool: createInferencePool() })
    const out = await brain.runTask({ prompt: 'x' }, { tools: fixtureTools() })
    expect(out.brain).toEqual({ kind: 'playbook', reason: 'no-endpoint' })
  })

  it('stops when aborted, keeping what it has', async () => {
    const { llm, brain, tools } = await setup(() => turns.hang())
    const controller = new AbortController()
    const pending = brain.runTask({ prompt: 'x' }, { tools, signal: controller.signal })
    while (llm.requests.length === 0) await new Promise(resolve => setTimeout(resolve, 5))
    controller.abort()
    const out = await pending
    expect(out.error).toBe('aborted')
  })
})
