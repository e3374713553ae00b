/**
 * The wire protocol against hostile or buggy members: deadlines capped on receipt,
 * catch-up relays capped per requester, coordinator messages at a higher epoch taken
 * only from a member the election could have made coordinator.
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { encodeMessage } from '../../src/gossip/messages-codec.ts'
import { JOBS_TOPIC, type MessageOf } from '../../src/gossip/messages.ts'
import type { JobReport } from '../../src/gossip/messages-report.ts'
import { boundDeadlines, latestDeadline, MAX_CLOCK_AHEAD_MS } from '../../src/node/jobs/bound.ts'
import { Cluster, fastConfig, type SimPeer } from './harness.ts'

let cluster: Cluster
afterEach(async () => { await cluster?.close() })

const DAY = 86_400_000

function submission (jobId: string, submittedAt: number, deadline: number, targets: string[] | null = null): MessageOf<'job.submitted'> {
  return { v: 1, ts: submittedAt, type: 'job.submitted', jobId, epoch: 0, prompt: 'audit', targets, submitter: 'QmSubmitter', submitterName: 's', submittedAt, deadline }
}

const reportOf = (p: SimPeer, jobId: string) => new Promise<JobReport>(resolve => {
  p.service.on('job:done', (r: JobReport) => { if (r?.jobId === jobId) resolve(r) })
})

describe('deadlines from the wire', () => {
  it('are capped at maxDeadlineS from the submission time, or from our clock if it is dated ahead', () => {
    const now = 1_000_000_000
    expect(latestDeadline(now - 500, now, 2000)).toBe(now + 1500)
    expect(latestDeadline(now + 10 * DAY, now, 2000)).toBe(now + MAX_CLOCK_AHEAD_MS + 2000)
    const s = submission('j1', now, now + 365 * DAY)
    expect(boundDeadlines(s, now, 2000).deadline).toBe(now + 2000)
    // a deadline within the bound is left alone, and so is the message object
    const fine = submission('j1', now, now + 1000)
    expect(boundDeadlines(fine, now, 2000)).toBe(fine)
    const offer: MessageOf<'task.offer'> = { v: 1, ts: now, type: 'task.offer', jobId: 'j1', epoch: 1, taskId: 't1', host: null, prompt: 'x', attempt: 1, deadline: now + DAY }
    expect(boundDeadlines(offer, now, 2000).deadline).toBe(now + 2000)
    const report = { v: 1, ts: now, type: 'job.report', jobId: 'j1', epoch: 1, submitted: s, report: {} } as unknown as MessageOf<'job.report'>
    expect(boundDeadlines(report, now, 2000).submitted.deadline).toBe(now + 2000)
  })

  it('a job that asks for 20 days ends at the configured maximum on every peer', async () => {
    cluster = new Cluster(fastConfig({ maxDeadlineS: 2, unreachableWaitMs: 100 }))
    // every task would run for a minute: only the deadline ends this job in time
    cluster.taskDelayMs = 60_000
    const [a, b] = [await cluster.add('a'), await cluster.add('b')]
    const now = Date.now()
    const done = [a, b].map(p => reportOf(p, 'jforever'))
    cluster.net.inject('QmSubmitter', JOBS_TOPIC, encodeMessage(submission('jforever', now, now + 20 * DAY)))
    await vi.waitFor(() => { for (const p of [a, b]) expect(p.service.report('jforever').deadline).toBe(now + 2000) })
    await vi.waitFor(() => { for (const p of [a, b]) expect(p.service.stats().tasksRunning).toBe(1) })
    const reports = await Promise.all(done)
    for (const r of reports) {
      expect(r.deadline).toBe(now + 2000)
      expect(r.endedAt!).toBeGreaterThanOrEqual(now + 2000)
      expect(r.tasks.every(t => t.state !== 'done')).toBe(true)
    }
    for (const p of [a, b]) {
      expect(p.service.stats().deadlinesClamped).toBe(1)
      expect(p.runs).toHaveLength(1)
    }
    await vi.waitFor(() => { for (const p of [a, b]) expect(p.service.stats().tasksRunning).toBe(0) })
  })
})
