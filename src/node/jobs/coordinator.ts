/**
 * The coordinator of one job, alive only while this peer holds the job's lease. It
 * decomposes the job (or, after a takeover, resumes the plan in the replicated log),
 * offers tasks, grants claims, watches heartbeats, re-offers or gives up on tasks of
 * dark workers, includes members that join a fleet-wide job, and finally synthesizes
 * and gossips the report. All it knows is in the JobRecord, so any peer can take over.
 */
import type { MessageOf, OutgoingMessage } from '../../gossip/messages.ts'
import type { Member } from '../../gossip/types.ts'
import type { JobBrain, PlannedTask, Synthesis, TaskReportInput, ToolCallRecord, Finding, VerifiedFinding, TaskOutcome } from '../../think/types.ts'
import { rankPeers } from '../../election/rendezvous.ts'
import { boundReport } from './bound.ts'
import { buildReport } from './report.ts'
import { coalescedSoon } from './soon.ts'
import { isTerminal, type JobRecord, type TaskRecord } from './state.ts'

export interface CoordinatorComponents {
  self: string
  selfName: string
  send: (message: OutgoingMessage) => Promise<void>
  jobBrain: JobBrain
  /** members that count as live (alive or suspect), self included */
  alive: () => Member[]
  member: (peerId: string) => Member | undefined
  now: () => number
  /** re-checks findings against the tool data they cite (think's verifier) */
  verify?: (findings: Finding[], toolCalls: ToolCallRecord[]) => VerifiedFinding[]
  log?: (line: string) => void
}

export interface CoordinatorOptions {
  progressTimeoutMs: number
  offerRetryMs: number
  claimWindowMs: number
  unreachableWaitMs: number
  tickMs: number
}

type Phase =
  | { type: 'planning' }
  | { type: 'fanning-out', allTerminalSince: number | null }
  | { type: 'finishing' }
  | { type: 'stopped' }

export class Coordinator {
  private phase: Phase = { type: 'planning' }
  private timer: NodeJS.Timeout | undefined
  private readonly abort = new AbortController()
  private readonly lastOfferAt = new Map<string, number>()
  /** when the current attempt of a task was first offered */
  private readonly firstOfferAt = new Map<string, { attempt: number, at: number }>()
  /** unreachable host-bound tasks whose host we saw dark: offered again when it returns */
  private readonly darkSeen = new Set<string>()
  private readonly claims = new Map<string, { attempt: number, claims: Array<{ worker: string, load: number }>, timer: NodeJS.Timeout }>()

  constructor (
    private readonly c: CoordinatorComponents,
    private readonly options: CoordinatorOptions,
    private readonly record: JobRecord,
    readonly epoch: number
  ) {}

  start (): void {
    if (this.timer != null || this.phase.type === 'stopped') return
    this.timer = setInterval(() => { this.tick() }, this.options.tickMs)
    if (this.record.plan == null) {
      void this.plan()
    } else {
      // a takeover: the host of an unreachable task may have come back while nobody led
      for (const t of this.record.tasks.values()) if (t.state === 'unreachable') this.darkSeen.add(t.taskId)
      this.phase = { type: 'fanning-out', allTerminalSince: null }
    }
  }

  stop (): void {
    this.phase = { type: 'stopped' }
    clearInterval(this.timer)
    for (const p of this.claims.values()) clearTimeout(p.timer)
    this.claims.clear()
    this.abort.abort(new Error('coordinator stopped'))
  }

  get stopped (): boolean { return this.phase.type === 'stopped' }

  private get jobId (): string { return this.record.jobId }
  private get deadline (): number { return this.record.submitted?.deadline ?? Infinity }

  private async send (message: OutgoingMessage): Promise<void> {
    if (this.phase.type === 'stopped') return
    await this.c.send(message).catch((err) => { this.c.log?.(`send ${message.type} failed: ${err?.message}`) })
  }

  /** Members the job is for: its targets (alive or not), or every live member. */
  private targetMembers (): Array<{ peerId: string, name: string, member?: Member }> {
    const targets = this.record.submitted?.targets
    if (targets == null) return this.c.alive().map(m => ({ peerId: m.peerId, name: m.name, member: m }))
    return targets.map(id => { const m = this.c.member(id); return { peerId: id, name: m?.name ?? id.slice(-8), member: m } })
  }

  private async plan (): Promise<void> {
    const sub = this.record.submitted
    if (sub == null) return
    const members = this.targetMembers()
    let tasks: PlannedTask[]
    let brain
    try {
      const plan = await this.c.jobBrain.decompose({ jobId: this.jobId, prompt: sub.prompt },
        members.map(m => ({ peerId: m.peerId, name: m.name, platform: m.member?.presence.platform, tags: m.member?.presence.tags })), { signal: this.abort.signal })
      tasks = plan.tasks
      brain = plan.brain
    } catch (err: any) {
      if (this.stopped) return
      this.c.log?.(`decompose failed (${err?.message}); one task per host`)
      tasks = members.map((m, i) => ({ taskId: `t${i + 1}`, host: m.peerId, prompt: sub.prompt }))
      brain = { kind: 'playbook' as const, reason: 'fallback' as const }
    }
    if (this.stopped) return
    const names = new Map(members.map(m => [m.peerId, m.name]))
    // one plan message holds every prompt: long ones are cut so it always fits
    const room = Math.floor(512 * 1024 / Math.max(1, tasks.length))
    if (tasks.some(t => t.prompt.length > room)) tasks = tasks.map(t => ({ ...t, prompt: t.prompt.length > room ? t.prompt.slice(0, Math.max(200, room - 20)) + ' [...cut]' : t.prompt }))
    await this.send({
      type: 'job.plan',
      jobId: this.jobId,
      epoch: this.epoch,
      tasks: tasks.map(t => ({ taskId: t.taskId, host: t.host, hostName: t.host != null ? names.get(t.host) ?? this.c.member(t.host)?.name : undefined, prompt: t.prompt })),
      brain,
      loads: members.map(m => ({ peerId: m.peerId, name: m.name, load: m.member?.presence.load[0] ?? 0 }))
    })
    this.phase = { type: 'fanning-out', allTerminalSince: null }
    // no plan in the log (it could not be sent) or nothing to do: end now as failed, do not hang
    if (this.record.plan == null || this.record.tasks.size === 0) { void this.finish('done'); return }
    this.tick()
  }

  /** A fleet-wide job includes members that join while it is fanning out. */
  private async includeNewMembers (): Promise<void> {
    if (this.record.submitted?.targets != null || this.record.plan == null) return
    const covered = new Set([...this.record.tasks.values()].map(t => t.host))
    const fresh = this.c.alive().filter(m => !covered.has(m.peerId))
    if (fresh.length === 0) return
    const template = [...this.record.tasks.values()].find(t => t.host != null)?.prompt ?? this.record.submitted?.prompt ?? ''
    let n = this.record.tasks.size
    const tasks = fresh.map(m => ({ taskId: `t${++n}-${m.peerId.slice(-6)}`, host: m.peerId, hostName: m.name, prompt: template }))
    const loads = [...this.record.plan.loads, ...fresh.map(m => ({ peerId: m.peerId, name: m.name, load: m.presence.load[0] ?? 0 }))]
    this.c.log?.(`including ${fresh.map(m => m.name).join(', ')} that joined mid-job`)
    await this.send({ type: 'job.plan', jobId: this.jobId, epoch: this.epoch, tasks, brain: this.record.plan.brain, loads })
  }

  private isAlive (peerId: string): boolean {
    return this.c.alive().some(m => m.peerId === peerId)
  }

  /**
   * A tick as soon as the current event is handled, coalesced: the last result (or a task
   * given up) ends the job now rather than on the next timer tick, up to tickMs later.
   */
  readonly poke = coalescedSoon(() => { this.tick() })

  tick (): void {
    const phase = this.phase
    if (phase.type !== 'fanning-out') return
    const now = this.c.now()
    if (now >= this.deadline) { void this.finish('deadline'); return }
    void this.includeNewMembers()
    for (const task of this.record.tasks.values()) this.tickTask(task, now)
    const tasks = [...this.record.tasks.values()]
    if (tasks.length === 0 || !tasks.every(t => isTerminal(t.state))) { phase.allTerminalSince = null; return }
    phase.allTerminalSince ??= now
    const waiting = tasks.some(t => t.state === 'unreachable')
    if (!waiting || now - phase.allTerminalSince >= this.options.unreachableWaitMs) void this.finish('done')
  }

  private tickTask (task: TaskRecord, now: number): void {
    const since = now - (this.lastOfferAt.get(task.taskId) ?? -Infinity)
    switch (task.state) {
      case 'pending':
      case 'offered':
        if (since < this.retryInterval(task, now)) return
        if (task.host != null && !this.isAlive(task.host)) {
          this.darkSeen.add(task.taskId)
          void this.markState(task, 'unreachable', 'host is not alive')
          return
        }
        if (task.host != null && task.state === 'offered' && this.offeredFor(task, now) > this.options.progressTimeoutMs * 3 && !this.busy(task.host)) {
          // alive but silent (no jobs service, or busy for long): a late claim is still granted
          void this.markState(task, 'unreachable', 'host did not claim its task')
          return
        }
        void this.offer(task, task.state === 'pending' ? task.attempt + 1 : task.attempt)
        return
      case 'running': {
        const worker = task.worker
        const silent = task.lastProgressAt == null || now - task.lastProgressAt > this.options.progressTimeoutMs
        const gone = worker == null || !this.isAlive(worker)
        if (!gone && !silent) return
        if (!gone) {
          // alive but silent: a lost result or lost heartbeats. Offer again: the worker answers
          // from its cache, claims it back if still running, or runs it if it lost it
          if (since >= this.options.progressTimeoutMs) void this.offer(task, task.attempt + 1)
          return
        }
        if (task.host != null) {
          this.darkSeen.add(task.taskId)
          void this.markState(task, 'unreachable', 'host went dark mid-task')
        } else {
          void this.offer(task, task.attempt + 1, worker != null ? [worker] : undefined)
        }
        return
      }
      case 'unreachable':
        if (task.host == null) return
        if (!this.isAlive(task.host)) { this.darkSeen.add(task.taskId); return }
        // the host is back before the deadline: run its task again
        if (this.darkSeen.has(task.taskId) && since >= this.options.offerRetryMs) {
          this.darkSeen.delete(task.taskId)
          void this.offer(task, task.attempt + 1)
        }
    }
  }

  /** A host running tasks (of this job, or any, by its presence) queues our offer for a free slot. */
  private busy (host: string): boolean {
    for (const t of this.record.tasks.values()) if (t.state === 'running' && t.worker === host) return true
    return (this.c.member(host)?.presence.tasksRunning ?? 0) > 0
  }

  /** Offers nobody claims (hosts busy with other tasks) are repeated less and less often. */
  private retryInterval (task: TaskRecord, now: number): number {
    const waited = this.offeredFor(task, now)
    return Math.min(this.options.offerRetryMs * 8, Math.max(this.options.offerRetryMs, waited / 2))
  }

  private offeredFor (task: TaskRecord, now: number): number {
    const first = this.firstOfferAt.get(task.taskId)
    return first != null && first.attempt === task.attempt ? now - first.at : 0
  }

  private async offer (task: TaskRecord, attempt: number, exclude?: string[]): Promise<void> {
    this.lastOfferAt.set(task.taskId, this.c.now())
    if (this.firstOfferAt.get(task.taskId)?.attempt !== attempt) this.firstOfferAt.set(task.taskId, { attempt, at: this.c.now() })
    await this.send({ type: 'task.offer', jobId: this.jobId, epoch: this.epoch, taskId: task.taskId, host: task.host, hostName: task.hostName, prompt: task.prompt, attempt, ...(exclude != null ? { exclude } : {}) })
  }

  private async markState (task: TaskRecord, state: 'unreachable' | 'error', reason: string): Promise<void> {
    this.lastOfferAt.set(task.taskId, this.c.now())
    this.c.log?.(`task ${task.taskId} ${state}: ${reason}`)
    await this.send({ type: 'task.state', jobId: this.jobId, epoch: this.epoch, taskId: task.taskId, attempt: Math.max(1, task.attempt), state, reason })
  }

  /** A task.claim (already authorized: the host for host-bound tasks). */
  onClaim (claim: MessageOf<'task.claim'>): void {
    if (this.phase.type !== 'fanning-out') return
    const task = this.record.tasks.get(claim.taskId)
    if (task == null || task.state === 'done' || task.state === 'error' || claim.attempt !== task.attempt) return
    const granted = task.grants[claim.attempt]
    if (granted != null) {
      // the worker missed our grant (or a new coordinator re-offered its running task)
      if (granted === claim.worker) void this.grant(task, claim.attempt, claim.worker)
      return
    }
    if (task.host != null) { void this.grant(task, claim.attempt, claim.worker); return }
    let pending = this.claims.get(task.taskId)
    if (pending == null || pending.attempt !== claim.attempt) {
      if (pending != null) clearTimeout(pending.timer)
      const timer = setTimeout(() => { this.decide(task) }, this.options.claimWindowMs)
      pending = { attempt: claim.attempt, claims: [], timer }
      this.claims.set(task.taskId, pending)
    }
    pending.claims.push({ worker: claim.worker, load: claim.load })
  }

  /** Grants a host-agnostic task to the least-loaded claimant (rendezvous breaks ties). */
  private decide (task: TaskRecord): void {
    const pending = this.claims.get(task.taskId)
    this.claims.delete(task.taskId)
    if (pending == null || this.stopped || task.grants[pending.attempt] != null) return
    const live = pending.claims.filter(c => this.isAlive(c.worker))
    if (live.length === 0) return
    const least = Math.min(...live.map(c => c.load))
    const order = rankPeers(`${this.jobId}/${task.taskId}`, live.filter(c => c.load === least).map(c => c.worker))
    void this.grant(task, pending.attempt, order[0])
  }

  private async grant (task: TaskRecord, attempt: number, worker: string): Promise<void> {
    await this.send({ type: 'task.grant', jobId: this.jobId, epoch: this.epoch, taskId: task.taskId, attempt, worker, workerName: this.c.member(worker)?.name })
  }

  private async finish (why: 'done' | 'deadline'): Promise<void> {
    if (this.phase.type !== 'fanning-out') return
    this.phase = { type: 'finishing' }
    for (const task of this.record.tasks.values()) {
      if (isTerminal(task.state)) continue
      const dark = task.state !== 'running' || (task.worker != null && !this.isAlive(task.worker))
      await this.markState(task, dark ? 'unreachable' : 'error', why === 'deadline' ? 'job deadline reached' : 'job ended')
    }
    const sub = this.record.submitted
    const inputs: TaskReportInput[] = [...this.record.tasks.values()].map(t => ({
      taskId: t.taskId,
      host: t.host ?? t.result?.worker ?? null,
      hostName: t.hostName ?? t.result?.workerName,
      state: t.state === 'done' ? 'done' : t.state === 'unreachable' ? 'unreachable' : 'error',
      ...(t.result != null ? { outcome: this.reverified(t.result.outcome as TaskOutcome) } : {})
    }))
    let synthesis: Synthesis
    try {
      synthesis = await this.c.jobBrain.synthesize({ jobId: this.jobId, prompt: sub?.prompt ?? '' }, inputs, { signal: this.abort.signal })
    } catch (err: any) {
      if (this.stopped) return
      synthesis = {
        summary: `synthesis failed (${String(err?.message ?? err)}); findings are listed per host`,
        findings: inputs.flatMap(i => (i.outcome?.findings ?? []).map(f => ({ ...f, host: i.host, hostName: i.hostName }))),
        brain: { kind: 'playbook', reason: 'fallback' }
      }
    }
    if (this.stopped) return
    const report = boundReport(buildReport({
      record: this.record,
      now: this.c.now(),
      endedAt: this.c.now(),
      synthesis,
      nameOf: id => this.c.member(id)?.name,
      loadOf: id => this.c.member(id)?.presence.load[0]
    }))
    await this.send({ type: 'job.result', jobId: this.jobId, epoch: this.epoch, report })
    this.stop()
  }

  /** The worker verified its findings; check again here where the cited data travelled along. */
  private reverified (outcome: TaskOutcome): TaskOutcome {
    if (this.c.verify == null || !outcome.toolCalls.some(c => c.data != null)) return outcome
    try {
      const again = this.c.verify(outcome.findings, outcome.toolCalls)
      // keep the worker's verdict where our copy lacks the data it needed
      const findings = again.map((f, i) => f.verified == null && outcome.findings[i]?.verified != null ? outcome.findings[i] : f)
      return { ...outcome, findings }
    } catch {
      return outcome
    }
  }
}
