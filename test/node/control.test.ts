import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { createConnection } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { ControlServer, ControlMethodError } from '../../src/node/control-server.ts'
import { callControl } from '../../src/node/control-client.ts'
import { createLogger } from '../../src/node/logger.ts'

const cleanups: Array<() => Promise<void> | void> = []
afterEach(async () => { for (const fn of cleanups.splice(0).reverse()) await fn() })

async function server () {
  const home = mkdtempSync(join(tmpdir(), 'swarm-ctl-'))
  const control = new ControlServer({ home, log: createLogger('test', { level: 'error', sink: () => {} }) })
  await control.start()
  cleanups.push(() => { rmSync(home, { recursive: true, force: true }) })
  cleanups.push(async () => { await control.stop() })
  return { home, control }
}

async function rawCall (path: string, line: string): Promise<any> {
  return await new Promise((resolve, reject) => {
    const s = createConnection(path)
    s.on('connect', () => s.write(line + '\n'))
    s.on('data', d => { resolve(JSON.parse(d.toString().split('\n')[0])); s.destroy() })
    s.on('error', reject)
  })
}

describe('control API', () => {
  it('serves methods on a 0600 socket, streaming events before the result', async () => {
    const { home, control } = await server()
    expect(statSync(control.path).mode & 0o777).toBe(0o600)
    control.handle('count', async (params: { to: number }, { emit }) => {
      for (let i = 1; i <= params.to; i++) emit({ i })
      return { done: true }
    })
    const events: unknown[] = []
    const result = await callControl(home, 'count', { to: 3 }, { onEvent: (e) => events.push(e) })
    expect(events).toEqual([{ i: 1 }, { i: 2 }, { i: 3 }])
    expect(result).toEqual({ done: true })
  })

  it('returns handler errors and unknown methods as coded errors', async () => {
    const { home, control } = await server()
    control.handle('fail', async () => { throw new ControlMethodError('nope', { code: 'ERR_NOPE' }) })
    await expect(callControl(home, 'fail')).rejects.toMatchObject({ name: 'ControlCallError', code: 'ERR_NOPE' })
    await expect(callControl(home, 'missing')).rejects.toMatchObject({ name: 'ControlCallError', code: 'ERR_UNKNOWN_METHOD' })
  })

  it('answers malformed lines with an error and counts them', async () => {
    const { control } = await server()
    expect(await rawCall(control.path, 'not json')).toMatchObject({ id: null, error: { code: 'ERR_BAD_REQUEST' } })
    expect(await rawCall(control.path, '{"id": 1}')).toMatchObject({ error: { code: 'ERR_BAD_REQUEST' } })
    expect(control.stats.badRequests).toBe(2)
  })

  it('aborts the handler when the caller goes away', async () => {
    const { home, control } = await server()
    let aborted = false
    control.handle('wait', async (_p, { signal }) => await new Promise((resolve) => {
      signal.addEventListener('abort', () => { aborted = true; resolve(null) })
    }))
    const ac = new AbortController()
    const call = callControl(home, 'wait', {}, { signal: ac.signal })
    setTimeout(() => { ac.abort() }, 50)
    await expect(call).rejects.toBeDefined()
    await vi.waitFor(() => { expect(aborted).toBe(true) })
  })

  it('says no peer is running when nothing listens, also after a crash left the socket', async () => {
    const home = mkdtempSync(join(tmpdir(), 'swarm-ctl-'))
    cleanups.push(() => { rmSync(home, { recursive: true, force: true }) })
    await expect(callControl(home, 'peers')).rejects.toMatchObject({ name: 'NoPeerRunningError', code: 'ERR_NO_PEER' })
    // a stale socket file (peer killed with SIGKILL) is replaced by the next server
    const a = new ControlServer({ home, log: createLogger('t', { sink: () => {} }) })
    await a.start()
    const b = new ControlServer({ home, log: createLogger('t', { sink: () => {} }) })
    await expect(b.start()).rejects.toMatchObject({ name: 'AlreadyRunningError' })
    await a.stop()
    await a.stop()
    await b.start()
    b.handle('ping', async () => 'pong')
    expect(await callControl(home, 'ping')).toBe('pong')
    await b.stop()
  })
})
