/**
 * Scenario `field`: the published field load test replayed on this machine. 6 boxes,
 * 24 tasks (4 per box), 2 running at once per box, the field run's tool calls per box
 * (16/4/11/18/22/11) and a scripted brain answering every model turn after --turn-ms
 * (default 1000). Prints the field table and what the swarm itself costs.
 *
 *   npm run bench -- field [--runs 3] [--turn-ms 1000] [--profile] [--smoke]
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { BenchArgs } from './lib/args.ts'
import { fieldRun, type FieldRun } from './lib/field-run.ts'
import { fieldTables, headline, runRecord } from './lib/field-report.ts'
import { writeResult } from './lib/results.ts'
import { FIELD_TOOL_CALLS } from './lib/script.ts'
import { isMain, main, note, type ScenarioOutput } from './lib/scenario.ts'
import { spread } from './lib/stats.ts'

export function fieldSettings (args: BenchArgs) {
  return args.smoke
    ? { boxes: 2, tasksPerHost: 1, toolCalls: [2, 1], turnMs: args.turnMs ?? 50, callsPerTurn: 1, slots: 2, deadlineS: 60 }
    : { boxes: 6, tasksPerHost: 4, toolCalls: FIELD_TOOL_CALLS, turnMs: args.turnMs ?? 1000, callsPerTurn: 1, slots: 2, deadlineS: 300 }
}

export async function runField (args: BenchArgs): Promise<ScenarioOutput> {
  const settings = fieldSettings(args)
  const startedAt = new Date().toISOString()
  const runs: FieldRun[] = []
  for (let i = 0; i < args.runs; i++) {
    note(`field run ${i + 1}/${args.runs}: ${settings.boxes} boxes, ${settings.boxes * settings.tasksPerHost} tasks, ${settings.turnMs} ms per model turn`)
    const profileDir = args.profile ? mkdtempSync(join(tmpdir(), 'swarm-bench-prof-')) : undefined
    const r = await fieldRun({ ...settings, brains: [{ label: 'brain', turnMs: settings.turnMs }], verbose: args.verbose, profileDir })
    if (profileDir != null) rmSync(profileDir, { recursive: true, force: true })
    const h = headline([r])[0]
    note(`  ${h.succeeded}/${h.tasks} done in ${h.wallS.toFixed(1)} s, efficiency ${h.efficiency.toFixed(3)}`)
    runs.push(r)
  }
  const markdown = fieldTables(runs)
  const h = headline(runs)
  const summary = {
    succeeded: spread(h.map(x => x.succeeded)),
    tasks: spread(h.map(x => x.tasks)),
    wallS: spread(h.map(x => x.wallS)),
    tasksPerMin: spread(h.map(x => x.tasksPerMin)),
    toolCalls: spread(h.map(x => x.toolCalls)),
    avgTaskS: spread(h.map(x => x.avgTaskS)),
    efficiency: spread(h.map(x => x.efficiency)),
    efficiencyWithModel: spread(h.map(x => x.efficiencyWithModel)),
    overheadP50Ms: {
      submitToFirstOffer: spread(runs.map(r => r.overhead.submitToFirstOffer.p50)),
      offerToStart: spread(runs.map(r => r.overhead.offerToStart.p50)),
      resultToGathered: spread(runs.map(r => r.overhead.resultToGathered.p50))
    },
    lost: spread(runs.map(r => r.lost))
  }
  const paths = writeResult(args.out, {
    scenario: args.smoke ? 'field-smoke' : 'field', startedAt, settings: { ...settings, runs: args.runs, profile: args.profile }, summary, runs: runs.map(runRecord)
  }, markdown)
  return { ...paths, markdown }
}

if (isMain(import.meta.url)) await main('field', runField)
