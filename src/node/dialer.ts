import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import type { Connection, PeerId, PeerInfo } from '@libp2p/interface'
import type { SwarmLibp2p } from './libp2p.ts'
import type { Logger } from './logger.ts'

/**
 * Keeps the swarm connected, since libp2p v3 dials nothing by itself:
 * - every mDNS answer is dialled (not only the first), so a box that comes back rejoins;
 * - one connection per pair: the lower peer id dials at once, the higher one only as a
 *   fallback when still unconnected a moment later; duplicates from racing dials are closed;
 * - silent members and bootstrap addresses are redialled with a capped backoff;
 * - a watchdog hangs up and redials a connected peer that gossipsub has lost.
 */
export interface DialerInit {
  bootstrap: string[]
  redialIntervalMs: number
  watchdogMs: number
  /** the topic every swarm peer subscribes to; a peer missing from it for watchdogMs is redialled */
  watchTopic: string
}

export interface DialerComponents {
  node: SwarmLibp2p
  /** peers the membership view says are not alive (suspect or dead, not forgotten) */
  unreachable: () => Array<{ peerId: string }>
  /** peer ids gossipsub knows as subscribed to a topic */
  subscribers: (topic: string) => string[]
  log: Logger
}

/** How long the higher peer id waits for the lower to dial before dialling itself. */
const FALLBACK_DIAL_MS = 3000
/** How long a duplicate connection lives before it is closed (its streams settle first). */
const DEDUPE_DELAY_MS = 1000
const MAX_BACKOFF_ROUNDS = 4

type DialerState = { status: 'stopped' } | { status: 'running', timers: NodeJS.Timeout[] }

export class Dialer {
  private state: DialerState = { status: 'stopped' }
  private readonly self: string
  private readonly inFlight = new Set<string>()
  private readonly attempts = new Map<string, { rounds: number, skip: number }>()
  private readonly fallbacks = new Map<string, NodeJS.Timeout>()
  private readonly bootstrapPeers = new Map<string, string>()
  /** bootstrap addresses whose failure was reported and not yet their recovery */
  private readonly bootstrapWarned = new Set<string>()
  readonly stats = { dials: 0, dialFailures: 0, duplicatesClosed: 0, watchdogRedials: 0, connectionsClosed: 0 }

  constructor (private readonly components: DialerComponents, private readonly init: DialerInit) {
    this.self = components.node.peerId.toString()
    this.onMdnsPeer = this.onMdnsPeer.bind(this)
    this.onConnectionOpen = this.onConnectionOpen.bind(this)
    this.onConnectionClose = this.onConnectionClose.bind(this)
  }

  private onConnectionClose (evt: CustomEvent<Connection>): void {
    this.stats.connectionsClosed++
    this.components.log.debug(`connection to ${evt.detail.remotePeer.toString()} closed (${evt.detail.direction}, open ${Date.now() - evt.detail.timeline.open} ms)`)
  }

  start (): void {
    if (this.state.status === 'running') return
    const { node } = this.components
    node.services.mdns?.addEventListener('peer', this.onMdnsPeer)
    node.addEventListener('connection:open', this.onConnectionOpen)
    node.addEventListener('connection:close', this.onConnectionClose)
    const timers = [
      setInterval(() => { this.redialRound() }, this.init.redialIntervalMs),
      setInterval(() => { this.watchdogRound() }, Math.max(250, Math.floor(this.init.watchdogMs / 2)))
    ]
    this.state = { status: 'running', timers }
    this.redialRound()
  }

  stop (): void {
    if (this.state.status !== 'running') return
    const { node } = this.components
    node.services.mdns?.removeEventListener('peer', this.onMdnsPeer)
    node.removeEventListener('connection:open', this.onConnectionOpen)
    node.removeEventListener('connection:close', this.onConnectionClose)
    this.state.timers.forEach(t => { clearInterval(t) })
    this.fallbacks.forEach(t => { clearTimeout(t) })
    this.fallbacks.clear()
    this.state = { status: 'stopped' }
  }

  private connected (peer: string | PeerId): boolean {
    return this.components.node.getConnections(typeof peer === 'string' ? peerIdFromString(peer) : peer).some(c => c.status === 'open')
  }

  private onMdnsPeer (evt: CustomEvent<PeerInfo>): void {
    const { id, multiaddrs } = evt.detail
    const peer = id.toString()
    if (peer === this.self || this.state.status !== 'running') return
    // every peer answers every query, so a connected peer's answers arrive many times a
    // second in a large swarm; its addresses are known (identify), a peer store write is not free
    if (this.connected(id)) return
    // mDNS also advertises loopback; a remote 127.0.0.1 is never the announcing box
    const usable = multiaddrs.filter(ma => !/^\/ip4\/127\.|^\/ip6\/::1\//.test(ma.toString()))
    void this.components.node.peerStore.merge(id, { multiaddrs: usable }).catch(() => {}).then(() => {
      if (this.connected(id)) return
      if (this.self < peer) {
        void this.dial(peer)
      } else if (!this.fallbacks.has(peer)) {
        this.fallbacks.set(peer, setTimeout(() => {
          this.fallbacks.delete(peer)
          if (this.state.status === 'running' && !this.connected(peer)) void this.dial(peer)
        }, FALLBACK_DIAL_MS + Math.random() * 1000))
      }
    })
  }

  /** Dials a peer id (addresses from the peer store) or a multiaddr; never throws. */
  private async dial (target: string, addr?: Multiaddr, onError?: (err: unknown) => void): Promise<Connection | undefined> {
    const key = addr?.toString() ?? target
    if (this.inFlight.has(key)) return undefined
    this.inFlight.add(key)
    this.stats.dials++
    try {
      const conn = await this.components.node.dial(addr ?? peerIdFromString(target))
      this.attempts.delete(key)
      return conn
    } catch (err) {
      this.stats.dialFailures++
      const a = this.attempts.get(key) ?? { rounds: 0, skip: 0 }
      a.rounds = Math.min(a.rounds + 1, MAX_BACKOFF_ROUNDS)
      a.skip = 2 ** a.rounds - 1
      this.attempts.set(key, a)
      this.components.log.debug(`dial ${key} failed`, err)
      onError?.(err)
      return undefined
    } finally {
      this.inFlight.delete(key)
    }
  }

  /** Backoff: after n failures, skip 2^n - 1 rounds (capped), then try again. */
  private due (key: string): boolean {
    const a = this.attempts.get(key)
    if (a == null || a.skip <= 0) return true
    a.skip--
    return false
  }

  private redialRound (): void {
    if (this.state.status !== 'running') return
    for (const { peerId } of this.components.unreachable()) {
      if (this.connected(peerId) || !this.due(peerId)) continue
      // both sides try, the higher id one round later, so a lost pair always reconnects
      if (this.self > peerId && (this.attempts.get(peerId) == null)) {
        this.attempts.set(peerId, { rounds: 0, skip: 0 })
        continue
      }
      void this.dial(peerId)
    }
    // one bootstrap list for the whole fleet names the bootstrap box too: that entry is us
    const own = new Set(this.init.bootstrap.length === 0 ? [] : this.components.node.getMultiaddrs().map(a => a.toString().replace(/\/p2p\/[^/]+$/, '')))
    for (const text of this.init.bootstrap) {
      if (!this.bootstrapPeers.has(text) && own.has(text.replace(/\/p2p\/[^/]+$/, ''))) this.bootstrapPeers.set(text, this.self)
      const known = this.bootstrapPeers.get(text) ?? bootstrapPeerId(text)
      if (known === this.self) continue
      if (known != null && this.connected(known)) continue
      if (!this.due(text)) continue
      // a wrong bootstrap address or swarm key must not fail silently: say so once, and once when it answers
      void this.dial(text, multiaddr(text), (err) => {
        // an address of ours we did not list (e.g. behind a port forward): never dial it again
        if (/dial self/i.test((err as Error)?.message ?? '')) { this.bootstrapPeers.set(text, this.self); return }
        if (this.bootstrapWarned.has(text)) return
        this.bootstrapWarned.add(text)
        this.components.log.warn(`bootstrap ${text} unreachable (${describeDialError(err)}); retrying with backoff`)
      }).then(conn => {
        if (conn == null) return
        this.bootstrapPeers.set(text, conn.remotePeer.toString())
        if (this.bootstrapWarned.delete(text)) this.components.log.warn(`bootstrap ${text} reached`)
      })
    }
  }

  /**
   * Closes the extra connection of a pair; both ends keep the one the lower id dialled.
   * Waits a moment first, and never closes one that carries gossipsub's stream: cutting
   * that stream makes gossipsub forget a peer that is still connected.
   */
  private onConnectionOpen (evt: CustomEvent<Connection>): void {
    const remote = evt.detail.remotePeer
    if (this.components.node.getConnections(remote).filter(c => c.status === 'open').length < 2) return
    const timer = setTimeout(() => {
      this.fallbacks.delete(`dedupe ${remote.toString()}`)
      if (this.state.status !== 'running') return
      const conns = this.components.node.getConnections(remote).filter(c => c.status === 'open')
      if (conns.length < 2) return
      const lowerIsSelf = this.self < remote.toString()
      const preferred = conns.find(c => (c.direction === 'outbound') === lowerIsSelf) ?? conns[0]
      for (const c of conns) {
        if (c === preferred || c.streams.some(st => st.protocol?.includes('meshsub') === true)) continue
        this.stats.duplicatesClosed++
        void c.close().catch(() => {})
      }
    }, DEDUPE_DELAY_MS)
    this.fallbacks.set(`dedupe ${remote.toString()}`, timer)
  }

  private watchdogRound (): void {
    if (this.state.status !== 'running') return
    const subscribed = new Set(this.components.subscribers(this.init.watchTopic))
    const now = Date.now()
    for (const peer of this.components.node.getPeers()) {
      const id = peer.toString()
      if (subscribed.has(id)) continue
      const conns = this.components.node.getConnections(peer)
      const oldest = Math.min(...conns.map(c => c.timeline.open))
      if (conns.length === 0 || now - oldest < this.init.watchdogMs) continue
      this.stats.watchdogRedials++
      this.components.log.info(`gossipsub lost ${id} on an open connection; redialling`)
      void this.components.node.hangUp(peer).catch(() => {}).then(async () => await this.dial(id))
    }
  }
}

function bootstrapPeerId (text: string): string | undefined {
  const m = /\/p2p\/([^/]+)/.exec(text)
  return m?.[1]
}

/** One short reason for a failed dial, with a hint when the address answered but the handshake failed. */
function describeDialError (err: unknown): string {
  const e = err as { name?: string, code?: string, message?: string, errors?: Array<{ message?: string }> }
  const inner = e?.errors?.[0]?.message
  const text = inner ?? e?.message ?? String(err)
  // pnet drops a handshake with another swarm key: the dial fails on encryption or times out
  const hint = /ECONNREFUSED|EHOSTUNREACH|ENETUNREACH/.test(text) ? '' : '; a different swarm key or a wrong address?'
  return `${e?.name ?? 'Error'}: ${text.split('\n')[0].slice(0, 200)}${hint}`
}
