import { describe, expect, it } from 'vitest'
import { DEFAULT_EXCLUDED_FS_TYPES } from '../../src/tools/config.ts'
import { parseDfInodesLinux, parseDfLinux } from '../../src/tools/parsers/df.ts'
import { memoryFromMeminfo } from '../../src/tools/parsers/memory.ts'
import { parseLoadavg, systemLoad, uptimeFromProc } from '../../src/tools/parsers/load.ts'
import { parseKeyValues, parseSystemctlFailed } from '../../src/tools/parsers/services.ts'
import { parseJournalJson } from '../../src/tools/parsers/logs.ts'
import { parseIpAddrJson, parseLsof, parseResolvConf, parseSs, uniquePorts } from '../../src/tools/parsers/net.ts'
import { parseProcNet, procNetAddress } from '../../src/tools/parsers/procnet.ts'
import { parsePasswd, parseProcStat, procFromStat } from '../../src/tools/parsers/procfs.ts'
import { parseOsRelease, parsePs, topProcesses } from '../../src/tools/parsers/system.ts'
import { fixture } from './fixtures.ts'

/** df's own Capacity column, by mount point, to hold our computation against. */
function dfCapacity (text: string): Map<string, number> {
  const out = new Map<string, number>()
  for (const row of text.trim().split('\n').slice(1)) {
    const m = /^\S+\s+\S+\s+\d+\s+\d+\s+\d+\s+(\d+)%\s+(.*)$/.exec(row)
    if (m !== null) out.set(m[2], Number(m[1]))
  }
  return out
}

describe('df -P -T -B1 (recorded here: tmpfs, overlay, a bind mount, a mount point with a space)', () => {
  const text = fixture('linux/df-PT-B1.txt')
  const mounts = parseDfLinux(text, DEFAULT_EXCLUDED_FS_TYPES)

  it('computes usedPercent exactly as df printed it, for every mount', () => {
    const capacity = dfCapacity(text)
    expect(mounts.length).toBeGreaterThan(4)
    for (const m of mounts) expect(m.usedPercent, m.mount).toBe(capacity.get(m.mount))
  })

  it('keeps real filesystems in bytes and leaves out pseudo ones', () => {
    const root = mounts.find(m => m.mount === '/')
    expect(root).toMatchObject({ filesystem: '/dev/vda', type: 'ext4', sizeBytes: 270553174016, usedBytes: 24076611584, availableBytes: 84867682304, usedPercent: 23 })
    expect(mounts.find(m => m.mount === '/tmp/fx/tmp')).toMatchObject({ type: 'tmpfs', sizeBytes: 64 * 1024 * 1024, usedPercent: 91 })
    expect(mounts.find(m => m.mount === '/tmp/fx/merged')?.type).toBe('overlay')
    expect(mounts.find(m => m.mount === '/tmp/fx/with space')).toMatchObject({ filesystem: 'fxspace', usedPercent: 0 })
    expect(mounts.some(m => m.type === 'devtmpfs')).toBe(false)
    expect(parseDfLinux(text).some(m => m.type === 'devtmpfs')).toBe(true)
  })

  it('with -a: proc, sysfs, devpts and cgroups go; a bind mount shows the numbers of its source', () => {
    const all = parseDfLinux(fixture('linux/df-a-PT-B1.txt'), DEFAULT_EXCLUDED_FS_TYPES)
    expect(all.map(m => m.type)).not.toContain('proc')
    expect(all.map(m => m.type)).not.toContain('cgroup')
    const src = all.find(m => m.mount === '/tmp/fx/tmp')
    const bind = all.find(m => m.mount === '/tmp/fx/bind')
    expect(bind).toMatchObject({ filesystem: 'fxtmp', usedBytes: src?.usedBytes, usedPercent: 91 })
  })

  it('df -P -i (recorded here: a tmpfs with 1000 inodes, 851 used): inode use as df computed it', () => {
    const text = fixture('linux/df-P-i.txt')
    const inodes = parseDfInodesLinux(text)
    expect(inodes.get('/tmp/fx/tmp')).toEqual({ inodesTotal: 1000, inodesUsed: 851, inodesUsedPercent: 86 })
    for (const row of text.trim().split('\n').slice(1)) {
      const m = /\s(\d+)%\s+(.*)$/.exec(row)
      if (m !== null) expect(inodes.get(m[2])?.inodesUsedPercent, m[2]).toBe(Number(m[1]))
    }
    // a filesystem without inode counts (btrfs) is left out rather than shown as 0%
    expect(parseDfInodesLinux('Filesystem Inodes IUsed IFree IUse% Mounted on\n/dev/sda2 0 0 0 - /data\n').size).toBe(0)
    expect(() => parseDfInodesLinux(fixture('linux/df-PT-B1.txt'))).toThrow(expect.objectContaining({ code: 'ERR_TOOL_PARSE' }))
  })

  it('rejects output that is not df -P -T', () => {
    expect(() => parseDfLinux('Filesystem 1K-blocks Used\n/dev/x 1 2 3')).toThrow(expect.objectContaining({ name: 'ToolParseError', code: 'ERR_TOOL_PARSE' }))
    expect(() => parseDfLinux(`${fixture('linux/df-PT-B1.txt')}garbage line\n`)).toThrow(expect.objectContaining({ code: 'ERR_TOOL_PARSE' }))
  })
})

describe('/proc readings (recorded here)', () => {
  it('meminfo: total and available in bytes, used percent from MemAvailable', () => {
    const mem = memoryFromMeminfo(fixture('linux/meminfo.txt'))
    expect(mem.totalBytes).toBe(24684084 * 1024)
    expect(mem.availableBytes).toBe(24328672 * 1024)
    expect(mem.usedPercent).toBeCloseTo((24684084 - 24328672) * 100 / 24684084, 1)
    expect(mem.swapTotalBytes).toBe(0)
  })
  it('meminfo without MemAvailable (old kernels) falls back to free + buffers + cached', () => {
    const mem = memoryFromMeminfo('MemTotal: 1000 kB\nMemFree: 100 kB\nBuffers: 50 kB\nCached: 250 kB\nSwapTotal: 10 kB\nSwapFree: 4 kB\n')
    expect(mem).toEqual({ totalBytes: 1024000, availableBytes: 409600, usedPercent: 60, swapTotalBytes: 10240, swapUsedBytes: 6144 })
    expect(() => memoryFromMeminfo('nothing here')).toThrow(expect.objectContaining({ name: 'ToolParseError' }))
  })
  it('loadavg and uptime', () => {
    expect(parseLoadavg(fixture('linux/loadavg.txt'))).toEqual([0.03, 0.1, 0.05])
    expect(systemLoad([3, 2, 1], 2)).toEqual({ load1: 3, load5: 2, load15: 1, cpus: 2, perCore1: 1.5, perCore5: 1, perCore15: 0.5 })
    const up = uptimeFromProc(fixture('linux/uptime.txt'), Date.parse('2026-11-23T22:00:00Z'))
    expect(up.seconds).toBe(1417)
    expect(up.bootTime).toBe(new Date(Date.parse('2026-11-23T22:00:00Z') - 1417_000).toISOString())
  })
})

describe('services and logs', () => {
  it('systemctl --failed (documented format): unit, state, description; a not-found unit says so', () => {
    expect(parseSystemctlFailed(fixture('linux/systemctl-failed.documented.txt'))).toEqual([
      { name: 'nginx.service', state: 'failed', description: 'A high performance web server and a reverse proxy server' },
      { name: 'backup.timer', state: 'failed', description: 'Nightly backup' },
      { name: 'ghost.service', state: 'failed, not-found', description: 'ghost.service' }
    ])
    expect(parseSystemctlFailed('● foo.service loaded failed failed Foo')).toEqual([{ name: 'foo.service', state: 'failed', description: 'Foo' }])
    expect(parseSystemctlFailed('')).toEqual([])
  })
  it('systemctl show key=value', () => {
    const kv = parseKeyValues(fixture('linux/systemctl-show-nginx.documented.txt'))
    expect(kv.get('ActiveState')).toBe('failed')
    expect(kv.get('MainPID')).toBe('0')
  })
  it('journalctl -o json: string and byte-array messages, unit names; bad lines are counted, not fatal', () => {
    const { entries, dropped } = parseJournalJson(fixture('linux/journalctl-err.documented.jsonl'))
    expect(entries).toEqual([
      { time: new Date(1795466000000).toISOString(), unit: 'nginx.service', message: 'nginx: [emerg] bind() to 0.0.0.0:80 failed (98: Address already in use)' },
      { time: new Date(1795466100000).toISOString(), unit: 'kernel', message: 'EXT4-fs error' }
    ])
    expect(dropped).toBe(2)
  })
})

describe('network (recorded here with listeners on 127.0.0.1, ::1 and udp)', () => {
  it('ss -Hltnup: proto, address without brackets, port, process and pid', () => {
    const ports = uniquePorts(parseSs(fixture('linux/ss-Hltnup.txt')))
    expect(ports).toContainEqual({ proto: 'tcp', address: '127.0.0.1', port: 47011, process: 'node', pid: 4852 })
    expect(ports).toContainEqual({ proto: 'tcp', address: '::1', port: 47012, process: 'node', pid: 4852 })
    expect(ports).toContainEqual({ proto: 'udp', address: '*', port: 47014, process: 'node', pid: 4852 })
    expect(ports).toContainEqual({ proto: 'tcp', address: '0.0.0.0', port: 2024 })
    expect(ports.map(p => p.port)).toEqual([...ports.map(p => p.port)].sort((a, b) => a - b))
    expect(parseSs('udp UNCONN 0 0 127.0.0.53%lo:53 0.0.0.0:* users:(("systemd-resolve",pid=5,fd=13))')[0]).toMatchObject({ address: '127.0.0.53', port: 53, process: 'systemd-resolve' })
  })
  it('/proc/net tables (recorded at the same moment as ss) give the same sockets as ss', () => {
    const fromProc = uniquePorts([
      ...parseProcNet(fixture('linux/proc-net-tcp.txt'), 'tcp'), ...parseProcNet(fixture('linux/proc-net-tcp6.txt'), 'tcp'),
      ...parseProcNet(fixture('linux/proc-net-udp.txt'), 'udp'), ...parseProcNet(fixture('linux/proc-net-udp6.txt'), 'udp')
    ])
    expect(fromProc).toEqual(uniquePorts(parseSs(fixture('linux/ss-Hltnu-same-time.txt'))))
    expect(procNetAddress('0100007F')).toBe('127.0.0.1')
    expect(procNetAddress('00000000000000000000000001000000')).toBe('::1')
    expect(procNetAddress('0000000000000000FFFF00000100007F')).toBe('::ffff:127.0.0.1')
    expect(procNetAddress('000080FE000000000000000001000000')).toBe('fe80::1')
    expect(() => procNetAddress('123')).toThrow(expect.objectContaining({ code: 'ERR_TOOL_PARSE' }))
  })

  it('lsof on Linux (a real recording) reads like the macOS one', () => {
    expect(parseLsof(fixture('linux/lsof-linux-real.txt'))).toEqual([
      { proto: 'tcp', address: '127.0.0.1', port: 47011, process: 'node', pid: 4852 },
      { proto: 'tcp', address: '::1', port: 47012, process: 'node', pid: 4852 }
    ])
  })
  it('ip -j addr: up state, mac (not for loopback), mtu, addresses in CIDR', () => {
    const ifs = parseIpAddrJson(fixture('linux/ip-j-addr.json'))
    expect(ifs.find(i => i.name === 'lo')).toMatchObject({ up: true, mtu: 65536, addresses: [{ family: 'ipv4', address: '127.0.0.1', cidr: '127.0.0.1/8' }, { family: 'ipv6', address: '::1', cidr: '::1/128' }] })
    expect(ifs.find(i => i.name === 'lo')?.mac).toBeUndefined()
    expect(ifs.find(i => i.name === 'ifb0')).toMatchObject({ up: false, mac: 'b6:26:f9:75:56:bb', addresses: [] })
    expect(() => parseIpAddrJson('{')).toThrow(expect.objectContaining({ code: 'ERR_TOOL_PARSE' }))
  })
  it('resolv.conf: nameservers in order, comments and junk ignored', () => {
    expect(parseResolvConf(fixture('linux/resolv.conf.txt'))).toEqual(['10.255.255.53'])
    expect(parseResolvConf('# x\nsearch lan\nnameserver 127.0.0.53\nnameserver fe80::1%eth0\nnameserver not-an-ip\nnameserver 127.0.0.53\n')).toEqual(['127.0.0.53', 'fe80::1'])
  })
})

describe('processes and os', () => {
  it('ps: every row parsed, sorted by cpu or by memory, limited', () => {
    const procs = parsePs(fixture('linux/ps.txt'))
    expect(procs.length).toBe(fixture('linux/ps.txt').trim().split('\n').length)
    expect(procs[0]).toEqual({ pid: 1, user: 'root', command: 'process_api', cpuPercent: 0.2, memPercent: 0, rssBytes: 13756 * 1024 })
    const byMem = topProcesses(procs, 'memory', 3)
    expect(byMem).toHaveLength(3)
    expect(byMem[0].rssBytes).toBeGreaterThanOrEqual(byMem[1].rssBytes)
    expect(parsePs('  42 bob 1.5 2.0 100 Web Content')[0].command).toBe('Web Content')
  })
  it('/proc/PID/stat and status (recorded here, pid 1), as the fallback when ps is missing', () => {
    const stat = parseProcStat(fixture('linux/proc-1-stat.txt'))
    expect(stat.pid).toBe(1)
    expect(stat.comm).toBe(fixture('linux/proc-1-stat.txt').match(/\((.*)\)/)?.[1])
    const proc = procFromStat(stat, fixture('linux/proc-1-status.txt'), { uptimeSeconds: stat.startTicks / 100 + 100, memTotalBytes: 1024 ** 3, pageSize: 4096, users: new Map([[0, 'root']]) })
    expect(proc).toMatchObject({ pid: 1, user: 'root', cpuPercent: Math.round(stat.cpuTicks * 10 / 100) / 10 })
    expect(proc.rssBytes).toBe(Number(/VmRSS:\s+(\d+)/.exec(fixture('linux/proc-1-status.txt'))?.[1]) * 1024)
    // a command may hold spaces and parentheses
    expect(parseProcStat('42 (a (b) c) S 1 42 42 0 -1 4194304 0 0 0 0 250 50 0 0 20 0 1 0 1000 0 300 18446744073709551615')).toEqual({ pid: 42, comm: 'a (b) c', cpuTicks: 300, startTicks: 1000, rssPages: 300 })
    expect(parsePasswd('root:x:0:0:root:/root:/bin/bash\nbad line\nalice:x:1000:1000::/home/alice:/bin/sh\n')).toEqual(new Map([[0, 'root'], [1000, 'alice']]))
    expect(() => parseProcStat('garbage')).toThrow(expect.objectContaining({ code: 'ERR_TOOL_PARSE' }))
  })

  it('os-release', () => {
    const kv = parseOsRelease(fixture('linux/os-release.txt'))
    expect(kv.get('PRETTY_NAME')).toBe('Debian GNU/Linux 12 (bookworm)')
    expect(kv.get('VERSION_ID')).toBe('12')
  })
})
