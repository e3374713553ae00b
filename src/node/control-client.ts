import { createConnection } from 'node:net'
import { controlSocketPath } from './home.ts'
import { ControlCallError, NoPeerRunningError } from './errors.ts'
import { lineSplitter } from './control-protocol.ts'

export interface CallControlOptions {
  /** each streamed event, in order, before the promise resolves */
  onEvent?: (event: any) => void
  signal?: AbortSignal
}

let nextId = 1

/**
 * Calls one method on the peer running in `home`. Rejects with NoPeerRunningError when
 * nothing listens there, ControlCallError with the server's code when the method fails.
 */
export async function callControl<T = any> (home: string, method: string, params: unknown = {}, options: CallControlOptions = {}): Promise<T> {
  const path = controlSocketPath(home)
  const id = nextId++
  options.signal?.throwIfAborted()
  return await new Promise<T>((resolve, reject) => {
    let settled = false
    const socket = createConnection(path)
    const finish = (fn: () => void) => {
      if (settled) return
      settled = true
      options.signal?.removeEventListener('abort', onAbort)
      socket.destroy()
      fn()
    }
    const onAbort = () => { finish(() => { reject(options.signal?.reason) }) }
    options.signal?.addEventListener('abort', onAbort, { once: true })
    socket.once('connect', () => { socket.write(JSON.stringify({ id, method, params }) + '\n') })
    socket.on('error', (err: any) => {
      finish(() => {
        if (['ENOENT', 'ECONNREFUSED', 'ENOTSOCK', 'ENOTDIR'].includes(err?.code)) reject(new NoPeerRunningError(home, { cause: err }))
        else if (err?.code === 'EACCES' || err?.code === 'EPERM') reject(new ControlCallError(`permission denied on ${path}: the peer's home belongs to another user; run as that user`, 'ERR_CONTROL_ACCESS'))
        else reject(new ControlCallError(`control socket ${path}: ${err?.code ?? err?.message}`, 'ERR_CONTROL_IO'))
      })
    })
    socket.on('close', () => { finish(() => { reject(new ControlCallError('the peer closed the control connection before answering', 'ERR_CONTROL_CLOSED')) }) })
    socket.on('data', lineSplitter((line) => {
      let msg: any
      try { msg = JSON.parse(line) } catch { return }
      if (msg?.id !== id && msg?.id !== null) return
      if ('event' in msg) {
        try { options.onEvent?.(msg.event) } catch (err) { finish(() => { reject(err) }) }
      } else if ('result' in msg) {
        finish(() => { resolve(msg.result as T) })
      } else if ('error' in msg) {
        finish(() => { reject(new ControlCallError(String(msg.error?.message), String(msg.error?.code ?? 'ERR_CONTROL'))) })
      }
    }, () => { finish(() => { reject(new ControlCallError('answer line too long', 'ERR_CONTROL_IO')) }) }))
  })
}
