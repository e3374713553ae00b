/**
 * `swarm ask` end to end: the real CLI process, the real tool catalog on this machine, the
 * real openai client talking to the scripted server over loopback.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { execa } from 'execa'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fakeOpenAIPerTest, turns, type ScriptContext } from '../helpers/fake-openai.ts'

const ROOT = new URL('../../', import.meta.url).pathname
const NODE = join(ROOT, 'node_modules/.bin/node')
let home: string
const fake = fakeOpenAIPerTest()

beforeAll(() => { home = mkdtempSync(join(tmpdir(), 'swarm-ask-')) })
afterAll(() => { rmSync(home, { recursive: true, force: true }) })

function cleanEnv (extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {}
  for (const [k, v] of Object.entries(process.env)) {
    if (v != null && !k.startsWith('OPENAI_') && !k.startsWith('SWARM_') && k !== 'DEBUG') env[k] = v
  }
  // dns_check asks each configured nameserver directly: keep those queries on loopback
  return { ...env, SWARM_HOME: home, SWARM_CONFIG__TOOLS__DNS__RESOLVCONF: join(ROOT, 'test/fixtures/resolv.loopback.conf'), ...extra }
}

function ask (args: string[], env: Record<string, string> = {}) {
  return execa(NODE, [join(ROOT, 'bin/swarm.mjs'), 'ask', ...args], { env: cleanEnv(env), extendEnv: false, reject: false, cwd: ROOT, timeout: 60_000 })
}

/** A model that reads the real disk_usage result and claims one true and one false figure for "/". */
function lyingModel (ctx: ScriptContext) {
  if (ctx.index === 0) return turns.toolCalls({ id: 'call_disk', name: 'disk_usage', arguments: {} })
  const result = ctx.lastToolResults()[0].json
  const root = result.data.mounts.find((m: any) => m.mount === '/')
  const wrong = root.usedPercent < 50 ? root.usedPercent + 40 : root.usedPercent - 40
  return turns.text(`Root filesystem checked.\n\`\`\`json\n${JSON.stringify({
    findings: [
      { severity: 'critical', title: `/ is at ${wrong}%`, detail: 'made up', evidence: ['call_disk'], claims: [{ metric: 'disk.usedPercent', subject: '/', value: wrong, unit: '%' }] },
      { severity: 'info', title: `/ is at ${root.usedPercent}%`, detail: 'read from the tool', evidence: ['call_disk'], claims: [{ metric: 'disk.usedPercent', subject: '/', value: root.usedPercent, unit: '%' }] }
    ]
  })}\n\`\`\``, { delayMs: ctx.index === 1 ? 800 : 0 })
}

describe('swarm ask', () => {
  it('runs the model with the real tools and marks a false claim unverified (--json)', async () => {
    const llm = await fake({ script: lyingModel })
    const r = await ask(['--json', 'is the root disk full?'], { OPENAI_BASE_URL: llm.url, SWARM_MODEL: 'tiny-model' })
    expect(r.exitCode, r.stderr).toBe(0)
    const out = JSON.parse(r.stdout)
    expect(Object.keys(out).sort()).toEqual(['answer', 'brain', 'findings', 'ms', 'steps', 'toolCalls'])
    expect(out.brain).toEqual({ kind: 'model', endpoint: llm.url, model: 'tiny-model' })
    expect(out.steps).toBe(2)
    expect(out.answer).toBe('Root filesystem checked.')
    const real = out.toolCalls[0].data.mounts.find((m: any) => m.mount === '/').usedPercent
    const lie = out.findings.find((f: any) => f.severity === 'critical')
    expect(lie.verified).toBe(false)
    expect(lie.checks[0].observed).toBe(real)
    expect(lie.evidence).toEqual(['t1'])
    expect(out.findings.find((f: any) => f.severity === 'info').verified).toBe(true)
    expect(llm.requests[0].body.model).toBe('tiny-model')
    // tool calls streamed to stderr as they happened
    expect(r.stderr).toMatch(/→ t1 disk_usage \{\}/)
    expect(r.stderr).toMatch(/← t1 disk_usage ok/)
    llm.assertDone()
  })

  it('prints answer and findings with verification marks for people, streaming tool calls first', async () => {
    const llm = await fake({ script: lyingModel })
    const child = ask(['is', 'the', 'root', 'disk', 'full?'], { OPENAI_BASE_URL: llm.url })
    let stderr = ''
    child.stderr?.on('data', (d: Buffer) => { stderr += d.toString() })
    // the tool line is out while the model is still thinking about the result
    await waitUntil(() => stderr.includes('← t1 disk_usage') && llm.requests.length === 2)
    expect(child.exitCode).toBeNull()
    const r = await child
    expect(r.exitCode).toBe(0)
    expect(r.stdout).toMatch(/^Root filesystem checked\./)
    expect(r.stdout).toMatch(/\[critical\] \/ is at \d+%\s+✘ UNVERIFIED: disk\.usedPercent of \/ claimed \d+, evidence says \d+/)
    expect(r.stdout).toMatch(/\[info\] .*✔ verified/)
    expect(r.stdout).toMatch(/brain: model fake-model/)
  })

  it('streams over SSE when configured', async () => {
    const llm = await fake({ script: lyingModel })
    const r = await ask(['--json', 'disk?'], { OPENAI_BASE_URL: llm.url, SWARM_CONFIG__THINK__STREAM: 'true' })
    expect(r.exitCode, r.stderr).toBe(0)
    expect(llm.requests.every(q => q.stream)).toBe(true)
    expect(JSON.parse(r.stdout).findings.map((f: any) => f.verified).sort()).toEqual([false, true])
  })

  it('uses the playbook with no endpoint and says so', async () => {
    const r = await ask(['--json', 'check this box'])
    expect(r.exitCode, r.stderr).toBe(0)
    expect(r.stderr).toMatch(/brain: playbook \(no inference endpoint configured\)/)
    const out = JSON.parse(r.stdout)
    expect(out.brain).toEqual({ kind: 'playbook', reason: 'no-endpoint' })
    expect(out.toolCalls.map((c: any) => c.tool)).toContain('disk_usage')
    const human = await ask(['check', 'this', 'box'])
    expect(human.stdout).toMatch(/brain: playbook \(no inference endpoint configured\)/)
  })

  it('takes --brain URL and --model over the environment', async () => {
    const llm = await fake({ script: [turns.text('nothing to report')] })
    const other = await fake({ script: [] })
    const r = await ask(['--json', '--brain', llm.url, '--model', 'flag-model', 'hello'], { OPENAI_BASE_URL: other.url, SWARM_MODEL: 'env-model' })
    expect(r.exitCode, r.stderr).toBe(0)
    expect(llm.requests[0].body.model).toBe('flag-model')
    expect(other.requests).toHaveLength(0)
    expect(JSON.parse(r.stdout)).toMatchObject({ answer: 'nothing to report', findings: [], steps: 1 })
    const pb = await ask(['--json', '--brain', 'playbook', 'hello'], { OPENAI_BASE_URL: other.url })
    expect(JSON.parse(pb.stdout).brain).toEqual({ kind: 'playbook', reason: 'configured' })
    expect(other.requests).toHaveLength(0)
  })

  it('writes control characters from the model as visible escapes, and keeps them exact in --json', async () => {
    // a model (or a hostile prompt it echoes) answering with terminal escape sequences:
    // clear screen, C1 CSI colour, carriage return, retitle the terminal
    const hostile = 'all fine\u001b[2J\u009b31mREBOOT NOW\r\u001b]0;owned\u0007 done'
    const llm = await fake({ script: () => turns.text(hostile) })
    const human = await ask(['is', 'it', 'fine?'], { OPENAI_BASE_URL: llm.url, SWARM_MODEL: 'm' })
    expect(human.exitCode, human.stderr).toBe(0)
    expect(human.stdout).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/)
    expect(human.stdout).toContain('all fine\\u001b[2J\\u009b31mREBOOT NOW\\u000d\\u001b]0;owned\\u0007 done')
    const json = await ask(['--json', 'is', 'it', 'fine?'], { OPENAI_BASE_URL: llm.url, SWARM_MODEL: 'm' })
    expect(json.stdout).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/)
    expect(JSON.parse(json.stdout).answer).toBe(hostile)
  })

  it('falls back to the playbook when the endpoint fails, and says so', async () => {
    const llm = await fake({ script: () => turns.error(500) })
    const r = await ask(['--json', 'check'], { OPENAI_BASE_URL: llm.url })
    expect(r.exitCode, r.stderr).toBe(0)
    expect(JSON.parse(r.stdout).brain).toEqual({ kind: 'playbook', reason: 'fallback' })
    expect(r.stderr).toMatch(/playbook takes over/)
  })

  it('rejects bad input with a usage error', async () => {
    expect((await ask([])).exitCode).toBe(2)
    const bad = await ask(['--brain', 'ftp://x', 'hi'])
    expect(bad.exitCode).toBe(2)
    expect(bad.stderr).toMatch(/^swarm ask: /)
    expect((await ask(['--max-steps', '0', 'hi'])).exitCode).toBe(2)
  })

  it('swarm start takes --brain too, and rejects a bad one before the peer starts', async () => {
    // mDNS off and loopback only, in case the check ever let it through
    const r = await execa(NODE, [join(ROOT, 'bin/swarm.mjs'), 'start', '--no-mdns', '--listen', '/ip4/127.0.0.1/tcp/0', '--brain', 'ftp://x'],
      { env: cleanEnv(), extendEnv: false, reject: false, cwd: ROOT, timeout: 20_000 })
    expect(r.exitCode).toBe(2)
    expect(r.stderr).toMatch(/--brain/)
  })
})

async function waitUntil (cond: () => boolean, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time')
    await new Promise(resolve => setTimeout(resolve, 20))
  }
}
