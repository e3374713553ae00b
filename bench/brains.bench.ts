/**
 * Scenario `brains`: the field run thinking with three brains that three boxes offer to
 * the swarm (`--offer-brain`), of different speeds (0.5 s, 1 s, 2 s per turn by
 * default); the middle one is killed mid-run. Shows how the pool spreads model turns
 * over brains of different speeds, that no task fails when a brain dies, and the wall
 * time against the same run with one fast brain.
 *
 *   npm run bench -- brains [--runs 3] [--turn-ms 500 (the fast one; others 2x, 4x)] [--smoke]
 */
import type { BenchArgs } from './lib/args.ts'
import { fieldRun, type FieldRun, type FieldRunOptions } from './lib/field-run.ts'
import { headline, runRecord } from './lib/field-report.ts'
import type { BrainSpec } from './lib/fleet.ts'
import { mdTable, writeResult } from './lib/results.ts'
import { FIELD_TOOL_CALLS } from './lib/script.ts'
import { isMain, main, note, type ScenarioOutput } from './lib/scenario.ts'
import { formatSpread, spread } from './lib/stats.ts'

export function brainsSettings (args: BenchArgs) {
  const fast = args.turnMs ?? (args.smoke ? 50 : 500)
  // like a real inference server, each brain works on a few turns at once and queues the rest
  const parallel = args.smoke ? 2 : 4
  const brains: BrainSpec[] = [
    { label: 'fast', turnMs: fast, parallel, offeredBy: 0 },
    { label: 'mid', turnMs: fast * 2, parallel, offeredBy: 1 },
    { label: 'slow', turnMs: fast * 4, parallel, offeredBy: 2 }
  ]
  return args.smoke
    ? { boxes: 3, tasksPerHost: 1, toolCalls: [3, 3, 3], callsPerTurn: 1, slots: 2, deadlineS: 60, brains, kill: 'mid', killAfterTurns: 3 }
    : { boxes: 6, tasksPerHost: 4, toolCalls: FIELD_TOOL_CALLS, callsPerTurn: 1, slots: 2, deadlineS: 300, brains, kill: 'mid', killAfterTurns: 30 }
}

/** Tasks that did not end done, and done tasks whose brain fell back to the playbook. */
function failedTasks (r: FieldRun): { failed: number, fellBack: number } {
  return {
    failed: r.report.tasks.filter(t => t.state !== 'done').length,
    fellBack: r.report.tasks.filter(t => t.brain?.kind === 'playbook').length
  }
}

export async function runBrains (args: BenchArgs): Promise<ScenarioOutput> {
  const s = brainsSettings(args)
  const startedAt = new Date().toISOString()
  const base: Omit<FieldRunOptions, 'during' | 'brains'> = {
    boxes: s.boxes, tasksPerHost: s.tasksPerHost, toolCalls: s.toolCalls, callsPerTurn: s.callsPerTurn, slots: s.slots, deadlineS: s.deadlineS, verbose: args.verbose
  }
  const three: FieldRun[] = []
  const one: FieldRun[] = []
  for (let i = 0; i < args.runs; i++) {
    note(`brains run ${i + 1}/${args.runs}: one fast brain (${s.brains[0].turnMs} ms)`)
    one.push(await fieldRun({ ...base, brains: [s.brains[0]] }))
    note(`brains run ${i + 1}/${args.runs}: three brains (${s.brains.map(b => `${b.label} ${b.turnMs} ms`).join(', ')}), ${s.kill} killed after ${s.killAfterTurns} turns`)
    three.push(await fieldRun({
      ...base,
      brains: s.brains,
      during: async (fleet, h) => {
        await h.turnsAtLeast(s.killAfterTurns)
        const brain = fleet.brains.find(b => b.spec.label === s.kill)!
        const killedAt = Date.now()
        await brain.kill()
        note(`  killed brain ${s.kill}`)
        return { killedBrain: s.kill, killedAt }
      }
    }))
    const t = three.at(-1)!
    note(`  turns ${JSON.stringify(t.turnsByBrain)}, failed ${failedTasks(t).failed}, wall ${(t.report.wallMs / 1000).toFixed(1)} s vs ${(one.at(-1)!.report.wallMs / 1000).toFixed(1)} s`)
  }
  const f = (xs: Array<number | null>, d = 0) => formatSpread(spread(xs), d)
  const share = (r: FieldRun, label: string) => {
    const total = Object.values(r.turnsByBrain).reduce((a, b) => a + b, 0)
    return total > 0 ? 100 * (r.turnsByBrain[label] ?? 0) / total : 0
  }
  const markdown = [
    '## Brains: three offered brains of different speeds, one killed mid-run', '',
    mdTable(['brain', 'turn ms', 'parallel', 'model requests', 'share %'], s.brains.map(b => [
      b.label + (b.label === s.kill ? ' (killed)' : ''), b.turnMs, b.parallel ?? 'no limit', f(three.map(r => r.turnsByBrain[b.label] ?? 0)), f(three.map(r => share(r, b.label)), 1)
    ])),
    '',
    mdTable(['run', 'tasks done', 'tasks failed', 'fell back to playbook', 'wall s', 'tasks/min'], [
      ['three brains, one killed', `${f(three.map(r => r.report.stats.succeeded))}/${f(three.map(r => r.report.stats.tasks))}`, f(three.map(r => failedTasks(r).failed)),
        f(three.map(r => failedTasks(r).fellBack)), f(three.map(r => r.report.wallMs / 1000), 1), f(headline(three).map(h => h.tasksPerMin), 1)],
      ['one fast brain', `${f(one.map(r => r.report.stats.succeeded))}/${f(one.map(r => r.report.stats.tasks))}`, f(one.map(r => failedTasks(r).failed)),
        f(one.map(r => failedTasks(r).fellBack)), f(one.map(r => r.report.wallMs / 1000), 1), f(headline(one).map(h => h.tasksPerMin), 1)]
    ]),
    '',
    'Model requests count every chat request a brain received (agent turns, the plan, the summary; for the killed one also those cut off). ' +
      'Each brain answers `parallel` turns at once and queues the rest, so one brain alone is loaded the way a real inference box is.'
  ].join('\n')
  const paths = writeResult(args.out, {
    scenario: args.smoke ? 'brains-smoke' : 'brains',
    startedAt,
    settings: { ...s, runs: args.runs },
    summary: {
      turnsByBrain: Object.fromEntries(s.brains.map(b => [b.label, spread(three.map(r => r.turnsByBrain[b.label] ?? 0))])),
      sharePercent: Object.fromEntries(s.brains.map(b => [b.label, spread(three.map(r => share(r, b.label)))])),
      failed: spread(three.map(r => failedTasks(r).failed)),
      fellBack: spread(three.map(r => failedTasks(r).fellBack)),
      wallS: spread(three.map(r => r.report.wallMs / 1000)),
      oneFastWallS: spread(one.map(r => r.report.wallMs / 1000))
    },
    runs: three.map((r, i) => ({ three: runRecord(r), oneFast: runRecord(one[i]) }))
  }, markdown)
  return { ...paths, markdown }
}

if (isMain(import.meta.url)) await main('brains', runBrains)
