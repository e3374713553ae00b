/**
 * Scenario `scale`: 10, 20 and 40 peers (as many as this machine allows) on one bridge.
 * Per size: how long the peers take to start and their membership to converge, what an
 * idle peer costs (RSS, CPU, bytes on its link per second: presence gossip, pings,
 * mDNS), and one fleet-wide job (one short task per box): submit to all tasks started,
 * submit to report. Stops early, saying why, when memory would run out or a size fails.
 *
 *   npm run bench -- scale [--peers 10,20,40] [--runs 1] [--turn-ms 200] [--profile] [--relaxed] [--smoke]
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { freemem, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { summarizeProfiles, type ProfileSummary } from './lib/profile.ts'
import type { BenchArgs } from './lib/args.ts'
import { startFleet } from './lib/fleet.ts'
import { computeOverhead } from './lib/overhead.ts'
import { sampleIdle } from './lib/proc.ts'
import { machine, mdTable, round, writeResult } from './lib/results.ts'
import { isMain, main, note, type ScenarioOutput } from './lib/scenario.ts'
import { distribution, formatSpread, median, spread } from './lib/stats.ts'

interface SizeRun {
  peers: number
  startS: number
  convergeMs: number
  idle: { rssMiB: ReturnType<typeof distribution>, cpuPercent: ReturnType<typeof distribution>, bytesPerSec: ReturnType<typeof distribution>, totalCpuPercent: number }
  job: { status: string, tasks: number, succeeded: number, allStartedMs: number | null, reportMs: number, offerToStartP50: number | null, offerToStartMax: number | null }
  /** where idle peers' CPU went (with --profile) */
  idleProfile?: ProfileSummary
}

/** --relaxed: peer timers for a machine that hosts many peers per core (presence 3 s, pings 5 s, dead after 15 s). */
export const RELAXED_ENV: Record<string, string> = {
  SWARM_CONFIG__PRESENCE__INTERVALMS: '3000',
  SWARM_CONFIG__MEMBERSHIP__SUSPECTAFTERMS: '8000',
  SWARM_CONFIG__MEMBERSHIP__DEADAFTERMS: '15000',
  SWARM_CONFIG__MEMBERSHIP__DEADAFTERDISCONNECTMS: '6000',
  SWARM_CONFIG__CONNECTION__PINGINTERVALMS: '5000',
  SWARM_CONFIG__CONNECTION__PINGTIMEOUTMS: '5000'
}

export function scaleSettings (args: BenchArgs) {
  return args.smoke
    ? { sizes: args.peers ?? [3], turnMs: args.turnMs ?? 50, idleMs: 1000, startBatch: 3, convergeTimeoutMs: 30_000, relaxed: args.relaxed }
    : { sizes: args.peers ?? [10, 20, 40], turnMs: args.turnMs ?? 200, idleMs: 10_000, startBatch: 4, convergeTimeoutMs: 90_000, relaxed: args.relaxed }
}

async function sizeRun (peers: number, s: ReturnType<typeof scaleSettings>, profileDir?: string): Promise<SizeRun> {
  const t0 = Date.now()
  const fleet = await startFleet({
    boxes: peers, brains: [{ label: 'brain', turnMs: s.turnMs }], tasksPerHost: 1, toolCalls: {}, defaultToolCalls: 1, callsPerTurn: 1, startBatch: s.startBatch,
    env: { ...(s.relaxed ? RELAXED_ENV : {}), ...(profileDir != null ? { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${profileDir}` } : {}) }
  })
  try {
    const startS = (Date.now() - t0) / 1000
    let convergeMs: number
    try {
      convergeMs = await fleet.waitConverged(peers, s.convergeTimeoutMs)
    } catch (err: any) {
      // say why: what the peers cost while they tried
      const idle = await sampleIdle(fleet.lab, fleet.boxes, Math.min(5000, s.idleMs))
      const cpu = idle.reduce((a, i) => a + i.cpuPercent, 0)
      throw new Error(`${err.message}; meanwhile the ${peers} peers used ${Math.round(cpu)}% of one core (this machine has ${machine().cores}), ` +
        `${Math.round(median(idle.map(i => i.rssMiB)) ?? 0)} MiB and ${Math.round((median(idle.map(i => i.bytesPerSec)) ?? 0) / 1024)} KiB/s of link traffic each, machine load ${loadavg()[0].toFixed(1)}`)
    }
    note(`${peers} peers started in ${startS.toFixed(1)} s, converged ${convergeMs} ms after the last start`)
    const idleFrom = Date.now()
    const idle = await sampleIdle(fleet.lab, fleet.boxes, s.idleMs)
    const idleTo = Date.now()
    const run = await fleet.runJob('bench: fleet-wide check', { deadlineS: 300 })
    const coordinator = fleet.boxes.find(b => b.peerId === run.report.coordinator?.peerId) ?? fleet.boxes[0]
    const o = computeOverhead(run.report, fleet.jobLog(coordinator, run.report.jobId), fleet.brainLog(), 2)
    const starts = o.tasks.map(t => t.start).filter((x): x is number => x != null)
    const r: SizeRun = {
      peers,
      startS,
      convergeMs,
      idle: {
        rssMiB: distribution(idle.map(i => i.rssMiB)),
        cpuPercent: distribution(idle.map(i => i.cpuPercent)),
        bytesPerSec: distribution(idle.map(i => i.bytesPerSec)),
        totalCpuPercent: idle.reduce((a, i) => a + i.cpuPercent, 0)
      },
      job: {
        status: run.report.status,
        tasks: run.report.stats.tasks,
        succeeded: run.report.stats.succeeded,
        allStartedMs: starts.length === run.report.tasks.length && starts.length > 0 ? Math.max(...starts) - run.report.submittedAt : null,
        reportMs: run.report.wallMs,
        offerToStartP50: o.offerToStart.p50,
        offerToStartMax: o.offerToStart.max
      }
    }
    if (profileDir != null) {
      const exitAt = new Map<number, number>()
      await Promise.all(fleet.boxes.map(async b => { await b.kill('SIGTERM'); exitAt.set(b.pid!, Date.now()) }))
      r.idleProfile = summarizeProfiles(profileDir, { window: [idleFrom, idleTo], exitAt })
      rmSync(profileDir, { recursive: true, force: true })
    }
    note(`  job ${r.job.succeeded}/${r.job.tasks}, all started ${r.job.allStartedMs} ms, report ${r.job.reportMs} ms`)
    return r
  } finally {
    await fleet.destroy()
  }
}

export async function runScale (args: BenchArgs): Promise<ScenarioOutput> {
  const s = scaleSettings(args)
  const startedAt = new Date().toISOString()
  const results: Array<{ peers: number, runs: SizeRun[], stopped?: string }> = []
  let rssPerPeerMiB = 120
  for (const peers of s.sizes) {
    const needMiB = peers * rssPerPeerMiB * 1.5
    const freeMiB = freemem() / 2 ** 20
    if (needMiB > freeMiB) {
      results.push({ peers, runs: [], stopped: `needs about ${Math.round(needMiB)} MiB, ${Math.round(freeMiB)} MiB free` })
      break
    }
    const runs: SizeRun[] = []
    let stopped: string | undefined
    for (let i = 0; i < args.runs; i++) {
      note(`scale: ${peers} peers, run ${i + 1}/${args.runs}`)
      try {
        runs.push(await sizeRun(peers, s, args.profile ? mkdtempSync(join(tmpdir(), 'swarm-bench-prof-')) : undefined))
      } catch (err: any) {
        stopped = `failed: ${String(err?.message ?? err).split('\n')[0]}`
        note(`  ${stopped}`)
        break
      }
    }
    results.push({ peers, runs, ...(stopped != null ? { stopped } : {}) })
    rssPerPeerMiB = median(runs.map(r => r.idle.rssMiB.max ?? 0)) ?? rssPerPeerMiB
    if (stopped != null) break
  }
  const f = (xs: Array<number | null>, d = 0) => formatSpread(spread(xs), d)
  const rows = results.map(({ peers, runs, stopped }) => runs.length === 0
    ? [peers, `stopped: ${stopped}`, '', '', '', '', '', '', '', '']
    : [peers, f(runs.map(r => r.startS), 1), f(runs.map(r => r.convergeMs)), `${f(runs.map(r => r.job.succeeded))}/${f(runs.map(r => r.job.tasks))}`,
        f(runs.map(r => r.job.allStartedMs)), f(runs.map(r => r.job.reportMs)),
        f(runs.map(r => r.idle.rssMiB.p50)), f(runs.map(r => r.idle.cpuPercent.p50), 1), f(runs.map(r => r.idle.totalCpuPercent)),
        f(runs.map(r => r.idle.bytesPerSec.p50))])
  const markdown = [
    `## Scale: one fleet-wide job per size, idle cost per peer${s.relaxed ? ' (relaxed timers: ' + Object.entries(RELAXED_ENV).map(([k, v]) => `${k.replace('SWARM_CONFIG__', '').toLowerCase()}=${v}`).join(', ') + ')' : ''}`, '',
    mdTable(['peers', 'start all s', 'converge ms', 'tasks done', 'submit -> all started ms', 'submit -> report ms', 'idle RSS MiB/peer', 'idle CPU %/peer', 'idle CPU % all peers', 'link bytes/s/peer'], rows),
    '',
    `Model turns take ${s.turnMs} ms; each box's task is one tool call and an answer (two turns). Idle figures are medians over peers, sampled for ${s.idleMs / 1000} s after convergence; ` +
      'CPU % is of one core (this machine has ' + machine().cores + '); link bytes are both directions on the peer\'s veth (gossip, pings, mDNS).',
    ...results.filter(r => r.stopped != null).map(r => `\nStopped at ${r.peers} peers: ${r.stopped}.`),
    ...results.flatMap(r => r.runs.slice(0, 1).filter(x => x.idleProfile != null).map(x => [
      '', `### Where ${r.peers} idle peers' CPU went (${(x.idleProfile!.busyMs / 1000).toFixed(1)} s busy in ${s.idleMs / 1000} s)`, '',
      mdTable(['area (self time)', 'ms', '% of busy'], x.idleProfile!.byArea.map(a => [a.area, a.ms, a.percentOfBusy])), '',
      mdTable(['function (self time)', 'ms'], x.idleProfile!.byFunction.map(f => [f.fn.replace(/\|/g, '/'), f.ms]))
    ].join('\n')))
  ].join('\n')
  const paths = writeResult(args.out, {
    scenario: (args.smoke ? 'scale-smoke' : 'scale') + (s.relaxed ? '-relaxed' : ''),
    startedAt,
    settings: { ...s, runs: args.runs, profile: args.profile },
    summary: results.map(r => ({
      peers: r.peers,
      stopped: r.stopped ?? null,
      convergeMs: spread(r.runs.map(x => x.convergeMs)),
      allStartedMs: spread(r.runs.map(x => x.job.allStartedMs)),
      reportMs: spread(r.runs.map(x => x.job.reportMs)),
      idleRssMiB: spread(r.runs.map(x => x.idle.rssMiB.p50)),
      idleCpuPercent: spread(r.runs.map(x => x.idle.cpuPercent.p50)),
      linkBytesPerSec: spread(r.runs.map(x => x.idle.bytesPerSec.p50))
    })),
    runs: results.map(r => ({ ...r, runs: r.runs.map(x => ({ ...x, startS: round(x.startS, 2) })) }))
  }, markdown)
  return { ...paths, markdown }
}

if (isMain(import.meta.url)) await main('scale', runScale)
