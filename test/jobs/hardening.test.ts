/**
 * The wire protocol against hostile or buggy members: deadlines capped on receipt,
 * catch-up relays capped per requester, coordinator messages at a higher epoch taken
 * only from a member the election could have made coordinator.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { encodeMessage } from '../../src/gossip/messages-codec.ts'
import { JOBS_TOPIC, type MessageOf } from '../../src/gossip/messages.ts'
import type { JobReport } from '../../src/gossip/messages-report.ts'
import { rankPeers, successorOf } from '../../src/election/rendezvous.ts'
import { boundDeadlines, latestDeadline, MAX_CLOCK_AHEAD_MS } from '../../src/node/jobs/bound.ts'
import { JobsService } from '../../src/node/jobs/service.ts'
import { signReport } from '../../src/node/jobs/signature.ts'
import { JobStore } from '../../src/node/jobs/store.ts'
import { RELAY_BUDGET, RELAY_JITTER_MS, RELAY_WINDOW_MS, RelayBudget, REPEAT_MS } from '../../src/node/jobs/sync.ts'
import { Cluster, fakeSigning, fastConfig, MemNet, noTools, runJob, scriptedJobBrain, scriptedTaskBrain, sent, World, type SimPeer } from './harness.ts'

let cluster: Cluster | undefined
const cleanups: Array<() => Promise<void> | void> = []
afterEach(async () => {
  await cluster?.close()
  cluster = undefined
  for (const c of cleanups.splice(0).reverse()) await c()
})

const DAY = 86_400_000

function submission (jobId: string, submittedAt: number, deadline: number, targets: string[] | null = null): MessageOf<'job.submitted'> {
  return { v: 1, ts: submittedAt, type: 'job.submitted', jobId, epoch: 0, prompt: 'audit', targets, submitter: 'QmSubmitter', submitterName: 's', submittedAt, deadline }
}

const reportOf = (p: SimPeer, jobId: string) => new Promise<JobReport>(resolve => {
  p.service.on('job:done', (r: JobReport) => { if (r?.jobId === jobId) resolve(r) })
})

describe('deadlines from the wire', () => {
  it('are capped at maxDeadlineS from the submission time, or from our clock if it is dated ahead', () => {
    const now = 1_000_000_000
    expect(latestDeadline(now - 500, now, 2000)).toBe(now + 1500)
    expect(latestDeadline(now + 10 * DAY, now, 2000)).toBe(now + MAX_CLOCK_AHEAD_MS + 2000)
    const s = submission('j1', now, now + 365 * DAY)
    expect(boundDeadlines(s, now, 2000).deadline).toBe(now + 2000)
    // a deadline within the bound is left alone, and so is the message object
    const fine = submission('j1', now, now + 1000)
    expect(boundDeadlines(fine, now, 2000)).toBe(fine)
    const offer: MessageOf<'task.offer'> = { v: 1, ts: now, type: 'task.offer', jobId: 'j1', epoch: 1, taskId: 't1', host: null, prompt: 'x', attempt: 1, deadline: now + DAY }
    expect(boundDeadlines(offer, now, 2000).deadline).toBe(now + 2000)
    const report = { v: 1, ts: now, type: 'job.report', jobId: 'j1', epoch: 1, submitted: s, report: {} } as unknown as MessageOf<'job.report'>
    expect(boundDeadlines(report, now, 2000).submitted.deadline).toBe(now + 2000)
  })

  it('a job that asks for 20 days ends at the configured maximum on every peer', async () => {
    cluster = new Cluster(fastConfig({ maxDeadlineS: 2, unreachableWaitMs: 100 }))
    // every task would run for a minute: only the deadline ends this job in time
    cluster.taskDelayMs = 60_000
    const [a, b] = [await cluster.add('a'), await cluster.add('b')]
    const now = Date.now()
    const done = [a, b].map(p => reportOf(p, 'jforever'))
    cluster.net.inject('QmSubmitter', JOBS_TOPIC, encodeMessage(submission('jforever', now, now + 20 * DAY)))
    await vi.waitFor(() => { for (const p of [a, b]) expect(p.service.report('jforever').deadline).toBe(now + 2000) })
    await vi.waitFor(() => { for (const p of [a, b]) expect(p.service.stats().tasksRunning).toBe(1) })
    const reports = await Promise.all(done)
    for (const r of reports) {
      expect(r.deadline).toBe(now + 2000)
      expect(r.endedAt!).toBeGreaterThanOrEqual(now + 2000)
      expect(r.tasks.every(t => t.state !== 'done')).toBe(true)
    }
    for (const p of [a, b]) {
      expect(p.service.stats().deadlinesClamped).toBe(1)
      expect(p.runs).toHaveLength(1)
    }
    await vi.waitFor(() => { for (const p of [a, b]) expect(p.service.stats().tasksRunning).toBe(0) })
  })
})

/** Peers on one in-memory bus whose clock the test can move forward (for windows of a minute). */
async function clockedPeers (names: string[]): Promise<{ net: MemNet, peers: SimPeer[], advance: (ms: number) => void }> {
  const net = new MemNet()
  const world = new World()
  let offset = 0
  const now = () => Date.now() + offset
  const peers: SimPeer[] = []
  for (const name of names) {
    const id = `Qm${name}`
    const home = mkdtempSync(join(tmpdir(), `swarm-harden-${name}-`))
    const runs: string[] = []
    const service = new JobsService({
      bus: net.bus(id), membership: world.view(id), store: new JobStore(home, { fsync: false }), taskBrain: scriptedTaskBrain(name, () => 20, runs),
      jobBrain: scriptedJobBrain(), tools: noTools, selfName: name, now, signing: fakeSigning(id)
    }, fastConfig())
    cleanups.push(async () => { await service.stop(); rmSync(home, { recursive: true, force: true }) })
    await service.start()
    world.set(id, name, true)
    peers.push({ id, name, home, service, runs })
  }
  return { net, peers, advance: ms => { offset += ms } }
}

describe('catch-up relays', () => {
  it('a requester gets each job once per REPEAT_MS and at most RELAY_BUDGET reports per window', () => {
    let now = 0
    const budget = new RelayBudget(() => now)
    expect(budget.take('QmR', ['j1', 'j2'])).toEqual({ granted: ['j1', 'j2'], refused: 0 })
    // the same ask again at once (a digest and a fetch sent together): answered already, not refused
    expect(budget.take('QmR', ['j1'])).toEqual({ granted: [], refused: 0 })
    now += 10_000
    expect(budget.take('QmR', ['j1', 'j3'])).toEqual({ granted: ['j3'], refused: 1 })
    // another requester has its own budget
    expect(budget.take('QmS', ['j1'])).toEqual({ granted: ['j1'], refused: 0 })
    now += REPEAT_MS
    expect(budget.take('QmR', ['j1'])).toEqual({ granted: ['j1'], refused: 0 })
    // many distinct jobs: the budget runs out, then refills with time
    const many = Array.from({ length: RELAY_BUDGET + 50 }, (_, i) => `m${i}`)
    const first = budget.take('QmR', many)
    expect(first.granted.length).toBeLessThanOrEqual(RELAY_BUDGET)
    expect(first.granted.length).toBeGreaterThan(RELAY_BUDGET - 5)
    expect(first.refused).toBe(many.length - first.granted.length)
    now += RELAY_WINDOW_MS / 2
    const fresh = Array.from({ length: RELAY_BUDGET }, (_, i) => `n${i}`)
    expect(budget.take('QmR', fresh).granted).toHaveLength(RELAY_BUDGET / 2)
  })

  it('a peer asking in a loop is answered once, then refused and counted until the repeat window passes', async () => {
    const { net, peers, advance } = await clockedPeers(['a', 'b', 'c'])
    const jobs: string[] = []
    for (const p of peers) jobs.push((await runJob(p, { prompt: `job of ${p.name}` })).jobId)
    await vi.waitFor(() => { for (const p of peers) for (const j of jobs) expect(p.service.report(j).status).toBe('completed') })
    const relays = () => net.log.filter(e => { const m = JSON.parse(new TextDecoder().decode(e.data)); return m.type === 'job.report' && jobs.includes(m.jobId) }).length
    const ask = () => { net.inject('QmRogue', JOBS_TOPIC, encodeMessage({ type: 'job.fetch', jobIds: jobs })) }
    ask()
    await vi.waitFor(() => expect(relays()).toBeGreaterThanOrEqual(jobs.length))
    // a peer whose jittered relay fired before it heard another's still sends its own: let
    // every timer the ask set run out (they all started when it arrived) before counting
    await new Promise(resolve => setTimeout(resolve, RELAY_JITTER_MS + 200))
    const answered = relays()
    // each peer relays a job at most once however many peers hold it
    expect(answered).toBeLessThanOrEqual(jobs.length * peers.length)
    advance(6000)
    for (let i = 0; i < 20; i++) ask()
    await vi.waitFor(() => { for (const p of peers) expect(p.service.stats().drops['relay-capped']).toBe(20) })
    // a refused ask schedules no relay (a relay waits at least a tick, so one would be pending now)
    expect(relays()).toBe(answered)
    // once the window has passed, the same ask is answered again
    advance(REPEAT_MS)
    ask()
    await vi.waitFor(() => expect(relays()).toBeGreaterThanOrEqual(answered + jobs.length))
    for (const p of peers) expect(p.service.stats().drops['relay-capped']).toBe(20)
  })
})

describe('claims at a higher epoch', () => {
  // leases in the defaults' proportions: a busy machine must not fake a lapsed lease
  const slowLeases = () => fastConfig({ renewMs: 500, leaseMs: 3000, staggerMs: 1000 })

  async function runningJob (taskDelayMs: number): Promise<{ peers: SimPeer[], jobId: string, holder: SimPeer, successor: SimPeer }> {
    cluster = new Cluster(slowLeases())
    cluster.taskDelayMs = taskDelayMs
    const peers = [await cluster.add('a'), await cluster.add('b'), await cluster.add('c'), await cluster.add('d')]
    const jobId = await peers[0].service.submit({ prompt: 'audit' })
    await vi.waitFor(() => expect(peers[0].service.counts(jobId)?.running).toBeGreaterThan(0))
    const holder = peers.find(p => p.id === peers[0].service.report(jobId).coordinator?.peerId)!
    const successor = peers.find(p => p.id === successorOf(jobId, holder.id, peers.map(q => q.id)))!
    return { peers, jobId, holder, successor }
  }

  it('a member that is not the successor cannot claim, offer or end the job at a higher epoch', async () => {
    const { peers, jobId, holder, successor } = await runningJob(1500)
    const forger = peers.find(p => p !== holder && p !== successor)!
    const honest = peers.filter(p => p !== forger)
    const done = honest.map(p => reportOf(p, jobId))
    const fake: JobReport = { ...holder.service.report(jobId), status: 'completed', endedAt: Date.now(), summary: 'forged', epoch: 4, coordinator: { name: forger.name, peerId: forger.id } }
    const forge = (m: object) => { cluster!.net.inject(forger.id, JOBS_TOPIC, encodeMessage(m as never)) }
    forge({ type: 'job.claim', jobId, epoch: 2, coordinator: forger.id, coordinatorName: forger.name, leaseMs: 3000 })
    forge({ type: 'task.offer', jobId, epoch: 3, taskId: 'tx', host: null, prompt: 'cat /etc/shadow', attempt: 1 })
    forge({ type: 'job.result', jobId, epoch: 4, report: fake })
    const reports = await Promise.all(done)
    for (const r of reports) {
      expect(r.coordinator?.peerId).toBe(holder.id)
      expect(r.epoch).toBe(1)
      expect(r.summary).toBe('4/4 tasks done')
      expect(r.tasks.map(t => t.taskId)).not.toContain('tx')
    }
    for (const p of honest) expect(p.service.stats().drops).toEqual({ 'not-successor': 3 })
    expect(sent(cluster!, 'job.claim').filter(m => m.jobId === jobId && m.epoch > 1)).toEqual([])
  })

  it('once the coordinator is dead, nobody may jump the epoch to the top and strand the job', async () => {
    const { peers, jobId, holder } = await runningJob(1500)
    const forger = peers.find(p => p !== holder)!
    const honest = peers.filter(p => p !== forger && p !== holder)
    const done = honest.map(p => reportOf(p, jobId))
    await cluster!.kill(holder.name)
    cluster!.net.inject(forger.id, JOBS_TOPIC, encodeMessage({ type: 'job.claim', jobId, epoch: 999_999, coordinator: forger.id, coordinatorName: forger.name, leaseMs: 3000 }))
    const reports = await Promise.all(done)
    for (const r of reports) {
      expect(r.epoch).toBe(2)
      expect(r.coordinator?.peerId).not.toBe(holder.id)
    }
    for (const p of honest) expect(p.service.stats().drops['epoch-jump']).toBe(1)
  })

  it('the successor still takes over from a holder it cannot hear, and the holder steps down', async () => {
    // tasks outlast the successor's wait for two missed renewals many times over
    const { peers, jobId, holder, successor } = await runningJob(3500)
    const done = peers.map(p => reportOf(p, jobId))
    // the successor stops hearing the holder (a one-way cut): it sees the lease lapse, the others do not
    cluster!.world.hidden.set(successor.id, new Set([holder.id]))
    cluster!.net.loseFor = (from, to) => from === holder.id && to === successor.id
    const reports = await Promise.all(done)
    for (const r of reports) {
      expect(r.coordinator?.peerId).toBe(successor.id)
      expect(r.epoch).toBe(2)
    }
    for (const r of reports) expect(r).toEqual(reports[0])
    for (const p of peers) expect(p.service.stats().drops['not-successor']).toBeUndefined()
    // nobody else claimed: the holder stepped down instead of fighting for its job
    const claims = sent(cluster!, 'job.claim').filter(m => m.jobId === jobId && m.epoch > 1)
    expect(new Set(claims.map(m => m.coordinator))).toEqual(new Set([successor.id]))
  })
})

describe('a job that has ended', () => {
  it('takes no coordinator messages and no replacement report from a member that did not lead it', async () => {
    cluster = new Cluster()
    const peers = [await cluster.add('a'), await cluster.add('b'), await cluster.add('c'), await cluster.add('d')]
    const report = await runJob(peers[0], { prompt: 'audit' })
    const jobId = report.jobId
    await vi.waitFor(() => { for (const p of peers) expect(p.service.report(jobId)).toEqual(report) })
    const holder = report.coordinator!.peerId
    const successor = successorOf(jobId, holder, peers.map(p => p.id))
    const forger = peers.find(p => p.id !== holder && p.id !== successor)!
    const honest = peers.filter(p => p !== forger)
    const victim = honest[0]
    const submitted = sent(cluster, 'job.submitted').find(m => m.jobId === jobId)!
    const forged = (epoch: number): JobReport => ({ ...report, epoch, summary: 'forged', coordinator: { name: forger.name, peerId: forger.id } })
    const forge = (m: object) => { cluster!.net.inject(forger.id, JOBS_TOPIC, encodeMessage(m as never)) }
    // a task of the forger's making, offered and granted to a victim after the job's end
    forge({ type: 'task.offer', jobId, epoch: 2, taskId: 'tz', host: victim.id, prompt: 'forged', attempt: 1 })
    forge({ type: 'task.grant', jobId, epoch: 2, taskId: 'tz', attempt: 1, worker: victim.id })
    // a report of its own at a higher epoch, published and relayed
    forge({ type: 'job.result', jobId, epoch: 2, report: forged(2) })
    forge({ type: 'job.report', jobId, epoch: 3, submitted, report: forged(3) })
    await vi.waitFor(() => { for (const p of honest) expect(p.service.stats().drops).toEqual({ 'job-ended': 2, 'not-successor': 2 }) })
    for (const p of honest) expect(p.service.report(jobId)).toEqual(report)
    expect(victim.runs).toEqual([`${victim.name}:investigate ${victim.name}`])
    expect(victim.service.stats().tasksRunning).toBe(0)
  })
})

describe('a report that replaces an ended job\'s report', () => {
  it('is taken from the successor of its coordinator even after the successor has left', async () => {
    // the successor took over a job whose result it had not heard, ended it at epoch 2 and
    // left; its signed report reaches the others later, relayed: they cannot judge a
    // departed coordinator by who is alive now, and must not keep the older report for good
    cluster = new Cluster()
    const peers = [await cluster.add('a'), await cluster.add('b'), await cluster.add('c'), await cluster.add('d')]
    const report = await runJob(peers[0], { prompt: 'audit' })
    const jobId = report.jobId
    await vi.waitFor(() => { for (const p of peers) expect(p.service.report(jobId)).toEqual(report) })
    const successor = peers.find(p => p.id === successorOf(jobId, report.coordinator!.peerId, peers.map(q => q.id)))!
    await cluster.kill(successor.name)
    const rest = peers.filter(p => p !== successor)
    const later: JobReport = { ...report, epoch: 2, summary: 'ended by the successor', coordinator: { name: successor.name, peerId: successor.id } }
    const submitted = sent(cluster, 'job.submitted').find(m => m.jobId === jobId)!
    const relayer = rest.find(p => p.id !== report.coordinator!.peerId)!
    cluster.net.inject(relayer.id, JOBS_TOPIC, encodeMessage({ type: 'job.report', jobId, epoch: 2, submitted, report: later, sig: signReport(fakeSigning(successor.id), later) } as never))
    // the relayer's own injected message does not come back to it
    const hearers = rest.filter(p => p !== relayer)
    await vi.waitFor(() => { for (const p of hearers) expect(p.service.report(jobId).summary, JSON.stringify(p.service.stats().drops)).toBe('ended by the successor') })
    for (const p of hearers) expect(p.service.stats().drops['not-successor']).toBeUndefined()
  })
})

describe('digests', () => {
  it('a forged digest sent in a loop makes each peer ask for the jobs it names once, not every time', async () => {
    cluster = new Cluster()
    const peers = [await cluster.add('a'), await cluster.add('b'), await cluster.add('c')]
    const fake = Array.from({ length: 50 }, (_, i) => ({ jobId: `jfake${i}`, status: 'completed' as const, epoch: 9 }))
    const before = peers.map(p => p.service.stats().received)
    for (let i = 0; i < 10; i++) cluster.net.inject('QmRogue', JOBS_TOPIC, encodeMessage({ type: 'job.digest', jobs: fake }))
    // a digest is handled (and any fetch published) when it is received; the ten injected
    // ones are delivered together, before anything they cause
    await vi.waitFor(() => { peers.forEach((p, i) => expect(p.service.stats().received).toBeGreaterThanOrEqual(before[i] + 10)) })
    const asks = cluster.net.log.filter(e => { const m = JSON.parse(new TextDecoder().decode(e.data)); return m.type === 'job.fetch' && m.jobIds.includes('jfake0') })
    expect(asks.map(e => e.from).sort()).toEqual(peers.map(p => p.id).sort())
  })
})

describe('a dead coordinator\'s job', () => {
  it('is claimed in rank order: a member whose turn has not come cannot beat the successor to it', async () => {
    // a long stagger: the forger's turn is many seconds away
    cluster = new Cluster(fastConfig({ renewMs: 500, leaseMs: 3000, staggerMs: 5000 }))
    cluster.taskDelayMs = 1500
    const peers = [await cluster.add('a'), await cluster.add('b'), await cluster.add('c'), await cluster.add('d'), await cluster.add('e')]
    const jobId = await peers[0].service.submit({ prompt: 'audit' })
    await vi.waitFor(() => expect(peers[0].service.counts(jobId)?.running).toBeGreaterThan(0))
    const holder = peers[0].service.report(jobId).coordinator!.peerId
    const order = rankPeers(jobId, peers.map(p => p.id).filter(id => id !== holder)).map(id => peers.find(p => p.id === id)!)
    const [successor, second, forger, fourth] = order
    const done = order.map(p => reportOf(p, jobId))
    await cluster.kill(peers.find(p => p.id === holder)!.name)
    // at once, before the successor's claim: an epoch above it, too
    cluster.net.inject(forger.id, JOBS_TOPIC, encodeMessage({ type: 'job.claim', jobId, epoch: 3, coordinator: forger.id, coordinatorName: forger.name, leaseMs: 3000 }))
    const reports = await Promise.all(done)
    for (const r of reports) {
      expect(r.coordinator?.peerId).toBe(successor.id)
      expect(r.epoch).toBe(2)
    }
    for (const p of [second, fourth]) expect(p.service.stats().drops['out-of-turn']).toBe(1)
  })
})
