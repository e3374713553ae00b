import { describe, expect, it } from 'vitest'
import type { Member, MembershipView, Presence } from '../../src/gossip/types.ts'
import { resolveTargets } from '../../src/node/jobs/control.ts'

// `swarm run --target NAME` resolves names against the membership view: a replaced box
// (dead old identity, live new one under the same name) must not make its name unusable.

function member (peerId: string, name: string, state: Member['state'], hostname = name): Member {
  const presence = { v: 1, name, hostname, platform: 'linux', arch: 'x64', cpus: 2, totalMem: 1, freeMem: 1, load: [0, 0, 0], version: '0', tools: [], endpoints: [], tags: [], tasksRunning: 0, ts: 0, seq: 0 } as Presence
  return { peerId, name, state, lastSeenMs: 0, addresses: [], presence, self: false }
}

function view (members: Member[]): MembershipView {
  return { self: members[0].peerId, list: () => members, get: id => members.find(m => m.peerId === id), alive: () => members.filter(m => m.state === 'alive'), on: () => {}, off: () => {} }
}

const OLD = '12D3KooWOLDOLDOLDaaaaaa1'
const NEW = '12D3KooWNEWNEWNEWbbbbbb2'
const OTHER = '12D3KooWOTHEROTHERcccccc3'

describe('resolveTargets', () => {
  it('takes the live member when a dead one shares its name', () => {
    const m = view([member(OTHER, 'db', 'alive'), member(OLD, 'web1', 'dead'), member(NEW, 'web1', 'alive')])
    expect(resolveTargets(m, ['web1'])).toEqual([NEW])
    // a suspect member is still live for jobs
    const s = view([member(OLD, 'web1', 'dead'), member(NEW, 'web1', 'suspect')])
    expect(resolveTargets(s, ['web1'])).toEqual([NEW])
  })

  it('still names a dead member that is the only match (its task ends unreachable, accounted for)', () => {
    const m = view([member(OTHER, 'db', 'alive'), member(OLD, 'web1', 'dead')])
    expect(resolveTargets(m, ['web1', 'db'])).toEqual([OLD, OTHER])
  })

  it('refuses a name two live members share, listing them, and accepts an exact peerId', () => {
    const m = view([member(OLD, 'web1', 'alive'), member(NEW, 'web1', 'alive')])
    let err: any
    try { resolveTargets(m, ['web1']) } catch (e) { err = e }
    expect(err?.code).toBe('ERR_AMBIGUOUS_TARGET')
    expect(err?.message).toContain(OLD.slice(-8))
    expect(err?.message).toContain(NEW.slice(-8))
    expect(resolveTargets(m, [OLD])).toEqual([OLD])
  })

  it('matches hostnames and peerId suffixes, and says when nothing matches', () => {
    const m = view([member(OTHER, 'db', 'alive', 'db-01.lan'), member(NEW, 'web1', 'alive')])
    expect(resolveTargets(m, ['db-01.lan', 'bbbbb2'])).toEqual([OTHER, NEW])
    let err: any
    try { resolveTargets(m, ['nope']) } catch (e) { err = e }
    expect(err?.code).toBe('ERR_UNKNOWN_TARGET')
  })
})
