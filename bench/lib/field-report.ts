/**
 * The field run's tables for a set of runs: the headline (tasks, wall, rate, tool
 * calls, task time), per box, and the swarm's own cost (efficiency and coordination
 * overhead p50/p95/max), each figure as a median with its spread over the runs.
 */
import type { FieldRun } from './field-run.ts'
import { mdTable, round } from './results.ts'
import { formatSpread, mean, spread, type Distribution } from './stats.ts'

const s = (xs: Array<number | null | undefined>, digits = 0, unit = '') => formatSpread(spread(xs), digits, unit)

export function headline (runs: FieldRun[]) {
  return runs.map(r => {
    const st = r.report.stats
    const taskMs = r.report.tasks.map(t => t.ms).filter((x): x is number => x != null)
    return {
      tasks: st.tasks,
      succeeded: st.succeeded,
      wallS: r.report.wallMs / 1000,
      tasksPerMin: st.succeeded / (r.report.wallMs / 60_000),
      toolCalls: st.toolCalls,
      avgTaskS: (mean(taskMs) ?? 0) / 1000,
      efficiency: r.overhead.efficiency,
      efficiencyWithModel: r.overhead.efficiencyWithModel,
      lowerBoundS: r.overhead.lowerBoundMs / 1000,
      lost: r.lost
    }
  })
}

export function fieldTables (runs: FieldRun[]): string {
  const h = headline(runs)
  const out: string[] = []
  out.push('## The field run\'s table, for this swarm', '')
  out.push(mdTable(['tasks succeeded', 'wall s', 'tasks/min', 'tool calls', 'avg task s', 'lost'], [[
    `${s(h.map(x => x.succeeded))} of ${s(h.map(x => x.tasks))}`, s(h.map(x => x.wallS), 1), s(h.map(x => x.tasksPerMin), 1),
    s(h.map(x => x.toolCalls)), s(h.map(x => x.avgTaskS), 1), s(h.map(x => x.lost))
  ]]))
  out.push('', '### Per box', '')
  const names = [...new Set(runs.flatMap(r => r.report.stats.perHost.map(p => p.name)))].sort((a, b) => a.localeCompare(b, undefined, { numeric: true }))
  out.push(mdTable(['box', 'tool calls', 'tasks', 'avg task s', 'load before', 'load after'], names.map(name => {
    const ps = runs.map(r => r.report.stats.perHost.find(p => p.name === name))
    return [name, s(ps.map(p => p?.toolCalls)), s(ps.map(p => p?.tasks)), s(ps.map(p => p?.avgTaskMs != null ? p.avgTaskMs / 1000 : null), 1),
      s(ps.map(p => p?.loadBefore), 2), s(ps.map(p => p?.loadAfter), 2)]
  })))
  out.push('', 'All boxes share one kernel here, so every box shows the machine\'s load average ' +
    `(1-min load before/after the job: ${s(runs.map(r => r.machineLoad[0]), 2)} / ${s(runs.map(r => r.machineLoad[1]), 2)}; ` +
    `CPU seconds all peers spent on the job: ${s(runs.map(r => r.cpu.reduce((a, c) => a + (c.cpuS ?? 0), 0)), 1)} over ${s(runs.map(r => r.report.wallMs / 1000), 1)} s of wall time).`, '')
  out.push('## What the swarm itself costs', '')
  out.push(mdTable(['lower bound s (tasks on 2 slots/box)', '+ plan and summary turns s', 'wall s', 'efficiency', 'efficiency incl. coordinator model turns'], [[
    s(h.map(x => x.lowerBoundS), 1), s(runs.map(r => r.overhead.lowerBoundWithModelMs / 1000), 1), s(h.map(x => x.wallS), 1),
    s(h.map(x => x.efficiency), 3), s(h.map(x => x.efficiencyWithModel), 3)
  ]]))
  out.push('', 'Coordination overhead per task, ms (p50 / p95 / max; median over runs, spread in brackets):', '')
  const dist = (pick: (r: FieldRun) => Distribution | null) => {
    const ds = runs.map(pick)
    return ['p50', 'p95', 'max'].map(k => s(ds.map(d => (d as any)?.[k]), 0)).join(' / ')
  }
  const one = (pick: (r: FieldRun) => number | null) => s(runs.map(pick), 0)
  out.push(mdTable(['stretch', 'ms'], [
    ['submit -> first offer (planning model turn taken out)', dist(r => r.overhead.submitToFirstOffer)],
    ['offer (slot free) -> task running', dist(r => r.overhead.offerToStart)],
    ['  a worker\'s first tasks (cold process: first HTTP request, model lookup)', dist(r => r.overhead.offerToStartCold)],
    ['  its later tasks', dist(r => r.overhead.offerToStartWarm)],
    ['result sent -> gathered by the coordinator', dist(r => r.overhead.resultToGathered)],
    ['  of which: submit -> plan request reaches the brain', one(r => r.overhead.parts.submitToPlanRequest)],
    ['    of which: submit -> coordinator claims the job', one(r => r.overhead.parts.submitToClaim)],
    ['    of which: claim -> plan request reaches the brain', one(r => r.overhead.parts.claimToPlanRequest)],
    ['  of which: plan reply -> first offer', one(r => r.overhead.parts.planReplyToFirstOffer)],
    ['  of which: ready -> grant', dist(r => r.overhead.parts.readyToGrant)],
    ['  of which: grant -> first model turn', dist(r => r.overhead.parts.grantToStart)],
    ['answer ready -> result sent (worker)', dist(r => r.overhead.parts.answerToResultSent)],
    ['last result gathered -> report sent (summary turn taken out)', one(r => r.overhead.parts.lastGatheredToReportSent)]
  ]))
  const types = [...new Set(runs.flatMap(r => Object.keys(r.logCounts ?? {})))]
  if (types.length > 0) {
    out.push('', 'Stored job-log entries per job (every peer appends each one durably): ' +
      types.map(t => `${t} ${s(runs.map(r => r.logCounts?.[t] ?? 0))}`).join(', ') + '.')
  }
  const profiled = runs.filter(r => r.profile != null)
  if (profiled.length > 0) {
    const p = profiled[0].profile!
    out.push('', `## Where the peers' CPU went during the job (first profiled run: ${p.files} profiles, ${(p.busyMs / 1000).toFixed(1)} CPU-s busy)`, '')
    out.push(mdTable(['area (self time)', 'ms', '% of busy'], p.byArea.map(a => [a.area, a.ms, a.percentOfBusy])))
    out.push('', mdTable(['function (self time)', 'ms'], p.byFunction.map(f => [f.fn.replace(/\|/g, '/'), f.ms])))
  }
  return out.join('\n')
}

/** The raw figures of one run for the JSON file (timelines kept, report trimmed). */
export function runRecord (r: FieldRun): Record<string, unknown> {
  return {
    jobId: r.report.jobId,
    status: r.report.status,
    code: r.code,
    cliMs: r.cliMs,
    convergeMs: r.convergeMs,
    headline: headline([r])[0],
    stats: r.report.stats,
    plan: r.report.brains.plan,
    tasks: r.report.tasks.map(t => ({ taskId: t.taskId, host: t.host, worker: t.worker, state: t.state, attempts: t.attempts, ms: t.ms, toolCalls: t.toolCalls.length, brain: t.brain })),
    overhead: { ...r.overhead, efficiency: round(r.overhead.efficiency, 4), efficiencyWithModel: round(r.overhead.efficiencyWithModel, 4) },
    turnsByBrain: r.turnsByBrain,
    during: r.during,
    lost: r.lost,
    cpu: r.cpu,
    machineLoad: r.machineLoad,
    logCounts: r.logCounts,
    profile: r.profile
  }
}
