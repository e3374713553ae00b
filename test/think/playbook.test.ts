import { describe, expect, it } from 'vitest'
import { namesIn, playbookBrain } from '../../src/think/playbook/brain.ts'
import { fixtureTools, healthyData } from './fixture-tools.ts'

const mount = (m: string, usedPercent: number, extra: Record<string, unknown> = {}) => ({
  filesystem: `fs${m}`, type: 'ext4', mount: m, sizeBytes: 100e9, usedBytes: usedPercent * 1e9, availableBytes: (100 - usedPercent) * 1e9, usedPercent, ...extra
})

describe('playbook brain', () => {
  it('finds nothing on a healthy box and says which brain wrote it', async () => {
    const tools = fixtureTools()
    const out = await playbookBrain({ reason: 'no-endpoint' }).runTask({ prompt: 'check this box' }, { tools })
    expect(out.findings).toEqual([])
    expect(out.brain).toEqual({ kind: 'playbook', reason: 'no-endpoint' })
    expect(out.steps).toBe(0)
    expect(out.toolCalls.map(c => c.tool).sort()).toEqual(['disk_usage', 'dns_check', 'failed_services', 'memory', 'os_info', 'recent_errors', 'system_load', 'uptime'])
    expect(out.answer).toMatch(/box1/)
  })

  it('applies the documented thresholds, and every finding is verified by its evidence', async () => {
    const tools = fixtureTools({
      disk_usage: { mounts: [mount('/', 95), mount('/var', 85), mount('/home', 79), mount('/snap/core', 100, { type: 'squashfs' }), mount('/System/Volumes/x', 100, { role: 'system' })] },
      memory: { totalBytes: 16e9, availableBytes: 0.6e9, usedPercent: 96, swapTotalBytes: 2e9, swapUsedBytes: 1.9e9 },
      system_load: { load1: 20, load5: 14, load15: 13, cpus: 4, perCore1: 5, perCore5: 3.5, perCore15: 3.25 },
      failed_services: { manager: 'systemd', failed: [{ name: 'nginx.service', state: 'failed' }] },
      dns_check: { resolvers: ['10.0.0.1'], names: [{ name: 'example.com', system: { ok: false, addresses: [], ms: 5, error: 'SERVFAIL' }, servers: [{ server: '10.0.0.1', ok: false, addresses: [], ms: 5, error: 'SERVFAIL' }] }] },
      recent_errors: { since: '1h', count: 40, entries: Array.from({ length: 40 }, (_, i) => ({ time: 't', unit: i % 2 === 0 ? 'kernel' : 'nginx', message: 'e' })) },
      uptime: { seconds: 600, bootTime: '2026-11-23T21:50:00Z' }
    })
    const out = await playbookBrain().runTask({ prompt: 'audit' }, { tools })
    const titles = out.findings.map(f => `${f.severity} ${f.title}`)
    expect(titles).toEqual([
      'critical Disk / is 95% full',
      'critical Low memory: 3.8% available',
      'critical Sustained load: 3.5 per core',
      'critical DNS: example.com does not resolve',
      'warning Disk /var is 85% full',
      'warning Service nginx.service has failed',
      'warning 40 errors logged since 1h',
      'info Rebooted 10 minutes ago'
    ])
    expect(out.findings.every(f => f.verified === true)).toBe(true)
    for (const f of out.findings) {
      for (const id of f.evidence) expect(out.toolCalls.some(c => c.id === id)).toBe(true)
    }
  })

  it('respects configured thresholds', async () => {
    const tools = fixtureTools({ disk_usage: { mounts: [mount('/', 70)] } })
    const out = await playbookBrain({ config: { diskWarningPercent: 60, diskCriticalPercent: 65 } }).runTask({ prompt: 'x' }, { tools })
    expect(out.findings.map(f => f.severity)).toEqual(['critical'])
  })

  it('keeps going when a check fails or returns odd data, and reports what could not run', async () => {
    const tools = fixtureTools({ memory: { nonsense: true } })
    tools.failing.add('disk_usage')
    const out = await playbookBrain().runTask({ prompt: 'x' }, { tools })
    expect(out.findings).toEqual([])
    expect(out.toolCalls.find(c => c.tool === 'disk_usage')?.ok).toBe(false)
    expect(out.answer).toMatch(/disk_usage/)
  })

  it('only runs checks the platform has, and resolves names named in the prompt', async () => {
    const tools = fixtureTools()
    delete tools.data.failed_services
    const out = await playbookBrain().runTask({ prompt: 'can we reach api.example.com and db.internal.lan?' }, { tools })
    expect(out.toolCalls.some(c => c.tool === 'failed_services')).toBe(false)
    expect(tools.runs.find(r => r.name === 'dns_check')?.args).toEqual({ names: ['api.example.com', 'db.internal.lan'] })
    expect(namesIn('look at /etc/app.conf and main.ts')).toEqual([])
    expect(healthyData.os_info).toBeDefined()
  })

  it('counts a nameserver timing out, not one answering NXDOMAIN for a name from /etc/hosts', async () => {
    const dns = (error: string) => ({ resolvers: ['10.0.0.1'], names: [{ name: 'localhost', system: { ok: true, addresses: ['127.0.0.1'], ms: 1 }, servers: [{ server: '10.0.0.1', ok: false, addresses: [], ms: 2000, error }] }] })
    const nx = await playbookBrain().runTask({ prompt: 'x' }, { tools: fixtureTools({ dns_check: dns('NXDOMAIN') }) })
    expect(nx.findings).toEqual([])
    const timeout = await playbookBrain().runTask({ prompt: 'x' }, { tools: fixtureTools({ dns_check: dns('TIMEOUT') }) })
    expect(timeout.findings.map(f => [f.severity, f.title, f.verified])).toEqual([['warning', 'DNS: 1 of 1 nameservers fail for localhost', true]])
  })
})
