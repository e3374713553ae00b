import { spawn, type ChildProcess } from 'node:child_process'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createLab, labSupport, NODE, type Lab, type LabPeer } from '../helpers/netlab.ts'
import { callControl } from '../../src/node/control-client.ts'
import type { JobReport } from '../../src/gossip/messages-report.ts'
import type { JobSummary } from '../../src/node/jobs/service.ts'

// Real peers in network namespaces thinking with a scripted model (one slow fake server
// per namespace, on its loopback): a worker and a coordinator killed with SIGKILL mid-job,
// and a box started mid-job.
const support = labSupport()
if (!support.ok && process.env.CI === 'true') throw new Error(`CI=true but the netns lab cannot run: ${support.reason}`)
if (!support.ok) console.warn(`skipping jobs fault netns tests: ${support.reason}`)

/** Each model turn takes this long, so a task runs for about two of them. */
const TURN_MS = 1500
const LLM_SCRIPT = join(import.meta.dirname, 'fixtures/llm.ts')

describe.skipIf(!support.ok)('jobs under faults across network namespaces (scripted model)', () => {
  let lab: Lab
  let peers: LabPeer[]
  const llms: ChildProcess[] = []

  /** Starts the fake model inside the peer's namespace and points the peer at it. */
  async function withModel (name: string): Promise<LabPeer> {
    const env: Record<string, string> = {
      SWARM_CONFIG__JOBS__UNREACHABLEWAITMS: '5000',
      SWARM_CONFIG__JOBS__DIGESTDELAYMS: '500'
    }
    const peer = await lab.addPeer({ name, env, start: false })
    const child = spawn('ip', ['netns', 'exec', peer.ns, NODE, '--import', 'tsx', LLM_SCRIPT, String(TURN_MS)], { stdio: ['ignore', 'pipe', 'pipe'] })
    llms.push(child)
    const url = await new Promise<string>((resolve, reject) => {
      let out = ''
      child.stdout!.on('data', (d: Buffer) => { out += d.toString(); const m = /URL (\S+)/.exec(out); if (m != null) resolve(m[1]) })
      child.on('exit', code => { reject(new Error(`fake model exited ${code}`)) })
    })
    env.OPENAI_BASE_URL = url
    return peer
  }

  async function allAlive (n: number): Promise<void> {
    await lab.waitFor(async () => {
      const live = peers.filter(p => !p.exited())
      const views = await Promise.all(live.map(async o => await o.peers()))
      return views.every(rows => rows.filter(r => r.state === 'alive').length === n)
    }, { timeoutMs: 20_000 })
  }

  /** Starts `swarm run` as a process; resolves when it exits. */
  function startRun (from: LabPeer, args: string[]): Promise<{ code: number | null, report: JobReport, stderr: string }> {
    return lab.cli(from, ['run', ...args, '--json']).then(r => {
      try { return { code: r.code, report: JSON.parse(r.stdout) as JobReport, stderr: r.stderr } } catch { throw new Error(`no JSON (exit ${r.code}):\n${r.stdout}\n${r.stderr}`) }
    })
  }

  /**
   * The running job submitted from `from` since `since` (the newest one it knows). Older
   * ones matter: a restarted peer holds a job that ended while it was down as running
   * until catch-up brings the report.
   */
  async function runningJob (from: LabPeer, ok: (r: JobReport) => boolean, since: number): Promise<JobReport> {
    return await lab.waitFor(async () => {
      const list = await callControl<JobSummary[]>(from.home, 'job.list')
      const job = list.find(j => j.status === 'running' && j.submittedAt >= since)
      if (job == null) return undefined
      const r = await callControl<JobReport>(from.home, 'job.show', { jobId: job.jobId })
      return ok(r) ? r : undefined
    }, { timeoutMs: 20_000, intervalMs: 50 })
  }

  beforeAll(async () => {
    lab = await createLab()
    peers = await Promise.all(['alpha', 'bravo', 'charlie', 'delta'].map(withModel))
    await Promise.all(peers.map(async p => { await p.start() }))
    await allAlive(4)
  })

  afterAll(async () => {
    for (const c of llms) { if (c.pid != null && c.exitCode == null) try { process.kill(c.pid, 'SIGKILL') } catch {} }
    await lab?.destroy()
  })

  it('a worker killed mid-task: its host ends unreachable, its host-agnostic task is redone, the job ends partial', async () => {
    const [submitter] = peers
    const since = Date.now()
    const run = startRun(submitter, ['check every box', '--deadline', '60'])
    const live = await runningJob(submitter, r => r.coordinator != null && r.tasks.length === 5 && r.tasks.every(t => t.state === 'running'), since)
    const extra = live.tasks.find(t => t.hostPeerId == null)!
    const spare = (p: LabPeer) => p !== submitter && p.peerId !== live.coordinator!.peerId
    // prefer the peer running the host-agnostic task, so both rules are exercised
    const victim = peers.find(p => spare(p) && p.name === extra.worker) ?? peers.find(spare)!
    const t0 = Date.now()
    await victim.kill('SIGKILL')
    const { code, report } = await run
    console.log(`worker ${victim.name} killed; job ended ${Date.now() - t0} ms later (host-agnostic task was on ${extra.worker})`)
    expect(code).toBe(3)
    expect(report.status).toBe('partial')
    expect(report.hosts.find(h => h.name === victim.name)?.state).toBe('unreachable')
    expect(report.hosts.filter(h => h.name !== victim.name).every(h => h.state === 'ok' || h.state === 'findings')).toBe(true)
    const redone = report.tasks.find(t => t.taskId === extra.taskId)!
    expect(redone.state).toBe('done')
    expect(redone.worker).not.toBe(victim.name)
    if (extra.worker === victim.name) expect(redone.attempts).toBe(2)
    for (const t of report.tasks.filter(t => t.state === 'done')) expect(t.brain).toMatchObject({ kind: 'model', model: 'lab-model' })
    await victim.start()
    await allAlive(4)
  })

  it('the coordinator killed mid-job: another peer takes over with a higher epoch, nothing lost or doubled', async () => {
    let attempt = 0
    for (;;) {
      attempt++
      const submitter = peers[attempt % peers.length]
      const since = Date.now()
      const run = startRun(submitter, ['check every box', '--deadline', '60'])
      const live = await runningJob(submitter, r => r.coordinator != null && r.tasks.filter(t => t.state === 'running').length >= 4, since)
      // every peer must agree on who leads (two peers may claim epoch 1 at once; the better-ranked wins)
      const leader = await lab.waitFor(async () => {
        const views = await Promise.all(peers.map(async p => await callControl<JobReport>(p.home, 'job.show', { jobId: live.jobId })))
        const ids = new Set(views.map(v => `${v.coordinator?.peerId}@${v.epoch}`))
        return ids.size === 1 ? views[0].coordinator!.peerId : undefined
      }, { timeoutMs: 5000, intervalMs: 50 })
      const coordinator = peers.find(p => p.peerId === leader)!
      if (coordinator === submitter) {
        // killing it would kill the CLI's own peer too; try again from another box
        await run
        if (attempt < 4) continue
        throw new Error('the submitter was elected coordinator 4 times in a row')
      }
      const t0 = Date.now()
      await coordinator.kill('SIGKILL')
      const survivor = peers.find(p => p !== coordinator)!
      await lab.waitFor(async () => (await callControl<JobReport>(survivor.home, 'job.show', { jobId: live.jobId })).epoch > 1, { timeoutMs: 15_000, intervalMs: 25 })
      console.log(`takeover: a survivor saw epoch 2 ${Date.now() - t0} ms after the SIGKILL`)
      // it comes back quickly: its own host task is offered to it again before the deadline
      await coordinator.start()
      const { code, report, stderr } = await run
      console.log(`coordinator ${coordinator.name} killed; ${report.coordinator?.name} finished at epoch ${report.epoch}, ${Date.now() - t0} ms later`)
      expect(stderr).toMatch(/took over \(epoch [2-9]/)
      expect(report.epoch).toBeGreaterThan(1)
      expect(report.coordinator?.peerId).not.toBe(coordinator.peerId)
      expect(code).toBe(0)
      expect(report.status).toBe('completed')
      expect(report.tasks).toHaveLength(5)
      expect(new Set(report.tasks.map(t => t.taskId)).size).toBe(5)
      expect(report.stats.succeeded).toBe(5)
      // tasks on the hosts that stayed up ran once
      for (const t of report.tasks.filter(t => t.hostPeerId != null && t.hostPeerId !== coordinator.peerId)) expect(t.attempts).toBe(1)
      expect(report.hosts.map(h => h.name).sort()).toEqual(['alpha', 'bravo', 'charlie', 'delta'])
      break
    }
    await allAlive(4)
  })

  it('a box started mid-job is included in the fleet-wide job', async () => {
    const late = await withModel('echo')
    peers.push(late)
    const since = Date.now()
    const run = startRun(peers[0], ['check every box', '--deadline', '60'])
    await runningJob(peers[0], r => r.tasks.filter(t => t.state === 'running').length >= 3, since)
    await late.start()
    const { code, report } = await run
    expect(code).toBe(0)
    expect(report.hosts.map(h => h.name).sort()).toEqual(['alpha', 'bravo', 'charlie', 'delta', 'echo'])
    expect(report.tasks.find(t => t.host === 'echo')?.state).toBe('done')
  })
})
