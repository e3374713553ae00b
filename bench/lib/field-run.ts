/**
 * One run of the field load test: a fresh fleet, one fleet-wide job submitted with the
 * real CLI from box1, and everything measured about it: the report, the swarm's own
 * overhead, model turns per brain. Churn and brains scenarios add a `during` step that
 * runs alongside the job (kill a box, start one, kill a brain).
 */
import type { JobReport } from '../../src/gossip/messages-report.ts'
import type { BrainLogLine } from './brain-server.ts'
import { startFleet, type BrainSpec, type Fleet } from './fleet.ts'
import { computeOverhead, type Overhead } from './overhead.ts'
import { loadavg } from 'node:os'
import { cpuMs } from './proc.ts'
import { summarizeProfiles, type ProfileSummary } from './profile.ts'
import { note } from './scenario.ts'

export interface FieldRunOptions {
  boxes: number
  tasksPerHost: number
  /** tool calls per box over all its tasks, box1 first */
  toolCalls: number[]
  callsPerTurn: number
  brains: BrainSpec[]
  /** tasks each box runs at once ([jobs] maxConcurrentTasks) */
  slots: number
  deadlineS: number
  env?: Record<string, string>
  /** runs while the job runs; may change the fleet */
  during?: (fleet: Fleet, helpers: DuringHelpers) => Promise<Record<string, unknown>>
  verbose?: boolean
  /** CPU-profile every peer into this dir (NODE_OPTIONS=--cpu-prof) and summarize the job's window */
  profileDir?: string
}

export interface DuringHelpers {
  /** resolves once the brains have seen at least n agent turns of this job */
  turnsAtLeast: (n: number) => Promise<void>
  /** the job id, once the submitter knows it */
  jobId: () => Promise<string>
}

export interface FieldRun {
  report: JobReport
  code: number | null
  cliMs: number
  convergeMs: number
  overhead: Overhead
  /** model turns answered per brain label (agent turns, plan, summary) */
  turnsByBrain: Record<string, number>
  during: Record<string, unknown>
  /** tasks that ended neither done nor accounted for (unreachable on a killed box) */
  lost: number
  /** CPU seconds each box's peer process used during the job */
  cpu: Array<{ name: string, cpuS: number | null }>
  /** the machine's 1-minute load average before and after the job */
  machineLoad: [number, number]
  /** where the peers' CPU went during the job (with profileDir) */
  profile?: ProfileSummary
  /** when each profiled peer exited (pid -> wall ms), to summarize other windows of the same profiles */
  profileExitAt?: Map<number, number>
  /** entries of the coordinator's stored job log by message type (each one a durable append on every peer) */
  logCounts: Record<string, number>
}

export async function fieldRun (o: FieldRunOptions): Promise<FieldRun> {
  const toolCalls: Record<string, number> = {}
  o.toolCalls.forEach((n, i) => { toolCalls[`box${i + 1}`] = n })
  const fleet = await startFleet({
    boxes: o.boxes,
    brains: o.brains,
    tasksPerHost: o.tasksPerHost,
    toolCalls,
    defaultToolCalls: Math.round(o.toolCalls.reduce((a, b) => a + b, 0) / Math.max(1, o.toolCalls.length)),
    callsPerTurn: o.callsPerTurn,
    env: {
      SWARM_CONFIG__JOBS__MAXCONCURRENTTASKS: String(o.slots),
      ...(o.profileDir != null ? { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${o.profileDir}` } : {}),
      ...o.env
    }
  })
  try {
    const convergeMs = await fleet.waitConverged(o.boxes)
    note(`${o.boxes} boxes up, membership converged in ${convergeMs} ms; submitting`)
    const brainLog = (): BrainLogLine[] => fleet.brainLog()
    const before = brainLog().length
    const helpers: DuringHelpers = {
      turnsAtLeast: async (n) => {
        await fleet.lab.waitFor(async () => brainLog().slice(before).filter(l => l.kind === 'agent').length >= n, { timeoutMs: 120_000, intervalMs: 50 })
      },
      jobId: async () => await fleet.lab.waitFor(async () => {
        const l = brainLog().slice(before).find(l => l.kind === 'agent')
        return typeof l?.jobId === 'string' ? l.jobId : undefined
      }, { timeoutMs: 120_000, intervalMs: 50 })
    }
    // CPU each peer spends on the job (all peers share this machine's cores)
    const cpu0 = fleet.boxes.map(b => b.pid != null ? cpuMs(b.pid) : 0)
    const load0 = loadavg()[0]
    const job = fleet.runJob('bench: check load, memory and disks on every box', { from: fleet.boxes[0], deadlineS: o.deadlineS })
    const during: Promise<Record<string, unknown>> = o.during != null ? o.during(fleet, helpers) : Promise.resolve({})
    const [run, duringOut] = await Promise.all([job, during])
    const report = run.report
    const coordinator = fleet.boxes.find(b => b.peerId === report.coordinator?.peerId && !b.exited()) ?? fleet.boxes[0]
    const log = fleet.jobLog(coordinator, report.jobId)
    const overhead = computeOverhead(report, log, brainLog(), o.slots)
    const logCounts: Record<string, number> = {}
    for (const e of log) logCounts[e.msg.type] = (logCounts[e.msg.type] ?? 0) + 1
    const turnsByBrain: Record<string, number> = {}
    for (const l of brainLog().slice(before)) if (l.kind !== 'http') turnsByBrain[l.brain] = (turnsByBrain[l.brain] ?? 0) + 1
    const cpu = fleet.boxes.map((b, i) => ({ name: b.name, cpuS: b.pid != null && !b.exited() ? (cpuMs(b.pid) - (cpu0[i] ?? 0)) / 1000 : null }))
    const killed = new Set(((duringOut.killedBoxes as string[] | undefined) ?? []))
    const lost = report.tasks.filter(t => t.state !== 'done' && !(t.state === 'unreachable' && t.host != null && killed.has(t.host))).length
    let profile: ProfileSummary | undefined
    const profileExitAt = new Map<number, number>()
    if (o.profileDir != null) {
      // a clean exit writes the profile; the exit time anchors the profile's clock to the wall
      const exitAt = profileExitAt
      await Promise.all(fleet.boxes.filter(b => !b.exited()).map(async b => { await b.kill('SIGTERM'); exitAt.set(b.pid!, Date.now()) }))
      profile = summarizeProfiles(o.profileDir, { window: [report.submittedAt, report.submittedAt + report.wallMs], exitAt })
    }
    if (report.brains.plan?.kind !== 'model') note(`warning: the plan came from the playbook (${JSON.stringify(report.brains.plan)}), not the scripted model`)
    return { report, code: run.code, cliMs: run.cliMs, convergeMs, overhead, turnsByBrain, during: duringOut, lost, cpu, machineLoad: [load0, loadavg()[0]], logCounts, ...(profile != null ? { profile, profileExitAt } : {}) }
  } catch (err) {
    if (o.verbose === true) for (const b of fleet.boxes) process.stderr.write(`--- ${b.name} ---\n${b.logs().slice(-3000)}\n`)
    throw err
  } finally {
    await fleet.destroy()
  }
}
