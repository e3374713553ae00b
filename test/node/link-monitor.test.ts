import { generateKeyPair } from '@libp2p/crypto/keys'
import { defaultLogger } from '@libp2p/logger'
import { generateKey } from '@libp2p/pnet'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createNode, type SwarmLibp2p } from '../../src/node/libp2p.ts'
import { LinkMonitor } from '../../src/node/link-monitor.ts'
import { validateConfig } from '../../src/node/config.ts'

/** A connection whose muxer answers pings as `answer` says; records how it was aborted. */
function fakeConnection (answer: 'never' | 'at-once') {
  const conn = {
    status: 'open' as string,
    remotePeer: { toString: () => 'remote' },
    pings: 0,
    abortedWith: undefined as Error | undefined,
    abort (err: Error) { conn.status = 'closed'; conn.abortedWith = err },
    muxer: {
      async ping (options?: { signal?: AbortSignal }): Promise<number> {
        conn.pings++
        if (answer === 'at-once') return 1
        // a dead link: nothing comes back, only the caller's signal ends the wait
        return await new Promise((_resolve, reject) => {
          options?.signal?.addEventListener('abort', () => { reject(options.signal!.reason) }, { once: true })
        })
      }
    }
  }
  return conn
}

const monitors: LinkMonitor[] = []
const nodes: SwarmLibp2p[] = []
afterEach(async () => {
  monitors.splice(0).forEach(m => { m.stop() })
  await Promise.all(nodes.splice(0).map(async n => { await n.stop() }))
})

function monitor (conns: unknown[], init = { intervalMs: 20, timeoutMs: 100 }): LinkMonitor {
  const m = new LinkMonitor({ connectionManager: { getConnections: () => conns as any }, logger: defaultLogger() }, init)
  monitors.push(m)
  m.start()
  m.start()
  return m
}

describe('LinkMonitor', () => {
  it('aborts a connection whose ping goes unanswered, and leaves answering ones open', async () => {
    const dead = fakeConnection('never')
    const live = fakeConnection('at-once')
    const m = monitor([dead, live])
    await vi.waitFor(() => { expect(dead.status).toBe('closed') }, { timeout: 10_000, interval: 20 })
    expect(dead.abortedWith?.name).toBe('LinkTimeoutError')
    expect((dead.abortedWith as any)?.code).toBe('ERR_LINK_TIMEOUT')
    // one probe in flight per connection: the dead one was asked once, not every round
    expect(dead.pings).toBe(1)
    await vi.waitFor(() => { expect(live.pings).toBeGreaterThan(3) }, { timeout: 10_000, interval: 20 })
    expect(live.status).toBe('open')
    expect(m.stats.aborted).toBe(1)
  })

  it('stopping cancels probes in flight without aborting their connections', async () => {
    const dead = fakeConnection('never')
    const m = monitor([dead], { intervalMs: 20, timeoutMs: 60_000 })
    await vi.waitFor(() => { expect(dead.pings).toBe(1) }, { timeout: 10_000, interval: 20 })
    m.stop()
    m.stop()
    // the cancelled probe settles on a later tick; give it a few
    await new Promise(r => setImmediate(r))
    await new Promise(r => setImmediate(r))
    expect(dead.status).toBe('open')
    expect(m.stats.aborted).toBe(0)
  })

  it('two real peers ping each other at the muxer level and keep their connection', async () => {
    const psk = new Uint8Array(95)
    generateKey(psk)
    const config = validateConfig({
      peer: { listen: ['/ip4/127.0.0.1/tcp/0'] },
      discovery: { mdns: false },
      connection: { pingIntervalMs: 50, pingTimeoutMs: 2000 }
    })
    const [a, b] = await Promise.all([0, 1].map(async () => await createNode({ privateKey: await generateKeyPair('Ed25519'), swarmKey: psk, config })))
    nodes.push(a, b)
    const conn = await a.dial(b.getMultiaddrs()[0])
    await vi.waitFor(() => {
      expect(a.services.linkMonitor.stats.probes).toBeGreaterThan(5)
      expect(b.services.linkMonitor.stats.probes).toBeGreaterThan(5)
    }, { timeout: 20_000, interval: 50 })
    expect(conn.status).toBe('open')
    expect(a.services.linkMonitor.stats.aborted + b.services.linkMonitor.stats.aborted).toBe(0)
    expect(a.services.linkMonitor.stats.unpingable).toBe(0)
    // libp2p's own monitor is off: no /ipfs/ping stream was ever opened on the connection
    expect(conn.streams.some(s => s.protocol?.includes('/ipfs/ping') === true)).toBe(false)
  })
})
