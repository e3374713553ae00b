import { describe, expect, it } from 'vitest'
import { verifyFindings } from '../../src/think/verify.ts'
import type { Finding, ToolCallRecord } from '../../src/think/types.ts'

function call (id: string, tool: string, data: unknown, ok = true): ToolCallRecord {
  return { id, tool, args: {}, ok, ms: 1, exitCode: ok ? 0 : 1, data, digest: '' }
}
const mount = (mount: string, usedPercent: number) => ({
  filesystem: `/dev/${mount.replace(/\W/g, '') || 'root'}`, type: 'ext4', mount, sizeBytes: 100e9, usedBytes: usedPercent * 1e9, availableBytes: (100 - usedPercent) * 1e9, usedPercent
})
const disk = call('t1', 'disk_usage', { mounts: [mount('/', 12), mount('/var', 91)] })
const finding = (claims: Finding['claims'], evidence = ['t1']): Finding => ({ severity: 'critical', title: 't', detail: 'd', evidence, claims })

describe('verifyFindings', () => {
  it('marks "/ is at 90%" false when the cited disk_usage says 12%, with the observed value', () => {
    const [v] = verifyFindings([finding([{ metric: 'disk.usedPercent', subject: '/', value: 90, unit: '%' }])], [disk])
    expect(v.verified).toBe(false)
    expect(v.checks[0]).toMatchObject({ verified: false, observed: 12, source: 't1' })
    expect(v.title).toBe('t') // kept, not dropped
  })

  it('confirms a true claim, within tolerance, and resolves a path to its mount', () => {
    const [v] = verifyFindings([finding([
      { metric: 'disk.usedPercent', subject: '/var', value: '91%' },
      { metric: 'disk.usedPercent', subject: '/var/log/syslog', value: 90.5 },
      { metric: 'disk.availableBytes', subject: '/', value: 88, unit: 'GB' }
    ])], [disk])
    expect(v.checks.map(c => c.verified)).toEqual([true, true, true])
    expect(v.verified).toBe(true)
  })

  it('gives null when nothing is checkable, and says why', () => {
    const [a, b, c] = verifyFindings([
      finding([{ metric: 'vibes.badness', value: 3 }]),
      finding([{ metric: 'memory.usedPercent', value: 50 }]),
      finding([])
    ], [disk])
    expect(a.verified).toBeNull()
    expect(a.checks[0].note).toMatch(/metric/)
    expect(b.verified).toBeNull()
    expect(c.verified).toBeNull()
  })

  it('checks a claim whose citation misses against the uncited call, and keeps unknown ids visible', () => {
    const mem = call('t2', 'memory', { totalBytes: 8e9, availableBytes: 4e9, usedPercent: 50, swapTotalBytes: 0, swapUsedBytes: 0 })
    const [v] = verifyFindings([finding([{ metric: 'disk.usedPercent', subject: '/', value: 90 }], ['t2', 'call_zzz'])], [disk, mem])
    expect(v.verified).toBe(false)
    expect(v.checks[0]).toMatchObject({ observed: 12, source: 't1' })
    expect(v.checks[0].note).toBeDefined()
    expect(v.unknownEvidence).toEqual(['call_zzz'])
  })

  it('checks services, DNS, ports, load and a failed call', () => {
    const calls = [
      call('a', 'failed_services', { manager: 'systemd', failed: [{ name: 'nginx.service', state: 'failed' }] }),
      call('b', 'dns_check', { resolvers: ['10.0.0.1'], names: [{ name: 'example.com', system: { ok: false, addresses: [], ms: 3, error: 'SERVFAIL' }, servers: [] }] }),
      call('c', 'listening_ports', { ports: [{ proto: 'tcp', address: '0.0.0.0', port: 22 }] }),
      call('d', 'system_load', { load1: 8, load5: 7.9, load15: 6, cpus: 4, perCore1: 2, perCore5: 1.975, perCore15: 1.5 }),
      call('e', 'memory', null, false)
    ]
    const [v] = verifyFindings([finding([
      { metric: 'service.failed', subject: 'nginx', value: true },
      { metric: 'service.failed', subject: 'sshd', value: true },
      { metric: 'dns.resolves', subject: 'example.com', value: false },
      { metric: 'dns.error', subject: 'example.com', value: 'SERVFAIL' },
      { metric: 'port.listening', subject: 'tcp/22', value: true },
      { metric: 'port.listening', subject: '8080', value: true },
      { metric: 'load.perCore5', value: 2 },
      { metric: 'memory.usedPercent', value: 99 }
    ], ['a', 'b', 'c', 'd', 'e'])], calls)
    expect(v.checks.map(c => c.verified)).toEqual([true, false, true, true, true, false, true, null])
    expect(v.checks[1].observed).toBe(false)
    expect(v.verified).toBe(false)
  })

  it('survives garbage input without throwing', () => {
    const weird = [{ severity: 'info', title: 'x', detail: '', evidence: 'nope', claims: [{ metric: 42, value: {} }] }] as any
    const [v] = verifyFindings(weird, [call('t1', 'disk_usage', { mounts: 'not an array' })])
    expect(v.verified).toBeNull()
  })
})
