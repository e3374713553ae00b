/**
 * Scenario `churn`: the field run while one box is killed (SIGKILL, a worker that is
 * neither the submitter nor the coordinator) and a new box is started mid-run. Tasks
 * lost must be 0: every task ends done, or unreachable when its host is the killed box.
 * Each run is paired with a plain field run, so the extra wall time is measured on the
 * same machine minutes apart.
 *
 *   npm run bench -- churn [--runs 3] [--turn-ms 1000] [--smoke]
 */
import type { BenchArgs } from './lib/args.ts'
import { fieldRun, type FieldRun, type FieldRunOptions } from './lib/field-run.ts'
import { headline, runRecord } from './lib/field-report.ts'
import { mdTable, writeResult } from './lib/results.ts'
import { FIELD_TOOL_CALLS } from './lib/script.ts'
import { isMain, main, note, type ScenarioOutput } from './lib/scenario.ts'
import { formatSpread, spread } from './lib/stats.ts'

export function churnSettings (args: BenchArgs) {
  return args.smoke
    ? { boxes: 3, tasksPerHost: 1, toolCalls: [4, 4, 4], turnMs: args.turnMs ?? 100, callsPerTurn: 1, slots: 2, deadlineS: 60, killAfterTurns: 3, startAfterMs: 200, unreachableWaitMs: 2000 }
    : { boxes: 6, tasksPerHost: 4, toolCalls: FIELD_TOOL_CALLS, turnMs: args.turnMs ?? 1000, callsPerTurn: 1, slots: 2, deadlineS: 300, killAfterTurns: 24, startAfterMs: 2000, unreachableWaitMs: 10_000 }
}

export async function runChurn (args: BenchArgs): Promise<ScenarioOutput> {
  const s = churnSettings(args)
  const startedAt = new Date().toISOString()
  const base: Omit<FieldRunOptions, 'during'> = {
    boxes: s.boxes, tasksPerHost: s.tasksPerHost, toolCalls: s.toolCalls, callsPerTurn: s.callsPerTurn, slots: s.slots, deadlineS: s.deadlineS,
    brains: [{ label: 'brain', turnMs: s.turnMs }], env: { SWARM_CONFIG__JOBS__UNREACHABLEWAITMS: String(s.unreachableWaitMs) }, verbose: args.verbose
  }
  const plain: FieldRun[] = []
  const churned: FieldRun[] = []
  for (let i = 0; i < args.runs; i++) {
    note(`churn run ${i + 1}/${args.runs}: plain field run first`)
    plain.push(await fieldRun(base))
    note(`churn run ${i + 1}/${args.runs}: kill a box after ${s.killAfterTurns} model turns, start box${s.boxes + 1} ${s.startAfterMs} ms later`)
    churned.push(await fieldRun({
      ...base,
      during: async (fleet, h) => {
        const jobId = await h.jobId()
        await h.turnsAtLeast(s.killAfterTurns)
        const claim = fleet.jobLog(fleet.boxes[0], jobId).filter(e => e.msg.type === 'job.claim').at(-1)?.msg as { coordinator?: string } | undefined
        const victim = [...fleet.boxes].reverse().find(b => b !== fleet.boxes[0] && b.peerId !== claim?.coordinator && !b.exited())!
        const killedAt = Date.now()
        await victim.kill('SIGKILL')
        note(`  killed ${victim.name}`)
        await new Promise(r => setTimeout(r, s.startAfterMs))
        const fresh = await fleet.addBox(`box${s.boxes + 1}`)
        note(`  started ${fresh.name}`)
        return { killedBoxes: [victim.name], killedAt, started: fresh.name, startedAt: fresh.startedAt }
      }
    }))
    const c = churned.at(-1)!
    note(`  ${c.report.stats.succeeded}/${c.report.stats.tasks} done, ${c.report.stats.unreachable} unreachable, lost ${c.lost}, wall ${(c.report.wallMs / 1000).toFixed(1)} s vs ${(plain.at(-1)!.report.wallMs / 1000).toFixed(1)} s`)
  }
  const f = (xs: Array<number | null>, d = 0) => formatSpread(spread(xs), d)
  const extra = churned.map((c, i) => (c.report.wallMs - plain[i].report.wallMs) / 1000)
  const newBoxTasks = churned.map(c => c.report.tasks.filter(t => t.host === c.during.started).length)
  const newBoxDone = churned.map(c => c.report.tasks.filter(t => t.host === c.during.started && t.state === 'done').length)
  const markdown = [
    '## Churn: one box killed, one started, mid-run', '',
    mdTable(['run', 'tasks', 'done', 'unreachable (killed box)', 'failed', 'lost', 'new box tasks done', 'wall s', 'plain wall s', 'extra wall s', 'status'], [
      ['churn', f(churned.map(c => c.report.stats.tasks)), f(churned.map(c => c.report.stats.succeeded)), f(churned.map(c => c.report.stats.unreachable)),
        f(churned.map(c => c.report.stats.failed)), f(churned.map(c => c.lost)), `${f(newBoxDone)}/${f(newBoxTasks)}`,
        f(churned.map(c => c.report.wallMs / 1000), 1), f(plain.map(p => p.report.wallMs / 1000), 1), f(extra, 1), churned.map(c => c.report.status).join(', ')]
    ]),
    '',
    `The killed box's tasks are host-bound, so they end unreachable; the coordinator then waits unreachableWaitMs (${s.unreachableWaitMs} ms here) ` +
      'for the box to come back before it reports partial: that wait is most of the extra wall time. "lost" counts tasks that ended neither done ' +
      'nor unreachable on the killed box, and planned tasks missing from the report.'
  ].join('\n')
  const paths = writeResult(args.out, {
    scenario: args.smoke ? 'churn-smoke' : 'churn',
    startedAt,
    settings: { ...s, runs: args.runs },
    summary: {
      lost: spread(churned.map(c => c.lost)),
      unreachable: spread(churned.map(c => c.report.stats.unreachable)),
      wallS: spread(churned.map(c => c.report.wallMs / 1000)),
      plainWallS: spread(plain.map(p => p.report.wallMs / 1000)),
      extraWallS: spread(extra),
      headline: headline(churned)
    },
    runs: churned.map((c, i) => ({ churn: runRecord(c), plain: runRecord(plain[i]) }))
  }, markdown)
  return { ...paths, markdown }
}

if (isMain(import.meta.url)) await main('churn', runChurn)
