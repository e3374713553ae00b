/**
 * The worker half of every peer: claims offered tasks it may run (its own host-bound
 * tasks, host-agnostic ones) while it has a free slot, runs a granted task with the
 * local TaskBrain and tools, sends task.progress heartbeats and finally a bounded
 * task.result. A task it already finished is answered from its cache, never run twice.
 */
import type { MessageOf, OutgoingMessage } from '../../gossip/messages.ts'
import type { TaskBrain, TaskOutcome } from '../../think/types.ts'
import type { ToolRunner } from '../../tools/types.ts'
import { boundOutcome } from './bound.ts'

type Offer = MessageOf<'task.offer'>
type Grant = MessageOf<'task.grant'>
type Result = MessageOf<'task.result'>

export interface WorkerComponents {
  self: string
  selfName: string
  send: (message: OutgoingMessage) => Promise<void>
  taskBrain: TaskBrain
  tools: ToolRunner
  now: () => number
  /** told whenever the number of running tasks changes (presence tasksRunning) */
  onLoad?: (running: number) => void
  log?: (line: string) => void
}

export interface WorkerOptions {
  maxConcurrentTasks: number
  heartbeatMs: number
  /** how long a claim holds a slot while waiting for the grant */
  claimHoldMs: number
}

type Slot =
  | { type: 'claimed', jobId: string, taskId: string, attempt: number, until: number }
  | { type: 'running', jobId: string, taskId: string, attempt: number, epoch: number, abort: AbortController }

const key = (jobId: string, taskId: string) => `${jobId}/${taskId}`

export class Worker {
  private readonly slots = new Map<string, Slot>()
  /** host-bound offers waiting for a free slot, newest attempt per task */
  private readonly queued = new Map<string, Offer>()
  /** finished tasks' results, resent when a (new) coordinator offers them again */
  private readonly finished = new Map<string, Result>()
  private running = false

  constructor (private readonly c: WorkerComponents, private readonly options: WorkerOptions) {}

  get tasksRunning (): number {
    return [...this.slots.values()].filter(s => s.type === 'running').length
  }

  private freeSlots (): number {
    const now = this.c.now()
    for (const [k, s] of this.slots) if (s.type === 'claimed' && s.until < now) this.slots.delete(k)
    return this.options.maxConcurrentTasks - this.slots.size
  }

  /** An offer from the coordinator (already authorized). */
  async onOffer (offer: Offer): Promise<void> {
    if (!this.running) return
    if (offer.host != null && offer.host !== this.c.self) return
    if (offer.exclude?.includes(this.c.self) === true) return
    const k = key(offer.jobId, offer.taskId)
    const done = this.finished.get(k)
    if (done != null) { await this.c.send({ ...done, epoch: Math.max(done.epoch, offer.epoch), ts: undefined }); return }
    const slot = this.slots.get(k)
    if (slot?.type === 'running') {
      // a new coordinator re-offers a task we are running: claim it again, keep running
      await this.claim(offer)
      return
    }
    if (slot == null && this.freeSlots() <= 0) {
      if (offer.host != null) this.queued.set(k, offer)
      return
    }
    this.slots.set(k, { type: 'claimed', jobId: offer.jobId, taskId: offer.taskId, attempt: offer.attempt, until: this.c.now() + this.options.claimHoldMs })
    await this.claim(offer)
  }

  private async claim (offer: Offer): Promise<void> {
    await this.c.send({ type: 'task.claim', jobId: offer.jobId, epoch: offer.epoch, taskId: offer.taskId, attempt: offer.attempt, worker: this.c.self, load: this.tasksRunning })
  }

  /** A grant (to anyone) for a task. */
  async onGrant (grant: Grant, task: { prompt: string, context?: string, deadline: number }): Promise<void> {
    const k = key(grant.jobId, grant.taskId)
    const slot = this.slots.get(k)
    if (grant.worker !== this.c.self) {
      if (slot?.type === 'claimed') { this.slots.delete(k); this.drainQueue() }
      return
    }
    if (!this.running) return
    if (slot?.type === 'running') {
      // granted again (new coordinator, or ours missed our heartbeats): keep running, beat under the new attempt
      slot.attempt = Math.max(slot.attempt, grant.attempt)
      slot.epoch = Math.max(slot.epoch, grant.epoch)
      return
    }
    const done = this.finished.get(k)
    if (done != null) { await this.c.send({ ...done, ts: undefined }); return }
    this.queued.delete(k)
    const abort = new AbortController()
    this.slots.set(k, { type: 'running', jobId: grant.jobId, taskId: grant.taskId, attempt: grant.attempt, epoch: grant.epoch, abort })
    this.c.onLoad?.(this.tasksRunning)
    // start after the grant itself has gone out, so nobody hears our progress before it
    setImmediate(() => { void this.run(grant, task, abort) })
  }

  private async run (grant: Grant, task: { prompt: string, context?: string, deadline: number }, abort: AbortController): Promise<void> {
    const k = key(grant.jobId, grant.taskId)
    let step = 0
    let toolCalls = 0
    let lastTool: string | undefined
    const current = () => {
      const s = this.slots.get(k)
      return s?.type === 'running' ? { attempt: s.attempt, epoch: s.epoch } : { attempt: grant.attempt, epoch: grant.epoch }
    }
    const beat = async () => {
      await this.c.send({ type: 'task.progress', jobId: grant.jobId, ...current(), taskId: grant.taskId, worker: this.c.self, step, toolCalls, lastTool }).catch(() => {})
    }
    const timer = setInterval(() => { void beat() }, this.options.heartbeatMs)
    const deadline = setTimeout(() => abort.abort(new Error('job deadline reached')), Math.max(0, task.deadline - this.c.now()))
    void beat()
    const started = this.c.now()
    let outcome: TaskOutcome
    try {
      outcome = await this.c.taskBrain.runTask({ prompt: task.prompt, context: task.context }, {
        tools: this.c.tools,
        signal: abort.signal,
        onEvent: (e) => {
          if (e.type === 'thinking') step = e.step
          if (e.type === 'tool:end') { toolCalls++; lastTool = e.record.tool }
        }
      })
    } catch (err: any) {
      outcome = { answer: '', findings: [], toolCalls: [], brain: { kind: 'playbook', reason: 'fallback' }, steps: step, ms: this.c.now() - started, error: String(err?.message ?? err) }
    } finally {
      clearInterval(timer)
      clearTimeout(deadline)
    }
    const { attempt, epoch } = current()
    if (this.slots.get(k)?.type === 'running') this.slots.delete(k)
    this.c.onLoad?.(this.tasksRunning)
    // stopped, or the job ended under it: nobody waits for this result any more
    if (!this.running || (abort.signal.aborted && (abort.signal.reason === STOPPED || abort.signal.reason === ENDED))) return
    const result: Result = {
      v: 1,
      ts: 0,
      type: 'task.result',
      jobId: grant.jobId,
      epoch,
      taskId: grant.taskId,
      attempt,
      worker: this.c.self,
      workerName: this.c.selfName,
      outcome: boundOutcome(outcome)
    }
    this.finished.set(k, result)
    if (this.finished.size > 1000) this.finished.delete(this.finished.keys().next().value!)
    this.c.log?.(`task ${grant.taskId} of ${grant.jobId} done in ${outcome.ms} ms`)
    const sent = this.c.send({ ...result, ts: undefined }).catch((err) => { this.c.log?.(`cannot send result: ${err?.message}`) })
    // the slot is free now, not when the publish completes
    this.drainQueue()
    await sent
  }

  private drainQueue (): void {
    for (const [k, offer] of this.queued) {
      if (this.freeSlots() <= 0) return
      this.queued.delete(k)
      void this.onOffer(offer)
    }
  }

  /** The job ended (report out): stop its tasks and forget queued offers. */
  jobEnded (jobId: string): void {
    for (const [k, s] of this.slots) {
      if (s.jobId !== jobId) continue
      if (s.type === 'running') s.abort.abort(ENDED)
      this.slots.delete(k)
    }
    for (const [k, o] of this.queued) if (o.jobId === jobId) this.queued.delete(k)
    this.c.onLoad?.(this.tasksRunning)
  }

  start (): void {
    this.running = true
  }

  stop (): void {
    this.running = false
    for (const s of this.slots.values()) if (s.type === 'running') s.abort.abort(STOPPED)
    this.slots.clear()
    this.queued.clear()
  }
}

const STOPPED = new Error('worker stopped')
const ENDED = new Error('job ended')
