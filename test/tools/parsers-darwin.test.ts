import { describe, expect, it } from 'vitest'
import { DEFAULT_EXCLUDED_FS_TYPES } from '../../src/tools/config.ts'
import { parseDfDarwin, parseMountDarwin } from '../../src/tools/parsers/df.ts'
import { memoryFromDarwin, parseSwapUsage } from '../../src/tools/parsers/memory.ts'
import { parseLoadavg, uptimeFromBoottime } from '../../src/tools/parsers/load.ts'
import { parseLaunchctlJob, parseLaunchctlList } from '../../src/tools/parsers/services.ts'
import { parseLogNdjson } from '../../src/tools/parsers/logs.ts'
import { parseIfconfig, parseLsof, parseScutilDns, uniquePorts } from '../../src/tools/parsers/net.ts'
import { parsePs, parseSwVers } from '../../src/tools/parsers/system.ts'
import { decodeWaitStatus } from '../../src/tools/catalog/services.ts'
import { fixture } from './fixtures.ts'

// These fixtures are written from the documented output formats (no Mac on this box);
// their names say so.

describe('macOS df -P -k + mount: the sealed system volume is never read for the data volume', () => {
  const mounts = parseDfDarwin(fixture('darwin/df-P-k.documented.txt'), fixture('darwin/mount.documented.txt'), DEFAULT_EXCLUDED_FS_TYPES)
  const byMount = new Map(mounts.map(m => [m.mount, m]))

  it('"/" is the sealed system volume of container disk3, at its own (small) usage', () => {
    expect(byMount.get('/')).toMatchObject({ filesystem: '/dev/disk3s1s1', type: 'apfs', container: 'disk3', role: 'system', usedPercent: 31, sizeBytes: 971350180 * 1024 })
  })

  it('the nearly full data volume shares the container and says role data', () => {
    expect(byMount.get('/System/Volumes/Data')).toMatchObject({ container: 'disk3', role: 'data', usedPercent: 98, usedBytes: 932100000 * 1024, availableBytes: 23456789 * 1024 })
    // same container, same free space: only the role tells them apart
    expect(byMount.get('/')?.availableBytes).toBe(byMount.get('/System/Volumes/Data')?.availableBytes)
  })

  it('other APFS volumes get roles; devfs and the automounter are left out; other disks have no container', () => {
    expect(byMount.get('/System/Volumes/VM')?.role).toBe('vm')
    expect(byMount.get('/System/Volumes/Preboot')?.role).toBe('preboot')
    expect(byMount.get('/System/Volumes/xarts')).toMatchObject({ container: 'disk1', role: 'xart' })
    expect(byMount.get('/Volumes/Backup Disk')).toMatchObject({ container: 'disk5', role: 'volume', usedPercent: 20 })
    expect(byMount.get('/Volumes/USB')).toMatchObject({ type: 'msdos', usedPercent: 99 })
    expect(byMount.get('/Volumes/USB')?.container).toBeUndefined()
    expect(byMount.has('/dev')).toBe(false)
    expect(byMount.has('/System/Volumes/Data/home')).toBe(false)
  })

  it('usedPercent agrees with df\'s own Capacity column within rounding', () => {
    for (const row of fixture('darwin/df-P-k.documented.txt').trim().split('\n').slice(1)) {
      const m = /\s(\d+)%\s+(\/.*)$/.exec(row)
      const mine = m === null ? undefined : byMount.get(m[2])
      if (m !== null && mine !== undefined) expect(Math.abs(mine.usedPercent - Number(m[1])), m[2]).toBeLessThanOrEqual(1)
    }
  })

  it('mount lines keep flags; a bad df header is a parse error', () => {
    expect(parseMountDarwin(fixture('darwin/mount.documented.txt'))[0]).toEqual({ device: '/dev/disk3s1s1', mount: '/', type: 'apfs', flags: ['sealed', 'local', 'read-only', 'journaled'] })
    expect(() => parseDfDarwin('Filesystem 512-blocks Used\n', '')).toThrow(expect.objectContaining({ name: 'ToolParseError' }))
  })
})

describe('macOS memory, load, uptime', () => {
  it('vm_stat + hw.memsize + vm.swapusage', () => {
    const mem = memoryFromDarwin(fixture('darwin/sysctl-hw.memsize.documented.txt'), fixture('darwin/vm_stat.documented.txt'), fixture('darwin/sysctl-vm.swapusage.documented.txt'))
    expect(mem.totalBytes).toBe(17179869184)
    expect(mem.availableBytes).toBe((4143 + 290024 + 2107 + 7356) * 16384)
    expect(mem.usedPercent).toBe(71)
    expect(mem.swapTotalBytes).toBe(2048 * 1024 * 1024)
    expect(mem.swapUsedBytes).toBe(Math.round(1034.25 * 1024 * 1024))
    expect(() => parseSwapUsage('vm.swapusage: ?')).toThrow(expect.objectContaining({ code: 'ERR_TOOL_PARSE' }))
  })
  it('vm.loadavg braces and kern.boottime', () => {
    expect(parseLoadavg('{ 3.52 2.98 2.61 }')).toEqual([3.52, 2.98, 2.61])
    const up = uptimeFromBoottime(fixture('darwin/sysctl-kern.boottime.documented.txt'), 1763800000_000 + 3600_000)
    expect(up).toEqual({ seconds: 3600, bootTime: new Date(1763800000_000).toISOString() })
  })
})

describe('launchd', () => {
  it('launchctl list: failed = not running with a non-zero last status; negative = signal', () => {
    expect(parseLaunchctlList(fixture('darwin/launchctl-list.documented.txt'))).toEqual([
      { name: 'com.example.backup-agent', state: 'exited 78' },
      { name: 'com.apple.quicklook.ThumbnailsAgent', state: 'killed by signal 9' }
    ])
  })
  it('launchctl list LABEL: keys of the dictionary; LastExitStatus is a wait status', () => {
    const kv = parseLaunchctlJob(fixture('darwin/launchctl-list-label.documented.txt'))
    expect(kv.get('Label')).toBe('com.example.backup-agent')
    expect(kv.get('LastExitStatus')).toBe('19968')
    expect(kv.has('PID')).toBe(false)
    expect(decodeWaitStatus(19968)).toBe(78)
    expect(decodeWaitStatus(9)).toBe(-9)
    expect(decodeWaitStatus(0)).toBe(0)
  })
})

describe('macOS network, logs, processes', () => {
  it('scutil --dns: the default resolvers only (not mdns, not per-domain, not scoped)', () => {
    expect(parseScutilDns(fixture('darwin/scutil-dns.documented.txt'))).toEqual(['192.168.1.1', 'fd00::1'])
  })
  it('lsof: listeners and bound UDP ports; connected and unbound sockets skipped; duplicates merged', () => {
    const tcp = parseLsof(fixture('darwin/lsof-tcp-listen.documented.txt'))
    const udp = parseLsof(fixture('darwin/lsof-udp.documented.txt'))
    const ports = uniquePorts([...tcp, ...udp])
    expect(ports).toEqual([
      { proto: 'tcp', address: '*', port: 22, process: 'launchd', pid: 1 },
      { proto: 'udp', address: '*', port: 5353, process: 'mDNSRespo', pid: 389 },
      { proto: 'tcp', address: '127.0.0.1', port: 5432, process: 'postgres', pid: 801 },
      { proto: 'tcp', address: '::1', port: 5432, process: 'postgres', pid: 801 },
      { proto: 'tcp', address: '*', port: 7000, process: 'ControlCe', pid: 530 },
      { proto: 'tcp', address: '*', port: 49152, process: 'rapportd', pid: 512 }
    ])
    expect(parseLsof('')).toEqual([])
  })
  it('ifconfig -a: up flag, mtu, mac, IPv4 netmask to prefix, IPv6 scope dropped', () => {
    const ifs = parseIfconfig(fixture('darwin/ifconfig-a.documented.txt'))
    expect(ifs.map(i => i.name)).toEqual(['lo0', 'gif0', 'stf0', 'en0', 'utun0'])
    expect(ifs.find(i => i.name === 'en0')).toEqual({
      name: 'en0', up: true, mtu: 1500, mac: '3c:22:fb:12:34:56',
      addresses: [
        { family: 'ipv6', address: 'fe80::10c8:5a2b:3c4d:5e6f', cidr: 'fe80::10c8:5a2b:3c4d:5e6f/64' },
        { family: 'ipv4', address: '192.168.1.23', cidr: '192.168.1.23/24' },
        { family: 'ipv6', address: 'fd00::1c2a:3b4c:5d6e:7f80', cidr: 'fd00::1c2a:3b4c:5d6e:7f80/64' }
      ]
    })
    expect(ifs.find(i => i.name === 'gif0')?.up).toBe(false)
  })
  it('log show --style ndjson: banner skipped, bad line counted, time to ISO, process and subsystem', () => {
    const { entries, dropped } = parseLogNdjson(fixture('darwin/log-show-errors.documented.ndjson'))
    expect(dropped).toBe(1)
    expect(entries).toEqual([
      { time: '2026-11-23T20:40:12.345Z', unit: 'backup-agent (com.example.backup)', message: 'Failed to connect to backup server: Connection refused' },
      { time: '2026-11-23T20:45:00.000Z', unit: 'kernel', message: 'IOPMrootDomain: sleep failed' }
    ])
  })
  it('ps -c and sw_vers', () => {
    const procs = parsePs(fixture('darwin/ps-c.documented.txt'))
    expect(procs.at(-1)).toEqual({ pid: 1530, user: 'alice', command: 'Google Chrome Helper (Renderer)', cpuPercent: 97.1, memPercent: 12.4, rssBytes: 2031616 * 1024 })
    expect(parseSwVers(fixture('darwin/sw_vers.documented.txt'))).toEqual({ name: 'macOS', version: '15.1', build: '24B83' })
  })
})
