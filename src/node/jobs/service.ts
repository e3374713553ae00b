/**
 * The jobs service of one peer: the edge of the job protocol (decode, authorize, count
 * drops), the replicated log of every job it hears (memory + store), the election of
 * each running job, the coordinator while it leads one, the worker, and catch-up of
 * finished jobs. Built from narrow components so tests run it over an in-memory bus.
 */
import { EventEmitter } from 'node:events'
import { randomBytes } from 'node:crypto'
import { JOBS_TOPIC, MAX_PROMPT, type JobMessage, type OutgoingMessage, type PerJobMessage } from '../../gossip/messages.ts'
import { decodeMessage, DropCounter, encodeMessage } from '../../gossip/messages-codec.ts'
import type { JobReport } from '../../gossip/messages-report.ts'
import type { Bus, Member, MembershipView } from '../../gossip/types.ts'
import type { Finding, JobBrain, TaskBrain, ToolCallRecord, VerifiedFinding } from '../../think/types.ts'
import type { ToolRunner } from '../../tools/types.ts'
import { authorize } from './authorize.ts'
import { boundDeadlines } from './bound.ts'
import type { JobsConfig } from './config.ts'
import { Coordinator } from './coordinator.ts'
import { JobElections } from './elections.ts'
import { SenderRateLimit } from './rate.ts'
import { JobAmbiguousError, JobNotFoundError, JobRejectedError } from './errors.ts'
import { buildReport } from './report.ts'
import { applyMessage, newRecord, taskCounts, type JobRecord } from './state.ts'
import type { JobStore } from './store.ts'
import { reportSignatureValid, signReport, type ReportSigning } from './signature.ts'
import { coalescedSoon } from './soon.ts'
import { CatchUp } from './sync.ts'
import { Worker } from './worker.ts'

export interface JobsComponents {
  bus: Bus
  membership: MembershipView
  store: JobStore
  taskBrain: TaskBrain
  jobBrain: JobBrain
  tools: ToolRunner
  selfName: string
  /** signs the reports this peer coordinates and checks others' (its libp2p identity) */
  signing: ReportSigning
  now?: () => number
  verify?: (findings: Finding[], toolCalls: ToolCallRecord[]) => VerifiedFinding[]
  onLoad?: (tasksRunning: number) => void
  log?: (line: string) => void
}

export interface JobSummary {
  jobId: string
  prompt: string
  status: JobReport['status']
  coordinator: string | null
  epoch: number
  submittedAt: number
  submitter: string
  tasks: number
  done: number
}

/** Extra wait before claiming a job restored from the store, beyond the digest delay. */
const RESTORE_GRACE_MS = 2000

/** Message types kept in the history (heartbeats and claims are not worth a disk write). */
const STORED = new Set<JobMessage['type']>(['job.submitted', 'job.claim', 'job.plan', 'task.offer', 'task.grant', 'task.result', 'task.state', 'job.result', 'job.report'])

export class JobsService extends EventEmitter {
  readonly drops = new DropCounter()
  readonly counters = { received: 0, accepted: 0, ignored: 0, sent: 0, takeovers: 0, deadlinesClamped: 0 }
  private readonly records = new Map<string, JobRecord>()
  private readonly elections: JobElections
  private readonly rate: SenderRateLimit
  private readonly coordinators = new Map<string, Coordinator>()
  private readonly worker: Worker
  private readonly catchUp: CatchUp
  private readonly now: () => number
  private state: { type: 'stopped' } | { type: 'running', unsubscribe: () => void, timer: NodeJS.Timeout } = { type: 'stopped' }
  private readonly self: string

  constructor (private readonly c: JobsComponents, readonly config: JobsConfig) {
    super()
    this.self = c.bus.self
    this.now = c.now ?? Date.now
    this.rate = new SenderRateLimit(config.maxMessagesPerSecond, this.now)
    this.elections = new JobElections(this.self, { leaseMs: config.leaseMs, renewMs: config.renewMs, staggerMs: config.staggerMs }, this.now)
    this.worker = new Worker({
      self: this.self, selfName: c.selfName, send: async m => { await this.send(m) }, taskBrain: c.taskBrain, tools: c.tools, now: this.now, onLoad: c.onLoad, log: c.log
    }, { maxConcurrentTasks: config.maxConcurrentTasks, heartbeatMs: config.heartbeatMs, claimHoldMs: Math.max(3000, config.offerRetryMs * 3) })
    this.catchUp = new CatchUp({
      records: this.records, send: async m => { await this.send(m) }, now: this.now, refused: (from, detail) => { this.drop('relay-capped', from, detail) }
    }, { delayMs: config.digestDelayMs })
  }

  async start (): Promise<void> {
    if (this.state.type === 'running') return
    await this.load()
    const unsubscribe = this.c.bus.subscribe(JOBS_TOPIC, (m) => { this.receive(m.data, m.from) })
    const timer = setInterval(() => { this.tick() }, Math.min(250, Math.max(20, Math.floor(this.config.renewMs / 2))))
    this.state = { type: 'running', unsubscribe, timer }
    this.c.membership.on('member:join', this.onJoin)
    this.worker.start()
    this.catchUp.start()
    this.catchUp.schedule()
  }

  async stop (): Promise<void> {
    if (this.state.type !== 'running') return
    this.state.unsubscribe()
    clearInterval(this.state.timer)
    this.state = { type: 'stopped' }
    this.c.membership.off('member:join', this.onJoin)
    this.catchUp.stop()
    this.worker.stop()
    for (const co of this.coordinators.values()) co.stop()
    this.coordinators.clear()
    await this.c.store.flush()
  }

  private readonly onJoin = (member: Member): void => {
    if (member.peerId !== this.self) this.catchUp.schedule()
  }

  /** Replays the store so history, and a takeover, survive restarts. */
  private async load (): Promise<void> {
    const now = this.now()
    await this.c.store.prune(this.retention, new Set(), now)
    for (const { jobId } of await this.c.store.list()) {
      const stored = await this.c.store.read(jobId)
      if (stored == null || stored.entries.length === 0) continue
      const record = newRecord(jobId, now)
      for (const e of stored.entries) {
        if (e.msg.type !== 'job.digest' && e.msg.type !== 'job.fetch' && e.msg.jobId === jobId) applyMessage(record, e.msg, now)
      }
      this.records.set(jobId, record)
      // the job may have ended while we were down: give catch-up time before any claim
      if (record.report == null && record.submitted != null) this.elections.restore(record, this.config.digestDelayMs + RESTORE_GRACE_MS)
    }
  }

  /** Publishes a message and applies it locally (the bus does not echo our own). */
  async send (message: OutgoingMessage): Promise<void> {
    // our own result: signed here, so everyone can check it came from us wherever it is relayed
    if (message.type === 'job.result' && message.sig == null) message = { ...message, sig: signReport(this.c.signing, message.report) }
    const data = encodeMessage(message, this.now())
    this.counters.sent++
    this.handle(JSON.parse(new TextDecoder().decode(data)) as JobMessage, this.self)
    if (this.state.type === 'running') await this.c.bus.publish(JOBS_TOPIC, data)
  }

  /** The edge: every message from the network comes through here. */
  receive (data: Uint8Array, from: string): void {
    this.counters.received++
    if (!this.rate.allow(from)) { this.drop('rate-limited', from, ''); return }
    const decoded = decodeMessage(data)
    if (!decoded.ok) { this.drop(decoded.reason, from, decoded.detail); return }
    const message = boundDeadlines(decoded.message, this.now(), this.config.maxDeadlineS * 1000)
    if (message !== decoded.message) { this.counters.deadlinesClamped++; this.c.log?.(`capped the deadline of ${message.type} from ${from.slice(-8)} at ${this.config.maxDeadlineS} s`) }
    this.handle(message, from)
  }

  private drop (reason: Parameters<DropCounter['count']>[0], from: string, detail: string): void {
    this.drops.count(reason)
    this.c.log?.(`dropped message from ${from.slice(-8)}: ${reason} ${detail}`)
    this.emit('drop', reason)
  }

  private handle (message: JobMessage, from: string): void {
    if (message.type === 'job.digest') { this.catchUp.onDigest(message, from); return }
    if (message.type === 'job.fetch') { this.catchUp.onFetch(message, from); return }
    // a report of a job at our report's epoch suppresses our own pending relay of it, accepted or not
    if (message.type === 'job.report' || message.type === 'job.result') this.catchUp.seen(message.jobId, message.epoch)
    const known = this.records.get(message.jobId)
    // a peer that joined mid-job learns the job from the coordinator's offers; the record
    // is kept only once a message of it is accepted, so dropped ones leave no trace
    const record = known ?? (message.type === 'task.offer' || message.type === 'job.plan' ? newRecord(message.jobId, this.now()) : undefined)
    const verdict = authorize(record, message, from, {
      submitters: this.config.submitters, liveHolder: this.liveHolder, alive: this.aliveIds, inTurn: this.inTurn, signed: from === this.self ? undefined : this.signed
    })
    if (verdict.type === 'drop') { this.drop(verdict.reason, from, `${message.type} ${message.jobId}`); return }
    if (verdict.type === 'ignore') { this.counters.ignored++; return }
    const target = record ?? newRecord(message.jobId, this.now())
    if (!this.elect(target, message, from)) { if (known == null) this.elections.delete(target.jobId); return }
    if (known == null) this.records.set(target.jobId, target)
    this.handleAccepted(target, message, from)
  }

  private handleAccepted (record: JobRecord, message: PerJobMessage, from: string): void {
    this.counters.accepted++
    const changed = applyMessage(record, message, this.now())
    if (changed && STORED.has(message.type)) {
      this.c.store.append(record.jobId, { at: this.now(), from, msg: message }).catch((err) => { this.c.log?.(`history write failed: ${err?.message}`) })
    }
    this.sideEffects(record, message)
  }

  private readonly signed = (m: { report: JobReport, sig?: string }): boolean => reportSignatureValid(this.c.signing, m.report, m.sig)
  private readonly aliveIds = (): string[] => this.live().map(m => m.peerId)
  private readonly liveHolder = (jobId: string): string | null => this.elections.liveHolder(jobId, this.aliveIds())
  private readonly inTurn = (jobId: string, claimant: string): boolean => this.elections.inTurn(jobId, claimant, this.aliveIds())

  /** Election bookkeeping; false when the message must go no further. */
  private elect (record: JobRecord, message: PerJobMessage, from: string): boolean {
    const outcome = this.elections.observe(record, message, from)
    switch (outcome.type) {
      case 'pass': return true
      case 'stale': this.drop('stale-epoch', from, `${message.type} ${record.jobId}`); return false
      case 'ignore': this.counters.ignored++; return false
      case 'changed':
        if (outcome.steppedDown || outcome.coordinator !== this.self) this.stopCoordinating(record.jobId)
        this.emit('election', { jobId: record.jobId, epoch: outcome.epoch, coordinator: outcome.coordinator })
        if (outcome.coordinator === this.self) queueMicrotask(() => { this.lead(record) })
        return true
    }
  }

  private lead (record: JobRecord): void {
    const election = this.elections.leading(record.jobId)
    if (election == null || record.report != null || this.coordinators.has(record.jobId)) return
    if (record.epoch > 1) this.counters.takeovers++
    this.c.log?.(`coordinating ${record.jobId} at epoch ${election.epoch}`)
    const co = new Coordinator({
      self: this.self,
      selfName: this.c.selfName,
      send: async m => { await this.send(m) },
      jobBrain: this.c.jobBrain,
      alive: () => this.live(),
      member: id => this.c.membership.get(id),
      now: this.now,
      verify: this.c.verify,
      log: this.c.log
    }, {
      progressTimeoutMs: this.config.progressTimeoutMs,
      offerRetryMs: this.config.offerRetryMs,
      claimWindowMs: this.config.claimWindowMs,
      unreachableWaitMs: this.config.unreachableWaitMs,
      tickMs: Math.min(250, this.config.heartbeatMs)
    }, record, election.epoch)
    this.coordinators.set(record.jobId, co)
    co.start()
  }

  private stopCoordinating (jobId: string): void {
    this.coordinators.get(jobId)?.stop()
    this.coordinators.delete(jobId)
  }

  private sideEffects (record: JobRecord, message: PerJobMessage): void {
    switch (message.type) {
      case 'task.offer':
        void this.worker.onOffer(message)
        break
      case 'task.grant': {
        const task = record.tasks.get(message.taskId)
        if (task == null) break
        const deadline = record.submitted?.deadline ?? this.now() + this.config.defaultDeadlineS * 1000
        void this.worker.onGrant(message, { prompt: task.prompt, context: `host ${this.c.selfName}, job ${record.jobId}, task ${task.taskId}`, deadline })
        break
      }
      case 'task.claim':
        this.coordinators.get(record.jobId)?.onClaim(message)
        break
      case 'job.submitted':
        // the first-ranked peer claims now, not on the next timer tick
        this.tickSoon()
        break
      case 'task.result':
      case 'task.state':
        this.coordinators.get(record.jobId)?.poke()
        this.emit('task:done', { jobId: record.jobId, taskId: message.taskId, state: record.tasks.get(message.taskId)?.state, counts: taskCounts(record) })
        break
      case 'job.result':
      case 'job.report':
        this.catchUp.seen(record.jobId)
        this.elections.delete(record.jobId)
        this.stopCoordinating(record.jobId)
        this.worker.jobEnded(record.jobId)
        this.emit('job:done', record.report)
        void this.prune()
        break
    }
    this.emit('job:update', record.jobId)
  }

  /**
   * A job known only from offers (we missed its submission) whose report never reached us
   * and that has been quiet for longer than any deadline is over: catch-up cannot ask for
   * it (it has no submission to list), so forget it rather than keep it forever.
   */
  private forgetOrphans (): void {
    const quietFor = this.config.maxDeadlineS * 1000
    const now = this.now()
    for (const r of this.records.values()) {
      if (r.submitted != null || r.report != null || now - r.updatedAt <= quietFor) continue
      this.c.log?.(`forgetting ${r.jobId}: only offers were heard, and nothing for ${Math.round(quietFor / 1000)} s`)
      this.records.delete(r.jobId)
      this.elections.delete(r.jobId)
      this.stopCoordinating(r.jobId)
      this.worker.jobEnded(r.jobId)
      this.c.store.remove(r.jobId).catch((err) => { this.c.log?.(`cannot remove ${r.jobId} from history: ${err?.message}`) })
    }
  }

  /** How much history the store keeps ([jobs] retention*). */
  private get retention (): { maxJobs: number, maxAgeMs: number } {
    return { maxJobs: this.config.retentionMaxJobs, maxAgeMs: this.config.retentionMaxAgeDays * 86_400_000 }
  }

  private async prune (): Promise<void> {
    const keep = new Set([...this.records.values()].filter(r => r.report == null).map(r => r.jobId))
    const removed = await this.c.store.prune(this.retention, keep, this.now()).catch(() => [])
    for (const id of removed) this.records.delete(id)
  }

  /**
   * Members that count for jobs: alive or merely suspect. A box slow to send presence
   * under load is not gone; leases and heartbeats catch the silent ones, and a killed
   * process is dead within about 2 s.
   */
  private live (): Member[] {
    return this.c.membership.list().filter(m => m.state !== 'dead')
  }

  /** One tick as soon as the current event is handled (coalesced). */
  private readonly tickSoon = coalescedSoon(() => { if (this.state.type === 'running') this.tick() })

  private tick (): void {
    this.forgetOrphans()
    const alive = this.live().map(m => m.peerId)
    const ask: string[] = []
    for (const due of this.elections.due(this.records, alive)) {
      if ('ask' in due) { ask.push(due.jobId); continue }
      if (due.takeover) this.c.log?.(`lease of ${due.jobId} lapsed; claiming epoch ${due.epoch}`)
      void this.send({ type: 'job.claim', jobId: due.jobId, epoch: due.epoch, coordinator: this.self, coordinatorName: this.c.selfName, leaseMs: this.config.leaseMs }).catch(() => {})
    }
    if (ask.length > 0) {
      this.c.log?.(`lease of ${ask.join(', ')} lapsed with the coordinator alive; asking for the report first`)
      void this.send({ type: 'job.fetch', jobIds: ask.slice(0, 500) }).catch(() => {})
    }
  }

  // ---- the API used by the control methods ----

  /** Gossips a new job; resolves with its id. */
  async submit (input: { prompt: string, targets?: string[] | null, deadlineS?: number }): Promise<string> {
    const prompt = input.prompt.trim()
    if (prompt === '') throw new JobRejectedError('the prompt is empty', 'ERR_EMPTY_PROMPT')
    if (prompt.length > MAX_PROMPT) throw new JobRejectedError(`the prompt is longer than ${MAX_PROMPT} characters`, 'ERR_PROMPT_TOO_LONG')
    if (this.config.submitters.length > 0 && !this.config.submitters.includes(this.self)) {
      throw new JobRejectedError('this peer is not allowed to submit jobs ([jobs] submitters)', 'ERR_NOT_ALLOWED')
    }
    const deadlineS = Math.min(input.deadlineS ?? this.config.defaultDeadlineS, this.config.maxDeadlineS)
    const now = this.now()
    const jobId = `j${now.toString(36)}${randomBytes(3).toString('hex')}`
    await this.send({
      type: 'job.submitted', jobId, epoch: 0, prompt, targets: input.targets != null && input.targets.length > 0 ? input.targets : null,
      submitter: this.self, submitterName: this.c.selfName, submittedAt: now, deadline: now + deadlineS * 1000
    })
    return jobId
  }

  /** Resolves jobId or a unique prefix of it. */
  resolve (idOrPrefix: string): JobRecord {
    const exact = this.records.get(idOrPrefix)
    if (exact?.submitted != null) return exact
    const matches = [...this.records.values()].filter(r => r.submitted != null && r.jobId.startsWith(idOrPrefix))
    if (matches.length === 0) throw new JobNotFoundError(idOrPrefix)
    if (matches.length > 1) {
      // newest first, as `swarm jobs` lists them
      const candidates = matches.sort((a, b) => b.submitted!.submittedAt - a.submitted!.submittedAt).map(r => ({ jobId: r.jobId, status: r.status, prompt: r.submitted!.prompt }))
      throw new JobAmbiguousError(idOrPrefix, candidates)
    }
    return matches[0]
  }

  report (idOrPrefix: string): JobReport {
    const record = this.resolve(idOrPrefix)
    return record.report ?? buildReport({ record, now: this.now(), nameOf: id => this.c.membership.get(id)?.name })
  }

  /** Asks the swarm for a job's report (a report that did not reach us, e.g. past the deadline). */
  async requestReport (jobId: string): Promise<void> {
    await this.send({ type: 'job.fetch', jobIds: [jobId] }).catch(() => {})
  }

  counts (jobId: string) {
    const r = this.records.get(jobId)
    return r != null ? taskCounts(r) : null
  }

  list (): JobSummary[] {
    return [...this.records.values()].filter(r => r.submitted != null).map(r => ({
      jobId: r.jobId,
      prompt: r.submitted!.prompt,
      status: r.status,
      coordinator: r.coordinatorName ?? (r.coordinator != null ? this.c.membership.get(r.coordinator)?.name ?? null : null),
      epoch: r.epoch,
      submittedAt: r.submitted!.submittedAt,
      submitter: r.submitted!.submitterName,
      tasks: r.tasks.size,
      done: [...r.tasks.values()].filter(t => t.state === 'done').length
    })).sort((a, b) => b.submittedAt - a.submittedAt)
  }

  stats () {
    return { drops: this.drops.snapshot(), dropped: this.drops.total, ...this.counters, jobs: this.records.size, coordinating: [...this.coordinators.keys()], tasksRunning: this.worker.tasksRunning }
  }
}
