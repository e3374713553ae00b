import { join } from 'node:path'
import { createServer, type Server } from 'node:net'
import { afterAll, describe, expect, it, vi } from 'vitest'
import { callControl } from '../../src/node/control-client.ts'
import { initHome } from '../../src/node/home.ts'
import { createLogger } from '../../src/node/logger.ts'
import { startPeer, type Peer, type PeerRow } from '../../src/node/peer.ts'
import { JOBS_TOPIC } from '../../src/gossip/messages.ts'
import { PRESENCE_TOPIC } from '../../src/gossip/presence.ts'
import type { StatusReport } from '../../src/cli/commands/status.ts'
import { startFakeOpenAI, turns, type FakeOpenAI } from '../helpers/fake-openai.ts'
import { cliHarness, exited, expectOneLineError } from './cli-harness.ts'

// `swarm status` and `swarm show` as a sysadmin meets them: a real `swarm start` on
// 127.0.0.1 with mDNS off, a scripted OpenAI-compatible server as its brain, and a second
// peer in this process (also loopback, no mDNS) that sends what a real peer cannot be made
// to send from the CLI: malformed gossip and an invalid offered brain URL.
const { root, swarm, startPeer: startCliPeer } = cliHarness('swarm-status-')
const quiet = createLogger('test', { level: 'error', sink: () => {} })
const inProcess: Peer[] = []
let llm: FakeOpenAI | undefined
afterAll(async () => {
  for (const p of inProcess) await p.stop()
  await llm?.close()
})

const status = async (home: string): Promise<StatusReport> => {
  const r = await swarm(['status', '--home', home, '--json'])
  expect(r.code, r.stderr).toBe(0)
  return JSON.parse(r.stdout) as StatusReport
}

/** a TCP port on 127.0.0.1 that refuses connections: an inference endpoint that is down */
async function closedPort (): Promise<number> {
  const s: Server = createServer()
  await new Promise<void>(resolve => s.listen(0, '127.0.0.1', resolve))
  const port = (s.address() as { port: number }).port
  await new Promise<void>(resolve => s.close(() => { resolve() }))
  return port
}

const commonPrefix = (a: string, b: string) => {
  let i = 0
  while (i < a.length && a[i] === b[i]) i++
  return a.slice(0, i)
}

describe('swarm status', () => {
  it('is listed by swarm help, and --help explains every flag of status and show', async () => {
    expect((await swarm(['help'])).stdout).toMatch(/^\s+status\s/m)
    for (const name of ['status', 'show']) {
      const r = await swarm([name, '--help'])
      expect(r.code).toBe(0)
      const [usage, ...rest] = r.stdout.split('\n\n')
      for (const flag of usage.match(/--[a-z-]+/g) ?? []) expect(rest.join('\n\n'), `${name} ${flag}`).toMatch(new RegExp(`^\\s+${flag}\\b`, 'm'))
    }
  })


  it('with no peer running says so in the same one line as swarm peers', async () => {
    const home = join(root, 'nobody')
    const s = await swarm(['status', '--home', home])
    const p = await swarm(['peers', '--home', home])
    expectOneLineError(s, `swarm start --home ${home}`)
    expect(s.code).toBe(p.code)
    expect(s.stderr.replace(/^swarm status:/, '')).toBe(p.stderr.replace(/^swarm peers:/, ''))
  })

  it('shows the peer, members, endpoints, task slots, jobs and drops; show lists the jobs a prefix names', async () => {
    llm = await startFakeOpenAI({ script: () => turns.text('Nothing unusual found on this host.') })
    const down = `http://127.0.0.1:${await closedPort()}/v1`
    const a = join(root, 'alpha')
    const c = join(root, 'gamma')
    expect((await swarm(['init', '--home', a, '--name', 'alpha'])).code).toBe(0)
    await initHome({ home: c, name: 'gamma', swarmKeyFile: join(a, 'swarm.key') })
    const peerA = startCliPeer(a, [], {
      // (TOML values) the endpoint that is down first: it is tried (and fails) before the live one
      SWARM_CONFIG__THINK__ENDPOINTS: `[{ url = "${down}", model = "m" }, { url = "${llm.url}", model = "m" }]`,
      // long enough that it is still cooling when we look, however slow the machine
      SWARM_CONFIG__THINK__COOLDOWNMS: '600000',
      // one failure cools it, whichever order the pool tries endpoints in
      SWARM_CONFIG__THINK__FAILURESBEFORECOOLDOWN: '1'
    })
    try {
      await vi.waitFor(() => { expect(peerA.output()).toMatch(/listening on \S+/) }, { timeout: 20_000, interval: 50 })
      const listening = /listening on (\S+)/.exec(peerA.output())![1]
      const version = (await swarm(['--version'])).stdout.trim()
      const self = (await callControl<PeerRow[]>(a, 'peers')).find(r => r.self)!

      const first = await status(a)
      expect(first.peer).toMatchObject({ name: 'alpha', peerId: self.peerId, version, pid: peerA.child.pid, home: a })
      expect(first.peer.addresses).toContain(listening)
      expect(first.peer.uptimeMs).toBeGreaterThan(0)
      expect(first.members).toEqual({ alive: 1, suspect: 0, dead: 0, total: 1 })
      expect(first.tasks).toEqual({ running: 0, slots: 2 })
      expect(first.jobs).toMatchObject({ known: 0, running: 0, ended: 0 })
      expect(first.endpoints.map(e => [e.url, e.source, e.requests, e.cooling])).toEqual([[down, 'config', 0, false], [llm.url, 'config', 0, false]])
      expect(first.drops.jobs).toEqual({ total: 0, reasons: {} })

      // two jobs on this box: the endpoint that is down fails and cools, the live one answers
      const ids: string[] = []
      for (const prompt of ['check the disks', 'check the services']) {
        const r = await swarm(['run', prompt, '--target', 'alpha', '--json', '--home', a])
        expect(r.stdout, r.stderr).toMatch(/^\{/)
        ids.push((JSON.parse(r.stdout) as { jobId: string }).jobId)
      }
      // the report can reach the CLI a moment before the worker and the pool settle
      let after = first
      await vi.waitFor(async () => {
        after = await status(a)
        expect(after.tasks).toEqual({ running: 0, slots: 2 })
        expect(after.endpoints.map(e => e.inFlight)).toEqual([0, 0])
      }, { timeout: 20_000, interval: 100 })
      expect(after.jobs).toMatchObject({ known: 2, running: 0, ended: 2 })
      expect(after.jobs!.completed + after.jobs!.partial + after.jobs!.failed).toBe(2)
      const [dead, live] = after.endpoints
      expect(dead).toMatchObject({ url: down, inFlight: 0, cooling: true })
      expect(dead.failures).toBeGreaterThanOrEqual(1)
      expect(dead.coolingDownUntil).toBeGreaterThan(Date.now())
      // and the peer said so on its stderr, where a sysadmin running it sees it
      expect(peerA.output()).toMatch(new RegExp(` warn swarm:think endpoint ${down.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} cooling down`))
      expect(live).toMatchObject({ url: llm.url, inFlight: 0, failures: 0, cooling: false })
      expect(live.requests).toBeGreaterThanOrEqual(1)
      expect(live.requests).toBe(llm.requests.length)
      expect(live.avgLatencyMs).toBeGreaterThan(0)

      // the human view carries the same facts
      const human = await swarm(['status', '--home', a])
      expect(human.code, human.stderr).toBe(0)
      for (const fact of [self.peerId, listening, down, llm.url]) expect(human.stdout).toContain(fact)

      // show: a prefix naming both jobs is ambiguous and lists them; one naming one job works
      const both = commonPrefix(ids[0], ids[1])
      const ambiguous = await swarm(['show', both, '--home', a])
      expectOneLineError(ambiguous, ids[0])
      expect(ambiguous.code).toBe(1)
      for (const id of ids) expect(ambiguous.stderr).toContain(id)
      await expect(callControl(a, 'job.show', { jobId: both })).rejects.toMatchObject({ name: 'ControlCallError', code: 'ERR_JOB_AMBIGUOUS' })
      await expect(callControl(a, 'job.show', { jobId: 'jnosuchjob' })).rejects.toMatchObject({ name: 'ControlCallError', code: 'ERR_JOB_NOT_FOUND' })
      const unique = ids[1].slice(0, both.length + 1)
      const shown = await swarm(['show', unique, '--json', '--home', a])
      expect(shown.code, shown.stderr).toBe(0)
      expect(JSON.parse(shown.stdout).jobId).toBe(ids[1])

      // a second member, in this process, joins through A's address
      const gamma = await startPeer({ home: c, env: {}, logger: quiet, overrides: { peer: { listen: ['/ip4/127.0.0.1/tcp/0'], bootstrap: [listening] }, discovery: { mdns: false } } })
      inProcess.push(gamma)
      // polls ask the control API (a CLI process per poll is slow under load); the CLI then reads the settled state
      await vi.waitFor(async () => { expect((await callControl(a, 'status')).members).toEqual({ alive: 2, suspect: 0, dead: 0 }) }, { timeout: 20_000, interval: 100 })
      expect((await status(a)).members).toEqual({ alive: 2, suspect: 0, dead: 0, total: 2 })
      // a peer without the jobs service (gamma) still answers, with the jobs parts empty
      const bare = await status(c)
      expect(bare.peer).toMatchObject({ name: 'gamma', peerId: gamma.peerId })
      expect(bare).toMatchObject({ brain: null, endpoints: [], tasks: null, jobs: null, drops: { jobs: null } })

      // malformed gossip is dropped and counted by reason, per layer
      const garbage = new TextEncoder().encode('this is not json')
      await gamma.bus.publishReliably(JOBS_TOPIC, garbage, { signal: AbortSignal.timeout(20_000) })
      await gamma.bus.publishReliably(PRESENCE_TOPIC, garbage, { signal: AbortSignal.timeout(20_000) })
      await vi.waitFor(async () => {
        expect((await callControl(a, 'jobs.stats')).drops['bad-json']).toBeGreaterThanOrEqual(1)
        expect((await callControl(a, 'status')).presence.dropped).toBeGreaterThanOrEqual(1)
      }, { timeout: 20_000, interval: 100 })
      const stats = await callControl<{ dropped: number, drops: Record<string, number> }>(a, 'jobs.stats')
      const dropped = await status(a)
      expect(dropped.drops.jobs).toEqual({ total: stats.dropped, reasons: stats.drops })
      expect(dropped.drops.jobs!.reasons['bad-json']).toBeGreaterThanOrEqual(1)
      expect(dropped.drops.presence.total).toBeGreaterThanOrEqual(1)
      expect(Object.values(dropped.drops.presence.reasons).reduce((x, y) => x + y, 0)).toBe(dropped.drops.presence.total)

      // an invalid offered brain URL is warned about once per (peer, url), not at every presence change
      const bad = ['ftp://brain.invalid/v1', 'not a url at all']
      gamma.presence.set({ endpoints: [{ url: bad[0] }] })
      let tasks = 0
      gamma.presence.contribute(() => ({ tasksRunning: tasks }))
      for (let i = 1; i <= 5; i++) {
        // each change is a member:update on A; wait until A has it before the next
        tasks = i
        gamma.presence.announce()
        await vi.waitFor(async () => {
          const row = (await callControl<PeerRow[]>(a, 'peers')).find(r => r.peerId === gamma.peerId)
          expect(row?.tasksRunning).toBe(i)
        }, { timeout: 20_000, interval: 50 })
      }
      gamma.presence.set({ endpoints: [{ url: bad[0] }, { url: bad[1] }] })
      tasks = 0
      gamma.presence.announce()
      // (the peer's warnings reach stderr by default: a sysadmin sees them without asking)
      const warnings = (url: string) => peerA.output().split('\n').filter(l => / warn /.test(l) && l.includes(JSON.stringify(url)) && l.includes(gamma.peerId))
      await vi.waitFor(() => { expect(warnings(bad[1])).toHaveLength(1) }, { timeout: 20_000, interval: 50 })
      expect(warnings(bad[0])).toHaveLength(1)
      // neither became an endpoint
      expect((await status(a)).endpoints.map(e => e.url)).toEqual([down, llm.url])

      // a member that leaves is counted dead
      await gamma.stop()
      await vi.waitFor(async () => { expect((await callControl(a, 'status')).members).toEqual({ alive: 1, suspect: 0, dead: 1 }) }, { timeout: 20_000, interval: 100 })
      expect((await status(a)).members).toEqual({ alive: 1, suspect: 0, dead: 1, total: 2 })
    } finally {
      peerA.child.kill('SIGTERM')
      await exited(peerA.child)
    }
  }, 180_000)
})
