/**
 * What the swarm itself costs in one job, read from the coordinator's stored job log
 * (every entry has the sender's clock `msg.ts` and the local accept time `at`; all peers
 * of a lab share one clock) and from the brain's request log (when each model turn
 * arrived). Model time is taken out, so what is left is election, gossip, claims,
 * grants, process and store work: the part we control.
 */
import type { JobReport } from '../../src/gossip/messages-report.ts'
import type { StoredEntry } from '../../src/node/jobs/store.ts'
import type { BrainLogLine } from './brain-server.ts'
import { distribution, makespan, type Distribution } from './stats.ts'

/** One task's timeline, ms since epoch; null where the log has no such event. */
export interface TaskTimeline {
  taskId: string
  worker: string | null
  firstOffer: number | null
  /** when the worker had a free slot for it (the offer, or a sibling task finishing) */
  readyAt: number | null
  grant: number | null
  /** the task's first model request reached the brain: the agent is running */
  start: number | null
  /** the last model reply went out: the agent has its answer */
  answered: number | null
  resultSent: number | null
  resultGathered: number | null
  /** the worker's own measure of the task */
  taskMs: number | null
}

export interface Overhead {
  tasks: TaskTimeline[]
  /** submit -> first offer, per task, with the planning model turn taken out */
  submitToFirstOffer: Distribution
  /** ready (offered, slot free) -> agent running */
  offerToStart: Distribution
  /** the same for a worker's first tasks (granted before its first model request: a cold process) and the rest */
  offerToStartCold: Distribution
  offerToStartWarm: Distribution
  /** result sent by the worker -> accepted in the coordinator's log */
  resultToGathered: Distribution
  /** finer parts, to name the slowest */
  parts: {
    /** job.submitted -> the first job.claim (election) */
    submitToClaim: number | null
    /** job.claim -> the coordinator's plan request reaches the brain */
    claimToPlanRequest: number | null
    submitToPlanRequest: number | null
    planReplyToFirstOffer: number | null
    readyToGrant: Distribution
    grantToStart: Distribution
    answerToResultSent: Distribution
    lastGatheredToReportSent: number | null
  }
  /** shortest possible wall time from the workers' task durations on `slots` per box */
  lowerBoundMs: number
  /** the same plus the coordinator's two model turns (plan, summary) that no swarm can skip */
  lowerBoundWithModelMs: number
  wallMs: number
  efficiency: number
  efficiencyWithModel: number
}

const minOf = (xs: number[]): number | null => xs.length === 0 ? null : Math.min(...xs)
const maxOf = (xs: number[]): number | null => xs.length === 0 ? null : Math.max(...xs)
const diff = (a: number | null, b: number | null): number | null => a == null || b == null ? null : a - b
const nums = (xs: Array<number | null>): number[] => xs.filter((x): x is number => x != null && Number.isFinite(x))

export function computeOverhead (report: JobReport, log: StoredEntry[], brainLog: BrainLogLine[], slots: number): Overhead {
  const jobId = report.jobId
  const mine = brainLog.filter(l => l.kind !== 'agent' || l.jobId === jobId)
  const of = (type: string) => log.filter(e => e.msg.type === type) as Array<StoredEntry & { msg: any }>
  const submitted = of('job.submitted')[0]?.msg.submittedAt ?? report.submittedAt
  const planReq = mine.filter(l => l.kind === 'plan' && l.at >= submitted - 1000).sort((a, b) => a.at - b.at)[0]
  const summaryReq = mine.filter(l => l.kind === 'summary' && l.at >= submitted).sort((a, b) => a.at - b.at).at(-1)

  const tasks: TaskTimeline[] = report.tasks.map(t => {
    const offers = of('task.offer').filter(e => e.msg.taskId === t.taskId)
    const grants = of('task.grant').filter(e => e.msg.taskId === t.taskId)
    const lastGrant = grants.at(-1)
    const results = of('task.result').filter(e => e.msg.taskId === t.taskId)
    const result = results[0]
    const turns = mine.filter(l => l.kind === 'agent' && l.taskId === t.taskId && (lastGrant == null || l.at >= lastGrant.msg.ts - 5))
    const firstOfferOfAttempt = lastGrant != null ? minOf(offers.filter(o => o.msg.attempt === lastGrant.msg.attempt).map(o => o.msg.ts)) : null
    return {
      taskId: t.taskId,
      worker: lastGrant?.msg.worker ?? null,
      firstOffer: minOf(offers.map(o => o.msg.ts)),
      readyAt: firstOfferOfAttempt,
      grant: lastGrant?.msg.ts ?? null,
      start: minOf(turns.map(l => l.at)),
      answered: maxOf(turns.map(l => l.at + l.delayMs)),
      resultSent: result?.msg.ts ?? null,
      resultGathered: result?.at ?? null,
      taskMs: t.ms
    }
  })

  // a task offered while its worker's slots were busy is ready only when one frees up;
  // a slot is held from the claim (when that sibling was ready) until its result is sent
  const byGrant = tasks.filter(t => t.grant != null).sort((a, b) => a.grant! - b.grant!)
  for (const t of byGrant) {
    if (t.readyAt == null || t.worker == null) continue
    const busy = byGrant.filter(o => o !== t && o.worker === t.worker && o.grant! < t.grant! && o.readyAt != null)
    for (;;) {
      const at = t.readyAt
      const holding = busy.filter(o => o.readyAt! <= at && (o.resultSent ?? Infinity) > at)
      if (holding.length < slots) break
      t.readyAt = Math.min(...holding.map(o => o.resultSent ?? Infinity))
      if (!Number.isFinite(t.readyAt)) { t.readyAt = null; break }
    }
  }

  // a worker's first model request pays for cold code paths (HTTP client, model lookup)
  const firstStart = new Map<string, number>()
  for (const t of tasks) if (t.worker != null && t.start != null) firstStart.set(t.worker, Math.min(firstStart.get(t.worker) ?? Infinity, t.start))
  const cold = (t: TaskTimeline) => t.worker != null && t.grant != null && t.grant <= (firstStart.get(t.worker) ?? -Infinity)

  const planTurn = planReq?.delayMs ?? 0
  const firstOfferAny = minOf(nums(tasks.map(t => t.firstOffer)))
  const lastGathered = maxOf(nums(tasks.map(t => t.resultGathered)))
  const jobResult = of('job.result')[0]?.msg.ts ?? null
  const firstClaim = minOf(of('job.claim').map(e => e.msg.ts))

  const perWorker = new Map<string, number[]>()
  for (const t of tasks) {
    if (t.worker == null || t.taskMs == null) continue
    perWorker.set(t.worker, [...(perWorker.get(t.worker) ?? []), t.taskMs])
  }
  const lowerBoundMs = Math.max(0, ...[...perWorker.values()].map(ms => makespan(ms, slots)))
  const lowerBoundWithModelMs = lowerBoundMs + planTurn + (summaryReq?.delayMs ?? 0)
  const wallMs = report.wallMs
  return {
    tasks,
    submitToFirstOffer: distribution(nums(tasks.map(t => diff(t.firstOffer, submitted))).map(x => x - planTurn)),
    offerToStart: distribution(nums(tasks.map(t => diff(t.start, t.readyAt)))),
    offerToStartCold: distribution(nums(tasks.filter(cold).map(t => diff(t.start, t.readyAt)))),
    offerToStartWarm: distribution(nums(tasks.filter(t => !cold(t)).map(t => diff(t.start, t.readyAt)))),
    resultToGathered: distribution(nums(tasks.map(t => diff(t.resultGathered, t.resultSent)))),
    parts: {
      submitToClaim: firstClaim != null ? firstClaim - submitted : null,
      claimToPlanRequest: firstClaim != null && planReq != null ? planReq.at - firstClaim : null,
      submitToPlanRequest: planReq != null ? planReq.at - submitted : null,
      planReplyToFirstOffer: planReq != null ? diff(firstOfferAny, planReq.at + planReq.delayMs) : null,
      readyToGrant: distribution(nums(tasks.map(t => diff(t.grant, t.readyAt)))),
      grantToStart: distribution(nums(tasks.map(t => diff(t.start, t.grant)))),
      answerToResultSent: distribution(nums(tasks.map(t => diff(t.resultSent, t.answered)))),
      lastGatheredToReportSent: jobResult != null && lastGathered != null ? jobResult - lastGathered - (summaryReq?.delayMs ?? 0) : null
    },
    lowerBoundMs,
    lowerBoundWithModelMs,
    wallMs,
    efficiency: wallMs > 0 ? lowerBoundMs / wallMs : 0,
    efficiencyWithModel: wallMs > 0 ? lowerBoundWithModelMs / wallMs : 0
  }
}
