/**
 * Who may send what. Runs on every decoded job message before it touches any state:
 * a claim only from the peer it names, coordinator messages only from the coordinator
 * of a current epoch, a host-bound task claim only from its host, progress and results
 * only from a worker the log shows was granted that task attempt. Anything else is
 * dropped with a reason the service counts.
 */
import type { DropReason } from '../../gossip/messages-codec.ts'
import type { JobMessage } from '../../gossip/messages.ts'
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
}

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
      if (message.epoch < record.epoch) return drop('stale-epoch')
      if (record.report != null) return IGNORE
      return ACCEPT
    case 'job.plan':
    case 'task.offer':
    case 'task.grant':
    case 'task.state':
      // offers to a peer that missed the start of the job still reach its worker (see service)
      if (record == null) return drop('unknown-job')
      return fromCoordinator(record, message.epoch, from)
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
    case 'job.result':
      // a peer that never heard of the job (joined late, was restarting) still takes the report
      if (record == null) return ACCEPT
      // two reports of one job (a takeover raced a late result): the higher epoch wins everywhere
      if (record.report != null) return message.epoch > record.report.epoch && message.report.epoch === message.epoch ? ACCEPT : IGNORE
      return fromCoordinator(record, message.epoch, from)
    case 'job.report':
      if (record?.report != null) return message.epoch > record.report.epoch && message.report.epoch === message.epoch ? ACCEPT : IGNORE
      if (record != null && message.epoch < record.epoch) return drop('stale-epoch')
      if (message.submitted.jobId !== message.jobId || message.report.jobId !== message.jobId) return drop('bad-schema')
      return ACCEPT
  }
}

/**
 * A coordinator message: from the current coordinator at the current epoch, or a higher
 * epoch (the service then treats it as that sender's claim, since gossip may reorder).
 */
function fromCoordinator (record: JobRecord, epoch: number, from: string): Verdict {
  if (epoch < record.epoch) return drop('stale-epoch')
  if (epoch === record.epoch && record.coordinator !== from) return drop('not-coordinator')
  return ACCEPT
}
