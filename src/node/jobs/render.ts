/**
 * The job report for people (what `swarm run` and `swarm show` print without --json),
 * and the exit code a report maps to.
 */
import type { JobReport } from '../../gossip/messages-report.ts'
import type { BrainInfo } from '../../think/types.ts'

/** 0 completed, 3 partial (some host unreachable or failed), 1 failed or unfinished. */
export function exitCodeOf (report: JobReport): number {
  switch (report.status) {
    case 'completed': return 0
    case 'partial': return 3
    default: return 1
  }
}

export function brainLabel (brain: BrainInfo | null): string {
  if (brain == null) return '-'
  return brain.kind === 'playbook' ? `playbook (${brain.reason})` : `${brain.model} @ ${brain.endpoint}`
}

function secs (ms: number | null): string {
  if (ms == null) return '-'
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`
}

function pad (rows: string[][]): string[] {
  const widths = rows[0].map((_, i) => Math.max(...rows.map(r => r[i].length)))
  return rows.map(r => r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd())
}

export function renderReport (r: JobReport): string {
  const out: string[] = []
  const coord = r.coordinator != null ? `coordinator ${r.coordinator.name} (epoch ${r.epoch})` : 'no coordinator yet'
  out.push(`job ${r.jobId}: ${r.status.toUpperCase()}, ${r.stats.succeeded}/${r.stats.tasks} tasks done in ${secs(r.wallMs)}, ${coord}`)
  out.push(`prompt: ${r.prompt}`)
  out.push(`submitted by ${r.submitter.name} at ${new Date(r.submittedAt).toISOString()}`)
  out.push('')
  const hostRows = [['HOST', 'STATE', 'TASKS', 'TOOL CALLS', 'AVG TASK', 'LOAD BEFORE/AFTER']]
  for (const h of r.hosts) {
    const s = r.stats.perHost.find(p => p.peerId === h.peerId)
    hostRows.push([h.name, h.state, String(s?.tasks ?? 0), String(s?.toolCalls ?? 0), secs(s?.avgTaskMs ?? null), `${s?.loadBefore?.toFixed(2) ?? '-'}/${s?.loadAfter?.toFixed(2) ?? '-'}`])
  }
  if (r.hosts.length > 0) out.push(...pad(hostRows), '')
  const taskRows = [['TASK', 'HOST', 'WORKER', 'STATE', 'ATTEMPTS', 'TIME', 'BRAIN', 'TOOLS']]
  for (const t of r.tasks) {
    taskRows.push([t.taskId, t.host ?? '(any)', t.worker ?? '-', t.state, String(t.attempts), secs(t.ms), brainLabel(t.brain), t.toolCalls.map(c => c.ok ? c.tool : `${c.tool}!`).join(',') || '-'])
  }
  if (r.tasks.length > 0) out.push(...pad(taskRows), '')
  if (r.findings.length > 0) {
    out.push('FINDINGS')
    for (const f of r.findings) {
      const mark = f.verified === true ? 'verified' : f.verified === false ? 'UNVERIFIED' : 'not checkable'
      out.push(`  ${f.severity.toUpperCase().padEnd(8)} ${f.host ?? '-'}: ${f.title} [${mark}]`)
      if (f.detail !== '') out.push(`           ${f.detail.split('\n')[0].slice(0, 200)}`)
      for (const c of f.checks.filter(c => c.verified === false)) {
        out.push(`           claim ${c.claim.metric}${c.claim.subject != null ? ` of ${c.claim.subject}` : ''} = ${String(c.claim.value)}${c.claim.unit ?? ''}, evidence says ${String(c.observed ?? '?')}`)
      }
    }
    out.push('')
  } else {
    out.push('FINDINGS: none', '')
  }
  for (const t of r.tasks.filter(t => t.error != null)) out.push(`${t.taskId} (${t.host ?? t.worker ?? '-'}): ${t.error}`)
  out.push('SUMMARY', ...r.summary.split('\n').map(l => `  ${l}`))
  out.push(`(plan: ${brainLabel(r.brains.plan)}; summary: ${brainLabel(r.brains.summary)})`)
  return out.join('\n') + '\n'
}
