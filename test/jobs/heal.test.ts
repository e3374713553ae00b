/**
 * Healing a partition: a member cut off from everyone past a lease claims the job in its
 * own partition; once the network heals, it yields to the holder the fleet kept (whether
 * it still leads the job or already ended it), and a real successor's takeover still wins.
 */
import { afterEach, expect, it, vi } from 'vitest'
import { successorOf } from '../../src/election/rendezvous.ts'
import { RELAY_JITTER_MS } from '../../src/node/jobs/sync.ts'
import { Cluster, fastConfig, sent, type SimPeer } from './harness.ts'

let cluster: Cluster | undefined
afterEach(async () => { await cluster?.close(); cluster = undefined })

const WAIT = { timeout: 30_000, interval: 100 }

async function startJob (delayFor?: (name: string) => number | undefined, names = ['a', 'b', 'c', 'd']): Promise<{ c: Cluster, peers: SimPeer[], jobId: string, holder: SimPeer, succ: SimPeer, t: SimPeer }> {
  const c = cluster = new Cluster(fastConfig({ renewMs: 500, leaseMs: 3000, staggerMs: 1000 }))
  c.taskDelayMs = 6000
  c.taskDelayFor = delayFor
  const peers: SimPeer[] = []
  for (const name of names) peers.push(await c.add(name))
  const jobId = await peers[0].service.submit({ prompt: 'audit' })
  await vi.waitFor(() => expect(peers[0].service.counts(jobId)?.running).toBeGreaterThan(0), WAIT)
  const holder = peers.find(p => p.id === peers[0].service.report(jobId).coordinator?.peerId)!
  const succId = successorOf(jobId, holder.id, peers.map(q => q.id))
  const succ = peers.find(p => p.id === succId)!
  const t = peers.find(p => p !== holder && p !== succ)!
  return { c, peers, jobId, holder, succ, t }
}

/** Whether `name` is the successor of the peer coordinating the (only) job now. */
function isSuccessor (name: string): boolean {
  const all = [...cluster!.peers.values()]
  const h = all.find(p => p.service.stats().coordinating.length > 0)
  if (h == null) return false
  return successorOf(h.service.stats().coordinating[0], h.id, all.map(p => p.id)) === cluster!.peers.get(name)?.id
}

/** Whether `name` is the member startJob cuts off: the first that is neither the coordinator nor its successor. */
function isCutOff (name: string): boolean {
  const all = [...cluster!.peers.values()]
  const h = all.find(p => p.service.stats().coordinating.length > 0)
  if (h == null) return false
  const s = successorOf(h.service.stats().coordinating[0], h.id, all.map(p => p.id))
  return all.find(p => p !== h && p.id !== s)?.name === name
}

/** Cuts `p` (and `mates`, which still hear it) off from everyone else, both ways (messages and membership). */
function isolate (c: Cluster, peers: SimPeer[], p: SimPeer, mates: SimPeer[] = []): void {
  const inside = new Set([p, ...mates].map(q => q.id))
  const outside = new Set(peers.filter(q => !inside.has(q.id)).map(q => q.id))
  for (const q of peers) c.world.hidden.set(q.id, inside.has(q.id) ? outside : inside)
  c.net.loseFor = (from, to) => inside.has(from) !== inside.has(to)
}

/** Heals the network; with `rejoin`, each side also sees the other come back (catch-up runs). */
function heal (c: Cluster, peers: SimPeer[], p: SimPeer, rejoin: boolean): void {
  c.world.hidden.clear()
  c.net.loseFor = undefined
  if (!rejoin) return
  for (const o of peers.filter(q => q !== p)) { c.world.rejoin(o.id, p.id); c.world.rejoin(p.id, o.id) }
}

const ended = (p: SimPeer, jobId: string) => p.service.report(jobId).status !== 'running'

/** Every peer holds a final report of jobId by `by` at `epoch`. */
async function convergedOn (peers: SimPeer[], jobId: string, by: SimPeer, epoch: number): Promise<void> {
  await vi.waitFor(() => {
    for (const p of peers) {
      const r = p.service.report(jobId)
      expect({ peer: p.name, status: r.status === 'running' ? 'running' : 'ended', by: r.coordinator?.peerId, epoch: r.epoch })
        .toEqual({ peer: p.name, status: 'ended', by: by.id, epoch })
      expect(p.service.list().find(j => j.jobId === jobId)?.epoch).toBe(epoch)
    }
  }, WAIT)
}

it('a member that claimed cut off and still leads at the heal steps down and follows the holder', async () => {
  // t's own task is slow, so t is still leading when the network heals
  const { c, peers, jobId, holder, t } = await startJob(name => isCutOff(name) ? 12_000 : undefined)
  const epoch = holder.service.report(jobId).epoch
  isolate(c, peers, t)
  await vi.waitFor(() => expect(t.service.stats().coordinating).toContain(jobId), WAIT)
  expect(t.service.report(jobId).epoch).toBe(epoch + 1)
  const steppedDown = new Promise<void>(resolve => {
    t.service.on('election', (e: { jobId: string, coordinator: string, epoch: number }) => { if (e.jobId === jobId && e.coordinator === holder.id && e.epoch === epoch) resolve() })
  })
  heal(c, peers, t, false)
  await steppedDown
  expect(t.service.stats().coordinating).not.toContain(jobId)
  await convergedOn(peers, jobId, holder, epoch)
  // nobody took t's claim, and t took the holder's result rather than making its own
  expect(sent(c, 'job.result').filter(m => m.jobId === jobId).map(m => m.report.coordinator?.peerId)).toEqual([holder.id])
}, 60_000)

it('a member that ended the job cut off takes the holder\'s report in catch-up after the heal', async () => {
  const { c, peers, jobId, holder, t } = await startJob()
  const epoch = holder.service.report(jobId).epoch
  isolate(c, peers, t)
  await vi.waitFor(() => { expect(ended(t, jobId)).toBe(true); expect(ended(holder, jobId)).toBe(true) }, WAIT)
  expect(t.service.report(jobId)).toMatchObject({ epoch: epoch + 1, coordinator: { peerId: t.id } })
  heal(c, peers, t, true)
  await convergedOn(peers, jobId, holder, epoch)
}, 60_000)

it('a member that ended the job cut off takes the holder\'s result published after the heal', async () => {
  // the successor's own task is slow: the holder ends well after the heal, t (which never
  // hears the successor) as soon as its own task is done
  const { c, peers, jobId, holder, t } = await startJob(name => isSuccessor(name) ? 15_000 : undefined)
  const epoch = holder.service.report(jobId).epoch
  isolate(c, peers, t)
  await vi.waitFor(() => expect(ended(t, jobId)).toBe(true), WAIT)
  expect(ended(holder, jobId)).toBe(false)
  heal(c, peers, t, false)
  await convergedOn(peers, jobId, holder, epoch)
}, 60_000)

it('a successor that took over from a holder cut off keeps its report everywhere, the holder\'s late one included', async () => {
  const { c, peers, jobId, holder, succ } = await startJob()
  const epoch = holder.service.report(jobId).epoch
  isolate(c, peers, holder)
  await vi.waitFor(() => { expect(ended(succ, jobId)).toBe(true); expect(ended(holder, jobId)).toBe(true) }, WAIT)
  expect(succ.service.report(jobId)).toMatchObject({ epoch: epoch + 1, coordinator: { peerId: succ.id } })
  expect(holder.service.report(jobId)).toMatchObject({ epoch, coordinator: { peerId: holder.id } })
  heal(c, peers, holder, true)
  await convergedOn(peers, jobId, succ, epoch + 1)
  // another round of catch-up (each side relays what it holds) changes nothing
  const digests = sent(c, 'job.digest').length
  heal(c, peers, holder, true)
  await vi.waitFor(() => expect(sent(c, 'job.digest').length).toBeGreaterThanOrEqual(digests + peers.length), WAIT)
  await new Promise(resolve => setTimeout(resolve, 3 * RELAY_JITTER_MS))
  await convergedOn(peers, jobId, succ, epoch + 1)
}, 60_000)

it('a partition of two that took the job over converges with the fleet after the heal', async () => {
  const { c, peers, jobId, holder, succ } = await startJob(undefined, ['a', 'b', 'c', 'd', 'e'])
  const epoch = holder.service.report(jobId).epoch
  const [t, mate] = peers.filter(p => p !== holder && p !== succ)
  isolate(c, peers, t, [mate])
  const leader = () => [t, mate].find(p => p.service.stats().coordinating.includes(jobId))
  await vi.waitFor(() => expect(leader()).toBeDefined(), WAIT)
  await vi.waitFor(() => expect(t.service.report(jobId).epoch === epoch + 1 && mate.service.report(jobId).epoch === epoch + 1).toBe(true), WAIT)
  // with catch-up, whichever ends first (the holder or the partition's leader)
  heal(c, peers, t, true)
  await convergedOn(peers, jobId, holder, epoch)
}, 60_000)
