/**
 * dns_check's two readings against a real (tiny) DNS server on loopback: a name that
 * exists, one that is missing, one the server fails on, and a server that is down.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { createSocket } from 'node:dgram'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseSystemLookup, queryServer, SYSTEM_LOOKUP_SCRIPT } from '../../src/tools/dns.ts'
import { runProgram } from '../../src/tools/exec.ts'
import { FIXTURES, NODE } from './fixtures.ts'

let server: ChildProcess
let port = 0

/** A loopback UDP port with nobody behind it: the kernel answers port unreachable. */
async function deadPort (): Promise<number> {
  const s = createSocket('udp4')
  await new Promise<void>(resolve => s.bind(0, '127.0.0.1', resolve))
  const p = s.address().port
  await new Promise<void>(resolve => s.close(() => { resolve() }))
  return p
}

beforeAll(async () => {
  server = spawn(NODE, [`${FIXTURES}bin/fake-dns.mjs`, '127.0.0.1', '0', 'good.test=10.1.2.3', '--servfail', 'broken.test'], { stdio: ['ignore', 'pipe', 'inherit'] })
  port = await new Promise<number>((resolve, reject) => {
    server.stdout?.on('data', (b: Buffer) => { const m = /listening (\d+)/.exec(b.toString()); if (m !== null) resolve(Number(m[1])) })
    server.once('exit', code => { reject(new Error(`fake dns exited ${code}`)) })
  })
})
afterAll(() => { if (server?.exitCode === null) server.kill('SIGTERM') })

describe('direct nameserver queries', () => {
  it('an existing name: ok with its address and a timing', async () => {
    const a = await queryServer('good.test', `127.0.0.1:${port}`, 1000)
    expect(a).toMatchObject({ server: `127.0.0.1:${port}`, ok: true, addresses: ['10.1.2.3'] })
    expect(a.ms).toBeGreaterThanOrEqual(0)
    expect(a.ms).toBeLessThan(1000)
  })

  it('a missing name is NXDOMAIN, a server failure is SERVFAIL', async () => {
    expect(await queryServer('missing.test', `127.0.0.1:${port}`, 1000)).toMatchObject({ ok: false, error: 'NXDOMAIN', addresses: [] })
    expect(await queryServer('broken.test', `127.0.0.1:${port}`, 1000)).toMatchObject({ ok: false, error: 'SERVFAIL' })
  })

  it('a server that is down is a connection error or timeout, never NXDOMAIN', async () => {
    const a = await queryServer('good.test', `127.0.0.1:${await deadPort()}`, 500)
    expect(a.ok).toBe(false)
    expect(['ECONNREFUSED', 'TIMEOUT']).toContain(a.error)
    expect(a.ms).toBeLessThan(3000)
  })

  it('a bad server string is a result, not a throw', async () => {
    expect(await queryServer('good.test', 'not-an-ip', 500)).toMatchObject({ ok: false })
  })
})

describe('system resolver, asked from a child process', () => {
  it('resolves localhost from the hosts file, without the network', async () => {
    const out = await runProgram(NODE, [SYSTEM_LOOKUP_SCRIPT, '2000', 'localhost'], { timeoutMs: 10_000, maxReadBytes: 65536 })
    expect(out.state).toBe('exited')
    const a = parseSystemLookup(out.state === 'exited' ? out.stdout : '', ['localhost'], 2000).get('localhost')
    expect(a?.ok).toBe(true)
    expect(a?.addresses.some(x => x === '127.0.0.1' || x === '::1')).toBe(true)
  })

  it('reads the child\'s lines: error codes mapped, junk ignored, unreported names are TIMEOUT', () => {
    const stdout = [
      JSON.stringify({ name: 'a.test', ok: true, addresses: ['10.0.0.1'], ms: 3 }),
      'Warning: something unrelated',
      JSON.stringify({ name: 'b.test', ok: false, addresses: [], ms: 4, code: 'ENOTFOUND' }),
      JSON.stringify({ name: 'c.test', ok: false, addresses: [], ms: 5, code: 'EAI_AGAIN' }),
      JSON.stringify({ name: 'not-asked.test', ok: true, addresses: ['1.1.1.1'], ms: 1 }),
      '{"name": "d.test", broken'
    ].join('\n')
    const m = parseSystemLookup(stdout, ['a.test', 'b.test', 'c.test', 'd.test'], 700)
    expect(Object.fromEntries(m)).toEqual({
      'a.test': { ok: true, addresses: ['10.0.0.1'], ms: 3 },
      'b.test': { ok: false, addresses: [], ms: 4, error: 'NXDOMAIN' },
      'c.test': { ok: false, addresses: [], ms: 5, error: 'TEMPFAIL' },
      'd.test': { ok: false, addresses: [], ms: 700, error: 'TIMEOUT' }
    })
  })
})
