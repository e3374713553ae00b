import { describe, expect, it } from 'vitest'
import { Membership } from '../../src/gossip/membership.ts'
import type { Member, Presence } from '../../src/gossip/types.ts'

function presence (over: Partial<Presence> = {}): Presence {
  return {
    v: 1, name: 'n', hostname: 'h', platform: 'linux', arch: 'x64', cpus: 2, totalMem: 1, freeMem: 1,
    load: [0, 0, 0], version: '0.1.0', tools: [], endpoints: [], tags: [], tasksRunning: 0, ts: 0, seq: 1, ...over
  }
}

function setup () {
  let now = 1_000_000
  const m = new Membership({ self: 'self', selfPresence: () => presence({ name: 'me' }), now: () => now }, {
    suspectAfterMs: 2500, deadAfterMs: 4000, deadAfterDisconnectMs: 2000, forgetAfterMs: 60_000
  })
  const events: string[] = []
  m.on('member:join', (x: Member) => events.push(`join:${x.peerId}`))
  m.on('member:update', (x: Member) => events.push(`update:${x.peerId}:${x.state}`))
  m.on('member:leave', (x: Member) => events.push(`leave:${x.peerId}:${x.deadReason}`))
  return { m, events, advance: (ms: number) => { now += ms; m.check() } }
}

describe('Membership', () => {
  it('lists self as alive and a new sender as a join', () => {
    const { m, events } = setup()
    expect(m.receive('a', presence({ seq: 1 }))).toBe('join')
    expect(events).toEqual(['join:a'])
    expect(m.list().map(x => [x.peerId, x.state, x.self])).toEqual([['self', 'alive', true], ['a', 'alive', false]])
    expect(m.get('self')?.name).toBe('me')
    expect(m.alive()).toHaveLength(2)
  })

  it('ignores its own records and older records, and reports only notable changes', () => {
    const { m, events } = setup()
    expect(m.receive('self', presence())).toBe('self')
    m.receive('a', presence({ seq: 5 }))
    expect(m.receive('a', presence({ seq: 4, tasksRunning: 9 }))).toBe('stale')
    expect(m.receive('a', presence({ seq: 6, load: [1, 1, 1] }))).toBe('refresh')
    expect(m.receive('a', presence({ seq: 7, tasksRunning: 2 }))).toBe('update')
    expect(m.get('a')?.presence.tasksRunning).toBe(2)
    expect(events).toEqual(['join:a', 'update:a:alive'])
  })

  it('suspects a silent member, then declares it dead, then forgets it', () => {
    const { m, events, advance } = setup()
    m.receive('a', presence())
    advance(2000)
    expect(m.get('a')?.state).toBe('alive')
    advance(1000)
    expect(m.get('a')?.state).toBe('suspect')
    expect(m.get('a')?.lastSeenMs).toBe(3000)
    advance(1500)
    expect(m.get('a')?.state).toBe('dead')
    expect(m.get('a')?.deadReason).toBe('timeout')
    expect(events).toEqual(['join:a', 'update:a:suspect', 'leave:a:timeout'])
    expect(m.unreachable().map(u => u.peerId)).toEqual(['a'])
    advance(61_000)
    expect(m.get('a')).toBeUndefined()
  })

  it('declares a disconnected member dead sooner, unless its records still arrive', () => {
    const { m, advance } = setup()
    m.receive('a', presence({ seq: 1 }))
    m.receive('b', presence({ seq: 1 }))
    m.disconnected('a')
    m.disconnected('b')
    expect(m.get('a')?.state).toBe('suspect')
    advance(1000)
    m.receive('b', presence({ seq: 2 })) // b is still heard through another peer
    advance(1100)
    expect(m.get('a')?.state).toBe('dead')
    expect(m.get('b')?.state).toBe('alive')
  })

  it('drops a member that announces its leave at once, and takes it back when it returns', () => {
    const { m, events, advance } = setup()
    m.receive('a', presence({ seq: 10 }))
    expect(m.receive('a', presence({ seq: 11, leaving: true }))).toBe('leave')
    expect(m.get('a')?.state).toBe('dead')
    expect(m.get('a')?.deadReason).toBe('left')
    expect(m.unreachable()).toEqual([])
    // a record sent before the leave, relayed late by another peer, does not bring it back
    expect(m.receive('a', presence({ seq: 9 }))).toBe('stale')
    expect(m.get('a')?.state).toBe('dead')
    // a restart with a clock that went backwards still rejoins, once the late relays are over
    advance(4100)
    expect(m.receive('a', presence({ seq: 3 }))).toBe('join')
    expect(m.get('a')?.state).toBe('alive')
    expect(events).toEqual(['join:a', 'leave:a:left', 'join:a'])
  })

  it('ignores a leave from a peer it never knew, and survives a throwing listener', () => {
    const { m } = setup()
    m.on('member:join', () => { throw new Error('boom') })
    expect(m.receive('x', presence({ leaving: true }))).toBe('stale')
    expect(m.receive('a', presence())).toBe('join')
    expect(m.get('a')?.state).toBe('alive')
  })
})
