/**
 * Who may send what. Runs on every decoded job message before it touches any state:
 * a claim only from the peer it names, coordinator messages only from the coordinator
 * of a current epoch, a host-bound task claim only from its host, progress and results
 * only from a worker the log shows was granted that task attempt, a job.result only from
 * the coordinator its report names, and a relayed job.report only when it is final,
 * agrees with the submission in the log, and no live coordinator holds the job. Anything
 * else is dropped with a reason the service counts.
 *
 * A higher epoch is a claim (explicit, or implied by a coordinator message or result). While
 * the coordinator's lease is live as this peer hears it, the only member the election lets
 * claim is the holder's successor (see successorOf); any other claimant is dropped
 * (`not-successor`). A lapsed or dead holder's job may be claimed by a member only when
 * its rank's turn has come, with a stagger of slack (`out-of-turn`).
 *
 * Reports carry their coordinator's signature (signature.ts): a job.result or relayed
 * job.report is taken only when the coordinator it names signed it (`bad-signature`), and
 * a relayed report's submission must agree with the signed report (`log-mismatch`). So a
 * relayer can no longer make up a job, or a higher-epoch ending, in another peer's name.
 * Still not closed: a member may publish a report of a job nobody heard of in its own
 * name (it signs it itself); such a report is attributable to it wherever it is relayed.
 *
 * Healing a partition: a member that is neither the holder nor its successor, cut off from
 * everyone for longer than a lease, claims the job in its own partition. When the network
 * heals the others, still hearing the holder, refuse its claim and its report
 * (not-successor). So that member, and any partition-mate that followed it, yields
 * (yieldsTo): the log remembers whom the claim displaced (JobRecord.displaced), and that
 * holder's renewal, result or relayed report at the old epoch is taken from it even though
 * it is lower: it steps down, or replaces the report it holds. Never when the claim was
 * the holder's successor's: its takeover is the one the fleet accepts, and its report must
 * keep winning everywhere (mayReplace).
 */
import { successorOf } from '../../election/rendezvous.ts'
import type { DropReason } from '../../gossip/messages-codec.ts'
import type { JobMessage, MessageOf } from '../../gossip/messages.ts'
import type { JobRecord } from './state.ts'

export type Verdict =
  | { type: 'accept' }
  /** forged, stale or malformed in context: count it */
  | { type: 'drop', reason: DropReason }
  /** harmless repeat (renewal, duplicate result): do nothing, count nothing */
  | { type: 'ignore' }

export interface AuthorizeOptions {
  /** peerIds allowed to submit jobs; empty = any member */
  submitters: string[]
  /** the coordinator holding a live lease on a job, as this peer hears it */
  liveHolder?: (jobId: string) => string | null
  /** peerIds of the members that count as alive (self included), to rank a successor */
  alive?: () => string[]
  /** whether a member may claim the job above its epoch now, with no live lease (its turn by rank) */
  inTurn?: (jobId: string, claimant: string) => boolean
  /** whether a report carries a valid signature of the coordinator it names; absent = not checked */
  signed?: (message: MessageOf<'job.result'> | MessageOf<'job.report'>) => boolean
}

/**
 * Most a claim may raise a job's epoch by. Each epoch is one takeover, so an honest claim
 * is one above the log, or a few when this peer missed takeovers; a claim near the
 * schema's top epoch would leave no epoch for the next takeover and strand the job.
 */
export const MAX_EPOCH_STEP = 16

const ACCEPT: Verdict = { type: 'accept' }
const IGNORE: Verdict = { type: 'ignore' }
const drop = (reason: DropReason): Verdict => ({ type: 'drop', reason })

export function authorize (record: JobRecord | undefined, message: JobMessage, from: string, options: AuthorizeOptions): Verdict {
  switch (message.type) {
    case 'job.digest':
    case 'job.fetch':
      return ACCEPT
    case 'job.submitted':
      if (from !== message.submitter) return drop('not-sender')
      if (options.submitters.length > 0 && !options.submitters.includes(from)) return drop('not-allowed')
      return record?.submitted != null ? IGNORE : ACCEPT
    case 'job.claim':
      if (from !== message.coordinator) return drop('not-sender')
      if (record == null) return drop('unknown-job')
      if (message.epoch < record.epoch) return record.report == null && yieldsTo(record, from, message.epoch, options) ? ACCEPT : drop('stale-epoch')
      if (record.report != null) return IGNORE
      return mayClaim(record, message.epoch, from, options) ?? ACCEPT
    case 'job.plan':
    case 'task.offer':
    case 'task.grant':
    case 'task.state':
      // offers to a peer that missed the start of the job still reach its worker (see service)
      if (record == null) return drop('unknown-job')
      // an ended job needs no coordinator: a late message of its own is a harmless race, any
      // other sender's would have workers run tasks (of its own making) for a job that is over
      if (record.report != null) return from === record.coordinator || from === record.report.coordinator?.peerId ? IGNORE : drop('job-ended')
      return fromCoordinator(record, message.epoch, from, options)
    case 'task.claim': {
      if (from !== message.worker) return drop('not-sender')
      if (record == null) return drop('unknown-job')
      const task = record.tasks.get(message.taskId)
      if (task == null) return drop('unknown-task')
      if (task.host != null && task.host !== from) return drop('not-host')
      if (message.epoch < record.epoch) return drop('stale-epoch')
      return ACCEPT
    }
    case 'task.progress':
    case 'task.result': {
      if (from !== message.worker) return drop('not-sender')
      if (record == null) return drop('unknown-job')
      const task = record.tasks.get(message.taskId)
      if (task == null) return drop('unknown-task')
      if (task.grants[message.attempt] !== from) return drop('not-granted')
      if (message.type === 'task.result' && (task.state === 'done' || task.state === 'error')) return IGNORE
      return ACCEPT
    }
    case 'job.result': {
      // only the coordinator publishes its own result; a peer that never heard of the job
      // (joined late, was restarting) still takes it
      if (message.report.coordinator?.peerId !== from) return drop('not-sender')
      const bad = badReport(message)
      if (bad != null) return bad
      // two reports of one job (a takeover raced a late result): the higher epoch wins everywhere
      if (record?.report != null) return checkSigned(message.epoch > record.report.epoch ? mayReplace(record, from, options) : lowerReport(record, from, message.epoch, options), message, options)
      if (record == null) return checkSigned(ACCEPT, message, options)
      if (message.epoch < record.epoch && yieldsTo(record, from, message.epoch, options)) return checkSigned(ACCEPT, message, options)
      return checkSigned(fromCoordinator(record, message.epoch, from, options), message, options)
    }
    case 'job.report': {
      const bad = badReport(message)
      if (bad != null) return bad
      // the submission rides beside the signed report: it must be the report's own
      if (!submissionOfReport(message)) return drop('log-mismatch')
      if (record?.submitted != null && !sameSubmission(record.submitted, message.submitted)) return drop('log-mismatch')
      const coordinator = message.report.coordinator?.peerId ?? ''
      if (record?.report != null) return checkSigned(message.epoch > record.report.epoch ? mayReplace(record, coordinator, options) : lowerReport(record, coordinator, message.epoch, options), message, options)
      if (record != null && message.epoch < record.epoch) return yieldsTo(record, coordinator, message.epoch, options) ? checkSigned(ACCEPT, message, options) : drop('stale-epoch')
      // a running job's report from a takeover we missed: as far above our epoch as takeovers go
      if (record != null && message.epoch > record.epoch + MAX_EPOCH_STEP) return drop('epoch-jump')
      // a coordinator we hear renewing its lease ends the job itself: nobody may do it for it
      const holder = options.liveHolder?.(message.jobId) ?? null
      if (holder != null && holder !== from) return drop('not-coordinator')
      return checkSigned(ACCEPT, message, options)
    }
  }
}

/**
 * A report about to be taken must bear its coordinator's signature. Checked last, when
 * everything else would accept it: a repeat or an otherwise dropped report costs no hash.
 */
function checkSigned (verdict: Verdict, message: MessageOf<'job.result'> | MessageOf<'job.report'>, options: AuthorizeOptions): Verdict {
  if (verdict.type !== 'accept' || options.signed == null) return verdict
  return options.signed(message) ? verdict : drop('bad-signature')
}

/**
 * A coordinator message: from the current coordinator at the current epoch, or a higher
 * epoch (the service then treats it as that sender's claim, since gossip may reorder).
 */
function fromCoordinator (record: JobRecord, epoch: number, from: string, options: AuthorizeOptions): Verdict {
  if (epoch < record.epoch) return drop('stale-epoch')
  if (epoch === record.epoch && record.coordinator !== from) return drop('not-coordinator')
  return mayClaim(record, epoch, from, options) ?? ACCEPT
}

/**
 * A claim above the job's epoch. While a live coordinator holds the job only the holder's
 * successor may make it (a holder cut off from its successor is replaced by it; the holder
 * itself never needs a higher epoch while its lease runs). Once the lease is open, a
 * member may claim when its rank's turn has come (JobElection.inTurn), so nobody can
 * beat the successor to a dead coordinator's job. Null when allowed.
 */
function mayClaim (record: JobRecord, epoch: number, from: string, options: AuthorizeOptions): Verdict | null {
  if (epoch <= record.epoch) return null
  if (epoch > record.epoch + MAX_EPOCH_STEP) return drop('epoch-jump')
  const holder = options.liveHolder?.(record.jobId) ?? null
  if (holder == null) return options.inTurn?.(record.jobId, from) === false ? drop('out-of-turn') : null
  if (options.alive == null) return null
  return successorOf(record.jobId, holder, options.alive()) === from ? null : drop('not-successor')
}

/**
 * A report at a higher epoch than the one we hold replaces it only if its coordinator could
 * have led the job after ours: the last claimant we accepted, or the successor of the
 * coordinator of the report we hold (the peer that took over, not hearing it was done).
 * Anyone else could rewrite any finished job's report by naming a higher epoch.
 */
function mayReplace (record: JobRecord, coordinator: string, options: AuthorizeOptions): Verdict {
  if (coordinator === record.coordinator) return ACCEPT
  const previous = record.report?.coordinator?.peerId
  if (previous == null || options.alive == null) return ACCEPT
  const alive = options.alive()
  // a coordinator that has left since cannot be judged by who is alive now (its report,
  // when relayed, carries its own signature, checked elsewhere)
  if (!alive.includes(coordinator)) return ACCEPT
  return successorOf(record.jobId, previous, alive) === coordinator ? ACCEPT : drop('not-successor')
}

/**
 * Whether this peer yields back to `coordinator` at `epoch`: the holder whose lease the
 * claim it follows (its own, or a partition-mate's) displaced, still heard from. It does
 * when that claim's coordinator is not the holder's successor among the members it sees
 * alive: the fleet, hearing the holder, refused that claim (see mayClaim), so the claim
 * was made cut off. The successor's takeover is the fleet's and stands; a coordinator that
 * has left since cannot be judged by who is alive now (as in mayReplace), so it stands too.
 */
function yieldsTo (record: JobRecord, coordinator: string, epoch: number, options: AuthorizeOptions): boolean {
  const d = record.displaced
  const current = record.coordinator
  if (d == null || current == null || current === coordinator || options.alive == null) return false
  if (d.coordinator !== coordinator || d.epoch !== epoch || epoch >= record.epoch) return false
  if (record.report != null && record.report.coordinator?.peerId !== current) return false
  const alive = options.alive()
  return alive.includes(current) && successorOf(record.jobId, coordinator, alive) !== current
}

/** A report at or below the epoch of ours: a repeat, unless it is the holder we yield to. */
function lowerReport (record: JobRecord, coordinator: string, epoch: number, options: AuthorizeOptions): Verdict {
  return epoch < record.report!.epoch && yieldsTo(record, coordinator, epoch, options) ? ACCEPT : IGNORE
}

/** A report must be final and of the message's job and epoch. */
function badReport (message: MessageOf<'job.result'> | MessageOf<'job.report'>): Verdict | null {
  const r = message.report
  if (r.jobId !== message.jobId || r.epoch !== message.epoch || r.status === 'running' || r.endedAt == null) return drop('bad-schema')
  if (message.type === 'job.report' && message.submitted.jobId !== message.jobId) return drop('bad-schema')
  return null
}

/**
 * A relayed submission must be the one the signed report names (its prompt, submitter and
 * time; a report made without the submission names none, see report.ts), or a relayer
 * could pair an honest report with a submission of its own making for a peer that lacks it.
 */
function submissionOfReport (message: MessageOf<'job.report'>): boolean {
  const r = message.report
  const s = message.submitted
  if (r.submitter.peerId === '') return true
  return r.submitter.peerId === s.submitter && r.submittedAt === s.submittedAt && r.prompt === s.prompt
}

/**
 * A relayed submission must be the one in our log (a report of another job is forged).
 * The deadline is not compared: each peer caps it at its own maxDeadlineS on receipt
 * (bound.ts), so two honest logs of one job may differ there.
 */
function sameSubmission (a: MessageOf<'job.submitted'>, b: MessageOf<'job.submitted'>): boolean {
  return a.submitter === b.submitter && a.submittedAt === b.submittedAt && a.prompt === b.prompt
}
