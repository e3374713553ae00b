import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it, vi } from 'vitest'
import { initHome } from '../../src/node/home.ts'
import { startPeer, type Peer } from '../../src/node/peer.ts'
import { createLogger } from '../../src/node/logger.ts'
import type { BusMessage } from '../../src/gossip/types.ts'

// Two peers in this process on 127.0.0.1 with mDNS off (never mDNS in the root
// namespace): the Peer API other layers build on, without needing root.
const root = mkdtempSync(join(tmpdir(), 'swarm-peer-'))
const peers: Peer[] = []
afterAll(async () => {
  for (const p of peers) await p.stop()
  rmSync(root, { recursive: true, force: true })
})

const quiet = createLogger('test', { level: 'error', sink: () => {} })
const local = { peer: { listen: ['/ip4/127.0.0.1/tcp/0'] }, discovery: { mdns: false } }

describe('startPeer', () => {
  it('connects through a bootstrap address, carries signed messages and presence fields, and leaves gracefully', async () => {
    await initHome({ home: join(root, 'a'), name: 'a' })
    await initHome({ home: join(root, 'b'), name: 'b', swarmKeyFile: join(root, 'a', 'swarm.key') })
    const a = await startPeer({ home: join(root, 'a'), env: {}, overrides: local, logger: quiet })
    peers.push(a)
    const addr = a.libp2p.getMultiaddrs()[0].toString()
    const b = await startPeer({ home: join(root, 'b'), env: {}, overrides: { ...local, peer: { ...local.peer, bootstrap: [addr] } }, logger: quiet })
    peers.push(b)
    expect(a.name).toBe('a')
    expect(a.config.discovery.mdns).toBe(false)

    await vi.waitFor(() => {
      expect(a.membership.get(b.peerId)?.state).toBe('alive')
      expect(b.membership.get(a.peerId)?.state).toBe('alive')
    }, { timeout: 10_000, interval: 50 })

    // the bus: `from` is the signer, publishing before the subscription lands can be retried
    const got: BusMessage[] = []
    b.bus.subscribe('test/echo', (m) => got.push(m))
    const sent = await a.bus.publishReliably('test/echo', new TextEncoder().encode('hello'), { signal: AbortSignal.timeout(10_000) })
    expect(sent).toBeGreaterThan(0)
    await vi.waitFor(() => { expect(got).toHaveLength(1) })
    expect(got[0]).toMatchObject({ topic: 'test/echo', from: a.peerId })
    expect(new TextDecoder().decode(got[0].data)).toBe('hello')

    // services contribute presence fields
    a.presence.contribute(() => ({ tasksRunning: 3 }))
    a.presence.announce()
    await vi.waitFor(() => { expect(b.membership.get(a.peerId)?.presence.tasksRunning).toBe(3) })

    const left: string[] = []
    b.membership.on('member:leave', (m) => left.push(m.peerId))
    let cleaned = 0
    a.onStop(() => { cleaned++ })
    await Promise.all([a.stop(), a.stop()])
    expect(cleaned).toBe(1)
    await vi.waitFor(() => { expect(left).toEqual([a.peerId]) }, { timeout: 2000 })
    expect(b.membership.get(a.peerId)?.deadReason).toBe('left')
  })
})
