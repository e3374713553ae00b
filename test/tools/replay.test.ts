/**
 * The catalog end to end on canned outputs: the runner, arguments, the platform
 * implementations and the parsers, with `exec` replaced by a table of recorded (Linux)
 * or documented (macOS) outputs. This is how the macOS tools run on a Linux CI box.
 */
import { describe, expect, it } from 'vitest'
import { localToolRunner } from '../../src/tools/index.ts'
import { defaultToolsConfig } from '../../src/tools/config.ts'
import type { ExecOutcome } from '../../src/tools/exec.ts'
import type { ToolComponents } from '../../src/tools/tool.ts'
import type { DiskUsageData, FailedServicesData, ListeningPortsData, MemoryData, RecentErrorsData, ServiceStatusData, SystemLoadData } from '../../src/tools/types.ts'
import { fixture } from './fixtures.ts'

type Canned = Record<string, { file?: string, text?: string, exitCode?: number }>

function replay (platform: 'linux' | 'darwin', canned: Canned, files: Record<string, string> = {}, existing: string[] = []): { components: Partial<ToolComponents>, calls: string[] } {
  const calls: string[] = []
  const components: Partial<ToolComponents> = {
    platform,
    exec: async (program, args): Promise<ExecOutcome> => {
      const line = [program, ...args].join(' ')
      calls.push(line)
      const c = canned[line]
      if (c === undefined) return { state: 'missing', program, ms: 0 }
      return { state: 'exited', exitCode: c.exitCode ?? 0, stdout: c.text ?? fixture(c.file ?? ''), stderr: '', ms: 1, truncated: false }
    },
    readFile: async (path) => {
      if (files[path] === undefined) throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' })
      return fixture(files[path])
    },
    exists: (path) => existing.includes(path)
  }
  return { components, calls }
}

const darwin = replay('darwin', {
  'df -P -k': { file: 'darwin/df-P-k.documented.txt' },
  mount: { file: 'darwin/mount.documented.txt' },
  'sysctl -n hw.memsize': { file: 'darwin/sysctl-hw.memsize.documented.txt' },
  vm_stat: { file: 'darwin/vm_stat.documented.txt' },
  'sysctl vm.swapusage': { file: 'darwin/sysctl-vm.swapusage.documented.txt' },
  'sysctl -n vm.loadavg hw.logicalcpu': { file: 'darwin/sysctl-loadavg-logicalcpu.documented.txt' },
  'launchctl list': { file: 'darwin/launchctl-list.documented.txt' },
  'launchctl list com.example.backup-agent': { file: 'darwin/launchctl-list-label.documented.txt' },
  'launchctl list com.example.nothing': { file: 'darwin/launchctl-list-missing.documented.txt', exitCode: 113 },
  'lsof -nP -iTCP -sTCP:LISTEN': { file: 'darwin/lsof-tcp-listen.documented.txt' },
  'lsof -nP -iUDP': { file: 'darwin/lsof-udp.documented.txt' },
  'sw_vers': { file: 'darwin/sw_vers.documented.txt' },
  'ifconfig -a': { file: 'darwin/ifconfig-a.documented.txt' },
  'ps -c -A -o pid=,user=,%cpu=,%mem=,rss=,comm=': { file: 'darwin/ps-c.documented.txt' }
})

describe('macOS catalog on documented outputs', () => {
  const runner = localToolRunner(defaultToolsConfig(), darwin.components)

  it('lists every tool for darwin', () => {
    expect(runner.list().map(t => t.name)).toHaveLength(12)
  })

  it('disk_usage: the data volume at 98% and "/" as the sealed system volume', async () => {
    const r = await runner.run('disk_usage', {})
    expect(r.ok).toBe(true)
    const { mounts } = r.data as DiskUsageData
    expect(mounts.find(m => m.role === 'data')).toMatchObject({ mount: '/System/Volumes/Data', usedPercent: 98, container: 'disk3' })
    expect(mounts.find(m => m.mount === '/')).toMatchObject({ role: 'system', usedPercent: 31, container: 'disk3' })
    expect(r.text).toContain('/System/Volumes/Data')
  })

  it('memory, system_load', async () => {
    expect((await runner.run('memory', {})).data as MemoryData).toMatchObject({ totalBytes: 17179869184, usedPercent: 71 })
    expect((await runner.run('system_load', {})).data as SystemLoadData).toEqual({ load1: 3.52, load5: 2.98, load15: 2.61, cpus: 10, perCore1: 0.35, perCore5: 0.3, perCore15: 0.26 })
  })

  it('failed_services and service_status through launchd', async () => {
    const failed = (await runner.run('failed_services', {})).data as FailedServicesData
    expect(failed.manager).toBe('launchd')
    expect(failed.failed.map(f => f.name)).toEqual(['com.example.backup-agent', 'com.apple.quicklook.ThumbnailsAgent'])
    const svc = await runner.run('service_status', { name: 'com.example.backup-agent' })
    // `log show` is not in the table: the state still stands, with no log lines rather than invented ones
    expect(svc).toMatchObject({ ok: true, data: { state: 'failed', logLines: [] } })
    const quiet = localToolRunner({ ...defaultToolsConfig(), serviceLogLines: 0 }, darwin.components)
    expect((await quiet.run('service_status', { name: 'com.example.backup-agent' })).data as ServiceStatusData).toEqual({ manager: 'launchd', name: 'com.example.backup-agent', found: true, state: 'failed', subState: 'last exit 78', logLines: [] })
    expect((await quiet.run('service_status', { name: 'com.example.nothing' })).data).toMatchObject({ found: false, state: 'not-found' })
  })

  it('listening_ports from two lsof runs, os_info, network_interfaces, top_processes', async () => {
    expect(((await runner.run('listening_ports', {})).data as ListeningPortsData).ports.map(p => `${p.proto}/${p.port}`)).toEqual(['tcp/22', 'udp/5353', 'tcp/5432', 'tcp/5432', 'tcp/7000', 'tcp/49152'])
    expect((await runner.run('os_info', {})).data).toMatchObject({ platform: 'darwin', release: '15.1', distro: 'macOS 15.1 (24B83)' })
    expect(await runner.run('network_interfaces', {})).toMatchObject({ ok: true })
    expect((await runner.run('top_processes', { by: 'memory', limit: 2 })).data).toMatchObject({ by: 'memory', processes: [{ pid: 1530 }, { pid: 1022 }] })
  })
})

describe('Linux catalog with systemd (documented systemctl output)', () => {
  const linux = replay('linux', {
    'systemctl list-units --failed --all --plain --no-legend --no-pager': { file: 'linux/systemctl-failed.documented.txt' },
    'systemctl show --no-pager -p LoadState,ActiveState,SubState,MainPID,Id -- nginx': { file: 'linux/systemctl-show-nginx.documented.txt' },
    'systemctl show --no-pager -p LoadState,ActiveState,SubState,MainPID,Id -- nothing': { file: 'linux/systemctl-show-missing.documented.txt' },
    'journalctl --no-pager -q -o short-iso -n 20 -u nginx': { text: '2026-11-23T21:00:00+0000 vm nginx[12]: bind() failed\n' }
  }, {}, ['/run/systemd/system'])
  const runner = localToolRunner(defaultToolsConfig(), linux.components)

  it('failed units with their state', async () => {
    const r = await runner.run('failed_services', {})
    expect(r.data).toMatchObject({ manager: 'systemd', failed: [{ name: 'nginx.service' }, { name: 'backup.timer' }, { name: 'ghost.service', state: 'failed, not-found' }] })
  })

  it('service_status: state and log lines; an unknown unit is found:false, not an error', async () => {
    expect((await runner.run('service_status', { name: 'nginx' })).data).toEqual({ manager: 'systemd', name: 'nginx.service', found: true, state: 'failed', subState: 'failed', logLines: ['2026-11-23T21:00:00+0000 vm nginx[12]: bind() failed'] })
    expect((await runner.run('service_status', { name: 'nothing' })).data).toMatchObject({ found: false, state: 'not-found', logLines: [] })
    expect(linux.calls).not.toContain('journalctl --no-pager -q -o short-iso -n 20 -u nothing')
  })

  it('recent_errors reads the journal window as an absolute time', async () => {
    const l = replay('linux', {}, {})
    const r = await localToolRunner(defaultToolsConfig(), { ...l.components, exec: async (program, args) => {
      l.calls.push([program, ...args].join(' '))
      return { state: 'exited', exitCode: 0, stdout: fixture('linux/journalctl-err.documented.jsonl'), stderr: '', ms: 1, truncated: false }
    } }).run('recent_errors', { since: '2h' })
    expect((r.data as RecentErrorsData)).toMatchObject({ since: '2h', count: 2 })
    const since = Number(/--since @(\d+)/.exec(l.calls[0])?.[1])
    expect(Math.abs(since - (Date.now() / 1000 - 7200))).toBeLessThan(5)
  })

  it('no systemd: manager none is a result', async () => {
    const none = localToolRunner(defaultToolsConfig(), replay('linux', {}).components)
    expect(await none.run('failed_services', {})).toMatchObject({ ok: true, data: { manager: 'none', failed: [] } })
    expect(await none.run('service_status', { name: 'nginx' })).toMatchObject({ ok: true, data: { manager: 'none', found: false } })
  })
})

describe('bounded results', () => {
  it('disk_usage past the item cap keeps the fullest mounts, in df order, and flags it', async () => {
    const l = replay('linux', { 'df -P -T -B1': { file: 'linux/df-PT-B1.txt' } })
    const r = await localToolRunner({ ...defaultToolsConfig(), maxItems: 2 }, l.components).run('disk_usage', {})
    expect(r.dataTruncated).toBe(true)
    expect((r.data as DiskUsageData).mounts.map(m => `${m.mount} ${m.usedPercent}`)).toEqual(['/ 23', '/tmp/fx/tmp 91'])
  })

  it('disk_usage joins inode use by mount; without df -i the bytes still stand', async () => {
    const both = replay('linux', { 'df -P -T -B1': { file: 'linux/df-PT-B1-inodes-case.txt' }, 'df -P -i': { file: 'linux/df-P-i.txt' } })
    const r = await localToolRunner(defaultToolsConfig(), both.components).run('disk_usage', {})
    expect((r.data as DiskUsageData).mounts.find(m => m.mount === '/tmp/fx/tmp')).toMatchObject({ usedPercent: 0, inodesUsed: 851, inodesUsedPercent: 86 })
    const bytesOnly = replay('linux', { 'df -P -T -B1': { file: 'linux/df-PT-B1-inodes-case.txt' } })
    const r2 = await localToolRunner(defaultToolsConfig(), bytesOnly.components).run('disk_usage', {})
    expect(r2.ok).toBe(true)
    expect((r2.data as DiskUsageData).mounts.find(m => m.mount === '/tmp/fx/tmp')?.inodesUsedPercent).toBeUndefined()
  })

  it('recent_errors keeps the newest maxLogEntries, oldest first', async () => {
    const lines = Array.from({ length: 8 }, (_, i) => JSON.stringify({ __REALTIME_TIMESTAMP: String((1795466000 + i) * 1e6), MESSAGE: `m${i}` })).join('\n')
    const l = replay('linux', {})
    const runner = localToolRunner({ ...defaultToolsConfig(), maxLogEntries: 3 }, { ...l.components, exec: async () => ({ state: 'exited', exitCode: 0, stdout: lines, stderr: '', ms: 1, truncated: false }) })
    const r = await runner.run('recent_errors', {})
    expect((r.data as RecentErrorsData).entries.map(e => e.message)).toEqual(['m5', 'm6', 'm7'])
    expect(r.dataTruncated).toBe(true)
  })

  it('a definition validates its own arguments when called directly', async () => {
    const def = localToolRunner(defaultToolsConfig(), replay('linux', {}).components).list().find(t => t.name === 'service_status')
    expect(await def?.run({ name: '$(id)' } as any)).toMatchObject({ ok: false, code: 'ERR_TOOL_ARGS' })
  })
})

describe('unreadable files', () => {
  it('a missing /proc file is ERR_TOOL_READ', async () => {
    const r = await localToolRunner(defaultToolsConfig(), replay('linux', {}).components).run('memory', {})
    expect(r).toMatchObject({ ok: false, code: 'ERR_TOOL_READ', data: null })
  })
})

describe('counted, not lost', () => {
  it('the runner counts runs and failures by code; unknown names do not grow the per-tool map', async () => {
    const runner = localToolRunner(defaultToolsConfig(), replay('linux', {}).components)
    await runner.run('failed_services', {})
    await runner.run('service_status', { name: '; id' })
    await runner.run('x'.repeat(10_000), {})
    await runner.run('memory', {})
    const s = runner.stats()
    expect(s).toMatchObject({ runs: 4, ok: 1, failed: { ERR_TOOL_ARGS: 1, ERR_TOOL_UNKNOWN: 1, ERR_TOOL_READ: 1 } })
    expect(Object.keys(s.byTool).sort()).toEqual(['failed_services', 'memory', 'service_status'])
  })

  it('journal lines that cannot be read are skipped and counted', async () => {
    const l = replay('linux', {})
    const runner = localToolRunner(defaultToolsConfig(), { ...l.components, exec: async () => ({ state: 'exited', exitCode: 0, stdout: fixture('linux/journalctl-err.documented.jsonl'), stderr: '', ms: 1, truncated: false }) })
    expect((await runner.run('recent_errors', {})).data).toMatchObject({ count: 2, dropped: 2 })
  })

  it('journalctl refusing its arguments is a failure, not an empty log', async () => {
    const l = replay('linux', {})
    const runner = localToolRunner(defaultToolsConfig(), { ...l.components, exec: async () => ({ state: 'exited', exitCode: 1, stdout: '', stderr: 'Failed to parse timestamp', ms: 1, truncated: false }) })
    expect(await runner.run('recent_errors', {})).toMatchObject({ ok: false, code: 'ERR_PROGRAM_FAILED', exitCode: 1 })
  })
})

describe('logging', () => {
  it('one debug line per run with name, code and timing, never the output', async () => {
    const lines: string[] = []
    const l = replay('linux', {}, { '/proc/meminfo': 'linux/meminfo.txt' })
    const runner = localToolRunner(defaultToolsConfig(), { ...l.components, logger: { debug: (m) => { lines.push(m) } } })
    await runner.run('memory', {})
    await runner.run('service_status', { name: '; id' })
    expect(lines).toHaveLength(2)
    expect(lines[0]).toMatch(/^memory ok /)
    expect(lines[1]).toMatch(/^service_status ERR_TOOL_ARGS /)
    expect(lines.join('\n')).not.toContain('MemTotal')
  })
})
