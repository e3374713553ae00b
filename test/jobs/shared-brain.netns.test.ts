import { spawn, type ChildProcess } from 'node:child_process'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createLab, labSupport, NODE, type Lab, type LabPeer } from '../helpers/netlab.ts'
import type { JobReport } from '../../src/gossip/messages-report.ts'

// The shared brain: one box runs a model and offers it with --offer-brain; the boxes with
// no model of their own borrow it for their tasks, and stop using it when that box dies.
const support = labSupport()
if (!support.ok && process.env.CI === 'true') throw new Error(`CI=true but the netns lab cannot run: ${support.reason}`)
if (!support.ok) console.warn(`skipping shared-brain netns tests: ${support.reason}`)

const NO_MODEL = { OPENAI_BASE_URL: '', OPENAI_API_KEY: '', SWARM_MODEL: '', SWARM_CONFIG__JOBS__UNREACHABLEWAITMS: '500' }

describe.skipIf(!support.ok)('shared brain across network namespaces', () => {
  let lab: Lab
  let gpu: LabPeer, b1: LabPeer, b2: LabPeer
  let llm: ChildProcess | undefined
  let url = ''

  beforeAll(async () => {
    lab = await createLab()
    gpu = await lab.addPeer({ name: 'gpu', env: NO_MODEL, start: false })
    llm = spawn('ip', ['netns', 'exec', gpu.ns, NODE, '--import', 'tsx', join(import.meta.dirname, 'fixtures/llm.ts'), '100', gpu.ip], { stdio: ['ignore', 'pipe', 'pipe'] })
    url = await new Promise<string>((resolve, reject) => {
      let out = ''
      llm!.stdout!.on('data', (d: Buffer) => { out += d.toString(); const m = /URL (\S+)/.exec(out); if (m != null) resolve(m[1]) })
      llm!.on('exit', code => { reject(new Error(`fake model exited ${code}`)) })
    })
    await gpu.start(['--offer-brain', url, '--offer-model', 'lab-model'])
    ;[b1, b2] = await Promise.all([lab.addPeer({ name: 'b1', env: NO_MODEL }), lab.addPeer({ name: 'b2', env: NO_MODEL })])
    await lab.waitFor(async () => {
      const views = await Promise.all([gpu, b1, b2].map(async p => await p.peers()))
      return views.every(rows => rows.filter(r => r.state === 'alive').length === 3)
    }, { timeoutMs: 20_000 })
  })

  afterAll(async () => {
    if (llm?.pid != null && llm.exitCode == null) try { process.kill(llm.pid, 'SIGKILL') } catch {}
    await lab?.destroy()
  })

  it('boxes without a model think with the endpoint another box offers, and the report says so', async () => {
    const r = await lab.cli(b1, ['run', 'check every box', '--json'])
    expect(r.code, r.stderr).toBe(0)
    const report = JSON.parse(r.stdout) as JobReport
    const hostTasks = report.tasks.filter(t => t.host != null)
    expect(hostTasks.map(t => t.host).sort()).toEqual(['b1', 'b2', 'gpu'])
    for (const t of report.tasks) expect(t.brain).toEqual({ kind: 'model', endpoint: url, model: 'lab-model' })
  })

  it('when the box offering the brain dies, the others fall back to the playbook', async () => {
    await gpu.kill('SIGKILL')
    await lab.waitFor(async () => (await b1.peers()).find(p => p.name === 'gpu')?.state === 'dead', { timeoutMs: 10_000 })
    const r = await lab.cli(b2, ['run', 'check every box', '--json'])
    expect(r.code, r.stderr).toBe(0)
    const report = JSON.parse(r.stdout) as JobReport
    expect(report.hosts.map(h => h.name).sort()).toEqual(['b1', 'b2'])
    // no-endpoint, not fallback: the dead box's endpoint left the pool, nothing was tried
    for (const t of report.tasks) expect(t.brain).toEqual({ kind: 'playbook', reason: 'no-endpoint' })
  })
})
