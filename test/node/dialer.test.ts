import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { PeerId } from '@libp2p/interface'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { Dialer } from '../../src/node/dialer.ts'
import { createLogger } from '../../src/node/logger.ts'

async function newId (): Promise<PeerId> {
  return peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
}

/** Two ids ordered as the dialer compares them (string order). */
async function orderedIds (): Promise<[PeerId, PeerId]> {
  const x = await newId()
  const y = await newId()
  return x.toString() < y.toString() ? [x, y] : [y, x]
}

/** Just the slice of libp2p the dialer uses, recording dials and hang-ups. */
function fakeNode (self: PeerId) {
  const conns = new Map<string, Array<{ status: string, direction: string, timeline: { open: number }, remotePeer: PeerId, streams: Array<{ protocol: string }>, close: () => Promise<void> }>>()
  const node = new EventTarget() as any
  node.peerId = self
  node.services = { mdns: new EventTarget() }
  node.dials = [] as string[]
  node.hangUps = [] as string[]
  node.peerStore = { merge: async () => {} }
  node.getConnections = (p?: PeerId) => p == null ? [...conns.values()].flat() : (conns.get(p.toString()) ?? [])
  node.getPeers = () => [...conns.values()].filter(c => c.length > 0).map(c => c[0].remotePeer)
  node.connect = (p: PeerId, direction = 'outbound', openedAt = Date.now()) => {
    const list = conns.get(p.toString()) ?? []
    const conn = { status: 'open', direction, timeline: { open: openedAt }, remotePeer: p, streams: [] as Array<{ protocol: string }>, close: async () => { conn.status = 'closed' } }
    list.push(conn)
    conns.set(p.toString(), list)
    node.dispatchEvent(new CustomEvent('connection:open', { detail: conn }))
    return conn
  }
  node.dial = async (p: PeerId) => { node.dials.push(p.toString()); return node.connect(p) }
  node.hangUp = async (p: PeerId) => { node.hangUps.push(p.toString()); conns.delete(p.toString()) }
  node.answer = (p: PeerId) => node.services.mdns.dispatchEvent(new CustomEvent('peer', { detail: { id: p, multiaddrs: [] } }))
  return node
}

const dialers: Dialer[] = []
afterEach(() => { dialers.splice(0).forEach(d => { d.stop() }); vi.useRealTimers() })

function dialer (node: any, over: { subscribers?: () => string[], unreachable?: () => Array<{ peerId: string }>, watchdogMs?: number } = {}) {
  const d = new Dialer({
    node,
    unreachable: over.unreachable ?? (() => []),
    subscribers: over.subscribers ?? (() => []),
    log: createLogger('test', { sink: () => {} })
  }, { bootstrap: [], redialIntervalMs: 60_000, watchdogMs: over.watchdogMs ?? 60_000, watchTopic: 't' })
  dialers.push(d)
  d.start()
  d.start()
  return d
}

describe('Dialer', () => {
  it('the lower peer id dials on every mDNS answer it is not connected for', async () => {
    const [low, high] = await orderedIds()
    const node = fakeNode(low)
    dialer(node)
    node.answer(high)
    await vi.waitFor(() => { expect(node.dials).toEqual([high.toString()]) })
    node.answer(high) // connected now: no second dial
    await new Promise(r => setTimeout(r, 20))
    expect(node.dials).toHaveLength(1)
    await node.hangUp(high) // the box went away and answers again later
    node.answer(high)
    await vi.waitFor(() => { expect(node.dials).toHaveLength(2) })
  })

  it('the higher peer id only dials as a fallback when the lower one did not', async () => {
    const [low, high] = await orderedIds()
    const node = fakeNode(high)
    dialer(node)
    node.answer(low)
    await new Promise(r => setTimeout(r, 300))
    expect(node.dials).toEqual([])
    await vi.waitFor(() => { expect(node.dials).toEqual([low.toString()]) }, { timeout: 5000 })
  })

  it('keeps one connection per pair: the one the lower id dialled', async () => {
    const [low, high] = await orderedIds()
    const node = fakeNode(low)
    const d = dialer(node)
    const inbound = node.connect(high, 'inbound')
    const outbound = node.connect(high, 'outbound')
    await vi.waitFor(() => { expect(inbound.status).toBe('closed') }, { timeout: 3000 })
    expect(outbound.status).toBe('open')
    expect(d.stats.duplicatesClosed).toBe(1)
  })

  it('leaves a duplicate alone when gossipsub runs over it', async () => {
    const [low, high] = await orderedIds()
    const node = fakeNode(low)
    const d = dialer(node)
    const inbound = node.connect(high, 'inbound')
    inbound.streams.push({ protocol: '/meshsub/1.2.0' })
    node.connect(high, 'outbound')
    await new Promise(r => setTimeout(r, 1300))
    expect(inbound.status).toBe('open')
    expect(d.stats.duplicatesClosed).toBe(0)
  })

  it('hangs up and redials a connected peer that gossipsub lost', async () => {
    const [low, high] = await orderedIds()
    const node = fakeNode(low)
    let subscribed: string[] = [high.toString()]
    const d = dialer(node, { subscribers: () => subscribed, watchdogMs: 300 })
    node.connect(high, 'outbound', Date.now() - 1000)
    await new Promise(r => setTimeout(r, 400))
    expect(node.hangUps).toEqual([])
    subscribed = []
    await vi.waitFor(() => { expect(node.hangUps).toEqual([high.toString()]) })
    await vi.waitFor(() => { expect(node.dials).toContain(high.toString()) })
    expect(d.stats.watchdogRedials).toBe(1)
  })
})
