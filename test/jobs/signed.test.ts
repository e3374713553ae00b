/**
 * Signed job reports with real ed25519 identities: the coordinator signs its job.result,
 * relays carry the signature (also from a restarted peer's store), and a report without
 * its coordinator's valid signature is dropped everywhere (bad-signature).
 */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { successorOf } from '../../src/election/rendezvous.ts'
import { encodeMessage } from '../../src/gossip/messages-codec.ts'
import { JOBS_TOPIC } from '../../src/gossip/messages.ts'
import type { JobReport } from '../../src/gossip/messages-report.ts'
import { ed25519Signing, reportSignatureValid, signReport } from '../../src/node/jobs/signature.ts'
import { Cluster, fastConfig, runJob, sent, type SimPeer } from './harness.ts'

let cluster: Cluster | undefined
afterEach(async () => {
  await cluster?.close()
  cluster = undefined
})

async function signedCluster (names: string[], config = fastConfig()): Promise<{ cluster: Cluster, peers: SimPeer[] }> {
  const c = new Cluster(config)
  c.identities = 'ed25519'
  cluster = c
  const peers: SimPeer[] = []
  for (const name of names) peers.push(await c.add(name))
  return { cluster: c, peers }
}

const reportOf = (p: SimPeer, jobId: string) => new Promise<JobReport>(resolve => {
  p.service.on('job:done', (r: JobReport) => { if (r?.jobId === jobId) resolve(r) })
})

const notFound = expect.objectContaining({ name: 'JobNotFoundError' })

describe('signed job reports', () => {
  it('the coordinator signs its result with its identity key; the signature fails for any other report or key', async () => {
    const { cluster, peers } = await signedCluster(['a', 'b', 'c'])
    const report = await runJob(peers[0], { prompt: 'audit' })
    await vi.waitFor(() => { for (const p of peers) expect(p.service.report(report.jobId)).toEqual(report) })
    const result = sent(cluster, 'job.result').find(m => m.jobId === report.jobId)!
    const coordinator = peers.find(p => p.id === report.coordinator?.peerId)!
    // anyone checks it knowing only the coordinator's peerId
    const checker = ed25519Signing(await generateKeyPair('Ed25519'))
    expect(reportSignatureValid(checker, result.report, result.sig)).toBe(true)
    expect(reportSignatureValid(checker, { ...result.report, summary: 'all fine' }, result.sig)).toBe(false)
    expect(reportSignatureValid(checker, { ...result.report, epoch: 2 }, result.sig)).toBe(false)
    const other = peers.find(p => p !== coordinator)!
    expect(reportSignatureValid(checker, { ...result.report, coordinator: { name: other.name, peerId: other.id } }, result.sig)).toBe(false)
    expect(reportSignatureValid(checker, result.report, signReport(cluster.signingOf(other.name), result.report))).toBe(false)
    expect(reportSignatureValid(checker, result.report, undefined)).toBe(false)
    // key order and fields the schema does not know change nothing: the digest is of the parsed report
    const reordered = Object.fromEntries(Object.entries({ ...result.report, extra: 1 }).reverse()) as unknown as JobReport
    expect(signReport(cluster.signingOf(coordinator.name), reordered)).toBe(result.sig)
    for (const p of peers) expect(p.service.stats().drops).toEqual({})
  })

  it('a relayed report of a job nobody heard of is dropped everywhere, whoever it names and however it is signed', async () => {
    const { cluster, peers } = await signedCluster(['a', 'b', 'c', 'd'])
    const real = await runJob(peers[0], { prompt: 'audit' })
    await vi.waitFor(() => { for (const p of peers) expect(p.service.report(real.jobId)).toEqual(real) })
    const result = sent(cluster, 'job.result').find(m => m.jobId === real.jobId)!
    const coordinator = peers.find(p => p.id === real.coordinator?.peerId)!
    const forger = peers.find(p => p !== coordinator)!
    const honest = peers.filter(p => p !== forger)
    const jobsBefore = honest.map(p => p.service.stats().jobs)
    const fake = (jobId: string): { submitted: object, report: JobReport } => {
      const submitted = { v: 1, ts: 1, type: 'job.submitted', jobId, epoch: 0, prompt: 'rm -rf /', targets: null, submitter: forger.id, submitterName: forger.name, submittedAt: 1, deadline: 2 }
      return { submitted, report: { ...real, jobId, prompt: 'rm -rf /', submitter: { name: forger.name, peerId: forger.id }, submittedAt: 1, summary: 'all fine' } }
    }
    const relay = (jobId: string, sig?: string) => {
      const { submitted, report } = fake(jobId)
      cluster.net.inject(forger.id, JOBS_TOPIC, encodeMessage({ type: 'job.report', jobId, epoch: report.epoch, submitted, report, ...(sig != null ? { sig } : {}) } as never))
    }
    // in the coordinator's name: unsigned, signed by the forger, and with the coordinator's signature of another report
    relay('jforged1')
    relay('jforged2', signReport(cluster.signingOf(forger.name), fake('jforged2').report))
    relay('jforged3', result.sig)
    // a garbled signature is a bad signature too, not a crash
    relay('jforged4', 'AAAA')
    for (const p of honest) {
      await vi.waitFor(() => expect(p.service.stats().drops['bad-signature']).toBe(4))
      for (const id of ['jforged1', 'jforged2', 'jforged3', 'jforged4']) {
        expect(() => p.service.report(id)).toThrow(notFound)
        expect(existsSync(join(p.home, 'jobs', `${id}.jsonl`))).toBe(false)
      }
    }
    expect(honest.map(p => p.service.stats().jobs)).toEqual(jobsBefore)
    // an honest, signed report with a submission of the forger's making, to a peer that never heard of the job
    const late = await cluster.add('e')
    const done = reportOf(late, real.jobId)
    cluster.net.inject(forger.id, JOBS_TOPIC, encodeMessage({ type: 'job.report', jobId: real.jobId, epoch: real.epoch, submitted: fake(real.jobId).submitted, report: real, sig: result.sig } as never))
    await vi.waitFor(() => expect(late.service.stats().drops['log-mismatch']).toBe(1))
    // ...which still gets the real one by catch-up
    expect(await done).toEqual(real)
    expect(late.service.list().find(j => j.jobId === real.jobId)?.prompt).toBe('audit')
  })

  it('a forged ending of a running job whose coordinator died is dropped; the successor ends it', async () => {
    // a long stagger: nobody but the successor may claim while its messages are held back
    const { cluster, peers } = await signedCluster(['a', 'b', 'c', 'd'], fastConfig({ renewMs: 500, leaseMs: 3000, staggerMs: 4000 }))
    cluster.taskDelayMs = 1500
    const jobId = await peers[0].service.submit({ prompt: 'audit' })
    await vi.waitFor(() => expect(peers[0].service.counts(jobId)?.running).toBeGreaterThan(0))
    const holder = peers.find(p => p.id === peers[0].service.report(jobId).coordinator?.peerId)!
    const successor = peers.find(p => p.id === successorOf(jobId, holder.id, peers.map(q => q.id)))!
    const forger = peers.find(p => p !== holder && p !== successor)!
    const other = peers.find(p => p !== holder && p !== successor && p !== forger)!
    const honest = [successor, other]
    const done = honest.map(p => reportOf(p, jobId))
    // the successor's claim is held back until the forgeries are judged, so the third peer
    // judges them with the holder dead and no takeover heard (else they would be stale anyway)
    cluster.net.loseFor = (from) => from === successor.id
    await cluster.kill(holder.name)
    const submitted = sent(cluster, 'job.submitted').find(m => m.jobId === jobId)!
    const running = peers[0].service.report(jobId)
    // a completed report at the takeover's epoch in the successor's name, and at the holder's in the holder's
    for (const [epoch, who] of [[2, successor], [1, holder]] as const) {
      const report: JobReport = { ...running, epoch, status: 'completed', endedAt: Date.now(), summary: 'all fine', coordinator: { name: who.name, peerId: who.id } }
      cluster.net.inject(forger.id, JOBS_TOPIC, encodeMessage({ type: 'job.report', jobId, epoch, submitted, report, sig: signReport(cluster.signingOf(forger.name), report) }))
    }
    await vi.waitFor(() => expect(other.service.stats().drops).toEqual({ 'bad-signature': 2 }))
    cluster.net.loseFor = undefined
    const reports = await Promise.all(done)
    for (const r of reports) {
      expect(r.coordinator?.peerId).toBe(successor.id)
      expect(r.epoch).toBe(2)
      expect(r.summary).not.toBe('all fine')
    }
    expect(reports[1]).toEqual(reports[0])
    // the successor may have claimed before they came: dropped then for that (not-coordinator, stale-epoch)
    expect(Object.values(successor.service.stats().drops).reduce((n, k) => n + k, 0)).toBe(2)
    expect(other.service.stats().drops).toEqual({ 'bad-signature': 2 })
  })

  it('an honest report reaches a peer that was down, relayed with its signature from a restarted peer\'s store', async () => {
    const { cluster, peers: [a, b, c] } = await signedCluster(['a', 'b', 'c'])
    await cluster.kill('c')
    const report = await runJob(b, { prompt: 'while c was down' })
    await vi.waitFor(() => expect(a.service.report(report.jobId)).toEqual(report))
    const sig = sent(cluster, 'job.result').find(m => m.jobId === report.jobId)!.sig
    // only b holds the report now, and only on disk
    await cluster.kill('a')
    await cluster.kill('b')
    const b2 = await cluster.add('b', b.home)
    const c2 = await cluster.add('c', c.home)
    await vi.waitFor(() => expect(c2.service.report(report.jobId)).toEqual(report), { timeout: 5000 })
    const relays = sent(cluster, 'job.report').filter(m => m.jobId === report.jobId)
    expect(relays.length).toBeGreaterThan(0)
    for (const m of relays) expect(m.sig).toBe(sig)
    for (const p of [b2, c2]) expect(p.service.stats().drops).toEqual({})
    // c2 relays it on in turn, and a repeat replaces nothing
    const d = await cluster.add('d')
    await vi.waitFor(() => expect(d.service.report(report.jobId)).toEqual(report), { timeout: 5000 })
    expect(c2.service.report(report.jobId)).toEqual(report)
    expect(d.service.stats().drops).toEqual({})
  })
})
