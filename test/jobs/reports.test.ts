import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { encodeMessage } from '../../src/gossip/messages-codec.ts'
import { JOBS_TOPIC } from '../../src/gossip/messages.ts'
import type { JobReport } from '../../src/gossip/messages-report.ts'
import { Cluster, fastConfig, runJob, sent } from './harness.ts'

let cluster: Cluster
afterEach(async () => { await cluster?.close() })

const forge = (m: object) => encodeMessage(m as never)

describe('who may end a job: job.result and relayed job.report', () => {
  it('a member cannot end a running job with a relayed report while its coordinator holds the lease', async () => {
    cluster = new Cluster()
    cluster.taskDelayMs = 600
    const peers = [await cluster.add('a'), await cluster.add('b'), await cluster.add('c')]
    const jobId = await peers[0].service.submit({ prompt: 'audit' })
    const done = new Promise<JobReport>(resolve => peers[0].service.on('job:done', resolve))
    await vi.waitFor(() => expect(peers[0].service.counts(jobId)?.running).toBeGreaterThan(0))
    const coordinator = peers[0].service.report(jobId).coordinator!.peerId
    const forger = peers.find(p => p.id !== coordinator)!
    const submitted = sent(cluster, 'job.submitted').find(m => m.jobId === jobId)!
    // a report that looks right in every field: the real coordinator, epoch and submission
    const fake: JobReport = { ...peers[0].service.report(jobId), status: 'completed', endedAt: Date.now(), summary: 'forged' }
    cluster.net.inject(forger.id, JOBS_TOPIC, forge({ type: 'job.report', jobId, epoch: fake.epoch, submitted, report: fake }))
    const report = await done
    expect(report.summary).toBe('3/3 tasks done')
    for (const p of peers.filter(p => p !== forger)) expect(p.service.stats().drops['not-coordinator']).toBe(1)
    await vi.waitFor(() => { for (const p of peers) expect(p.service.report(jobId)).toEqual(report) })
  })

  it('a job.result is taken only from the coordinator it names, and never says running', async () => {
    cluster = new Cluster()
    const [a, b, c] = [await cluster.add('a'), await cluster.add('b'), await cluster.add('c')]
    const real = await runJob(a, { prompt: 'audit' })
    await vi.waitFor(() => expect(b.service.report(real.jobId).status).toBe('completed'))
    const other = { ...real, jobId: 'jnever', coordinator: { name: 'a', peerId: a.id } }
    // c publishes a result for a job nobody heard of, naming a as its coordinator
    cluster.net.inject(c.id, JOBS_TOPIC, forge({ type: 'job.result', jobId: 'jnever', epoch: real.epoch, report: other }))
    // a relayed report that is not final
    cluster.net.inject(c.id, JOBS_TOPIC, forge({ type: 'job.report', jobId: 'jrunning', epoch: 1, submitted: { v: 1, ts: 1, type: 'job.submitted', jobId: 'jrunning', epoch: 0, prompt: 'x', targets: null, submitter: c.id, submitterName: 'c', submittedAt: 1, deadline: 2 }, report: { ...real, jobId: 'jrunning', status: 'running', endedAt: null } }))
    // a higher-epoch report of a finished job whose submission differs from the log
    const submitted = sent(cluster, 'job.submitted').find(m => m.jobId === real.jobId)!
    cluster.net.inject(c.id, JOBS_TOPIC, forge({ type: 'job.report', jobId: real.jobId, epoch: 7, submitted: { ...submitted, prompt: 'rm -rf' }, report: { ...real, epoch: 7, prompt: 'rm -rf', summary: 'forged' } }))
    for (const p of [a, b]) {
      await vi.waitFor(() => {
        const drops = p.service.stats().drops
        expect(drops['not-sender']).toBe(1)
        expect(drops['bad-schema']).toBe(1)
        expect(drops['log-mismatch']).toBe(1)
      })
      expect(() => p.service.report('jnever')).toThrow(expect.objectContaining({ name: 'JobNotFoundError' }))
      expect(() => p.service.report('jrunning')).toThrow(expect.objectContaining({ name: 'JobNotFoundError' }))
      expect(p.service.report(real.jobId)).toEqual(real)
    }
  })
})

describe('records of jobs this peer only heard offers of', () => {
  it('keeps none for dropped offers and forgets an orphan once its job must be over', async () => {
    cluster = new Cluster(fastConfig({ maxDeadlineS: 1 }))
    const [a] = [await cluster.add('a'), await cluster.add('b')]
    const offer = (jobId: string, epoch: number) => forge({ type: 'task.offer', jobId, epoch, taskId: 't1', host: null, prompt: 'x', attempt: 1 })
    // epoch 0 has no coordinator: dropped, and no trace of the job may stay behind
    for (let i = 0; i < 20; i++) cluster.net.inject('QmRogue', JOBS_TOPIC, offer(`jx${i}`, 0))
    await vi.waitFor(() => expect(a.service.stats().drops['not-coordinator']).toBe(20))
    expect(a.service.stats().jobs).toBe(0)
    // a real-looking offer of a job we missed the start of is kept (a late joiner's task)...
    cluster.net.inject('QmRogue', JOBS_TOPIC, offer('jorphan', 1))
    await vi.waitFor(() => expect(a.service.stats().jobs).toBe(1))
    // ...but with no submission and no report after the longest deadline, it is dropped
    await vi.waitFor(() => expect(a.service.stats().jobs).toBe(0), { timeout: 5000 })
    await a.service.stop()
    expect(existsSync(join(a.home, 'jobs', 'jorphan.jsonl'))).toBe(false)
  })
})
