import { EventEmitter } from 'node:events'
import type { Member, MemberState, MembershipEvent, MembershipView, Presence } from './types.ts'

/**
 * Who is in the swarm, from presence records alone. No libp2p here: the caller feeds
 * records (`receive`), connection hints (`disconnected`) and clock ticks (`check`), so
 * the state machine is tested with a fake clock.
 *
 *   alive --(silent suspectAfterMs, or connection lost)--> suspect
 *   suspect --(silent deadAfterMs, or deadAfterDisconnectMs since the connection was lost)--> dead (member:leave)
 *   any --(leaving record)--> dead
 *   dead --(new record)--> alive (member:join)                 dead --(forgetAfterMs)--> forgotten
 */
export interface MembershipInit {
  suspectAfterMs: number
  deadAfterMs: number
  /** a member whose last connection closed and who stays silent this long is dead (a killed process) */
  deadAfterDisconnectMs: number
  forgetAfterMs: number
}

export interface MembershipComponents {
  self: string
  /** this peer's current presence record */
  selfPresence: () => Presence
  /** current addresses of a peer (its connections), for `swarm peers` */
  addressesOf?: (peerId: string) => string[]
  now?: () => number
}

interface Entry {
  peerId: string
  presence: Presence
  lastSeen: number
  state: MemberState
  deadReason?: 'left' | 'timeout'
  addresses: string[]
  /** when it was declared dead */
  deadSince?: number
  /** when our last connection to it closed, if no record came since */
  disconnectedAt?: number
}

/** Fields whose change is worth a member:update (load and free memory change every second). */
const NOTABLE: Array<keyof Presence> = ['name', 'hostname', 'version', 'tools', 'endpoints', 'tags', 'tasksRunning']

export type ReceiveOutcome = 'join' | 'update' | 'refresh' | 'leave' | 'stale' | 'self'

export class Membership implements MembershipView {
  readonly self: string
  private readonly entries = new Map<string, Entry>()
  private readonly events = new EventEmitter()
  private readonly now: () => number

  constructor (private readonly components: MembershipComponents, private readonly init: MembershipInit) {
    this.self = components.self
    this.now = components.now ?? Date.now
    this.events.setMaxListeners(100)
  }

  /** Applies one presence record signed by `from`. */
  receive (from: string, presence: Presence): ReceiveOutcome {
    if (from === this.self) return 'self'
    const now = this.now()
    const entry = this.entries.get(from)
    // records arrive over several mesh paths, so older ones are ignored. A lower seq is taken
    // only from a member dead for a while: a restart whose clock went back, not a late relay
    // of a record sent before its leave
    if (entry != null && presence.seq <= entry.presence.seq) {
      const longDead = entry.state === 'dead' && now - (entry.deadSince ?? now) > this.init.deadAfterMs
      if (!longDead || presence.seq === entry.presence.seq) return 'stale'
    }
    const addresses = this.components.addressesOf?.(from) ?? []
    if (presence.leaving === true) {
      if (entry == null) return 'stale'
      const wasDead = entry.state === 'dead'
      Object.assign(entry, { presence, lastSeen: now, state: 'dead', deadReason: 'left', deadSince: wasDead ? entry.deadSince : now })
      if (!wasDead) this.emit('member:leave', entry)
      return wasDead ? 'stale' : 'leave'
    }
    if (entry == null || entry.state === 'dead') {
      const fresh: Entry = { peerId: from, presence, lastSeen: now, state: 'alive', addresses: addresses.length > 0 ? addresses : (entry?.addresses ?? []) }
      this.entries.set(from, fresh)
      this.emit('member:join', fresh)
      return 'join'
    }
    const notable = entry.state !== 'alive' || NOTABLE.some(k => JSON.stringify(entry.presence[k]) !== JSON.stringify(presence[k]))
    entry.presence = presence
    entry.lastSeen = now
    entry.state = 'alive'
    entry.disconnectedAt = undefined
    if (addresses.length > 0) entry.addresses = addresses
    if (notable) this.emit('member:update', entry)
    return notable ? 'update' : 'refresh'
  }

  /** The last connection to a peer closed: suspect it now rather than after silence. */
  disconnected (peerId: string): void {
    const entry = this.entries.get(peerId)
    if (entry == null || entry.state === 'dead') return
    entry.disconnectedAt = this.now()
    if (entry.state !== 'alive') return
    entry.state = 'suspect'
    this.emit('member:update', entry)
  }

  /** Advances states by silence; call every checkIntervalMs. */
  check (): void {
    const now = this.now()
    for (const entry of [...this.entries.values()]) {
      const silent = now - entry.lastSeen
      if (entry.state === 'dead') {
        if (silent > this.init.forgetAfterMs) this.entries.delete(entry.peerId)
        continue
      }
      // records still arrive through other peers when only our link to it broke, so this only fires on true silence
      const cutOff = entry.disconnectedAt != null && now - Math.max(entry.disconnectedAt, entry.lastSeen) > this.init.deadAfterDisconnectMs
      if (silent > this.init.deadAfterMs || cutOff) {
        entry.state = 'dead'
        entry.deadSince = now
        entry.deadReason = 'timeout'
        this.emit('member:leave', entry)
      } else if (silent > this.init.suspectAfterMs && entry.state === 'alive') {
        entry.state = 'suspect'
        this.emit('member:update', entry)
      }
    }
  }

  /** Peers known but silent, with the addresses they were last reached at (for redialling). A peer that left said goodbye: not redialled. */
  unreachable (): Array<{ peerId: string, addresses: string[] }> {
    return [...this.entries.values()].filter(e => e.state !== 'alive' && e.deadReason !== 'left').map(e => ({ peerId: e.peerId, addresses: e.addresses }))
  }

  list (): Member[] {
    return [this.selfMember(), ...[...this.entries.values()].map(e => this.toMember(e))]
  }

  get (peerId: string): Member | undefined {
    if (peerId === this.self) return this.selfMember()
    const entry = this.entries.get(peerId)
    return entry == null ? undefined : this.toMember(entry)
  }

  alive (): Member[] {
    return this.list().filter(m => m.state === 'alive')
  }

  on (event: MembershipEvent, listener: (member: Member) => void): void {
    this.events.on(event, listener)
  }

  off (event: MembershipEvent, listener: (member: Member) => void): void {
    this.events.off(event, listener)
  }

  private emit (event: MembershipEvent, entry: Entry): void {
    const member = this.toMember(entry)
    for (const listener of this.events.listeners(event)) {
      // a faulty listener must not break the view for the others
      try { (listener as (m: Member) => void)(member) } catch {}
    }
  }

  private selfMember (): Member {
    const presence = this.components.selfPresence()
    return {
      peerId: this.self,
      name: presence.name,
      state: 'alive',
      lastSeenMs: 0,
      addresses: this.components.addressesOf?.(this.self) ?? [],
      presence,
      self: true
    }
  }

  private toMember (entry: Entry): Member {
    const live = entry.state === 'dead' ? [] : (this.components.addressesOf?.(entry.peerId) ?? [])
    return {
      peerId: entry.peerId,
      name: entry.presence.name,
      state: entry.state,
      lastSeenMs: Math.max(0, this.now() - entry.lastSeen),
      addresses: live.length > 0 ? live : entry.addresses,
      presence: entry.presence,
      self: false,
      ...(entry.state === 'dead' && entry.deadReason != null ? { deadReason: entry.deadReason } : {})
    }
  }
}
