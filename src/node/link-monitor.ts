import type { ComponentLogger, Connection, Logger, Startable } from '@libp2p/interface'
import { NodeError } from './errors.ts'

/**
 * Notices dead connections (a pulled cable, a frozen box) by pinging each one at the
 * muxer level: one yamux ping frame each way on the open connection. libp2p's own
 * connection monitor opens a new /ipfs/ping stream per ping instead (stream open,
 * protocol negotiation, payload, close: about eight frames each way), which at one
 * ping a second per connection was a third of an idle peer's CPU and half its packets.
 * A ping that times out aborts the connection, so membership sees the disconnect and
 * the dialer redials, as before. Peers still answer /ipfs/ping (the ping service stays),
 * so older peers that probe that way keep working.
 */
export interface LinkMonitorInit {
  /** how often every connection is pinged, ms */
  intervalMs: number
  /** a ping unanswered this long, ms, aborts the connection */
  timeoutMs: number
}

export interface LinkMonitorComponents {
  connectionManager: { getConnections: () => Connection[] }
  logger: ComponentLogger
}

/** What a connection's muxer must offer to be probed (yamux does). */
interface PingableMuxer { ping: (options?: { signal?: AbortSignal }) => Promise<number> }

/** A connection's ping went unanswered: the reason it was aborted. */
export class LinkTimeoutError extends NodeError {
  constructor (message: string) {
    super(message, { code: 'ERR_LINK_TIMEOUT' })
  }
}

type MonitorState = { status: 'stopped' } | { status: 'running', timer: NodeJS.Timeout, controller: AbortController }

export class LinkMonitor implements Startable {
  private state: MonitorState = { status: 'stopped' }
  private readonly log: Logger
  /** connections with a probe in flight: one at a time each */
  private readonly probing = new WeakSet<Connection>()
  private warnedUnpingable = false
  readonly stats = { probes: 0, aborted: 0, unpingable: 0 }

  constructor (private readonly components: LinkMonitorComponents, private readonly init: LinkMonitorInit) {
    this.log = components.logger.forComponent('swarm:link-monitor')
  }

  readonly [Symbol.toStringTag] = 'swarm:link-monitor'

  start (): void {
    if (this.state.status === 'running') return
    const timer = setInterval(() => { this.round() }, this.init.intervalMs)
    this.state = { status: 'running', timer, controller: new AbortController() }
  }

  stop (): void {
    if (this.state.status !== 'running') return
    clearInterval(this.state.timer)
    this.state.controller.abort()
    this.state = { status: 'stopped' }
  }

  /** Probes every open connection that has no probe in flight. */
  round (): void {
    if (this.state.status !== 'running') return
    const stopped = this.state.controller.signal
    for (const conn of this.components.connectionManager.getConnections()) {
      if (conn.status !== 'open' || this.probing.has(conn)) continue
      const muxer = pingableMuxer(conn)
      if (muxer == null) {
        this.stats.unpingable++
        if (!this.warnedUnpingable) this.log.error('a connection muxer without ping(): its link is not monitored')
        this.warnedUnpingable = true
        continue
      }
      this.probing.add(conn)
      this.stats.probes++
      void this.probe(conn, muxer, stopped).finally(() => { this.probing.delete(conn) })
    }
  }

  private async probe (conn: Connection, muxer: PingableMuxer, stopped: AbortSignal): Promise<void> {
    // the timeout alone, not AbortSignal.any() with the monitor's long-lived signal: on our
    // Node 22 every combined signal stays reachable from its long-lived source (~1.8 KB a
    // probe, never freed: ~120 MB an hour at 19 connections). A probe in flight at stop()
    // ends within timeoutMs and is ignored below.
    const signal = AbortSignal.timeout(this.init.timeoutMs)
    try {
      await muxer.ping({ signal })
    } catch (err) {
      // stopping (or a connection closing under us) is not a dead link
      if (stopped.aborted || conn.status !== 'open') return
      this.stats.aborted++
      this.log('no answer from %p within %d ms (%s); aborting the connection', conn.remotePeer, this.init.timeoutMs, (err as Error)?.name)
      conn.abort(new LinkTimeoutError(`no ping answer within ${this.init.timeoutMs} ms`))
    }
  }
}

function pingableMuxer (conn: Connection): PingableMuxer | undefined {
  // libp2p keeps the muxer on the connection object without typing it in the interface
  const muxer = (conn as unknown as { muxer?: Partial<PingableMuxer> }).muxer
  return typeof muxer?.ping === 'function' ? muxer as PingableMuxer : undefined
}

/** The libp2p service factory: `services: { linkMonitor: linkMonitor({ intervalMs, timeoutMs }) }`. */
export function linkMonitor (init: LinkMonitorInit): (components: LinkMonitorComponents) => LinkMonitor {
  return (components) => new LinkMonitor(components, init)
}
