import os from 'node:os'
import type { Bus, OfferedEndpoint, Presence } from '../gossip/types.ts'
import { PRESENCE_TOPIC, decodePresence, encodePresence } from '../gossip/presence.ts'
import type { Membership } from '../gossip/membership.ts'
import type { Logger } from './logger.ts'
import { VERSION } from '../version.ts'

/** Fields other services may set on this peer's presence (jobs: tasksRunning; tools: tools). */
export type PresenceFields = Partial<Pick<Presence, 'tools' | 'endpoints' | 'tags' | 'tasksRunning'>>

/** What services see of presence: contribute fields, read the current record. */
export interface PresenceControl {
  /** merges fixed fields into every record from now on */
  set: (fields: PresenceFields) => void
  /** registers a function asked for fields at every record; returns an unregister function */
  contribute: (fn: () => PresenceFields) => () => void
  /** the record as it would be sent now */
  current: () => Presence
  /** sends a record now instead of waiting for the next tick (after a notable change) */
  announce: () => void
}

export interface PresenceInit {
  name: string
  tags: string[]
  endpoints: OfferedEndpoint[]
  intervalMs: number
  checkIntervalMs: number
}

export interface PresenceComponents {
  bus: Bus
  membership: Membership
  log: Logger
}

type AnnouncerState = { status: 'stopped' } | { status: 'running', timers: NodeJS.Timeout[], unsubscribe: () => void }

/** Gossips this peer's presence about once a second and feeds others' records to membership. */
export class PresenceAnnouncer implements PresenceControl {
  private state: AnnouncerState = { status: 'stopped' }
  private fixed: PresenceFields = {}
  private readonly contributors = new Set<() => PresenceFields>()
  // starts at the clock so a restarted peer's records are newer than its old ones
  private seq = Date.now()
  readonly stats = { sent: 0, received: 0, dropped: 0, bytesSent: 0, bytesReceived: 0, dropReasons: {} as Record<string, number> }

  constructor (private readonly components: PresenceComponents, private readonly init: PresenceInit) {}

  start (): void {
    if (this.state.status === 'running') return
    const unsubscribe = this.components.bus.subscribe(PRESENCE_TOPIC, (msg) => {
      this.stats.bytesReceived += msg.data.byteLength
      const decoded = decodePresence(msg.data)
      if (!decoded.ok) {
        this.stats.dropped++
        this.stats.dropReasons[decoded.reason] = (this.stats.dropReasons[decoded.reason] ?? 0) + 1
        this.components.log.debug(`dropped presence from ${msg.from}: ${decoded.reason} ${decoded.detail ?? ''}`)
        return
      }
      this.stats.received++
      this.components.membership.receive(msg.from, decoded.presence)
    })
    const jitter = () => this.init.intervalMs * (0.9 + Math.random() * 0.2)
    let tick: NodeJS.Timeout
    const loop = () => {
      this.announce()
      tick = setTimeout(loop, jitter())
      if (this.state.status === 'running') this.state.timers[0] = tick
    }
    tick = setTimeout(loop, 0)
    const check = setInterval(() => { this.components.membership.check() }, this.init.checkIntervalMs)
    this.state = { status: 'running', timers: [tick, check], unsubscribe }
  }

  /** Stops announcing; with `leaving`, first tells the swarm so others drop us at once. */
  async stop (options: { leaving?: boolean } = {}): Promise<void> {
    if (this.state.status !== 'running') return
    const { timers, unsubscribe } = this.state
    this.state = { status: 'stopped' }
    timers.forEach(t => { clearTimeout(t); clearInterval(t) })
    if (options.leaving === true) {
      const data = encodePresence({ ...this.current(), seq: ++this.seq, leaving: true })
      await this.components.bus.publish(PRESENCE_TOPIC, data).catch(() => 0)
    }
    unsubscribe()
  }

  set (fields: PresenceFields): void {
    this.fixed = { ...this.fixed, ...fields }
  }

  contribute (fn: () => PresenceFields): () => void {
    this.contributors.add(fn)
    return () => { this.contributors.delete(fn) }
  }

  current (): Presence {
    let extra: PresenceFields = { ...this.fixed }
    for (const fn of this.contributors) {
      try { extra = { ...extra, ...fn() } } catch (err) { this.components.log.warn('presence contributor threw', err) }
    }
    const load = os.loadavg()
    return {
      v: 1,
      name: this.init.name,
      hostname: os.hostname(),
      platform: process.platform,
      arch: process.arch,
      cpus: os.availableParallelism(),
      totalMem: os.totalmem(),
      freeMem: os.freemem(),
      load: [round(load[0]), round(load[1]), round(load[2])],
      version: VERSION,
      tools: extra.tools ?? [],
      endpoints: [...this.init.endpoints, ...(extra.endpoints ?? [])],
      tags: [...new Set([...this.init.tags, ...(extra.tags ?? [])])],
      tasksRunning: extra.tasksRunning ?? 0,
      ts: Date.now(),
      seq: this.seq
    }
  }

  announce (): void {
    if (this.state.status !== 'running') return
    this.seq++
    const data = encodePresence(this.current())
    this.stats.sent++
    this.stats.bytesSent += data.byteLength
    this.components.bus.publish(PRESENCE_TOPIC, data).catch((err) => {
      this.components.log.debug('presence publish failed', err)
    })
  }
}

function round (n: number): number {
  return Math.round(n * 100) / 100
}
