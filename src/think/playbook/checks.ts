/**
 * The playbook's rules: structured tool data in, findings with claims out. Pure, so each
 * threshold is tested on fixtures. Thresholds come from [think.playbook] (defaults in
 * config/default.toml):
 *   disk used >= 90% critical, >= 80% warning (per mount; sealed system volumes and
 *     read-only images, which are always full, are skipped)
 *   memory available < 5% critical, < 10% warning
 *   load per core over 5 AND 15 minutes >= 3 critical, >= 1.5 warning (sustained, not a spike)
 *   every failed service: warning
 *   a name the system resolver cannot resolve: critical; a slow answer (> 1 s): warning
 *   >= 20 error log entries in the window: warning
 *   booted less than an hour ago: info
 */
import type {
  DiskUsageData, DnsCheckData, FailedServicesData, MemoryData, RecentErrorsData, SystemLoadData, UptimeData
} from '../../tools/types.ts'
import type { PlaybookConfig } from '../config.ts'
import type { Finding } from '../types.ts'
import { formatBytes } from '../../units.ts'

/** filesystem types that are full by construction */
const ALWAYS_FULL_TYPES = new Set(['squashfs', 'iso9660', 'udf', 'erofs', 'cramfs'])
const MAX_SERVICE_FINDINGS = 10
const NOT_A_FAILURE = new Set(['NXDOMAIN', 'NODATA', 'ENOTFOUND', 'ENODATA'])

const r1 = (n: number) => Math.round(n * 10) / 10
const r2 = (n: number) => Math.round(n * 100) / 100

export function diskFindings (data: DiskUsageData, id: string, t: PlaybookConfig): Finding[] {
  const out: Finding[] = []
  for (const m of data.mounts ?? []) {
    if (m.role === 'system' || ALWAYS_FULL_TYPES.has(m.type) || m.sizeBytes <= 0) continue
    const severity = m.usedPercent >= t.diskCriticalPercent ? 'critical' : m.usedPercent >= t.diskWarningPercent ? 'warning' : null
    if (severity == null) continue
    out.push({
      severity,
      title: `Disk ${m.mount} is ${m.usedPercent}% full`,
      detail: `${m.mount} (${m.filesystem}, ${m.type}) has ${formatBytes(m.availableBytes)} of ${formatBytes(m.sizeBytes)} left; threshold ${severity === 'critical' ? t.diskCriticalPercent : t.diskWarningPercent}%.`,
      evidence: [id],
      claims: [{ metric: 'disk.usedPercent', subject: m.mount, value: m.usedPercent, unit: '%' }]
    })
  }
  return out
}

export function memoryFindings (d: MemoryData, id: string, t: PlaybookConfig): Finding[] {
  if (!(d.totalBytes > 0)) return []
  const availPct = d.availableBytes * 100 / d.totalBytes
  const severity = availPct < t.memoryAvailableCriticalPercent ? 'critical' : availPct < t.memoryAvailableWarningPercent ? 'warning' : null
  if (severity == null) return []
  return [{
    severity,
    title: `Low memory: ${r1(availPct)}% available`,
    detail: `${formatBytes(d.availableBytes)} of ${formatBytes(d.totalBytes)} available; swap used ${formatBytes(d.swapUsedBytes)}.`,
    evidence: [id],
    claims: [{ metric: 'memory.availablePercent', value: r1(availPct), unit: '%' }]
  }]
}

export function loadFindings (d: SystemLoadData, id: string, t: PlaybookConfig): Finding[] {
  const sustained = Math.min(d.perCore5, d.perCore15)
  const severity = sustained >= t.loadPerCoreCritical ? 'critical' : sustained >= t.loadPerCoreWarning ? 'warning' : null
  if (severity == null) return []
  return [{
    severity,
    title: `Sustained load: ${r2(d.perCore5)} per core`,
    detail: `Load ${d.load1}/${d.load5}/${d.load15} on ${d.cpus} CPUs: work has been queueing for 15 minutes or more.`,
    evidence: [id],
    claims: [
      { metric: 'load.perCore5', value: r2(d.perCore5) },
      { metric: 'load.perCore15', value: r2(d.perCore15) }
    ]
  }]
}

export function serviceFindings (d: FailedServicesData, id: string): Finding[] {
  const failed = d.failed ?? []
  const out: Finding[] = failed.slice(0, MAX_SERVICE_FINDINGS).map(f => ({
    severity: 'warning' as const,
    title: `Service ${f.name} has failed`,
    detail: `${d.manager} reports ${f.name} as ${f.state}${f.description != null ? ` (${f.description})` : ''}.`,
    evidence: [id],
    claims: [{ metric: 'service.failed', subject: f.name, value: true }]
  }))
  if (failed.length > MAX_SERVICE_FINDINGS) {
    out.push({
      severity: 'warning',
      title: `${failed.length} services have failed`,
      detail: `Also failed: ${failed.slice(MAX_SERVICE_FINDINGS).map(f => f.name).join(', ')}.`,
      evidence: [id],
      claims: [{ metric: 'services.failedCount', value: failed.length }]
    })
  }
  return out
}

export function dnsFindings (d: DnsCheckData, id: string, t: PlaybookConfig): Finding[] {
  const out: Finding[] = []
  for (const n of d.names ?? []) {
    if (!n.system.ok) {
      out.push({
        severity: 'critical',
        title: `DNS: ${n.name} does not resolve`,
        detail: `The system resolver answered ${n.system.error ?? 'nothing'} for ${n.name}` +
          (n.servers.length > 0 ? `; nameservers: ${n.servers.map(s => `${s.server} ${s.ok ? 'ok' : s.error ?? 'failed'}`).join(', ')}.` : '.'),
        evidence: [id],
        claims: [{ metric: 'dns.resolves', subject: n.name, value: false }]
      })
      continue
    }
    // NXDOMAIN/NODATA from a nameserver for a name the system resolved (from /etc/hosts,
    // e.g. localhost) is an answer, not a failure; timeouts, SERVFAIL and refusals are
    const bad = n.servers.filter(s => !s.ok && !NOT_A_FAILURE.has((s.error ?? '').toUpperCase()))
    if (bad.length > 0) {
      out.push({
        severity: 'warning',
        title: `DNS: ${bad.length} of ${n.servers.length} nameservers fail for ${n.name}`,
        detail: bad.map(s => `${s.server}: ${s.error ?? 'failed'}`).join(', ') + '. The system resolver still answers, but only through the others.',
        evidence: [id],
        claims: [{ metric: 'dns.resolves', subject: n.name, value: true }]
      })
    } else if (n.system.ms > t.dnsSlowMs) {
      out.push({
        severity: 'warning',
        title: `DNS: ${n.name} took ${Math.round(n.system.ms)} ms to resolve`,
        detail: `Slower than ${t.dnsSlowMs} ms; a nameserver may be timing out before another answers.`,
        evidence: [id],
        claims: [{ metric: 'dns.resolves', subject: n.name, value: true }]
      })
    }
  }
  return out
}

export function errorFindings (d: RecentErrorsData, id: string, t: PlaybookConfig): Finding[] {
  if (d.count < t.recentErrorsWarning) return []
  const units = new Map<string, number>()
  for (const e of d.entries ?? []) units.set(e.unit ?? '?', (units.get(e.unit ?? '?') ?? 0) + 1)
  const top = [...units.entries()].sort((a, b) => b[1] - a[1]).slice(0, 3)
  return [{
    severity: 'warning',
    title: `${d.count} errors logged since ${d.since}`,
    detail: `Most from: ${top.map(([u, n]) => `${u} (${n})`).join(', ') || 'unknown'}.`,
    evidence: [id],
    claims: [{ metric: 'errors.count', value: d.count }]
  }]
}

export function uptimeFindings (d: UptimeData, id: string): Finding[] {
  if (d.seconds >= 3600) return []
  return [{
    severity: 'info',
    title: `Rebooted ${Math.round(d.seconds / 60)} minutes ago`,
    detail: `Boot time ${d.bootTime}. Check whether the reboot was planned.`,
    evidence: [id],
    claims: [{ metric: 'uptime.seconds', value: Math.round(d.seconds) }]
  }]
}
