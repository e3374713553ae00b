import { describe, expect, it } from 'vitest'
import { decodePresence, encodePresence, MAX_PRESENCE_BYTES } from '../../src/gossip/presence.ts'
import type { Presence } from '../../src/gossip/types.ts'

const good: Presence = {
  v: 1, name: 'web-01', hostname: 'web-01', platform: 'linux', arch: 'x64', cpus: 4, totalMem: 8e9, freeMem: 4e9,
  load: [0.5, 0.4, 0.3], version: '0.1.0', tools: ['disk_usage'], endpoints: [{ url: 'http://10.0.0.7:11434/v1', model: 'm' }],
  tags: ['gpu'], tasksRunning: 1, ts: 1, seq: 2
}

describe('presence codec', () => {
  it('round-trips a record', () => {
    expect(decodePresence(encodePresence(good))).toEqual({ ok: true, presence: good })
  })

  it('reports bad records with a reason instead of throwing', () => {
    const enc = (v: unknown) => new TextEncoder().encode(typeof v === 'string' ? v : JSON.stringify(v))
    expect(decodePresence(enc('{nope'))).toMatchObject({ ok: false, reason: 'not-json' })
    expect(decodePresence(enc({ ...good, v: 2 }))).toMatchObject({ ok: false, reason: 'invalid' })
    expect(decodePresence(enc({ ...good, cpus: 'four' }))).toMatchObject({ ok: false, reason: 'invalid', detail: 'cpus' })
    expect(decodePresence(enc(null))).toMatchObject({ ok: false, reason: 'invalid' })
    expect(decodePresence(new Uint8Array(MAX_PRESENCE_BYTES + 1))).toMatchObject({ ok: false, reason: 'too-large' })
  })
})
