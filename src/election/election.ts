/**
 * The coordinator election of one job, as a small state machine with no timers and no
 * I/O: the owner feeds it claims it hears and calls tick() periodically with the live
 * members; tick() says when this peer should claim (or renew) the lease.
 *
 * Rule: the live member ranked first by rendezvous hash claims with epoch 1; the holder
 * renews by gossip every renewMs; when a lease is not renewed for leaseMs, or its holder
 * is seen dead and silent for two renewals, the remaining live members claim epoch+1 one after another, staggered
 * (a holder still alive is asked about first: it may have ended the job unheard),
 * by rank, so the next-ranked one that knows the job takes over. Higher epoch wins; on
 * equal epochs the better-ranked peer wins.
 */
import { outranks, rankPeers } from './rendezvous.ts'

export interface ElectionTiming {
  /** a lease lapses when not renewed for this long, ms @default 3000 */
  leaseMs: number
  /** the holder renews this often, ms @default 1000 */
  renewMs: number
  /** extra wait per rank position before claiming a lapsed lease, ms @default 1000 */
  staggerMs: number
}

export type ElectionState =
  | { type: 'unclaimed', epoch: number, since: number }
  /** `restored`: read back from the log after a restart, not heard from the holder */
  | { type: 'held', epoch: number, coordinator: string, renewedAt: number, deadSince?: number, restored?: boolean, askedAt?: number }
  | { type: 'leading', epoch: number, renewedAt: number }

export type ClaimVerdict =
  | { accepted: true, changed: boolean, steppedDown: boolean }
  | { accepted: false, reason: 'stale-epoch' | 'lost-tie' }

export type ElectionAction =
  | { type: 'none' }
  | { type: 'claim', epoch: number, takeover: boolean }
  | { type: 'renew', epoch: number }
  /** ask the swarm for the job's report (job.fetch) before claiming it */
  | { type: 'ask' }

export class JobElection {
  state: ElectionState
  private lastRenewSent = 0
  /** no claim before this time (set after a restart) */
  private notBefore = -Infinity

  constructor (
    readonly jobId: string,
    readonly self: string,
    private readonly timing: ElectionTiming,
    now: number,
    epoch = 0
  ) {
    this.state = { type: 'unclaimed', epoch, since: now }
  }

  get epoch (): number { return this.state.epoch }

  /** peerId of the current coordinator, if any */
  get coordinator (): string | null {
    if (this.state.type === 'leading') return this.self
    if (this.state.type === 'held') return this.state.coordinator
    return null
  }

  get leading (): boolean { return this.state.type === 'leading' }

  /** Applies a job.claim (ours or another peer's). */
  observeClaim (epoch: number, coordinator: string, now: number): ClaimVerdict {
    const current = this.coordinator
    if (epoch < this.state.epoch) return { accepted: false, reason: 'stale-epoch' }
    if (epoch === this.state.epoch && current != null && current !== coordinator) {
      if (!outranks(this.jobId, coordinator, current)) return { accepted: false, reason: 'lost-tie' }
    }
    const wasLeading = this.state.type === 'leading'
    const changed = epoch !== this.state.epoch || current !== coordinator
    if (coordinator === this.self) {
      this.state = { type: 'leading', epoch, renewedAt: now }
      if (changed) this.lastRenewSent = now
    } else {
      this.state = { type: 'held', epoch, coordinator, renewedAt: now }
    }
    return { accepted: true, changed, steppedDown: wasLeading && coordinator !== this.self }
  }

  /**
   * Back below our own claim, to the holder it displaced and its epoch (the fleet kept
   * following that holder: see JobElections.observe). Its renewal was just heard.
   */
  yieldTo (epoch: number, coordinator: string, now: number): void {
    this.state = { type: 'held', epoch, coordinator, renewedAt: now }
  }

  /**
   * After a restart: the log says who held the job last. Treat it as a lease renewed now
   * (even if it was us: we must not lead again without a fresh, higher-epoch claim), plus
   * `graceMs` to hear first whether the job ended while we were away.
   */
  restore (epoch: number, coordinator: string | null, now: number, graceMs = 0): void {
    this.notBefore = now + graceMs
    this.state = coordinator == null
      ? { type: 'unclaimed', epoch, since: now + graceMs }
      : { type: 'held', epoch, coordinator, renewedAt: now + graceMs, restored: true }
  }

  /**
   * The coordinator whose lease we heard renewed within leaseMs and who is still alive:
   * while it holds the job, only it may end it. Null when nobody holds a live lease.
   */
  liveHolder (now: number, alive: string[]): string | null {
    const s = this.state
    if (s.type === 'leading') return this.self
    if (s.type !== 'held' || s.restored === true) return null
    return now - s.renewedAt < this.timing.leaseMs && alive.includes(s.coordinator) ? s.coordinator : null
  }

  /**
   * Whether `claimant` may claim above this epoch now, by the rule tick() follows: once the
   * lease is open (never claimed, lapsed, or its holder dead), the member ranked r among the
   * live ones (the old holder left out) claims r staggers later. One stagger of slack covers
   * views that differ by a renewal or a death noticed a little later. True when this peer
   * cannot judge: a holder read back from the log, our own lead, or a lease still live
   * (then only the holder's successor may claim: see liveHolder and successorOf).
   */
  inTurn (claimant: string, now: number, alive: string[]): boolean {
    const s = this.state
    if (s.type === 'leading' || (s.type === 'held' && s.restored === true)) return true
    let openSince: number
    let exclude: string | null = null
    if (s.type === 'unclaimed') {
      openSince = s.since
    } else {
      exclude = s.coordinator
      const lapse = s.renewedAt + this.timing.leaseMs
      openSince = alive.includes(s.coordinator) ? lapse : Math.min(s.deadSince ?? now, lapse)
      if (now < openSince) return true
    }
    const rank = rankPeers(this.jobId, alive.filter(id => id !== exclude)).indexOf(claimant)
    // a claimant we do not see alive cannot be ranked (membership views differ): let it be
    if (rank < 0) return true
    return rank <= 1 + Math.floor((now - openSince) / this.timing.staggerMs)
  }

  /**
   * Decides what this peer should do now. `alive` are the peerIds of live members
   * (self included). The caller publishes the claim/renewal and feeds it back through
   * observeClaim.
   */
  tick (now: number, alive: string[]): ElectionAction {
    const s = this.state
    if (s.type === 'leading') {
      if (now - this.lastRenewSent >= this.timing.renewMs) {
        this.lastRenewSent = now
        return { type: 'renew', epoch: s.epoch }
      }
      return { type: 'none' }
    }
    if (now < this.notBefore) return { type: 'none' }
    let lapsedAt: number
    let exclude: string | null = null
    let holderAlive = false
    if (s.type === 'unclaimed') {
      lapsedAt = s.since
    } else {
      exclude = s.coordinator === this.self ? null : s.coordinator
      // a holder we hear renewing is alive whatever our membership view says: two peers
      // that each think the other dead would otherwise out-claim each other forever
      const silent = s.restored === true || now - s.renewedAt >= 2 * this.timing.renewMs
      if (!alive.includes(s.coordinator) && silent) {
        s.deadSince ??= now
        lapsedAt = Math.min(s.deadSince, s.renewedAt + this.timing.leaseMs)
      } else {
        s.deadSince = undefined
        lapsedAt = s.renewedAt + this.timing.leaseMs
        holderAlive = s.restored !== true
      }
    }
    if (now < lapsedAt) return { type: 'none' }
    if (s.type === 'held' && holderAlive) {
      // a live holder that stopped renewing most likely ended the job and its result did
      // not reach us: ask for the report, and claim only if none comes within a stagger
      if (s.askedAt == null) { s.askedAt = now; return { type: 'ask' } }
      lapsedAt = Math.max(lapsedAt, s.askedAt + this.timing.staggerMs)
      if (now < lapsedAt) return { type: 'none' }
    }
    const ranked = rankPeers(this.jobId, alive.filter(id => id !== exclude))
    const rank = ranked.indexOf(this.self)
    if (rank < 0) return { type: 'none' }
    if (now < lapsedAt + rank * this.timing.staggerMs) return { type: 'none' }
    return { type: 'claim', epoch: s.epoch + 1, takeover: s.type === 'held' }
  }
}
