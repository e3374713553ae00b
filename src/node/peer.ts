import os from 'node:os'
import type { PrivateKey } from '@libp2p/interface'
import type { Bus, Member, MembershipView } from '../gossip/types.ts'
import { Membership } from '../gossip/membership.ts'
import { PRESENCE_TOPIC } from '../gossip/presence.ts'
import { loadConfig, type Config, type ConfigInput } from './config.ts'
import { loadIdentity, loadSwarmKey } from './home.ts'
import { createNode, type SwarmLibp2p } from './libp2p.ts'
import { createGossipBus, type GossipBus } from './bus.ts'
import { Dialer } from './dialer.ts'
import { PresenceAnnouncer, type PresenceControl } from './presence.ts'
import { ControlServer } from './control-server.ts'
import { createLogger, type Logger } from './logger.ts'
import { VERSION } from '../version.ts'
import { toolNames } from '../tools/index.ts'

export interface StartPeerOptions {
  home: string
  /** an already composed config; otherwise it is loaded from defaults, home, env and overrides */
  config?: Config
  env?: NodeJS.ProcessEnv
  /** flag-level config overrides */
  overrides?: ConfigInput
  logger?: Logger
}

/** A running peer: what services (jobs, election) attach to. */
export interface Peer {
  readonly peerId: string
  /** the identity key of peerId: services sign with it what others must attribute to us (job reports) */
  readonly privateKey: PrivateKey
  readonly home: string
  readonly name: string
  readonly config: Config
  readonly bus: GossipBus & Bus
  readonly membership: MembershipView
  readonly control: ControlServer
  readonly presence: PresenceControl
  readonly libp2p: SwarmLibp2p
  readonly logger: Logger
  /** registers cleanup run (last registered first) when the peer stops, before it leaves */
  onStop: (fn: () => void | Promise<void>) => void
  /** counters for `swarm status` and benchmarks */
  stats: () => PeerStats
  /** graceful: services stop, a leaving presence is gossiped, then libp2p closes. Idempotent. */
  stop: () => Promise<void>
}

export interface PeerStats {
  uptimeMs: number
  connections: number
  presence: PresenceAnnouncer['stats']
  dialer: Dialer['stats']
  control: ControlServer['stats']
}

/** The JSON shape of one row of `swarm peers --json`. */
export interface PeerRow {
  name: string
  peerId: string
  state: Member['state']
  self: boolean
  hostname: string
  addresses: string[]
  platform: string
  arch: string
  cpus: number
  load: [number, number, number]
  totalMem: number
  freeMem: number
  version: string
  tags: string[]
  tools: string[]
  endpoints: Member['presence']['endpoints']
  tasksRunning: number
  lastSeenMs: number
  deadReason?: 'left' | 'timeout'
}

export function toPeerRow (m: Member): PeerRow {
  const p = m.presence
  return {
    name: m.name,
    peerId: m.peerId,
    state: m.state,
    self: m.self,
    hostname: p.hostname,
    addresses: m.addresses,
    platform: p.platform,
    arch: p.arch,
    cpus: p.cpus,
    load: p.load,
    totalMem: p.totalMem,
    freeMem: p.freeMem,
    version: p.version,
    tags: p.tags,
    tools: p.tools,
    endpoints: p.endpoints,
    tasksRunning: p.tasksRunning,
    lastSeenMs: m.lastSeenMs,
    ...(m.deadReason != null ? { deadReason: m.deadReason } : {})
  }
}

/** Loads the home, starts libp2p and the peer services, and serves the control API. */
export async function startPeer (options: StartPeerOptions): Promise<Peer> {
  const { home } = options
  const config = options.config ?? loadConfig({ home, env: options.env ?? process.env, overrides: options.overrides })
  const logger = options.logger ?? createLogger('swarm:peer')
  const privateKey = loadIdentity(home)
  const swarmKey = loadSwarmKey(home)
  const control = new ControlServer({ home, log: logger.forComponent('swarm:control') })
  await control.start()
  let node: SwarmLibp2p
  try {
    node = await createNode({ privateKey, swarmKey, config })
  } catch (err) {
    await control.stop()
    throw err
  }
  const peerId = node.peerId.toString()
  const name = config.peer.name !== '' ? config.peer.name : os.hostname()
  const startedAt = Date.now()
  const bus = createGossipBus(node.services.pubsub, peerId, logger.forComponent('swarm:bus'))

  // what a peer says it listens on (identify) is more useful to people than an ephemeral inbound port
  const listenAddrs = new Map<string, string[]>()
  const isLoopback = (a: string) => /^\/ip4\/127\.|^\/ip6\/::1\//.test(a)
  const onIdentify = (evt: CustomEvent<{ peerId: { toString: () => string }, listenAddrs: Array<{ toString: () => string }> }>) => {
    const id = evt.detail.peerId.toString()
    // with /p2p/<id>, like our own addresses, so a row can be pasted into --bootstrap
    const addrs = evt.detail.listenAddrs.map(a => a.toString()).map(a => a.includes('/p2p/') ? a : `${a}/p2p/${id}`)
    if (addrs.length > 0) listenAddrs.set(id, addrs.slice(0, 16))
  }
  node.addEventListener('peer:identify', onIdentify as any)
  const addressesOf = (id: string): string[] => {
    if (id === peerId) return node.getMultiaddrs().map(a => a.toString())
    const connected = node.getConnections().filter(c => c.remotePeer.toString() === id && c.status === 'open').map(c => c.remoteAddr.toString())
    if (connected.length === 0) return []
    // loopback listen addresses mean something only to a peer reached over loopback
    const viaLoopback = connected.every(isLoopback)
    const listen = (listenAddrs.get(id) ?? []).filter(a => viaLoopback || !isLoopback(a))
    return listen.length > 0 ? listen.slice(0, 8) : connected
  }
  let announcer: PresenceAnnouncer | undefined
  const membership = new Membership({ self: peerId, selfPresence: () => announcer!.current(), addressesOf }, config.membership)
  announcer = new PresenceAnnouncer({ bus, membership, log: logger.forComponent('swarm:presence') }, {
    name,
    tags: config.peer.tags,
    endpoints: config.offer.brainUrl !== '' ? [{ url: config.offer.brainUrl, ...(config.offer.brainModel !== '' ? { model: config.offer.brainModel } : {}) }] : [],
    intervalMs: config.presence.intervalMs,
    checkIntervalMs: config.membership.checkIntervalMs
  })
  const presence = announcer
  // what this box can be asked to run; services may narrow or extend it with presence.set()
  presence.set({ tools: toolNames() })
  const dialer = new Dialer({
    node,
    unreachable: () => membership.unreachable(),
    subscribers: (t) => bus.subscribers(t),
    log: logger.forComponent('swarm:dialer')
  }, {
    bootstrap: config.peer.bootstrap,
    redialIntervalMs: config.discovery.redialIntervalMs,
    watchdogMs: config.discovery.watchdogMs,
    watchTopic: PRESENCE_TOPIC
  })
  const onDisconnect = (evt: CustomEvent<{ toString: () => string }>) => { membership.disconnected(evt.detail.toString()) }
  node.addEventListener('peer:disconnect', onDisconnect as any)

  // a peer that just subscribed hears from us now, not at our next tick: joins take one round trip
  let greetTimer: NodeJS.Timeout | undefined
  const onSubscriptionChange = (evt: CustomEvent<{ subscriptions: Array<{ topic: string, subscribe: boolean }> }>) => {
    if (greetTimer != null || !evt.detail.subscriptions.some(sub => sub.topic === PRESENCE_TOPIC && sub.subscribe)) return
    greetTimer = setTimeout(() => { greetTimer = undefined; presence.announce() }, 50)
  }
  node.services.pubsub.addEventListener('subscription-change', onSubscriptionChange as any)

  presence.start()
  dialer.start()

  const stats = (): PeerStats => ({
    uptimeMs: Date.now() - startedAt,
    connections: node.getConnections().length,
    presence: presence.stats,
    dialer: dialer.stats,
    control: control.stats
  })

  control.handle('peers', async () => membership.list().map(toPeerRow))
  control.handle('status', async () => ({
    peerId,
    name,
    home,
    version: VERSION,
    pid: process.pid,
    addresses: node.getMultiaddrs().map(a => a.toString()),
    members: { alive: membership.list().filter(m => m.state === 'alive').length, suspect: membership.list().filter(m => m.state === 'suspect').length, dead: membership.list().filter(m => m.state === 'dead').length },
    methods: control.methods(),
    ...stats()
  }))

  const cleanups: Array<() => void | Promise<void>> = []
  let stopping: Promise<void> | undefined
  const stop = async (): Promise<void> => {
    stopping ??= (async () => {
      for (const fn of cleanups.reverse()) {
        try { await fn() } catch (err) { logger.warn('a service failed to stop', err) }
      }
      dialer.stop()
      await presence.stop({ leaving: true })
      node.removeEventListener('peer:disconnect', onDisconnect as any)
      node.removeEventListener('peer:identify', onIdentify as any)
      node.services.pubsub.removeEventListener('subscription-change', onSubscriptionChange as any)
      clearTimeout(greetTimer)
      await control.stop()
      bus.close()
      await node.stop()
    })()
    await stopping
  }

  return {
    peerId,
    privateKey,
    home,
    name,
    config,
    bus,
    membership,
    control,
    presence,
    libp2p: node,
    logger,
    onStop: (fn) => { cleanups.push(fn) },
    stats,
    stop
  }
}
