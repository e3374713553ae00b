/**
 * The elections of every running job this peer knows, fed from the job log: which
 * messages are claims (explicit, or a coordinator message at a higher epoch, since
 * gossip may reorder), what they change, and which claims or renewals are due now.
 * The service acts on the outcomes (drop, start or stop coordinating, publish).
 */
import type { PerJobMessage } from '../../gossip/messages.ts'
import { JobElection, type ElectionTiming } from '../../election/election.ts'
import { takeOver, type JobRecord } from './state.ts'

export type ElectionOutcome =
  /** not an election matter: apply the message */
  | { type: 'pass' }
  /** a stale claim: drop and count it */
  | { type: 'stale' }
  /** a renewal, or a claim that lost a tie: nothing to apply */
  | { type: 'ignore' }
  /** the coordinator or the epoch changed */
  | { type: 'changed', coordinator: string, epoch: number, steppedDown: boolean }

export class JobElections {
  private readonly elections = new Map<string, JobElection>()

  constructor (private readonly self: string, private readonly timing: ElectionTiming, private readonly now: () => number) {}

  /** A running job read back from the store: someone held it; wait a lease plus grace. */
  restore (record: JobRecord, graceMs: number): void {
    const election = new JobElection(record.jobId, this.self, this.timing, this.now())
    election.restore(record.epoch, record.coordinator, this.now(), graceMs)
    this.elections.set(record.jobId, election)
  }

  leading (jobId: string): { epoch: number } | null {
    const e = this.elections.get(jobId)
    return e?.leading === true ? { epoch: e.epoch } : null
  }

  /** The coordinator holding a live lease on jobId, as this peer heard it (see JobElection.liveHolder). */
  liveHolder (jobId: string, alive: string[]): string | null {
    return this.elections.get(jobId)?.liveHolder(this.now(), alive) ?? null
  }

  /** Whether claimant may claim jobId above its epoch now (see JobElection.inTurn); true for a job with no election. */
  inTurn (jobId: string, claimant: string, alive: string[]): boolean {
    return this.elections.get(jobId)?.inTurn(claimant, this.now(), alive) ?? true
  }

  delete (jobId: string): void {
    this.elections.delete(jobId)
  }

  /** Called for every authorized per-job message before it is applied. */
  observe (record: JobRecord, message: PerJobMessage, from: string): ElectionOutcome {
    if (record.report != null || message.type === 'job.result' || message.type === 'job.report') return { type: 'pass' }
    let election = this.elections.get(record.jobId)
    if (election == null) {
      election = new JobElection(record.jobId, this.self, this.timing, this.now(), record.epoch)
      if (record.coordinator != null) election.restore(record.epoch, record.coordinator, this.now())
      this.elections.set(record.jobId, election)
    }
    const fromCoordinator = message.type === 'job.plan' || message.type === 'task.offer' || message.type === 'task.grant' || message.type === 'task.state'
    if (message.type !== 'job.claim' && !(fromCoordinator && message.epoch > election.epoch)) return { type: 'pass' }
    const coordinator = message.type === 'job.claim' ? message.coordinator : from
    // authorize passes a claim below our epoch only from the holder that the claim we follow
    // (ours or a partition-mate's) displaced, heard still renewing: the fleet never took
    // that claim, so follow the holder again
    if (message.type === 'job.claim' && message.epoch < election.epoch) {
      election.yieldTo(message.epoch, coordinator, this.now())
      return { type: 'changed', coordinator, epoch: message.epoch, steppedDown: true }
    }
    const verdict = election.observeClaim(message.epoch, coordinator, this.now())
    if (!verdict.accepted) return verdict.reason === 'stale-epoch' ? { type: 'stale' } : { type: 'ignore' }
    if (message.type !== 'job.claim') {
      // the implicit claim goes into the record the way a job.claim would
      takeOver(record, message.epoch, from, record.coordinator === from ? record.coordinatorName : undefined)
    }
    if (!verdict.changed) return message.type === 'job.claim' ? { type: 'ignore' } : { type: 'pass' }
    return { type: 'changed', coordinator, epoch: message.epoch, steppedDown: verdict.steppedDown }
  }

  /** Claims and renewals due now, for jobs that can still be led, and jobs to ask the swarm about. */
  due (records: Map<string, JobRecord>, alive: string[]): Array<{ jobId: string, epoch: number, takeover: boolean } | { jobId: string, ask: true }> {
    const out: Array<{ jobId: string, epoch: number, takeover: boolean } | { jobId: string, ask: true }> = []
    const now = this.now()
    for (const [jobId, election] of this.elections) {
      const record = records.get(jobId)
      if (record == null || record.report != null || record.submitted == null) continue
      const action = election.tick(now, alive)
      if (action.type === 'claim') out.push({ jobId, epoch: action.epoch, takeover: action.takeover })
      if (action.type === 'renew') out.push({ jobId, epoch: action.epoch, takeover: false })
      if (action.type === 'ask') out.push({ jobId, ask: true })
    }
    return out
  }
}
