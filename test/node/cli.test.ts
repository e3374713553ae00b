import { spawn, type ChildProcess } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it, vi } from 'vitest'
import { NODE, SWARM_BIN } from '../helpers/netlab.ts'
import { callControl } from '../../src/node/control-client.ts'

// The CLI as a user runs it: a real process, real files, one-line errors.
// Peers here listen on 127.0.0.1 with mDNS off (never mDNS in the root namespace).

const root = mkdtempSync(join(tmpdir(), 'swarm-cli-'))
const started: ChildProcess[] = []
afterAll(() => {
  for (const c of started) if (c.exitCode == null && c.pid != null) { try { process.kill(c.pid, 'SIGKILL') } catch {} }
  rmSync(root, { recursive: true, force: true })
})

interface Result { code: number | null, stdout: string, stderr: string }

async function swarm (args: string[], env: Record<string, string> = {}): Promise<Result> {
  return await new Promise((resolve) => {
    const child = spawn(NODE, [SWARM_BIN, ...args], { env: { ...process.env, SWARM_HOME: join(root, 'unused'), ...env } })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString() })
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
    child.on('exit', (code) => { resolve({ code, stdout, stderr }) })
  })
}

/** a failure a person reads: non-zero, exactly one line on stderr, no stack */
function expectOneLineError (r: Result, mentions: string): void {
  expect(r.code, r.stderr).not.toBe(0)
  const lines = r.stderr.trim().split('\n')
  expect(lines, r.stderr).toHaveLength(1)
  expect(r.stderr).not.toMatch(/\n\s+at /)
  expect(lines[0]).toContain(mentions)
}

function startPeer (home: string, args: string[] = []): { child: ChildProcess, output: () => string } {
  const child = spawn(NODE, [SWARM_BIN, 'start', '--home', home, '--no-mdns', '--listen', '/ip4/127.0.0.1/tcp/0', ...args])
  started.push(child)
  let out = ''
  child.stdout!.on('data', (d: Buffer) => { out += d.toString() })
  child.stderr!.on('data', (d: Buffer) => { out += d.toString() })
  return { child, output: () => out }
}

async function exited (child: ChildProcess): Promise<number | null> {
  if (child.exitCode != null) return child.exitCode
  return await new Promise(resolve => child.once('exit', (code) => { resolve(code) }))
}

describe('swarm init', () => {
  it('creates a home with 0600 keys and refuses to replace the identity without --force', async () => {
    const home = join(root, 'a')
    const r = await swarm(['init', '--home', home, '--name', 'alpha'])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/12D3KooW/)
    for (const f of ['identity.key', 'swarm.key']) expect(statSync(join(home, f)).mode & 0o777).toBe(0o600)
    expect(readFileSync(join(home, 'config.toml'), 'utf8')).toMatch(/name = "alpha"/)
    const identity = readFileSync(join(home, 'identity.key'))

    expectOneLineError(await swarm(['init', '--home', home]), 'identity.key')
    expect(readFileSync(join(home, 'identity.key'))).toEqual(identity)

    const swarmKey = readFileSync(join(home, 'swarm.key'))
    const forced = await swarm(['init', '--home', home, '--force'])
    expect(forced.code).toBe(0)
    expect(readFileSync(join(home, 'identity.key'))).not.toEqual(identity)
    // a new identity must not cost the box its swarm: the key stays, so it still joins
    expect(readFileSync(join(home, 'swarm.key'))).toEqual(swarmKey)
    expect(forced.stdout).not.toMatch(/new swarm/)
  })

  it('init --force replaces a corrupt swarm key and says it is a new swarm; without --force it refuses', async () => {
    const home = join(root, 'corrupt-key')
    mkdirSync(home)
    writeFileSync(join(home, 'swarm.key'), 'garbage')
    expectOneLineError(await swarm(['init', '--home', home]), 'swarm.key')
    expect(existsSync(join(home, 'identity.key'))).toBe(false)
    const forced = await swarm(['init', '--home', home, '--force'])
    expect(forced.code, forced.stderr).toBe(0)
    expect(forced.stdout).toMatch(/new swarm/)
    expect(readFileSync(join(home, 'swarm.key'), 'utf8')).toMatch(/^\/key\/swarm\/psk\/1\.0\.0\//)
  })

  it('joins an existing swarm by copying its key, and rejects a file that is not a swarm key', async () => {
    const a = join(root, 'a')
    const b = join(root, 'b')
    const r = await swarm(['init', '--home', b, '--swarm-key', join(a, 'swarm.key')])
    expect(r.code, r.stderr).toBe(0)
    expect(readFileSync(join(b, 'swarm.key'))).toEqual(readFileSync(join(a, 'swarm.key')))
    const bogus = join(root, 'bogus.key')
    writeFileSync(bogus, 'hello')
    expectOneLineError(await swarm(['init', '--home', join(root, 'c'), '--swarm-key', bogus]), 'bogus.key')
    expect(existsSync(join(root, 'c', 'identity.key'))).toBe(false)
  })

  it('init --swarm-key on a home made by a plain init takes the key and keeps the identity', async () => {
    const a = join(root, 'a')
    const solo = join(root, 'solo')
    expect((await swarm(['init', '--home', solo])).code).toBe(0)
    const identity = readFileSync(join(solo, 'identity.key'))
    const r = await swarm(['init', '--home', solo, '--swarm-key', join(a, 'swarm.key')])
    expect(r.code, r.stderr).toBe(0)
    expect(readFileSync(join(solo, 'swarm.key'))).toEqual(readFileSync(join(a, 'swarm.key')))
    expect(readFileSync(join(solo, 'identity.key'))).toEqual(identity)
    // a bad key still changes nothing
    writeFileSync(join(root, 'not-a-key'), 'hello')
    expectOneLineError(await swarm(['init', '--home', solo, '--swarm-key', join(root, 'not-a-key')]), 'not-a-key')
    expect(readFileSync(join(solo, 'swarm.key'))).toEqual(readFileSync(join(a, 'swarm.key')))
  })

  it('reports an unwritable home in one line, and the stack only with --debug', async () => {
    const file = join(root, 'plain-file')
    writeFileSync(file, '')
    expectOneLineError(await swarm(['init', '--home', join(file, 'home')]), 'cannot write')
    const debug = await swarm(['init', '--home', join(file, 'home'), '--debug'])
    expect(debug.code).not.toBe(0)
    expect(debug.stderr).toMatch(/\n\s+at /)
  })
})

describe('swarm start / peers', () => {
  it('says in one line that no peer is running, and how to start one', async () => {
    const home = join(root, 'a')
    expectOneLineError(await swarm(['peers', '--home', home]), `swarm start --home ${home}`)
  })

  it('runs a peer that lists itself, leaves on SIGTERM with exit 0, and restarts after a SIGKILL', async () => {
    const home = join(root, 'a')
    const first = startPeer(home)
    await vi.waitFor(() => { expect(first.output()).toMatch(/started as/) }, { timeout: 20_000, interval: 50 })
    const r = await swarm(['peers', '--home', home, '--json'])
    expect(r.code, r.stderr).toBe(0)
    const rows = JSON.parse(r.stdout)
    expect(rows).toHaveLength(1)
    expect(rows[0]).toMatchObject({ name: 'alpha', state: 'alive', self: true, platform: process.platform })
    for (const key of ['peerId', 'addresses', 'load', 'lastSeenMs']) expect(rows[0]).toHaveProperty(key)
    const table = await swarm(['peers', '--home', home])
    expect(table.stdout).toMatch(/^NAME\s+STATE/)

    // a second peer on the same home is refused
    expectOneLineError(await swarm(['start', '--home', home, '--no-mdns', '--listen', '/ip4/127.0.0.1/tcp/0']), 'already running')
    // and so is a new identity under the running peer's feet
    const identity = readFileSync(join(home, 'identity.key'))
    expectOneLineError(await swarm(['init', '--home', home, '--force']), 'already running')
    expect(readFileSync(join(home, 'identity.key'))).toEqual(identity)

    first.child.kill('SIGKILL')
    await exited(first.child)
    // the control socket the killed peer left behind does not block the next start
    const second = startPeer(home)
    await vi.waitFor(() => { expect(second.output()).toMatch(/started as/) }, { timeout: 20_000, interval: 50 })
    second.child.kill('SIGTERM')
    expect(await exited(second.child)).toBe(0)
    expect(second.output()).toMatch(/leaving the swarm/)
    expect(existsSync(join(home, 'control.sock'))).toBe(false)
  })

  it('refuses to start with a bad config value, naming the key', async () => {
    const home = join(root, 'badcfg')
    expect((await swarm(['init', '--home', home])).code).toBe(0)
    writeFileSync(join(home, 'config.toml'), '[membership]\ndeadAfterMs = "soon"\n')
    expectOneLineError(await swarm(['start', '--home', home, '--no-mdns']), 'membership.deadAfterMs')
    writeFileSync(join(home, 'config.toml'), '[peer\n')
    expectOneLineError(await swarm(['start', '--home', home, '--no-mdns']), 'config.toml')
    writeFileSync(join(home, 'config.toml'), '')
    expectOneLineError(await swarm(['start', '--home', home, '--no-mdns'], { SWARM_CONFIG__PRESENCE__INTERVALMS: '-5' }), 'presence.intervalMs')
  })

  it('refuses to start with a missing or corrupt key file', async () => {
    expectOneLineError(await swarm(['start', '--home', join(root, 'never-initialized'), '--no-mdns']), 'swarm init')
    const home = join(root, 'corrupt')
    expect((await swarm(['init', '--home', home])).code).toBe(0)
    writeFileSync(join(home, 'swarm.key'), 'garbage')
    expectOneLineError(await swarm(['start', '--home', home, '--no-mdns']), 'swarm.key')
    expect((await swarm(['init', '--home', home, '--force'])).code).toBe(0)
    writeFileSync(join(home, 'identity.key'), Buffer.from([1, 2, 3, 4, 5]))
    expectOneLineError(await swarm(['start', '--home', home, '--no-mdns']), 'identity.key')
  })

  it('warns once on stderr when a bootstrap address is unreachable or holds another swarm key', async () => {
    const x = join(root, 'boot-x')
    const y = join(root, 'boot-y')
    expect((await swarm(['init', '--home', x])).code).toBe(0)
    expect((await swarm(['init', '--home', y])).code).toBe(0) // a new swarm key: not x's swarm
    const closed: Server = createServer()
    await new Promise<void>(resolve => closed.listen(0, '127.0.0.1', resolve))
    const closedPort = (closed.address() as { port: number }).port
    await new Promise<void>(resolve => closed.close(() => { resolve() }))

    const px = startPeer(x)
    await vi.waitFor(() => { expect(px.output()).toMatch(/listening on \/ip4\/127\.0\.0\.1\/tcp\/\d+\/p2p\//) }, { timeout: 20_000, interval: 50 })
    const xAddr = /listening on (\S+)/.exec(px.output())![1]
    const py = spawn(NODE, [SWARM_BIN, 'start', '--home', y, '--no-mdns', '--listen', '/ip4/127.0.0.1/tcp/0',
      '--bootstrap', `/ip4/127.0.0.1/tcp/${closedPort}`, '--bootstrap', xAddr])
    started.push(py)
    let stderr = ''
    py.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
    try {
      await vi.waitFor(() => {
        expect(stderr).toContain(`bootstrap /ip4/127.0.0.1/tcp/${closedPort} unreachable`)
        expect(stderr).toMatch(new RegExp(`bootstrap ${xAddr} unreachable.*swarm key`))
      }, { timeout: 20_000, interval: 100 })
      // one line per address, not one per retry
      expect(stderr.split('\n').filter(l => l.includes('unreachable'))).toHaveLength(2)
    } finally {
      py.kill('SIGTERM')
      px.child.kill('SIGTERM')
      await Promise.all([exited(py), exited(px.child)])
    }
  })

  it('a bootstrap list naming this very peer is not dialled and not warned about', async () => {
    const home = join(root, 'boot-self')
    expect((await swarm(['init', '--home', home])).code).toBe(0)
    const holder: Server = createServer()
    await new Promise<void>(resolve => holder.listen(0, '127.0.0.1', resolve))
    const port = (holder.address() as { port: number }).port
    await new Promise<void>(resolve => holder.close(() => { resolve() }))
    const self = `/ip4/127.0.0.1/tcp/${port}`
    const p = spawn(NODE, [SWARM_BIN, 'start', '--home', home, '--no-mdns', '--listen', self, '--bootstrap', self],
      { env: { ...process.env, SWARM_CONFIG__DISCOVERY__REDIALINTERVALMS: '250' } })
    started.push(p)
    let stderr = ''
    p.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
    try {
      // several redial rounds pass, none of them dials
      await vi.waitFor(async () => {
        const status = await callControl(home, 'status')
        expect(status.uptimeMs).toBeGreaterThan(1500)
        expect(status.dialer.dials).toBe(0)
      }, { timeout: 20_000, interval: 200 })
      expect(stderr).not.toMatch(/bootstrap/)
    } finally {
      p.kill('SIGTERM')
      await exited(p)
    }
  })

  it('peers shows a member at the address it listens on, not the port it dialled from', async () => {
    const x = join(root, 'pair-x')
    const y = join(root, 'pair-y')
    expect((await swarm(['init', '--home', x, '--name', 'px'])).code).toBe(0)
    expect((await swarm(['init', '--home', y, '--name', 'py', '--swarm-key', join(x, 'swarm.key')])).code).toBe(0)
    const px = startPeer(x)
    try {
      await vi.waitFor(() => { expect(px.output()).toMatch(/listening on \S+/) }, { timeout: 20_000, interval: 50 })
      const xAddr = /listening on (\S+)/.exec(px.output())![1]
      const py = startPeer(y, ['--bootstrap', xAddr])
      try {
        await vi.waitFor(() => { expect(py.output()).toMatch(/listening on \S+/) }, { timeout: 20_000, interval: 50 })
        const yAddr = /listening on (\S+)/.exec(py.output())![1]
        await vi.waitFor(async () => {
          const r = await swarm(['peers', '--home', x, '--json'])
          const rows = JSON.parse(r.stdout) as Array<{ name: string, addresses: string[] }>
          expect(rows.find(m => m.name === 'py')?.addresses).toEqual([yAddr])
        }, { timeout: 20_000, interval: 200 })
      } finally {
        py.child.kill('SIGTERM')
        await exited(py.child)
      }
    } finally {
      px.child.kill('SIGTERM')
      await exited(px.child)
    }
  })

  it('refuses a home whose control socket path is too long, in one line, instead of hanging', async () => {
    const long = join(root, 'h'.repeat(100))
    expectOneLineError(await swarm(['init', '--home', long]), 'too long')
    expect(existsSync(long)).toBe(false)
    // a home made by hand (copied keys) gets the same answer from start, which exits
    mkdirSync(long)
    const short = join(root, 'short')
    expect((await swarm(['init', '--home', short])).code).toBe(0)
    for (const f of ['identity.key', 'swarm.key']) writeFileSync(join(long, f), readFileSync(join(short, f)))
    const r = await swarm(['start', '--home', long, '--no-mdns', '--listen', '/ip4/127.0.0.1/tcp/0'])
    expectOneLineError(r, 'too long')
    expectOneLineError(await swarm(['peers', '--home', long]), 'too long')
  })

  it.skipIf(process.getuid?.() !== 0)('says the peer belongs to another user when its socket is not ours (needs root to switch user)', async (ctx) => {
    const asNobody = async (args: string[]): Promise<Result> => await new Promise((resolve) => {
      const child = spawn(NODE, [SWARM_BIN, ...args], { uid: 65534, gid: 65534, env: { PATH: process.env.PATH ?? '', HOME: '/tmp' } })
      let stdout = ''
      let stderr = ''
      child.stdout.on('data', (d: Buffer) => { stdout += d.toString() })
      child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
      child.on('exit', (code) => { resolve({ code, stdout, stderr }) })
    })
    const probe = await asNobody(['--version'])
    if (probe.code !== 0) ctx.skip(`uid 65534 cannot run this checkout: ${probe.stderr.split('\n')[0]}`)
    const home = join(root, 'owned')
    expect((await swarm(['init', '--home', home])).code).toBe(0)
    const p = startPeer(home)
    try {
      await vi.waitFor(() => { expect(p.output()).toMatch(/started as/) }, { timeout: 20_000, interval: 50 })
      expectOneLineError(await asNobody(['peers', '--home', home]), 'another user')
    } finally {
      p.child.kill('SIGTERM')
      await exited(p.child)
    }
  })

  it('reports a port in use in one line', async () => {
    const holder: Server = createServer()
    await new Promise<void>(resolve => holder.listen(0, '127.0.0.1', resolve))
    try {
      const port = (holder.address() as { port: number }).port
      const home = join(root, 'port')
      expect((await swarm(['init', '--home', home])).code).toBe(0)
      expectOneLineError(await swarm(['start', '--home', home, '--no-mdns', '--listen', `/ip4/127.0.0.1/tcp/${port}`]), 'address already in use')
      expect(existsSync(join(home, 'control.sock'))).toBe(false)
    } finally {
      holder.close()
    }
  })
})

describe('swarm help and common flags', () => {
  it('help NAME is NAME --help; an unknown NAME is a usage error', async () => {
    const viaHelp = await swarm(['help', 'start'])
    const viaFlag = await swarm(['start', '--help'])
    expect(viaHelp.code).toBe(0)
    expect(viaHelp.stdout).toBe(viaFlag.stdout)
    expect(viaHelp.stdout).toMatch(/^usage: swarm start /)
    expectOneLineError(await swarm(['help', 'nosuch']), 'nosuch')
    expect((await swarm(['help', 'nosuch'])).code).toBe(2)
  })

  it('--help explains every flag its usage line names', async () => {
    const names = ['init', 'start', 'peers', 'tools', 'tool', 'ask']
    const runs = await Promise.all(names.map(async name => await swarm([name, '--help'])))
    for (const [i, name] of names.entries()) {
      const r = runs[i]
      expect(r.code).toBe(0)
      const [usage, ...rest] = r.stdout.split('\n\n')
      const explained = rest.join('\n\n')
      for (const flag of usage.match(/--[a-z-]+/g) ?? []) expect(explained, `${name} ${flag}`).toMatch(new RegExp(`^\\s+${flag}\\b`, 'm'))
    }
  })

  it('takes --home and --debug before the command name', async () => {
    const home = join(root, 'never-started')
    expectOneLineError(await swarm(['--home', home, 'peers']), `swarm start --home ${home}`)
    expectOneLineError(await swarm([`--home=${home}`, 'peers', '--json']), `swarm start --home ${home}`)
    const debug = await swarm(['--debug', '--home', home, 'peers'])
    expect(debug.code).toBe(1)
    expect(debug.stderr).toMatch(/\n\s+at /)
  })

  it('start refuses an empty --name instead of silently using the hostname', async () => {
    const r = await swarm(['start', '--home', join(root, 'a'), '--no-mdns', '--name', ' '])
    expectOneLineError(r, '--name')
    expect(r.code).toBe(2)
  })
})
