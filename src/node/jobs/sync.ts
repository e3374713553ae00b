/**
 * Catch-up of finished jobs for a peer that was away when they ended. When membership
 * changes, peers gossip a digest of the jobs they hold; a peer missing one asks for it
 * (job.fetch), and a peer holding one that a digest lacks offers it (job.report). Each
 * relay waits a random moment and is skipped if someone else relayed first, so a fleet
 * answers a returning peer about once per job, not once per peer.
 */
import type { MessageOf, OutgoingMessage } from '../../gossip/messages.ts'
import type { JobRecord } from './state.ts'

export interface CatchUpComponents {
  records: Map<string, JobRecord>
  send: (message: OutgoingMessage) => Promise<void>
  now: () => number
}

/** Jobs listed in one digest (newest finished first). */
export const DIGEST_SIZE = 200
/** Longest random wait before relaying a report, ms. */
const RELAY_JITTER_MS = 400

export class CatchUp {
  private digestTimer: NodeJS.Timeout | undefined
  private readonly relayTimers = new Map<string, NodeJS.Timeout>()
  private stopped = true

  constructor (private readonly c: CatchUpComponents, private readonly options: { delayMs: number }) {}

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
    if (open.length > 0) await this.c.send({ type: 'job.fetch', jobIds: open }).catch(() => {})
  }

  onDigest (digest: MessageOf<'job.digest'>, from: string): void {
    if (this.stopped || from === undefined) return
    const theirs = new Set(digest.jobs.map(j => j.jobId))
    const ours = (jobId: string) => this.c.records.get(jobId)?.report
    const missing = digest.jobs.filter(j => ours(j.jobId) == null || ours(j.jobId)!.epoch < j.epoch).map(j => j.jobId)
    if (missing.length > 0) void this.c.send({ type: 'job.fetch', jobIds: missing }).catch(() => {})
    // a full digest may omit older jobs the sender does have: only offer newer ones
    const oldest = digest.jobs.length >= DIGEST_SIZE ? Math.min(...digest.jobs.map(j => this.c.records.get(j.jobId)?.report?.endedAt ?? Infinity)) : -Infinity
    for (const r of this.finished()) {
      if (!theirs.has(r.jobId) && (r.report!.endedAt ?? 0) > oldest) this.relayLater(r.jobId)
    }
  }

  onFetch (fetch: MessageOf<'job.fetch'>, _from: string): void {
    if (this.stopped) return
    for (const jobId of fetch.jobIds) {
      if (this.c.records.get(jobId)?.report != null) this.relayLater(jobId)
    }
  }

  /** Someone relayed (or the coordinator published) this job's report: ours is not needed. */
  seen (jobId: string): void {
    clearTimeout(this.relayTimers.get(jobId))
    this.relayTimers.delete(jobId)
  }

  private relayLater (jobId: string): void {
    if (this.relayTimers.has(jobId)) return
    const timer = setTimeout(() => {
      this.relayTimers.delete(jobId)
      const r = this.c.records.get(jobId)
      if (this.stopped || r?.report == null || r.submitted == null) return
      void this.c.send({ type: 'job.report', jobId, epoch: r.report.epoch, submitted: r.submitted, report: r.report }).catch(() => {})
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
