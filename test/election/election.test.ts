import { describe, expect, it } from 'vitest'
import { JobElection, rankPeers, outranks, successorOf } from '../../src/election/index.ts'

const timing = { leaseMs: 3000, renewMs: 1000, staggerMs: 1000 }
const peers = ['QmA', 'QmB', 'QmC', 'QmD']

describe('rendezvous ranking', () => {
  it('is the same everywhere and stable when a peer leaves', () => {
    const order = rankPeers('job-1', peers)
    expect(rankPeers('job-1', [...peers].reverse())).toEqual(order)
    expect(rankPeers('job-1', peers.filter(p => p !== order[0]))).toEqual(order.slice(1))
    expect(outranks('job-1', order[0], order[1])).toBe(true)
  })

  it("names a holder's successor: the best-ranked other live member", () => {
    const order = rankPeers('job-1', peers)
    expect(successorOf('job-1', order[0], peers)).toBe(order[1])
    expect(successorOf('job-1', order[1], peers)).toBe(order[0])
    expect(successorOf('job-1', order[0], [order[0], order[3], order[2]])).toBe(order[2])
    expect(successorOf('job-1', order[0], [order[0]])).toBeNull()
  })

  it('spreads coordinators over jobs', () => {
    const firsts = new Map<string, number>()
    for (let i = 0; i < 400; i++) { const f = rankPeers(`job-${i}`, peers)[0]; firsts.set(f, (firsts.get(f) ?? 0) + 1) }
    for (const p of peers) expect(firsts.get(p)).toBeGreaterThan(60)
  })
})

describe('job election', () => {
  const order = rankPeers('job-1', peers)
  const make = (self: string, now = 0) => new JobElection('job-1', self, timing, now)

  it('the top-ranked live peer claims epoch 1 at once, the others wait', () => {
    expect(make(order[0]).tick(0, peers)).toEqual({ type: 'claim', epoch: 1, takeover: false })
    expect(make(order[1]).tick(0, peers)).toEqual({ type: 'none' })
    // the second-ranked steps in after one stagger if the first never claims
    expect(make(order[1]).tick(1000, peers)).toEqual({ type: 'claim', epoch: 1, takeover: false })
  })

  it('the leader renews; a lapsed lease goes to the next-ranked with epoch+1', () => {
    const leader = make(order[0])
    leader.observeClaim(1, order[0], 0)
    expect(leader.leading).toBe(true)
    expect(leader.tick(500, peers).type).toBe('none')
    expect(leader.tick(1000, peers)).toEqual({ type: 'renew', epoch: 1 })
    const second = make(order[1])
    second.observeClaim(1, order[0], 0)
    second.observeClaim(1, order[0], 2000) // renewal
    expect(second.tick(4900, peers).type).toBe('none')
    // the holder is alive: ask whether the job ended first, claim a stagger later
    expect(second.tick(5000, peers)).toEqual({ type: 'ask' })
    expect(second.tick(5999, peers).type).toBe('none')
    expect(second.tick(6000, peers)).toEqual({ type: 'claim', epoch: 2, takeover: true })
    const third = make(order[2])
    third.observeClaim(1, order[0], 2000)
    expect(third.tick(5000, peers)).toEqual({ type: 'ask' })
    expect(third.tick(6000, peers).type).toBe('none')
    expect(third.tick(7000, peers)).toEqual({ type: 'claim', epoch: 2, takeover: true })
  })

  it('a coordinator seen dead is replaced without waiting for its lease, once two renewals are missed', () => {
    const second = make(order[1])
    second.observeClaim(1, order[0], 0)
    const alive = peers.filter(p => p !== order[0])
    expect(second.tick(1999, alive)).toEqual({ type: 'none' })
    expect(second.tick(2000, alive)).toEqual({ type: 'claim', epoch: 2, takeover: true })
  })

  it('two peers that each see the other dead but hear its claims do not out-claim each other', () => {
    const [x, y] = [make(order[0]), make(order[1])]
    const views = new Map([[x, [order[0], order[2]]], [y, [order[1], order[2]]]])
    for (let now = 0; now < 20_000; now += 250) {
      for (const [e, alive] of views) {
        const action = e.tick(now, alive)
        if (action.type !== 'claim' && action.type !== 'renew') continue
        for (const other of views.keys()) other.observeClaim(action.epoch, e.self, now)
      }
    }
    expect(x.epoch).toBeLessThanOrEqual(2)
    expect(x.coordinator).toBe(y.coordinator)
  })

  it('higher epoch wins, stale epochs are refused, equal epochs go to the better-ranked', () => {
    const e = make(order[3])
    expect(e.observeClaim(2, order[2], 0)).toMatchObject({ accepted: true, changed: true })
    expect(e.observeClaim(1, order[0], 0)).toEqual({ accepted: false, reason: 'stale-epoch' })
    expect(e.observeClaim(2, order[0], 0)).toMatchObject({ accepted: true, changed: true })
    expect(e.observeClaim(2, order[1], 0)).toEqual({ accepted: false, reason: 'lost-tie' })
    expect(e.coordinator).toBe(order[0])
  })

  it('a leader that hears a higher epoch steps down', () => {
    const e = make(order[1])
    e.observeClaim(1, order[1], 0)
    expect(e.leading).toBe(true)
    expect(e.observeClaim(2, order[2], 10)).toEqual({ accepted: true, changed: true, steppedDown: true })
    expect(e.leading).toBe(false)
  })

  it('after a restart it waits a lease plus grace, even for its own old claim', () => {
    const e = make(order[0])
    e.restore(3, order[0], 0, 2000)
    expect(e.leading).toBe(false)
    expect(e.tick(4900, peers).type).toBe('none')
    expect(e.tick(5000, peers)).toEqual({ type: 'claim', epoch: 4, takeover: true })
  })

  it('after a restart it waits the grace even when the old coordinator is dead', () => {
    const e = make(order[1])
    e.restore(1, order[0], 0, 2000)
    const alive = peers.filter(p => p !== order[0])
    expect(e.tick(1999, alive).type).toBe('none')
    expect(e.tick(2000, alive)).toEqual({ type: 'claim', epoch: 2, takeover: true })
  })

  it('lets a claimant in when its rank\'s turn has come, with one stagger of slack', () => {
    // a fresh job: the first two ranks at once, the third a stagger later
    const fresh = make(order[3], 0)
    expect(fresh.inTurn(order[1], 0, peers)).toBe(true)
    expect(fresh.inTurn(order[2], 999, peers)).toBe(false)
    expect(fresh.inTurn(order[2], 1000, peers)).toBe(true)
    // a dead holder: ranks among the others, counted from when it was seen dead (or its lease lapsed)
    const e = make(order[3])
    e.observeClaim(1, order[0], 0)
    const alive = peers.filter(p => p !== order[0])
    expect(e.tick(2000, alive).type).toBe('none')
    expect(e.inTurn(order[2], 2000, alive)).toBe(true)
    expect(e.inTurn(order[3], 2000, alive)).toBe(false)
    expect(e.inTurn(order[3], 3000, alive)).toBe(true)
    // a live lease is judged by the successor rule, a restored one and an unseen claimant not at all
    expect(e.inTurn(order[3], 100, peers)).toBe(true)
    expect(e.inTurn('QmUnseen', 2000, alive)).toBe(true)
    const restored = make(order[3])
    restored.restore(1, order[0], 0, 2000)
    expect(restored.inTurn(order[3], 5000, alive)).toBe(true)
  })

  it('names a live lease holder only for a lease it heard renewed, from a live peer', () => {
    const e = make(order[1])
    e.observeClaim(1, order[0], 0)
    expect(e.liveHolder(2999, peers)).toBe(order[0])
    expect(e.liveHolder(3000, peers)).toBeNull()
    expect(e.liveHolder(100, peers.filter(p => p !== order[0]))).toBeNull()
    // a lease read back from the log after a restart was not heard: catch-up may end the job
    const restored = make(order[1])
    restored.restore(1, order[0], 0, 2000)
    expect(restored.liveHolder(100, peers)).toBeNull()
    restored.observeClaim(1, order[0], 200)
    expect(restored.liveHolder(300, peers)).toBe(order[0])
  })
})
