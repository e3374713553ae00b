import { spawn } from 'node:child_process'
import { createServer, type Server } from 'node:net'
import { join } from 'node:path'
import { describe, expect, it, vi } from 'vitest'
import { NODE, SWARM_BIN } from '../helpers/netlab.ts'
import { callControl } from '../../src/node/control-client.ts'
import { cliHarness, exited, expectOneLineError } from './cli-harness.ts'

// Bootstrap feedback, member addresses, help and flag habits, as a sysadmin meets them.
const { root, started, swarm, startPeer } = cliHarness('swarm-cli-net-')

describe('swarm start with --bootstrap', () => {
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
