/**
 * The tools as a user runs them (`swarm tool ... --json`) inside namespaces this test
 * makes: a network namespace with its own resolv.conf and a tiny DNS server, and a
 * mount namespace with a tmpfs filled to a known level. Needs root.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FIXTURES, NODE, REPO } from './fixtures.ts'

const isRoot = process.getuid?.() === 0
if (!isRoot && process.env.CI === 'true') throw new Error('namespaces.netns.test.ts must run as root under CI')
if (!isRoot) console.warn('skipping namespace tests: they need root (ip netns, unshare -m)')

/**
 * A network namespace with only `lo`, its own resolv.conf (bind-mounted by `ip netns exec`)
 * and the fixture DNS server on 127.0.0.1:53, set up before and removed after the suite.
 */
function dnsNamespace (ns: string, resolvConf: string, dnsArgs: string[]): void {
  const etcDir = `/etc/netns/${ns}`
  let dns: ChildProcess | undefined

  beforeAll(async () => {
    execFileSync('ip', ['netns', 'add', ns])
    execFileSync('ip', ['-n', ns, 'link', 'set', 'lo', 'up'])
    mkdirSync(etcDir, { recursive: true })
    writeFileSync(join(etcDir, 'resolv.conf'), resolvConf)
    dns = spawn('ip', ['netns', 'exec', ns, NODE, `${FIXTURES}bin/fake-dns.mjs`, '127.0.0.1', '53', ...dnsArgs], { stdio: ['ignore', 'pipe', 'inherit'] })
    await new Promise<void>((resolve, reject) => {
      dns?.stdout?.on('data', (b: Buffer) => { if (b.toString().includes('listening')) resolve() })
      dns?.once('exit', code => { reject(new Error(`fake dns exited ${code}`)) })
    })
  })

  afterAll(() => {
    try { if (dns?.pid !== undefined && dns.exitCode === null) dns.kill('SIGTERM') } finally {
      try { execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' }) } catch {}
      rmSync(etcDir, { recursive: true, force: true })
    }
  })
}

describe.skipIf(!isRoot)('dns_check in a network namespace', () => {
  const ns = `swt-dns-${process.pid}`
  // 127.0.0.2 has no server: the down resolver
  dnsNamespace(ns, 'nameserver 127.0.0.1\nnameserver 127.0.0.2\noptions timeout:1 attempts:1\n', ['good.test=10.9.8.7', '--servfail', 'broken.test'])

  it('tells a missing name, a failing server and a down resolver apart', () => {
    const out = execFileSync('ip', ['netns', 'exec', ns, NODE, 'bin/swarm.mjs', 'tool', 'dns_check', '--json', '--args', '{"names":["good.test","missing.test","broken.test"]}'], { cwd: REPO, encoding: 'utf8', env: { ...process.env, SWARM_HOME: tmpdir() } })
    const r = JSON.parse(out)
    expect(r.ok).toBe(true)
    expect(r.data.resolvers).toEqual(['127.0.0.1', '127.0.0.2'])
    const [good, missing, broken] = r.data.names
    expect(good.system).toMatchObject({ ok: true, addresses: ['10.9.8.7'] })
    expect(good.servers[0]).toMatchObject({ server: '127.0.0.1', ok: true, addresses: ['10.9.8.7'] })
    // the down resolver: a connection error or timeout, never "name missing"
    expect(good.servers[1].ok).toBe(false)
    expect(['ECONNREFUSED', 'TIMEOUT']).toContain(good.servers[1].error)
    expect(missing.system).toMatchObject({ ok: false, error: 'NXDOMAIN' })
    expect(missing.servers[0]).toMatchObject({ ok: false, error: 'NXDOMAIN' })
    expect(broken.servers[0]).toMatchObject({ ok: false, error: 'SERVFAIL' })
    expect(broken.system.ok).toBe(false)
    expect(broken.system.error).not.toBe('NXDOMAIN')
  })
})

describe.skipIf(!isRoot)('dns_check with a resolver that never answers', () => {
  const ns = `swt-dns2-${process.pid}`
  dnsNamespace(ns, 'nameserver 127.0.0.1\noptions timeout:3 attempts:2\n', ['--silent'])

  it('every answer is TIMEOUT (resolver down), none NXDOMAIN, and the tool returns at its own limit', () => {
    const names = ['a.test', 'b.test', 'c.test', 'd.test', 'e.test', 'f.test']
    const t0 = Date.now()
    const out = execFileSync('ip', ['netns', 'exec', ns, NODE, 'bin/swarm.mjs', 'tool', 'dns_check', '--json', '--args', JSON.stringify({ names })], {
      cwd: REPO, encoding: 'utf8', env: { ...process.env, SWARM_HOME: tmpdir(), SWARM_CONFIG__TOOLS__DNS__TIMEOUTMS: '500' }
    })
    const r = JSON.parse(out)
    expect(r.ok).toBe(true)
    expect(r.ms).toBeLessThan(1500)
    // process start included; waiting out glibc's own 3 s x 2 attempts would show here
    expect(Date.now() - t0).toBeLessThan(5_000)
    for (const n of r.data.names) {
      expect(n.system).toMatchObject({ ok: false, error: 'TIMEOUT' })
      expect(n.servers[0]).toMatchObject({ server: '127.0.0.1', ok: false, error: 'TIMEOUT' })
    }
  })
})

describe.skipIf(!isRoot)('disk_usage in a mount namespace', () => {
  const dir = mkdtempSync(join(tmpdir(), 'swarm-tools-mnt-'))
  afterAll(() => { rmSync(dir, { recursive: true, force: true }) })

  it('reports a tmpfs filled to 75% as statfs sees it', () => {
    const out = execFileSync('unshare', ['-m', '--propagation', 'private', NODE, `${FIXTURES}bin/in-mountns.mjs`, dir, '8', '6', REPO], { encoding: 'utf8', env: { ...process.env, SWARM_HOME: tmpdir() } })
    const [{ statfs }, { exit, result }] = out.trim().split('\n').map(l => JSON.parse(l))
    expect(exit).toBe(0)
    const m = result.data.mounts.find((x: any) => x.mount === dir)
    expect(m).toMatchObject({ filesystem: 'swarmtest', type: 'tmpfs', sizeBytes: 8 * 1024 * 1024, usedPercent: 75 })
    expect(m.usedBytes).toBe(statfs.usedBytes)
    expect(m.availableBytes).toBe(statfs.availableBytes)
    expect(m).toMatchObject({ inodesTotal: statfs.inodesTotal, inodesUsed: statfs.inodesUsed })
  })
})
