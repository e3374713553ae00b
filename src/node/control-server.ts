import { createServer, type Server, type Socket } from 'node:net'
import { chmodSync, existsSync, unlinkSync } from 'node:fs'
import { join } from 'node:path'
import { CONTROL_SOCKET, controlSocketPath } from './home.ts'
import { AlreadyRunningError, NodeError } from './errors.ts'
import { answers, lineSplitter, type ControlRequest } from './control-protocol.ts'
import type { Logger } from './logger.ts'

export interface ControlContext {
  /** streams one event line to the caller before the result */
  emit: (event: unknown) => void
  /** aborts when the caller disconnects */
  signal: AbortSignal
}

export type ControlHandler = (params: any, context: ControlContext) => Promise<unknown>

/** Thrown by handlers to answer with a specific error code. */
export class ControlMethodError extends NodeError {}

type ServerState = { status: 'stopped' } | { status: 'running', server: Server, sockets: Set<Socket> }

/**
 * The local peer's API for the CLI: a Unix socket in the home, mode 0600, so only the
 * home's owner can drive the peer. Services register methods with handle().
 */
export class ControlServer {
  readonly path: string
  private state: ServerState = { status: 'stopped' }
  private readonly handlers = new Map<string, ControlHandler>()
  readonly stats = { requests: 0, badRequests: 0 }

  constructor (private readonly components: { home: string, log: Logger }) {
    this.path = join(components.home, CONTROL_SOCKET)
  }

  handle (method: string, handler: ControlHandler): void {
    this.handlers.set(method, handler)
  }

  methods (): string[] {
    return [...this.handlers.keys()].sort()
  }

  async start (): Promise<void> {
    if (this.state.status === 'running') return
    controlSocketPath(this.components.home)
    if (existsSync(this.path)) {
      // a socket that answers means another peer owns this home; a dead one is left over from a crash
      if (await answers(this.path)) throw new AlreadyRunningError(this.components.home)
      try { unlinkSync(this.path) } catch {}
    }
    const sockets = new Set<Socket>()
    const server = createServer((socket) => { this.serve(socket, sockets) })
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(this.path, () => { server.off('error', reject); resolve() })
    })
    try {
      chmodSync(this.path, 0o600)
    } catch (err) {
      // never keep serving a socket we could not restrict to the owner
      await new Promise<void>((resolve) => { server.close(() => { resolve() }) })
      throw err
    }
    this.state = { status: 'running', server, sockets }
  }

  async stop (): Promise<void> {
    if (this.state.status !== 'running') return
    const { server, sockets } = this.state
    this.state = { status: 'stopped' }
    sockets.forEach(s => s.destroy())
    await new Promise<void>((resolve) => { server.close(() => { resolve() }) })
    try { unlinkSync(this.path) } catch {}
  }

  private serve (socket: Socket, sockets: Set<Socket>): void {
    sockets.add(socket)
    const controllers = new Set<AbortController>()
    const send = (obj: unknown) => { if (!socket.destroyed) socket.write(JSON.stringify(obj) + '\n') }
    socket.on('close', () => {
      sockets.delete(socket)
      controllers.forEach(c => { c.abort() })
    })
    socket.on('error', () => {})
    socket.on('data', lineSplitter((line) => {
      let req: ControlRequest
      try {
        req = JSON.parse(line)
        if (req == null || typeof req !== 'object' || typeof req.method !== 'string' || (typeof req.id !== 'string' && typeof req.id !== 'number')) throw new Error('shape')
      } catch {
        this.stats.badRequests++
        send({ id: null, error: { code: 'ERR_BAD_REQUEST', message: 'expected one JSON object {id, method, params} per line' } })
        return
      }
      this.stats.requests++
      const handler = this.handlers.get(req.method)
      if (handler == null) {
        send({ id: req.id, error: { code: 'ERR_UNKNOWN_METHOD', message: `unknown method '${req.method}'` } })
        return
      }
      const controller = new AbortController()
      controllers.add(controller)
      const emit = (event: unknown) => { send({ id: req.id, event }) }
      handler(req.params ?? {}, { emit, signal: controller.signal }).then(
        (result) => { send({ id: req.id, result: result ?? null }) },
        (err: any) => {
          if (!(err instanceof NodeError)) this.components.log.warn(`control ${req.method} failed`, err)
          send({ id: req.id, error: { code: String(err?.code ?? 'ERR_INTERNAL'), message: String(err?.message ?? err) } })
        }
      ).finally(() => { controllers.delete(controller) })
    }, () => {
      this.stats.badRequests++
      send({ id: null, error: { code: 'ERR_LINE_TOO_LONG', message: 'request line too long' } })
      socket.end()
    }))
  }
}
