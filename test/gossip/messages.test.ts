import { describe, expect, it } from 'vitest'
import { decodeMessage, DropCounter, encodeMessage, MAX_MESSAGE_BYTES, MessageTooLargeError } from '../../src/gossip/messages-codec.ts'

const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v))
const claim = { type: 'job.claim', jobId: 'j1', epoch: 2, coordinator: 'QmPeer', coordinatorName: 'a', leaseMs: 3000 } as const

describe('job message codec', () => {
  it('round-trips a message, filling in the version and timestamp', () => {
    const d = decodeMessage(encodeMessage(claim, 1234))
    expect(d.ok).toBe(true)
    if (d.ok) expect(d.message).toEqual({ ...claim, v: 1, ts: 1234 })
  })

  it('names the reason for every kind of bad input', () => {
    const reason = (data: Uint8Array) => { const d = decodeMessage(data); return d.ok ? 'ok' : d.reason }
    expect(reason(new TextEncoder().encode('{"v":1,'))).toBe('bad-json')
    expect(reason(new Uint8Array([0xff, 0xfe, 0x00]))).toBe('bad-json')
    expect(reason(enc(42))).toBe('bad-json')
    expect(reason(enc({ ...claim, v: 2, ts: 1 }))).toBe('bad-version')
    expect(reason(enc({ ...claim, v: 1, ts: 1, epoch: -1 }))).toBe('bad-schema')
    expect(reason(enc({ ...claim, v: 1, ts: 1, type: 'job.explode' }))).toBe('bad-schema')
    expect(reason(enc({ ...claim, v: 1, ts: 1, jobId: '../../etc/passwd' }))).toBe('bad-schema')
    expect(reason(enc({ ...claim, v: 1, ts: 1, extra: 'x'.repeat(MAX_MESSAGE_BYTES) }))).toBe('too-large')
    expect(reason(new Uint8Array(2 * 1024 * 1024))).toBe('too-large')
  })

  it('refuses to encode a message over its limit', () => {
    const big = { type: 'job.submitted', jobId: 'j1', epoch: 0, prompt: 'p', targets: null, submitter: 'QmA', submitterName: 'x'.repeat(MAX_MESSAGE_BYTES), submittedAt: 1, deadline: 2 } as const
    expect(() => encodeMessage(big)).toThrow(MessageTooLargeError)
    try { encodeMessage(big) } catch (err: any) { expect(err.code).toBe('ERR_MESSAGE_TOO_LARGE') }
  })

  it('bounds prompts and list sizes in the schema', () => {
    const sub = { v: 1, ts: 1, type: 'job.submitted', jobId: 'j1', epoch: 0, targets: null, submitter: 'QmA', submitterName: 'a', submittedAt: 1, deadline: 2 }
    expect(decodeMessage(enc({ ...sub, prompt: 'x'.repeat(4000) })).ok).toBe(true)
    expect(decodeMessage(enc({ ...sub, prompt: 'x'.repeat(4001) })).ok).toBe(false)
    expect(decodeMessage(enc({ ...sub, prompt: '' })).ok).toBe(false)
  })

  it('counts drops per reason', () => {
    const c = new DropCounter()
    c.count('bad-json'); c.count('bad-json'); c.count('stale-epoch')
    expect(c.snapshot()).toEqual({ 'bad-json': 2, 'stale-epoch': 1 })
    expect(c.total).toBe(3)
  })
})
