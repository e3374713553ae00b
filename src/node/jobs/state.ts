/**
 * The replicated job log, as state: every peer folds every accepted job message into a
 * JobRecord with the same pure reducer, live and when replaying its store after a
 * restart. A new coordinator resumes from this record, so it is all a takeover needs.
 * Messages reach apply() only after authorize() accepted them.
 */
import type { JobSubmitted, PerJobMessage } from '../../gossip/messages.ts'
import type { WireTaskOutcome } from '../../gossip/messages-outcome.ts'
import type { JobReport, JobStatus, TaskState } from '../../gossip/messages-report.ts'
import type { BrainInfo } from '../../think/types.ts'

export interface TaskResultRecord {
  attempt: number
  worker: string
  workerName?: string
  outcome: WireTaskOutcome
}

export interface TaskRecord {
  taskId: string
  /** peerId of the host it must run on; null = any peer */
  host: string | null
  hostName?: string
  prompt: string
  state: TaskState
  /** latest attempt offered */
  attempt: number
  /** attempt -> worker granted it; results are accepted only from these */
  grants: Record<number, string>
  worker: string | null
  workerName?: string
  /** local clock of the last grant or heartbeat from the worker */
  lastProgressAt: number | null
  progress?: { step: number, toolCalls: number, lastTool?: string }
  result?: TaskResultRecord
  reason?: string
}

export interface JobRecord {
  jobId: string
  submitted: JobSubmitted | null
  epoch: number
  coordinator: string | null
  coordinatorName?: string
  /**
   * The holder the current coordinator's claim displaced (its coordinator and epoch). A peer
   * that claimed while cut off yields back to it (see authorize.ts, yieldsTo).
   */
  displaced?: { coordinator: string, epoch: number }
  /** `by`/`epoch`: the coordinator that made the plan, so a plan of a tie's loser can be dropped */
  plan: { brain: BrainInfo, loads: Array<{ peerId: string, name: string, load: number }>, by: string | null, epoch: number } | null
  tasks: Map<string, TaskRecord>
  report: JobReport | null
  /** the coordinator's signature of `report` (signature.ts), relayed with it in catch-up */
  reportSig?: string
  status: JobStatus
  /** local clock of the last change */
  updatedAt: number
}

export function newRecord (jobId: string, now: number): JobRecord {
  return { jobId, submitted: null, epoch: 0, coordinator: null, plan: null, tasks: new Map(), report: null, status: 'running', updatedAt: now }
}

export function isTerminal (state: TaskState): boolean {
  return state === 'done' || state === 'error' || state === 'unreachable'
}

/** Folds one accepted message into the record (mutates it). Returns true if it changed anything. */
export function applyMessage (record: JobRecord, message: PerJobMessage, now: number): boolean {
  record.updatedAt = now
  switch (message.type) {
    case 'job.submitted':
      record.submitted = message
      return true
    case 'job.claim':
      // authorize lets a lower-epoch claim through only from the holder we displaced: we yield back to it
      if (message.epoch < record.epoch) return yieldBack(record, message.epoch, message.coordinator, message.coordinatorName)
      // two peers claimed this epoch and the better-ranked won: the loser's plan is not the
      // job's (the winner never took it), so forget it; the winner's plan follows its claim
      if (message.epoch === record.epoch && record.coordinator != null && message.coordinator !== record.coordinator &&
        record.plan?.by === record.coordinator && record.plan.epoch === message.epoch) {
        record.plan = null
        record.tasks.clear()
      }
      takeOver(record, message.epoch, message.coordinator, message.coordinatorName)
      return true
    case 'job.plan': {
      raiseEpoch(record, message.epoch)
      record.plan = { brain: message.brain, loads: message.loads, by: record.coordinator, epoch: message.epoch }
      for (const t of message.tasks) {
        if (record.tasks.has(t.taskId)) continue
        record.tasks.set(t.taskId, {
          taskId: t.taskId, host: t.host, hostName: t.hostName, prompt: t.prompt, state: 'pending', attempt: 0, grants: {}, worker: null, lastProgressAt: null
        })
      }
      return true
    }
    case 'task.offer': {
      raiseEpoch(record, message.epoch)
      const task = ensureTask(record, message.taskId, message.host, message.hostName, message.prompt)
      if (task.state === 'done' || message.attempt < task.attempt) return false
      // the same offer again (nobody claimed it yet) adds nothing to the log
      if (task.state === 'offered' && task.attempt === message.attempt) return false
      task.attempt = message.attempt
      task.state = 'offered'
      task.worker = null
      return true
    }
    case 'task.grant': {
      raiseEpoch(record, message.epoch)
      const task = record.tasks.get(message.taskId)
      if (task == null) return false
      task.grants[message.attempt] = message.worker
      if (task.state === 'done' || message.attempt < task.attempt) return true
      task.attempt = message.attempt
      task.state = 'running'
      task.worker = message.worker
      task.workerName = message.workerName
      task.lastProgressAt = now
      return true
    }
    case 'task.progress': {
      const task = record.tasks.get(message.taskId)
      if (task == null || (isTerminal(task.state) && task.state !== 'unreachable')) return false
      if (message.attempt !== task.attempt) return false
      task.state = 'running'
      task.worker = message.worker
      task.lastProgressAt = now
      task.progress = { step: message.step, toolCalls: message.toolCalls, lastTool: message.lastTool }
      return true
    }
    case 'task.result': {
      const task = record.tasks.get(message.taskId)
      if (task == null || task.state === 'done' || task.state === 'error') return false
      task.result = { attempt: message.attempt, worker: message.worker, workerName: message.workerName, outcome: message.outcome }
      task.state = message.outcome.error != null ? 'error' : 'done'
      task.worker = message.worker
      task.workerName = message.workerName ?? task.workerName
      task.reason = message.outcome.error
      return true
    }
    case 'task.state': {
      raiseEpoch(record, message.epoch)
      const task = record.tasks.get(message.taskId)
      if (task == null || task.state === 'done' || task.state === 'error') return false
      task.state = message.state
      task.reason = message.reason
      return true
    }
    case 'job.result':
    case 'job.report': {
      if (message.type === 'job.report' && record.submitted == null) record.submitted = message.submitted
      // a peer that only ever saw the report still needs the submission to relay and list it
      record.submitted ??= submissionFromReport(message.report)
      // a lower-epoch report got past authorize only as the displaced holder's: follow it
      const coordinator = message.report.coordinator
      if (message.epoch < record.epoch && coordinator != null) yieldBack(record, message.epoch, coordinator.peerId, coordinator.name)
      raiseEpoch(record, message.epoch)
      record.report = message.report
      record.reportSig = message.sig
      record.status = message.report.status
      record.coordinator ??= message.report.coordinator?.peerId ?? null
      record.coordinatorName ??= message.report.coordinator?.name
      return true
    }
    default:
      return false
  }
}

function submissionFromReport (r: JobReport): JobSubmitted {
  return {
    v: 1, type: 'job.submitted', jobId: r.jobId, epoch: 0, ts: r.submittedAt, prompt: r.prompt || '(unknown)', targets: null,
    submitter: r.submitter.peerId || 'unknown', submitterName: r.submitter.name || 'unknown', submittedAt: r.submittedAt, deadline: r.deadline
  }
}

/** A claim at a higher epoch (or a tie's winner): remembers whom it displaced. */
export function takeOver (record: JobRecord, epoch: number, coordinator: string, coordinatorName?: string): void {
  if (epoch > record.epoch && record.coordinator != null && record.coordinator !== coordinator) {
    record.displaced = { coordinator: record.coordinator, epoch: record.epoch }
  } else if (epoch > record.epoch) {
    record.displaced = undefined
  }
  record.epoch = epoch
  record.coordinator = coordinator
  record.coordinatorName = coordinatorName
}

/** Back to the holder our claim displaced, at its epoch; false when it is not that holder. */
function yieldBack (record: JobRecord, epoch: number, coordinator: string, coordinatorName?: string): boolean {
  const d = record.displaced
  if (d == null || d.coordinator !== coordinator || d.epoch !== epoch) return false
  record.epoch = epoch
  record.coordinator = coordinator
  record.coordinatorName = coordinatorName
  record.displaced = undefined
  return true
}

function raiseEpoch (record: JobRecord, epoch: number): void {
  if (epoch > record.epoch) record.epoch = epoch
}

/** An offer may come before (or without) the plan reaching us; the offer carries enough. */
function ensureTask (record: JobRecord, taskId: string, host: string | null, hostName: string | undefined, prompt: string): TaskRecord {
  let task = record.tasks.get(taskId)
  if (task == null) {
    task = { taskId, host, hostName, prompt, state: 'pending', attempt: 0, grants: {}, worker: null, lastProgressAt: null }
    record.tasks.set(taskId, task)
  }
  return task
}

/** Counts for progress lines: targeted / running / done / unreachable. */
export function taskCounts (record: JobRecord): { tasks: number, pending: number, running: number, done: number, error: number, unreachable: number } {
  const c = { tasks: 0, pending: 0, running: 0, done: 0, error: 0, unreachable: 0 }
  for (const t of record.tasks.values()) {
    c.tasks++
    if (t.state === 'pending' || t.state === 'offered') c.pending++
    else if (t.state === 'running') c.running++
    else c[t.state]++
  }
  return c
}
