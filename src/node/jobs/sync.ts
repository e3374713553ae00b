/**
 * Catch-up of finished jobs for a peer that was away when they ended. When membership
 * changes, peers gossip a digest of the jobs they hold; a peer missing one asks for it
 * (job.fetch), and a peer holding one that a digest lacks offers it (job.report). Each
 * relay waits a random moment and is skipped if someone else relayed first, so a fleet
 * answers a returning peer about once per job, not once per peer.
 *
 * Asking is capped per requester: a peer asking in a loop would otherwise make every peer
 * re-send its whole history each time. Each requester may cause RELAY_BUDGET relays per
 * RELAY_WINDOW_MS, and one job once per REPEAT_MS; what it asks beyond that is refused and
 * counted. A returning peer asks once per membership change, far below both.
 */
import type { MessageOf, OutgoingMessage } from '../../gossip/messages.ts'
import type { JobRecord } from './state.ts'

export interface CatchUpComponents {
  records: Map<string, JobRecord>
  send: (message: OutgoingMessage) => Promise<void>
  now: () => number
  /** told when a digest or fetch asked for more than its sender may have (counted as a drop) */
  refused?: (from: string, detail: string) => void
}

/** Jobs listed in one digest (newest finished first). */
export const DIGEST_SIZE = 200
/** Longest random wait before relaying a report, ms. */
export const RELAY_JITTER_MS = 400
/** Relays one requester may cause per window: two full digests' worth. */
export const RELAY_BUDGET = 2 * DIGEST_SIZE
/** The window of RELAY_BUDGET, ms (the budget refills evenly over it). */
export const RELAY_WINDOW_MS = 60_000
/** A job asked for again by the same peer this soon after it was answered is refused, ms. */
export const REPEAT_MS = 30_000
/** ...unless the ask comes this soon: a digest and a fetch sent together name the same job. */
const SAME_ASK_MS = 5000

interface Asker { tokens: number, at: number, asked: Map<string, number> }

/** Per-requester budget of relays (see the file comment). */
export class RelayBudget {
  private readonly askers = new Map<string, Asker>()

  constructor (private readonly now: () => number) {}

  /**
   * Which of `jobIds` (each one we can answer) we relay for `from`. `refused` counts the
   * rest: repeats of a job answered a while ago, and anything over the budget.
   */
  take (from: string, jobIds: string[]): { granted: string[], refused: number } {
    const now = this.now()
    const a = this.asker(from, now)
    const granted: string[] = []
    let refused = 0
    for (const jobId of jobIds) {
      const last = a.asked.get(jobId)
      if (last != null && now - last < SAME_ASK_MS) continue
      if ((last != null && now - last < REPEAT_MS) || a.tokens < 1) { refused++; continue }
      a.tokens -= 1
      a.asked.set(jobId, now)
      granted.push(jobId)
    }
    return { granted, refused }
  }

  private asker (from: string, now: number): Asker {
    let a = this.askers.get(from)
    if (a == null) {
      if (this.askers.size >= 1000) this.forgetIdle(now)
      a = { tokens: RELAY_BUDGET, at: now, asked: new Map() }
      this.askers.set(from, a)
    }
    a.tokens = Math.min(RELAY_BUDGET, a.tokens + (now - a.at) * RELAY_BUDGET / RELAY_WINDOW_MS)
    a.at = now
    for (const [jobId, at] of a.asked) if (now - at >= REPEAT_MS) a.asked.delete(jobId)
    return a
  }

  private forgetIdle (now: number): void {
    for (const [k, a] of this.askers) if (now - a.at > RELAY_WINDOW_MS) this.askers.delete(k)
  }
}

export class CatchUp {
  private digestTimer: NodeJS.Timeout | undefined
  private readonly relayTimers = new Map<string, NodeJS.Timeout>()
  private stopped = true
  private readonly budget: RelayBudget
  /** jobId -> when we last asked for its report */
  private readonly asked = new Map<string, number>()

  constructor (private readonly c: CatchUpComponents, private readonly options: { delayMs: number }) {
    this.budget = new RelayBudget(c.now)
  }

  start (): void {
    this.stopped = false
  }

  /** Sends our digest a little later (debounced: a burst of joins gives one digest). */
  schedule (): void {
    if (this.stopped) return
    clearTimeout(this.digestTimer)
    this.digestTimer = setTimeout(() => { void this.sendDigest() }, this.options.delayMs)
  }

  private finished (): JobRecord[] {
    return [...this.c.records.values()]
      .filter(r => r.report != null && r.submitted != null)
      .sort((a, b) => (b.report!.endedAt ?? 0) - (a.report!.endedAt ?? 0))
      .slice(0, DIGEST_SIZE)
  }

  private async sendDigest (): Promise<void> {
    if (this.stopped) return
    const jobs = this.finished().map(r => ({ jobId: r.jobId, status: r.report!.status, epoch: r.report!.epoch }))
    await this.c.send({ type: 'job.digest', jobs }).catch(() => {})
    // jobs we hold as running may have ended while we were away: ask, whoever has a report answers
    const open = [...this.c.records.values()].filter(r => r.report == null && r.submitted != null).map(r => r.jobId).slice(0, DIGEST_SIZE)
    await this.fetch(open)
  }

  /**
   * Asks for reports, each job at most once per REPEAT_MS: every peer's digest names the
   * jobs we lack, and a forged digest sent in a loop would make every peer ask each time.
   */
  private async fetch (jobIds: string[]): Promise<void> {
    const now = this.c.now()
    if (this.asked.size > 10_000) for (const [jobId, at] of this.asked) if (now - at >= REPEAT_MS) this.asked.delete(jobId)
    const ask = jobIds.filter(jobId => now - (this.asked.get(jobId) ?? -Infinity) >= REPEAT_MS)
    if (ask.length === 0) return
    for (const jobId of ask) this.asked.set(jobId, now)
    await this.c.send({ type: 'job.fetch', jobIds: ask }).catch(() => {})
  }

  onDigest (digest: MessageOf<'job.digest'>, from: string): void {
    if (this.stopped || from === undefined) return
    const theirs = new Set(digest.jobs.map(j => j.jobId))
    const ours = (jobId: string) => this.c.records.get(jobId)?.report
    const missing = digest.jobs.filter(j => ours(j.jobId) == null || ours(j.jobId)!.epoch < j.epoch).map(j => j.jobId)
    void this.fetch(missing)
    // a report of theirs at another epoch than ours: offer ours too. Lower: the takeover they
    // missed (our ask may be refused as a repeat). Higher: most likely a takeover we missed
    // (we take it when fetched), but it may be a claim made cut off that the fleet refused,
    // and then ours is the one its sender lacks (it yields to it, see authorize.ts)
    const differ = digest.jobs.filter(j => ours(j.jobId) != null && ours(j.jobId)!.epoch !== j.epoch).map(j => j.jobId)
    // a full digest may omit older jobs the sender does have: only offer newer ones
    const oldest = digest.jobs.length >= DIGEST_SIZE ? Math.min(...digest.jobs.map(j => this.c.records.get(j.jobId)?.report?.endedAt ?? Infinity)) : -Infinity
    const offer = this.finished().filter(r => !theirs.has(r.jobId) && (r.report!.endedAt ?? 0) > oldest).map(r => r.jobId)
    this.answer([...offer, ...differ], from, 'job.digest')
  }

  onFetch (fetch: MessageOf<'job.fetch'>, from: string): void {
    if (this.stopped) return
    this.answer(fetch.jobIds.filter(jobId => this.c.records.get(jobId)?.report != null), from, 'job.fetch')
  }

  /** Relays what `from` may have of `jobIds` (ours to answer); counts the refusal of the rest. */
  private answer (jobIds: string[], from: string, type: string): void {
    // a relay already waiting answers this ask too, for free
    const { granted, refused } = this.budget.take(from, jobIds.filter(jobId => !this.relayTimers.has(jobId)))
    for (const jobId of granted) this.relayLater(jobId)
    if (refused > 0) this.c.refused?.(from, `${type}: ${refused} of ${jobIds.length} reports not relayed`)
  }

  /**
   * Someone relayed (or the coordinator published) this job's report: ours is not needed.
   * With `epoch`: only if ours is that report (a report at another epoch does not stand in
   * for ours, e.g. the refused higher one whose sender lacks ours).
   */
  seen (jobId: string, epoch?: number): void {
    const ours = this.c.records.get(jobId)?.report
    if (epoch != null && ours != null && ours.epoch !== epoch) return
    clearTimeout(this.relayTimers.get(jobId))
    this.relayTimers.delete(jobId)
  }

  private relayLater (jobId: string): void {
    if (this.relayTimers.has(jobId)) return
    const timer = setTimeout(() => {
      this.relayTimers.delete(jobId)
      const r = this.c.records.get(jobId)
      // an unsigned report (kept from a previous version) would be dropped by everyone
      if (this.stopped || r?.report == null || r.submitted == null || r.reportSig == null) return
      void this.c.send({ type: 'job.report', jobId, epoch: r.report.epoch, submitted: r.submitted, report: r.report, sig: r.reportSig }).catch(() => {})
    }, Math.floor(Math.random() * RELAY_JITTER_MS))
    this.relayTimers.set(jobId, timer)
  }

  stop (): void {
    this.stopped = true
    clearTimeout(this.digestTimer)
    for (const t of this.relayTimers.values()) clearTimeout(t)
    this.relayTimers.clear()
  }
}
