import { appendFileSync, mkdtempSync, readFileSync, rmSync, utimesSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { Cluster, runJob } from './harness.ts'
import { JobStore } from '../../src/node/jobs/store.ts'
import type { JobMessage } from '../../src/gossip/messages.ts'

let dir: string
afterEach(() => { rmSync(dir, { recursive: true, force: true }) })

const msg = (epoch: number): JobMessage => ({ v: 1, ts: 1, type: 'job.claim', jobId: 'j1', epoch, coordinator: 'QmA', coordinatorName: 'a', leaseMs: 3000 })

describe('job store', () => {
  it('appends in order and reads back', async () => {
    dir = mkdtempSync(join(tmpdir(), 'swarm-store-'))
    const store = new JobStore(dir)
    await Promise.all([1, 2, 3, 4, 5].map(async e => { await store.append('j1', { at: e, from: 'QmA', msg: msg(e) }) }))
    const read = await store.read('j1')
    expect(read?.entries.map(e => (e.msg as any).epoch)).toEqual([1, 2, 3, 4, 5])
    expect(read?.skipped).toBe(0)
    expect(await store.read('nope')).toBeNull()
  })

  it('survives a torn last record: the reader skips it, the next append starts a clean line', async () => {
    dir = mkdtempSync(join(tmpdir(), 'swarm-store-'))
    await new JobStore(dir).append('j1', { at: 1, from: 'QmA', msg: msg(1) })
    // a crash in the middle of a write
    appendFileSync(join(dir, 'jobs', 'j1.jsonl'), '{"at":2,"from":"QmA","msg":{"v":1,"ty')
    const afterCrash = new JobStore(dir)
    expect((await afterCrash.read('j1'))?.entries).toHaveLength(1)
    await afterCrash.append('j1', { at: 3, from: 'QmA', msg: msg(3) })
    const read = await afterCrash.read('j1')
    expect(read?.entries.map(e => (e.msg as any).epoch)).toEqual([1, 3])
    expect(read?.skipped).toBe(1)
    expect(readFileSync(join(dir, 'jobs', 'j1.jsonl'), 'utf8').endsWith('\n')).toBe(true)
  })

  it('refuses job ids that could escape the directory', async () => {
    dir = mkdtempSync(join(tmpdir(), 'swarm-store-'))
    await expect(new JobStore(dir).append('../x', { at: 1, from: 'QmA', msg: msg(1) })).rejects.toMatchObject({ name: 'JobStoreError', code: 'ERR_JOB_STORE' })
  })

  it('prunes beyond max jobs and max age, never the kept ones', async () => {
    dir = mkdtempSync(join(tmpdir(), 'swarm-store-'))
    const store = new JobStore(dir, { fsync: false })
    for (let i = 0; i < 6; i++) await store.append(`j${i}`, { at: i, from: 'QmA', msg: msg(1) })
    const now = Date.now()
    for (let i = 0; i < 6; i++) utimesSync(join(dir, 'jobs', `j${i}.jsonl`), new Date(now - (10 - i) * 1000), new Date(now - (10 - i) * 1000))
    const removed = await store.prune({ maxJobs: 4, maxAgeMs: 86_400_000 }, new Set(['j0']), now)
    expect(removed).toEqual(['j1', 'j2'])
    expect((await store.list()).map(j => j.jobId)).toEqual(['j0', 'j3', 'j4', 'j5'])
    const old = await store.prune({ maxJobs: 100, maxAgeMs: 5500 }, new Set(), now)
    expect(old).toEqual(['j0', 'j3', 'j4'])
  })

  it('skips stored lines that parse but are not job messages (corrupt disk, older version), and the peer still starts', async () => {
    dir = mkdtempSync(join(tmpdir(), 'swarm-store-'))
    const cluster = new Cluster()
    try {
      const a = await cluster.add('a')
      const report = await runJob(a, { prompt: 'audit' })
      await a.service.stop()
      const file = join(a.home, 'jobs', `${report.jobId}.jsonl`)
      appendFileSync(file, JSON.stringify({ at: 9, from: 'QmA', msg: { type: 'job.plan', jobId: report.jobId, epoch: 1 } }) + '\n')
      appendFileSync(file, JSON.stringify({ at: 9, from: 'QmA', msg: { v: 1, ts: 1, type: 'job.claim', jobId: report.jobId, epoch: 'x' } }) + '\n')
      const read = await new JobStore(a.home).read(report.jobId)
      expect(read?.skipped).toBe(2)
      const again = await cluster.add('a', a.home)
      expect(again.service.report(report.jobId)).toEqual(report)
    } finally {
      await cluster.close()
    }
  })
})
