import { spawn } from 'node:child_process'
import { mkdirSync, readFileSync, statSync, writeFileSync, existsSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { join } from 'node:path'
import { describe, expect, it, vi } from 'vitest'
import { NODE, SWARM_BIN } from '../helpers/netlab.ts'
import { cliHarness, exited, expectOneLineError, type Result } from './cli-harness.ts'

const { root, swarm, startPeer } = cliHarness('swarm-cli-')

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
    expect(await exited(second.child), second.output()).toBe(0)
    expect(second.output()).toMatch(/leaving the swarm/)
    expect(existsSync(join(home, 'control.sock'))).toBe(false)
  })

  it('leaves cleanly on a SIGTERM sent the instant the started line appears', async () => {
    // a supervisor may stop the peer as soon as it says it started: the handler must already be in
    const home = join(root, 'eager')
    expect((await swarm(['init', '--home', home])).code).toBe(0)
    for (let i = 0; i < 4; i++) {
      const peer = startPeer(home)
      await new Promise<void>((resolve) => {
        const look = () => {
          if (!/started as/.test(peer.output())) return
          peer.child.stdout!.off('data', look)
          peer.child.kill('SIGTERM')
          resolve()
        }
        peer.child.stdout!.on('data', look)
      })
      expect(await exited(peer.child), peer.output()).toBe(0)
      expect(peer.output()).toMatch(/leaving the swarm/)
    }
  }, 60_000)

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
