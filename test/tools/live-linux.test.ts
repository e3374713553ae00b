/**
 * Every Linux tool run for real on this machine, each held against an independent
 * reading of the same fact (statfs, os.*, a socket we opened, a process we started).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { existsSync, readFileSync, statfsSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { createSocket, type Socket } from 'node:dgram'
import os from 'node:os'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { localToolRunner } from '../../src/tools/index.ts'
import { machineComponents } from '../../src/tools/tool.ts'
import type { DiskUsageData, FailedServicesData, ListeningPortsData, MemoryData, NetworkInterfacesData, OsInfoData, RecentErrorsData, SystemLoadData, TopProcessesData, UptimeData } from '../../src/tools/types.ts'
import { NODE } from './fixtures.ts'

const linux = process.platform === 'linux'
const MiB = 1024 * 1024

describe.skipIf(!linux)('Linux tools, live', () => {
  const runner = localToolRunner()
  const run = async <T>(name: string, args: unknown = {}): Promise<T> => {
    const r = await runner.run(name, args)
    expect(r, `${name}: ${r.error ?? ''}`).toMatchObject({ ok: true })
    expect(r.text.length).toBeGreaterThan(0)
    // small enough to travel by gossip with the task result
    expect(Buffer.byteLength(JSON.stringify(r)), name).toBeLessThan(64 * 1024)
    return r.data as T
  }

  it('disk_usage agrees with statfs of every listed mount', async () => {
    const { mounts } = await run<DiskUsageData>('disk_usage')
    expect(mounts.some(m => m.mount === '/')).toBe(true)
    for (const m of mounts) {
      const s = statfsSync(m.mount, { bigint: false })
      const size = s.blocks * s.bsize
      const avail = s.bavail * s.bsize
      const used = (s.blocks - s.bfree) * s.bsize
      // the same filesystem read twice a few ms apart: allow for writes in between
      const slack = Math.max(64 * MiB, size * 0.005)
      expect(Math.abs(m.sizeBytes - size), m.mount).toBeLessThanOrEqual(slack)
      expect(Math.abs(m.availableBytes - avail), m.mount).toBeLessThanOrEqual(slack)
      expect(Math.abs(m.usedBytes - used), m.mount).toBeLessThanOrEqual(slack)
      const pct = used + avail === 0 ? 0 : Math.ceil(used * 100 / (used + avail))
      expect(Math.abs(m.usedPercent - pct), m.mount).toBeLessThanOrEqual(1)
      expect(['proc', 'sysfs', 'devtmpfs', 'cgroup', 'cgroup2', 'devpts']).not.toContain(m.type)
      if (s.files > 0) {
        expect(m.inodesTotal, m.mount).toBe(s.files)
        expect(Math.abs((m.inodesUsed ?? -1) - (s.files - s.ffree)), m.mount).toBeLessThanOrEqual(Math.max(1000, s.files * 0.001))
      }
    }
  })

  it('memory agrees with os.totalmem and with /proc/meminfo read here', async () => {
    const kb = (info: string, key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(info)?.[1]) * 1024
    // other tests start and stop processes meanwhile: the tool's reading must lie between
    // one taken just before it and one just after (plus a little for what moved in between)
    const before = readFileSync('/proc/meminfo', 'utf8')
    const mem = await run<MemoryData>('memory')
    const after = readFileSync('/proc/meminfo', 'utf8')
    expect(mem.totalBytes).toBe(os.totalmem())
    const avail = [kb(before, 'MemAvailable'), kb(after, 'MemAvailable')]
    expect(mem.availableBytes).toBeGreaterThanOrEqual(Math.min(...avail) - 64 * MiB)
    expect(mem.availableBytes).toBeLessThanOrEqual(Math.max(...avail) + 64 * MiB)
    expect(mem.swapTotalBytes).toBe(kb(after, 'SwapTotal'))
    expect(mem.usedPercent).toBeGreaterThan(0)
    expect(mem.usedPercent).toBeLessThan(100)
  })

  it('system_load agrees with os.loadavg and the cpu count', async () => {
    // the kernel may update the averages (every 5 s) between our reading and the tool's:
    // the tool's figure must lie between a reading taken before and one taken after
    const before = os.loadavg()
    const load = await run<SystemLoadData>('system_load')
    const after = os.loadavg()
    expect(load.cpus).toBe(os.cpus().length)
    const within = (value: number, i: number) => {
      expect(value).toBeGreaterThanOrEqual(Math.min(before[i], after[i]) - 0.01)
      expect(value).toBeLessThanOrEqual(Math.max(before[i], after[i]) + 0.01)
    }
    within(load.load1, 0)
    within(load.load5, 1)
    within(load.load15, 2)
    expect(load.perCore1).toBeCloseTo(load.load1 / load.cpus, 1)
  })

  it('uptime agrees with os.uptime', async () => {
    const up = await run<UptimeData>('uptime')
    expect(Math.abs(up.seconds - os.uptime())).toBeLessThanOrEqual(2)
    expect(Math.abs(Date.parse(up.bootTime) - (Date.now() - os.uptime() * 1000))).toBeLessThan(3000)
  })

  it('os_info agrees with os.* and /etc/os-release', async () => {
    const info = await run<OsInfoData>('os_info')
    expect(info).toMatchObject({ platform: 'linux', hostname: os.hostname(), arch: os.arch() })
    expect(info.kernel).toContain(os.release())
    if (existsSync('/etc/os-release')) expect(readFileSync('/etc/os-release', 'utf8')).toContain(info.distro)
  })

  it('network_interfaces holds every address Node sees, on the same interface', async () => {
    // other tests on this box may add or remove veths meanwhile: compare what stayed
    const before = os.networkInterfaces()
    const { interfaces } = await run<NetworkInterfacesData>('network_interfaces')
    const after = os.networkInterfaces()
    const stable = Object.keys(before).filter(n => n in after)
    expect(stable).toContain('lo')
    for (const name of stable) {
      const iface = interfaces.find(i => i.name === name)
      expect(iface, name).toBeDefined()
      expect(iface?.up).toBe(true)
      for (const a of before[name] ?? []) {
        if ((after[name] ?? []).some(b => b.cidr === a.cidr)) expect(iface?.addresses.map(x => x.cidr), name).toContain(a.cidr)
      }
    }
  })

  it('without ip, network_interfaces reads /sys/class/net and agrees with ip', async () => {
    const noIp = localToolRunner(undefined, { exec: async (program, args, o) => program === 'ip' ? { state: 'missing', program, ms: 0 } : await machineComponents('linux').exec(program, args, o) })
    const a = await noIp.run('network_interfaces', {})
    expect(a.text).toContain('/sys/class/net')
    const { interfaces } = await run<NetworkInterfacesData>('network_interfaces')
    const norm = (i: NetworkInterfacesData['interfaces'][number]) => ({ ...i, addresses: [...i.addresses].sort((x, y) => x.cidr < y.cidr ? -1 : 1) })
    const sorted = (xs: NetworkInterfacesData['interfaces']) => xs.map(norm).sort((x, y) => x.name < y.name ? -1 : 1)
    // only interfaces seen by both reads: other tests may add or remove veths meanwhile
    const fromSys = (a.data as NetworkInterfacesData).interfaces
    const names = new Set(fromSys.map(i => i.name).filter(n => interfaces.some(i => i.name === n)))
    expect(names.has('lo')).toBe(true)
    expect(names.size).toBeGreaterThanOrEqual(Math.min(fromSys.length, interfaces.length) - 2)
    expect(sorted(fromSys.filter(i => names.has(i.name)))).toEqual(sorted(interfaces.filter(i => names.has(i.name))))
  })

  it('failed_services: systemd exactly when systemd runs here, else manager none', async () => {
    const data = await run<FailedServicesData>('failed_services')
    expect(data.manager).toBe(existsSync('/run/systemd/system') ? 'systemd' : 'none')
    const status = await runner.run('service_status', { name: 'swarm-no-such-unit' })
    expect(status).toMatchObject({ ok: true, data: { found: false } })
  })

  it('recent_errors: as many entries as journalctl gives for the window (or a named missing program)', async () => {
    const r = await runner.run('recent_errors', { since: '30m' })
    let hasJournalctl = true
    try { execFileSync('journalctl', ['--version'], { stdio: 'ignore' }) } catch { hasJournalctl = false }
    if (!hasJournalctl) { expect(r.code).toBe('ERR_PROGRAM_MISSING'); return }
    expect(r.ok).toBe(true)
    const data = r.data as RecentErrorsData
    const from = Math.floor(Date.now() / 1000) - 1800
    const mine = execFileSync('journalctl', ['--no-pager', '-q', '-p', 'err', '--since', `@${from - 5}`, '-o', 'json', '-n', '200'], { encoding: 'utf8' })
    const theirs = mine.split('\n').filter(l => l.startsWith('{')).length
    // a line may be logged between the two reads
    expect(Math.abs(data.count - theirs)).toBeLessThanOrEqual(2)
    expect(data.since).toBe('30m')
  })

  describe('with sockets and a process of our own', () => {
    let tcp: Server
    let udp: Socket
    let hog: ChildProcess
    beforeAll(async () => {
      tcp = createServer()
      await new Promise<void>(resolve => tcp.listen(0, '127.0.0.1', resolve))
      udp = createSocket('udp4')
      await new Promise<void>(resolve => udp.bind(0, '127.0.0.1', resolve))
      // a busy process holding 128 MiB: it must show up by cpu and by memory
      hog = spawn(NODE, ['-e', 'const b = Buffer.alloc(128 * 1024 * 1024, 1); setInterval(() => {}, 1000); for (const end = Date.now() + 60000; Date.now() < end;) b[0]++'], { stdio: 'ignore' })
      await vi.waitFor(() => { expect(readFileSync(`/proc/${hog.pid}/status`, 'utf8')).toMatch(/VmRSS:\s+1[3-9]\d{4} kB|VmRSS:\s+[2-9]\d{5} kB/) }, { timeout: 10_000, interval: 50 })
    })
    afterAll(async () => {
      if (hog?.pid !== undefined && hog.exitCode === null) hog.kill('SIGKILL')
      await new Promise<void>(resolve => tcp?.close(() => { resolve() }))
      udp?.close()
    })

    it('listening_ports shows our TCP listener and UDP socket with this pid', async () => {
      const { ports } = await run<ListeningPortsData>('listening_ports')
      const tcpPort = (tcp.address() as { port: number }).port
      const udpPort = udp.address().port
      expect(ports).toContainEqual(expect.objectContaining({ proto: 'tcp', address: '127.0.0.1', port: tcpPort, pid: process.pid }))
      expect(ports).toContainEqual(expect.objectContaining({ proto: 'udp', address: '127.0.0.1', port: udpPort, pid: process.pid }))
    })

    it('without ss installed, listening_ports reads /proc/net and finds the same sockets', async () => {
      const machine = machineComponents('linux')
      const noSs = localToolRunner(undefined, { exec: async (program, args, o) => program === 'ss' ? { state: 'missing', program, ms: 0 } : await machine.exec(program, args, o) })
      const [a, b] = await Promise.all([noSs.run('listening_ports', {}), runner.run('listening_ports', {})])
      expect(a.ok).toBe(true)
      expect(a.text).toContain('/proc/net/tcp')
      const key = (p: { proto: string, address: string, port: number }) => `${p.proto} ${p.address} ${p.port}`
      const tcpPort = (tcp.address() as { port: number }).port
      const udpPort = udp.address().port
      // other tests open and close ports meanwhile, so: our sockets, found both ways
      for (const r of [a, b]) {
        expect((r.data as ListeningPortsData).ports.map(key)).toContain(`tcp 127.0.0.1 ${tcpPort}`)
        expect((r.data as ListeningPortsData).ports.map(key)).toContain(`udp 127.0.0.1 ${udpPort}`)
      }
      expect((a.data as ListeningPortsData).ports.every(p => p.pid === undefined)).toBe(true)
    })

    it('without ps, top_processes reads /proc: the hog with the same rss and a close cpu share', async () => {
      const noPs = localToolRunner(undefined, { exec: async (program, args, o) => program === 'ps' ? { state: 'missing', program, ms: 0 } : await machineComponents('linux').exec(program, args, o) })
      // a lifetime cpu share moves while the tools run (fast, for a young process on a busy
      // machine): each tool's figure must lie within what the hog's own /proc/PID/stat
      // allows between a sample taken just before and one just after that tool
      const s0 = cpuSample(hog.pid!)
      const a = await noPs.run('top_processes', { by: 'memory', limit: 50 })
      const s1 = cpuSample(hog.pid!)
      const b = await runner.run('top_processes', { by: 'memory', limit: 50 })
      const s2 = cpuSample(hog.pid!)
      expect(a.ok).toBe(true)
      expect(a.text).toContain('reading /proc')
      const fromProc = (a.data as TopProcessesData).processes.find(p => p.pid === hog.pid)
      const fromPs = (b.data as TopProcessesData).processes.find(p => p.pid === hog.pid)
      expect(fromProc).toMatchObject({ command: 'node', user: 'root' === os.userInfo().username ? 'root' : expect.any(String) })
      expect(Math.abs((fromProc?.rssBytes ?? 0) - (fromPs?.rssBytes ?? 0))).toBeLessThan(16 * MiB)
      // ticks are 1/100 s, so ticks / age in seconds is the share in percent
      expect(fromProc!.cpuPercent).toBeGreaterThanOrEqual(s0.ticks / s1.age - 0.5)
      expect(fromProc!.cpuPercent).toBeLessThanOrEqual(s1.ticks / s0.age + 0.5)
      // ps divides by whole seconds of age (procps), which can be up to a second less
      expect(fromPs!.cpuPercent).toBeGreaterThanOrEqual(s1.ticks / (s2.age + 1) - 0.5)
      expect(fromPs!.cpuPercent).toBeLessThanOrEqual(s2.age >= 2 ? s2.ticks / Math.floor(s1.age) + 0.5 : 100 * os.cpus().length)
      expect(Math.abs((fromProc?.memPercent ?? 0) - (fromPs?.memPercent ?? 0))).toBeLessThan(1)
    })

    it('top_processes by memory: sorted, RSS as /proc says, the hog listed unless 50 bigger ones exist', async () => {
      const { processes } = await run<TopProcessesData>('top_processes', { by: 'memory', limit: 50 })
      const rssOf = (pid: number) => { try { return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024 } catch { return undefined } }
      expect(processes.map(p => p.rssBytes)).toEqual([...processes.map(p => p.rssBytes)].sort((a, b) => b - a))
      const hogRss = rssOf(hog.pid ?? 0) ?? 0
      expect(hogRss).toBeGreaterThan(100 * MiB)
      const listed = processes.find(p => p.pid === hog.pid)
      if (listed !== undefined) expect(Math.abs(listed.rssBytes - hogRss)).toBeLessThan(16 * MiB)
      else expect(processes.at(-1)?.rssBytes ?? 0).toBeGreaterThanOrEqual(hogRss - 16 * MiB) // other tests on this box may hold more
      // a process that is still there has the size the kernel reports for it
      const stable = processes.filter(p => p.pid === hog.pid || p.pid === 1)
      for (const p of stable) expect(Math.abs(p.rssBytes - (rssOf(p.pid) ?? p.rssBytes))).toBeLessThan(16 * MiB)
    })

    it('top_processes by cpu lists the busy hog', async () => {
      const { processes } = await run<TopProcessesData>('top_processes', { by: 'cpu', limit: 50 })
      expect(processes.map(p => p.cpuPercent)).toEqual([...processes.map(p => p.cpuPercent)].sort((a, b) => b - a))
      expect(processes.find(p => p.pid === hog.pid)?.cpuPercent).toBeGreaterThan(20)
    })
  })
})

/** A process's cpu ticks (1/100 s) and age in seconds, from its /proc/PID/stat and /proc/uptime. */
function cpuSample (pid: number): { ticks: number, age: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  // after "pid (comm) ": state is field 3; utime 14, stime 15, starttime 22
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  const uptime = Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0])
  return { ticks: Number(f[11]) + Number(f[12]), age: uptime - Number(f[19]) / 100 }
}
