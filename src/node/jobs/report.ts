/**
 * Builds the job report (docs/report.md) from a job record: the final one the
 * coordinator gossips in job.result, and the "so far" one `swarm show` prints for a
 * job still running. Pure: everything it needs is passed in.
 */
import type { HostState, JobReport, JobStatus, ReportFinding, ReportTask } from '../../gossip/messages-report.ts'
import type { Synthesis } from '../../think/types.ts'
import type { JobRecord, TaskRecord } from './state.ts'

export interface ReportInput {
  record: JobRecord
  now: number
  /** set for the final report */
  endedAt?: number
  synthesis?: Synthesis
  /** a display name for a peerId (membership), when the log has none */
  nameOf?: (peerId: string) => string | undefined
  /** current load1 of a peer, for loadAfter */
  loadOf?: (peerId: string) => number | undefined
}

export function finalStatus (record: JobRecord): Exclude<JobStatus, 'running'> {
  const tasks = [...record.tasks.values()]
  const done = tasks.filter(t => t.state === 'done').length
  if (tasks.length === 0 || done === 0) return 'failed'
  return done === tasks.length ? 'completed' : 'partial'
}

export function buildReport (input: ReportInput): JobReport {
  const { record, now } = input
  const sub = record.submitted
  const names = new Map<string, string>()
  for (const l of record.plan?.loads ?? []) names.set(l.peerId, l.name)
  for (const t of record.tasks.values()) {
    if (t.host != null && t.hostName != null) names.set(t.host, t.hostName)
    if (t.worker != null && t.workerName != null) names.set(t.worker, t.workerName)
    if (t.result?.workerName != null) names.set(t.result.worker, t.result.workerName)
  }
  const nameOf = (peerId: string | null): string | null => {
    if (peerId == null) return null
    return names.get(peerId) ?? input.nameOf?.(peerId) ?? peerId.slice(-8)
  }

  const tasks: ReportTask[] = [...record.tasks.values()].map(t => reportTask(t, nameOf))
  const hostsById = new Map<string, HostState>()
  for (const t of record.tasks.values()) {
    if (t.host == null) continue
    hostsById.set(t.host, worse(hostsById.get(t.host), hostStateOf(t)))
  }
  const hosts = [...hostsById.entries()].map(([peerId, state]) => ({ name: nameOf(peerId) ?? peerId, peerId, state }))

  const findings: ReportFinding[] = input.synthesis != null
    ? input.synthesis.findings.map(f => ({
      host: f.hostName ?? nameOf(f.host), severity: f.severity, title: f.title, detail: f.detail, evidence: f.evidence, verified: f.verified, claims: f.claims, checks: f.checks
    }))
    : [...record.tasks.values()].flatMap(t => (t.result?.outcome.findings ?? []).map(f => ({
      host: nameOf(t.host ?? t.result?.worker ?? null), severity: f.severity, title: f.title, detail: f.detail, evidence: f.evidence, verified: f.verified, claims: f.claims, checks: f.checks
    }))).sort(bySeverity)

  const perHost = new Map<string, { tasks: number, toolCalls: number, ms: number[] }>()
  const hostEntry = (peerId: string) => {
    let e = perHost.get(peerId)
    if (e == null) { e = { tasks: 0, toolCalls: 0, ms: [] }; perHost.set(peerId, e) }
    return e
  }
  for (const peerId of hostsById.keys()) hostEntry(peerId)
  for (const t of record.tasks.values()) {
    const r = t.result
    if (r == null) continue
    const e = hostEntry(r.worker)
    e.tasks++
    e.toolCalls += r.outcome.toolCalls.length
    e.ms.push(r.outcome.ms)
  }
  const loadsBefore = new Map((record.plan?.loads ?? []).map(l => [l.peerId, l.load]))
  const status: JobStatus = input.endedAt != null ? finalStatus(record) : 'running'
  const done = tasks.filter(t => t.state === 'done').length
  const submittedAt = sub?.submittedAt ?? now
  return {
    v: 1,
    jobId: record.jobId,
    prompt: sub?.prompt ?? '',
    status,
    submitter: { name: sub?.submitterName ?? '', peerId: sub?.submitter ?? '' },
    submittedAt,
    deadline: sub?.deadline ?? now,
    endedAt: input.endedAt ?? null,
    coordinator: record.coordinator != null ? { name: record.coordinatorName ?? nameOf(record.coordinator) ?? '', peerId: record.coordinator } : null,
    epoch: record.epoch,
    wallMs: Math.max(0, (input.endedAt ?? now) - submittedAt),
    hosts,
    tasks,
    findings,
    summary: input.synthesis?.summary ?? (status === 'running' ? 'still running' : ''),
    brains: { plan: record.plan?.brain ?? null, summary: input.synthesis?.brain ?? null },
    stats: {
      tasks: tasks.length,
      succeeded: done,
      failed: tasks.filter(t => t.state === 'error').length,
      unreachable: tasks.filter(t => t.state === 'unreachable').length,
      toolCalls: tasks.reduce((n, t) => n + t.toolCalls.length, 0),
      perHost: [...perHost.entries()].map(([peerId, e]) => ({
        name: nameOf(peerId) ?? peerId,
        peerId,
        tasks: e.tasks,
        toolCalls: e.toolCalls,
        avgTaskMs: e.ms.length > 0 ? Math.round(e.ms.reduce((a, b) => a + b, 0) / e.ms.length) : null,
        loadBefore: loadsBefore.get(peerId) ?? null,
        loadAfter: input.loadOf?.(peerId) ?? null
      }))
    }
  }
}

function reportTask (t: TaskRecord, nameOf: (id: string | null) => string | null): ReportTask {
  const o = t.result?.outcome
  return {
    taskId: t.taskId,
    host: nameOf(t.host),
    hostPeerId: t.host,
    worker: nameOf(t.result?.worker ?? t.worker),
    state: t.state,
    attempts: Object.keys(t.grants).length,
    ms: o?.ms ?? null,
    brain: o?.brain ?? null,
    toolCalls: (o?.toolCalls ?? []).map(c => ({ id: c.id, tool: c.tool, args: c.args, ok: c.ok, ms: c.ms, digest: c.digest, ...(c.error != null ? { error: c.error } : {}) })),
    findings: o?.findings ?? [],
    ...(o != null ? { answer: o.answer } : {}),
    ...(t.reason != null ? { error: t.reason } : {})
  }
}

function hostStateOf (t: TaskRecord): HostState {
  switch (t.state) {
    case 'pending':
    case 'offered': return 'pending'
    case 'running': return 'running'
    case 'error': return 'error'
    case 'unreachable': return 'unreachable'
    case 'done': return (t.result?.outcome.findings ?? []).some(f => f.severity !== 'info') ? 'findings' : 'ok'
  }
}

const HOST_ORDER: HostState[] = ['ok', 'findings', 'pending', 'running', 'error', 'unreachable']
function worse (a: HostState | undefined, b: HostState): HostState {
  if (a == null) return b
  return HOST_ORDER.indexOf(a) >= HOST_ORDER.indexOf(b) ? a : b
}

const SEVERITY = { critical: 0, warning: 1, info: 2 }
function bySeverity (a: ReportFinding, b: ReportFinding): number {
  return SEVERITY[a.severity] - SEVERITY[b.severity] || Number(b.verified === true) - Number(a.verified === true)
}
