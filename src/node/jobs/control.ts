/**
 * The control methods behind `swarm run`, `swarm jobs`, `swarm show` and `swarm status`:
 * job.run (streams progress events, resolves with the report), job.list, job.show,
 * jobs.stats (drop counters and totals), jobs.status (what `swarm status` shows of jobs,
 * tasks and the inference pool).
 */
import type { JobReport } from '../../gossip/messages-report.ts'
import type { MembershipView } from '../../gossip/types.ts'
import type { EndpointStats } from '../../think/pool.ts'
import type { ControlServer } from '../control-server.ts'
import { JobRejectedError } from './errors.ts'
import type { JobsService, JobSummary } from './service.ts'

/** Events job.run streams before its result (see docs/report.md). */
export type JobRunEvent =
  | { type: 'submitted', jobId: string, deadline: number }
  | { type: 'coordinator', epoch: number, peerId: string, name: string }
  | { type: 'task', taskId: string, host: string | null, state: string, worker: string | null, ms: number | null, findings: number }
  | { type: 'progress', tasks: number, pending: number, running: number, done: number, error: number, unreachable: number }

/** The answer of `jobs.status`, the jobs half of `swarm status --json`. */
export interface JobsStatus {
  /** one line: which brain tasks think with, and why */
  brain: string | null
  /** every endpoint in this peer's inference pool (configured and offered by peers) */
  endpoints: Array<EndpointStats & { cooling: boolean }>
  tasks: { running: number, slots: number }
  jobs: { known: number, running: number, ended: number, completed: number, partial: number, failed: number, coordinating: string[] }
  /** job messages dropped at the edge, by reason */
  drops: { total: number, reasons: Record<string, number> }
}

/** What the job methods read besides the service; absent parts show as empty. */
export interface JobMethodsOptions {
  graceMs: number
  pool?: { stats: () => EndpointStats[] }
  describeBrain?: () => string
}

/**
 * Resolves names, hostnames or peerIds (or a unique peerId suffix) to peerIds. A name that
 * a dead member and one live member share (a box re-initialised with a new identity, or
 * replaced) means the live one; only several live (or several dead) matches are ambiguous.
 */
export function resolveTargets (membership: MembershipView, targets: string[]): string[] {
  const members = membership.list()
  return targets.map(t => {
    const exact = members.find(m => m.peerId === t)
    if (exact != null) return exact.peerId
    const hits = members.filter(m => m.name === t || m.presence.hostname === t)
    const matched = hits.length > 0 ? hits : members.filter(m => t.length >= 6 && m.peerId.endsWith(t))
    const live = matched.filter(m => m.state !== 'dead')
    const candidates = live.length > 0 ? live : matched
    if (candidates.length === 0) throw new JobRejectedError(`no member named '${t}' (see swarm peers)`, 'ERR_UNKNOWN_TARGET')
    if (candidates.length > 1) {
      const which = candidates.map(m => `${m.name} ${m.peerId.slice(-8)} (${m.state})`).join(', ')
      throw new JobRejectedError(`'${t}' names ${candidates.length} members: ${which}; use a peerId`, 'ERR_AMBIGUOUS_TARGET')
    }
    return candidates[0].peerId
  })
}

export function registerJobMethods (control: ControlServer, service: JobsService, membership: MembershipView, options: JobMethodsOptions): void {
  control.handle('job.run', async (params: { prompt?: unknown, targets?: unknown, deadline?: unknown }, { emit, signal }) => {
    if (typeof params.prompt !== 'string') throw new JobRejectedError('prompt must be a string', 'ERR_BAD_PARAMS')
    const targetNames = Array.isArray(params.targets) ? params.targets.map(String) : []
    const deadlineS = typeof params.deadline === 'number' && params.deadline > 0 ? params.deadline : undefined
    const targets = targetNames.length > 0 ? [...new Set(resolveTargets(membership, targetNames))] : null

    // listen before submitting: a fast job could end before we subscribe
    let jobId = ''
    let finish: (r: JobReport | null) => void = () => {}
    const ended = new Promise<JobReport | null>(resolve => { finish = resolve })
    const onDone = (r: JobReport) => { if (r?.jobId === jobId) finish(r) }
    const onElection = (e: { jobId: string, epoch: number, coordinator: string }) => {
      if (e.jobId === jobId) emit({ type: 'coordinator', epoch: e.epoch, peerId: e.coordinator, name: membership.get(e.coordinator)?.name ?? e.coordinator } satisfies JobRunEvent)
    }
    const onTask = (e: { jobId: string, taskId: string }) => {
      if (e.jobId !== jobId) return
      const t = service.report(jobId).tasks.find(x => x.taskId === e.taskId)
      if (t == null) return
      emit({ type: 'task', taskId: t.taskId, host: t.host, state: t.state, worker: t.worker, ms: t.ms, findings: t.findings.length } satisfies JobRunEvent)
      emitCounts()
    }
    let last = ''
    const emitCounts = () => {
      const c = service.counts(jobId)
      if (c == null) return
      const line = JSON.stringify(c)
      if (line === last) return
      last = line
      emit({ type: 'progress', ...c } satisfies JobRunEvent)
    }
    service.on('job:done', onDone)
    service.on('election', onElection)
    service.on('task:done', onTask)
    const ticker = setInterval(emitCounts, 500)
    let guard: NodeJS.Timeout | undefined
    let asking: NodeJS.Timeout | undefined
    const onAbort = () => { finish(null) }
    signal.addEventListener('abort', onAbort, { once: true })
    try {
      jobId = await service.submit({ prompt: params.prompt, targets, deadlineS })
      const record = service.resolve(jobId)
      emit({ type: 'submitted', jobId, deadline: record.submitted!.deadline } satisfies JobRunEvent)
      // past the deadline with no report: ask for it (it may have been lost on its way to us);
      // well after the deadline (every peer gone?), answer with what we know
      const untilDeadline = Math.max(0, record.submitted!.deadline - Date.now())
      asking = setTimeout(() => {
        void service.requestReport(jobId)
        asking = setInterval(() => { void service.requestReport(jobId) }, 2000)
      }, untilDeadline + 2000)
      guard = setTimeout(() => { finish(null) }, untilDeadline + options.graceMs)
      const report = await ended
      return report ?? service.report(jobId)
    } finally {
      clearInterval(ticker)
      clearTimeout(guard)
      clearTimeout(asking)
      clearInterval(asking)
      signal.removeEventListener('abort', onAbort)
      service.off('job:done', onDone)
      service.off('election', onElection)
      service.off('task:done', onTask)
    }
  })

  control.handle('job.list', async (params: { limit?: unknown }) => {
    const limit = typeof params.limit === 'number' && params.limit > 0 ? params.limit : 1000
    return service.list().slice(0, limit)
  })

  control.handle('job.show', async (params: { jobId?: unknown }) => {
    if (typeof params.jobId !== 'string' || params.jobId === '') throw new JobRejectedError('jobId must be a string', 'ERR_BAD_PARAMS')
    // an exact id, or a prefix naming exactly one job (several: ERR_JOB_AMBIGUOUS, listing them)
    return service.report(params.jobId)
  })

  control.handle('jobs.stats', async () => service.stats())

  control.handle('jobs.status', async (): Promise<JobsStatus> => {
    const stats = service.stats()
    const jobs = service.list()
    const count = (status: JobSummary['status']) => jobs.filter(j => j.status === status).length
    const now = Date.now()
    return {
      brain: options.describeBrain?.() ?? null,
      endpoints: (options.pool?.stats() ?? []).map(e => ({ ...e, cooling: e.coolingDownUntil != null && e.coolingDownUntil > now })),
      tasks: { running: stats.tasksRunning, slots: service.config.maxConcurrentTasks },
      jobs: {
        known: jobs.length,
        running: count('running'),
        ended: jobs.length - count('running'),
        completed: count('completed'),
        partial: count('partial'),
        failed: count('failed'),
        coordinating: stats.coordinating
      },
      drops: { total: stats.dropped, reasons: stats.drops }
    }
  })
}
