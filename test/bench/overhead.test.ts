import { describe, expect, it } from 'vitest'
import { computeOverhead } from '../../bench/lib/overhead.ts'

// A job of 3 tasks on one worker W with 2 slots: t3 is offered at once but waits for a slot.
const T0 = 1_000_000
const e = (at: number, msg: Record<string, unknown>) => ({ at: T0 + at, from: 'X', msg: { ts: T0 + at, ...msg } as any })
const log = [
  e(0, { type: 'job.submitted', submittedAt: T0 }),
  e(40, { type: 'job.claim' }),
  ...['t1', 't2', 't3'].map(taskId => e(1150, { type: 'task.offer', taskId, attempt: 1 })),
  e(1200, { type: 'task.grant', taskId: 't1', attempt: 1, worker: 'W' }),
  e(1210, { type: 'task.grant', taskId: 't2', attempt: 1, worker: 'W' }),
  { at: T0 + 3320, from: 'W', msg: { ts: T0 + 3300, type: 'task.result', taskId: 't1' } as any },
  { at: T0 + 4330, from: 'W', msg: { ts: T0 + 4310, type: 'task.result', taskId: 't2' } as any },
  e(3400, { type: 'task.grant', taskId: 't3', attempt: 1, worker: 'W' }),
  { at: T0 + 5530, from: 'W', msg: { ts: T0 + 5500, type: 'task.result', taskId: 't3' } as any },
  e(6700, { type: 'job.result' })
]
const turn = (at: number, taskId: string, delayMs = 1000) => ({ brain: 'b', at: T0 + at, delayMs, kind: 'agent', jobId: 'J', taskId })
const brainLog = [
  { brain: 'b', at: T0 + 100, delayMs: 1000, kind: 'plan' },
  turn(1250, 't1'), turn(2250, 't1', 1000),
  turn(1260, 't2'), turn(2260, 't2', 2000),
  turn(3450, 't3'), turn(4450, 't3', 1000),
  { brain: 'b', at: T0 + 5600, delayMs: 1000, kind: 'summary' }
]
const task = (taskId: string, ms: number) => ({ taskId, host: 'w', hostPeerId: 'W', worker: 'w', state: 'done', attempts: 1, ms, brain: null, toolCalls: [], findings: [] })
const report: any = { jobId: 'J', submittedAt: T0, wallMs: 6800, tasks: [task('t1', 2040), task('t2', 3040), task('t3', 2040)] }

describe('bench overhead', () => {
  const o = computeOverhead(report, log, brainLog, 2)

  it('takes the planning turn out of submit -> first offer', () => {
    expect(o.submitToFirstOffer.p50).toBe(150)
    expect(o.parts.submitToPlanRequest).toBe(100)
    expect(o.parts.submitToClaim).toBe(40)
    expect(o.parts.claimToPlanRequest).toBe(60)
    expect(o.parts.planReplyToFirstOffer).toBe(50)
  })

  it('counts a queued task as ready when a sibling frees its slot', () => {
    const t3 = o.tasks.find(t => t.taskId === 't3')!
    expect(t3.readyAt).toBe(T0 + 3300)
    expect(o.offerToStart.max).toBe(150) // t3: 3450 - 3300; t1: 100, t2: 110
    expect(o.parts.grantToStart.p50).toBe(50)
    // t1 and t2 were granted before W's first model request; t3 came later
    expect(o.offerToStartCold.n).toBe(2)
    expect(o.offerToStartWarm.max).toBe(150)
  })

  it('measures result -> gathered and the lower bound on 2 slots', () => {
    expect(o.resultToGathered.max).toBe(30)
    expect(o.lowerBoundMs).toBe(4080) // slots {3040} and {2040, 2040}
    expect(o.lowerBoundWithModelMs).toBe(o.lowerBoundMs + 2000)
    expect(o.efficiency).toBeCloseTo(4080 / 6800)
    expect(o.parts.lastGatheredToReportSent).toBe(6700 - 5530 - 1000)
  })
})
