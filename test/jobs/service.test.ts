import { afterEach, describe, expect, it, vi } from 'vitest'
import { encodeMessage } from '../../src/gossip/messages-codec.ts'
import { JOBS_TOPIC } from '../../src/gossip/messages.ts'
import type { JobReport } from '../../src/gossip/messages-report.ts'
import { Cluster, fastConfig, runJob, sent, type SimPeer } from './harness.ts'

let cluster: Cluster
afterEach(async () => { await cluster?.close() })

describe('jobs over an in-memory bus', () => {
  it('runs one task per host and every peer ends with the same report', async () => {
    cluster = new Cluster()
    const peers = [await cluster.add('a'), await cluster.add('b'), await cluster.add('c'), await cluster.add('d')]
    const report = await runJob(peers[1], { prompt: 'audit disks' })
    expect(report.status).toBe('completed')
    expect(report.tasks).toHaveLength(4)
    expect(report.hosts.map(h => h.name).sort()).toEqual(['a', 'b', 'c', 'd'])
    expect(report.hosts.every(h => h.state === 'findings')).toBe(true)
    expect(report.epoch).toBe(1)
    expect(report.stats.toolCalls).toBe(4)
    expect(report.findings).toHaveLength(4)
    expect(report.summary).toBe('4/4 tasks done')
    for (const p of peers) expect(p.runs).toEqual([`${p.name}:investigate ${p.name}`])
    await vi.waitFor(() => { for (const p of peers) expect(p.service.report(report.jobId)).toEqual(report) })
    for (const p of peers) expect(p.service.stats().drops).toEqual({})
    expect(peers[0].service.list()[0]).toMatchObject({ jobId: report.jobId, status: 'completed', epoch: 1 })
  })

  it('limits a job to its targets', async () => {
    cluster = new Cluster()
    const [a, b] = [await cluster.add('a'), await cluster.add('b'), await cluster.add('c')]
    const report = await runJob(a, { prompt: 'dns', targets: [b.id] })
    expect(report.status).toBe('completed')
    expect(report.hosts.map(h => h.name)).toEqual(['b'])
  })

  it('drops forged, stale and malformed messages, counts them, and changes nothing', async () => {
    cluster = new Cluster()
    const [a, b, c] = [await cluster.add('a'), await cluster.add('b'), await cluster.add('c')]
    const report = await runJob(a, { prompt: 'audit' })
    await vi.waitFor(() => expect(b.service.report(report.jobId).status).toBe('completed'))
    const before = JSON.stringify(b.service.report(report.jobId))
    const task = report.tasks.find(t => t.hostPeerId === a.id)!
    const result = sent(cluster, 'task.result').find(m => m.type === 'task.result' && m.taskId === task.taskId)!
    const forge = (m: object) => encodeMessage(m as never)
    // a result for a's task signed by c, who was never granted it
    cluster.net.inject(c.id, JOBS_TOPIC, forge({ ...result, worker: c.id, ts: undefined }))
    // a claim with an epoch older than the job's
    cluster.net.inject(c.id, JOBS_TOPIC, forge({ type: 'job.claim', jobId: report.jobId, epoch: 0, coordinator: c.id, coordinatorName: 'c', leaseMs: 1000 }))
    // garbage
    cluster.net.inject(c.id, JOBS_TOPIC, new TextEncoder().encode('{"v":1,"type":"task.res'))
    cluster.net.inject(c.id, JOBS_TOPIC, new TextEncoder().encode(JSON.stringify({ v: 1, type: 'task.grant', jobId: 'x' })))
    cluster.net.inject(c.id, JOBS_TOPIC, new TextEncoder().encode(JSON.stringify({ v: 99, type: 'job.claim' })))
    await vi.waitFor(() => {
      const s = b.service.stats().drops
      expect(s['not-granted']).toBe(1)
      expect(s['bad-json']).toBe(1)
      expect(s['bad-schema']).toBe(1)
      expect(s['bad-version']).toBe(1)
      expect(b.service.stats().dropped).toBe(5)
    })
    expect(JSON.stringify(b.service.report(report.jobId))).toBe(before)
  })

  it('forged coordinator messages at a stale epoch are dropped while a job runs', async () => {
    cluster = new Cluster()
    cluster.taskDelayMs = 400
    const [a, b, c] = [await cluster.add('a'), await cluster.add('b'), await cluster.add('c')]
    const jobId = await a.service.submit({ prompt: 'audit' })
    await vi.waitFor(() => expect(a.service.counts(jobId)?.running).toBeGreaterThan(0))
    const coordinatorId = a.service.report(jobId).coordinator!.peerId
    const forger = [a, b, c].find(p => p.id !== coordinatorId)!
    cluster.net.inject(forger.id, JOBS_TOPIC, encodeMessage({ type: 'task.state', jobId, epoch: 1, taskId: 't1', attempt: 1, state: 'unreachable', reason: 'forged' }))
    cluster.net.inject(forger.id, JOBS_TOPIC, encodeMessage({ type: 'task.grant', jobId, epoch: 0, taskId: 't1', attempt: 1, worker: forger.id }))
    const done = await new Promise<JobReport>(resolve => a.service.on('job:done', resolve))
    expect(done.status).toBe('completed')
    const drops = [a, b, c].filter(p => p !== forger).map(p => p.service.stats().drops)
    for (const d of drops) {
      expect(d['not-coordinator']).toBe(1)
      expect(d['stale-epoch']).toBe(1)
    }
  })

  it('rate-limits a flooding sender and refuses jobs from peers not allowed to submit', async () => {
    cluster = new Cluster(fastConfig({ maxMessagesPerSecond: 50, submitters: ['Qma'] }))
    const [a, b] = [await cluster.add('a'), await cluster.add('b')]
    for (let i = 0; i < 300; i++) cluster.net.inject('QmFlood', JOBS_TOPIC, new TextEncoder().encode('x'))
    await vi.waitFor(() => expect(a.service.stats().dropped).toBe(300))
    const drops = a.service.stats().drops
    expect(drops['rate-limited']).toBeGreaterThanOrEqual(240)
    expect(drops['bad-json'] + drops['rate-limited']).toBe(300)
    // b may not submit: it refuses locally, and a drops a forged submission from b
    await expect(b.service.submit({ prompt: 'not yours' })).rejects.toMatchObject({ name: 'JobRejectedError', code: 'ERR_NOT_ALLOWED' })
    const forged = encodeMessage({ type: 'job.submitted', jobId: 'jforged', epoch: 0, prompt: 'x', targets: null, submitter: b.id, submitterName: 'b', submittedAt: 1, deadline: Date.now() + 60_000 })
    cluster.net.inject(b.id, JOBS_TOPIC, forged)
    await vi.waitFor(() => expect(a.service.stats().drops['not-allowed']).toBe(1))
    expect(() => a.service.report('jforged')).toThrow(expect.objectContaining({ name: 'JobNotFoundError', code: 'ERR_JOB_NOT_FOUND' }))
    // a may
    const report = await runJob(a, { prompt: 'mine' })
    expect(report.status).toBe('completed')
  })

  it('cuts a report that would not fit one message, and says so', async () => {
    cluster = new Cluster()
    cluster.verbose = true
    const peers: SimPeer[] = []
    for (let i = 0; i < 24; i++) peers.push(await cluster.add(`h${i}`))
    const report = await runJob(peers[0], { prompt: 'tell me everything' }, 20_000)
    expect(report.status).toBe('completed')
    expect(report.truncated).toBe(true)
    expect(report.tasks).toHaveLength(24)
    expect(Buffer.byteLength(JSON.stringify(report))).toBeLessThan(1024 * 1024)
    await vi.waitFor(() => expect(peers[23].service.report(report.jobId)).toEqual(report))
  })

  it('never runs more than maxConcurrentTasks at once on a peer', async () => {
    cluster = new Cluster(fastConfig({ maxConcurrentTasks: 2 }), 6)
    cluster.taskDelayMs = 150
    const a = await cluster.add('a')
    let max = 0
    const timer = setInterval(() => { max = Math.max(max, a.service.stats().tasksRunning) }, 5)
    const report = await runJob(a, { prompt: 'many' })
    clearInterval(timer)
    expect(report.status).toBe('completed')
    expect(report.tasks).toHaveLength(7)
    expect(max).toBe(2)
  })
})
