/**
 * The checkable metrics: for each claim metric, which tools' structured data can confirm
 * it, how to read the observed value for a subject, and how close a claim must be. The
 * verifier, the playbook brain (which writes claims) and the agent prompt share this list,
 * so a metric named in a prompt is always one the verifier can check.
 */
import type {
  DiskMount, DiskUsageData, DnsCheckData, FailedServicesData, ListeningPortsData, MemoryData, NetworkInterfacesData,
  OsInfoData, RecentErrorsData, ServiceStatusData, SystemLoadData, TopProcessesData, UptimeData
} from '../tools/types.ts'

export type MetricKind = 'number' | 'boolean' | 'string'
export type Observation = { found: true, value: number | string | boolean } | { found: false, note: string }

export interface MetricSpec {
  name: string
  kind: MetricKind
  /** tools whose data holds this metric */
  tools: string[]
  /** what the subject is, for the prompt; undefined = takes no subject */
  subject?: string
  /** numbers: allowed difference, absolute and/or relative to the observed value */
  tolerance?: { abs?: number, rel?: number }
  /** numbers: what the value counts; claims in other units of the same family are converted */
  unit?: 'percent' | 'bytes' | 'seconds' | 'count' | 'load' | 'ms'
  read: (data: any, subject: string | undefined, tool: string) => Observation
}

const notFound = (note: string): Observation => ({ found: false, note })
const found = (value: number | string | boolean): Observation => ({ found: true, value })

/** The mount a subject names: exact mount point, device, or the mount holding a path. */
export function findMount (mounts: DiskMount[], subject: string | undefined): DiskMount | undefined {
  if (subject == null || subject === '') return mounts.find(m => m.mount === '/')
  const s = subject.trim()
  const exact = mounts.find(m => m.mount === s) ?? mounts.find(m => m.filesystem === s)
  if (exact != null || !s.startsWith('/')) return exact
  let best: DiskMount | undefined
  for (const m of mounts) {
    const prefix = m.mount.endsWith('/') ? m.mount : m.mount + '/'
    if (s.startsWith(prefix) && (best == null || m.mount.length > best.mount.length)) best = m
  }
  return best
}

function disk (field: (m: DiskMount) => number) {
  return (data: DiskUsageData, subject: string | undefined): Observation => {
    const m = findMount(data?.mounts ?? [], subject)
    return m == null ? notFound(`no mount ${subject ?? '/'} in the evidence`) : found(field(m))
  }
}

function field<T> (pick: (d: T) => number | undefined) {
  return (data: T): Observation => {
    const v = data == null ? undefined : pick(data)
    return typeof v === 'number' && Number.isFinite(v) ? found(v) : notFound('value absent from the evidence')
  }
}

/** Service names match with or without the unit suffix, case-insensitively. */
export function sameService (a: string, b: string): boolean {
  const norm = (s: string) => s.trim().toLowerCase().replace(/\.service$/, '')
  return norm(a) === norm(b)
}

function serviceState (data: any, subject: string | undefined, tool: string): Observation {
  if (subject == null) return notFound('claim names no service')
  if (tool === 'service_status') {
    const d = data as ServiceStatusData
    if (!sameService(d.name ?? '', subject)) return notFound(`evidence is about ${d.name}, not ${subject}`)
    return d.found ? found(d.state) : found('not-found')
  }
  const d = data as FailedServicesData
  const hit = d.failed?.find(f => sameService(f.name, subject))
  return hit != null ? found(hit.state || 'failed') : notFound(`${subject} is not among the failed services; its state is not in the evidence`)
}

function serviceFailed (data: any, subject: string | undefined, tool: string): Observation {
  if (subject == null) return notFound('claim names no service')
  if (tool === 'service_status') {
    const d = data as ServiceStatusData
    if (!sameService(d.name ?? '', subject)) return notFound(`evidence is about ${d.name}, not ${subject}`)
    return found(d.state === 'failed')
  }
  const d = data as FailedServicesData
  return found((d.failed ?? []).some(f => sameService(f.name, subject)))
}

function dnsEntry (data: DnsCheckData, subject: string | undefined) {
  const names = data?.names ?? []
  if (subject == null) return names.length === 1 ? names[0] : undefined
  const s = subject.trim().toLowerCase().replace(/\.$/, '')
  return names.find(n => n.name.toLowerCase().replace(/\.$/, '') === s)
}

function portListening (data: ListeningPortsData, subject: string | undefined): Observation {
  if (subject == null) return notFound('claim names no port')
  const m = /^(?:(tcp|udp)[/:])?(?:(.*)[:.])?(\d{1,5})$/i.exec(subject.trim())
  if (m == null) return notFound(`cannot read a port in "${subject}"`)
  const [, proto, address, port] = m
  const ports = data?.ports ?? []
  const hit = ports.some(p => p.port === Number(port) &&
    (proto == null || p.proto === proto.toLowerCase()) &&
    (address == null || address === '' || p.address === address.replace(/^\[|\]$/g, '')))
  return found(hit)
}

export const METRICS: MetricSpec[] = [
  { name: 'disk.usedPercent', kind: 'number', unit: 'percent', tools: ['disk_usage'], subject: 'mount point', tolerance: { abs: 1 }, read: disk(m => m.usedPercent) },
  { name: 'disk.availablePercent', kind: 'number', unit: 'percent', tools: ['disk_usage'], subject: 'mount point', tolerance: { abs: 1 }, read: disk(m => 100 - m.usedPercent) },
  { name: 'disk.usedBytes', kind: 'number', unit: 'bytes', tools: ['disk_usage'], subject: 'mount point', tolerance: { rel: 0.05 }, read: disk(m => m.usedBytes) },
  { name: 'disk.availableBytes', kind: 'number', unit: 'bytes', tools: ['disk_usage'], subject: 'mount point', tolerance: { rel: 0.05 }, read: disk(m => m.availableBytes) },
  { name: 'disk.sizeBytes', kind: 'number', unit: 'bytes', tools: ['disk_usage'], subject: 'mount point', tolerance: { rel: 0.05 }, read: disk(m => m.sizeBytes) },
  { name: 'memory.usedPercent', kind: 'number', unit: 'percent', tools: ['memory'], tolerance: { abs: 2 }, read: field<MemoryData>(d => d.usedPercent) },
  { name: 'memory.availablePercent', kind: 'number', unit: 'percent', tools: ['memory'], tolerance: { abs: 2 }, read: field<MemoryData>(d => d.totalBytes > 0 ? d.availableBytes * 100 / d.totalBytes : undefined) },
  { name: 'memory.availableBytes', kind: 'number', unit: 'bytes', tools: ['memory'], tolerance: { rel: 0.05 }, read: field<MemoryData>(d => d.availableBytes) },
  { name: 'memory.totalBytes', kind: 'number', unit: 'bytes', tools: ['memory'], tolerance: { rel: 0.05 }, read: field<MemoryData>(d => d.totalBytes) },
  { name: 'swap.usedBytes', kind: 'number', unit: 'bytes', tools: ['memory'], tolerance: { rel: 0.05 }, read: field<MemoryData>(d => d.swapUsedBytes) },
  { name: 'swap.usedPercent', kind: 'number', unit: 'percent', tools: ['memory'], tolerance: { abs: 2 }, read: field<MemoryData>(d => d.swapTotalBytes > 0 ? d.swapUsedBytes * 100 / d.swapTotalBytes : 0) },
  { name: 'load.load1', kind: 'number', unit: 'load', tools: ['system_load'], tolerance: { abs: 0.05, rel: 0.05 }, read: field<SystemLoadData>(d => d.load1) },
  { name: 'load.load5', kind: 'number', unit: 'load', tools: ['system_load'], tolerance: { abs: 0.05, rel: 0.05 }, read: field<SystemLoadData>(d => d.load5) },
  { name: 'load.load15', kind: 'number', unit: 'load', tools: ['system_load'], tolerance: { abs: 0.05, rel: 0.05 }, read: field<SystemLoadData>(d => d.load15) },
  { name: 'load.perCore1', kind: 'number', unit: 'load', tools: ['system_load'], tolerance: { abs: 0.05, rel: 0.05 }, read: field<SystemLoadData>(d => d.perCore1) },
  { name: 'load.perCore5', kind: 'number', unit: 'load', tools: ['system_load'], tolerance: { abs: 0.05, rel: 0.05 }, read: field<SystemLoadData>(d => d.perCore5) },
  { name: 'load.perCore15', kind: 'number', unit: 'load', tools: ['system_load'], tolerance: { abs: 0.05, rel: 0.05 }, read: field<SystemLoadData>(d => d.perCore15) },
  { name: 'cpu.count', kind: 'number', unit: 'count', tools: ['system_load'], tolerance: { abs: 0 }, read: field<SystemLoadData>(d => d.cpus) },
  { name: 'service.failed', kind: 'boolean', tools: ['failed_services', 'service_status'], subject: 'service name', read: serviceFailed },
  { name: 'service.state', kind: 'string', tools: ['service_status', 'failed_services'], subject: 'service name', read: serviceState },
  { name: 'services.failedCount', kind: 'number', unit: 'count', tools: ['failed_services'], tolerance: { abs: 0 }, read: field<FailedServicesData>(d => d.failed?.length) },
  {
    name: 'dns.resolves', kind: 'boolean', tools: ['dns_check'], subject: 'host name',
    read: (d: DnsCheckData, s) => {
      const e = dnsEntry(d, s)
      return e == null ? notFound(`no lookup of ${s ?? '(no name)'} in the evidence`) : found(e.system.ok || e.servers.some(x => x.ok))
    }
  },
  {
    name: 'dns.error', kind: 'string', tools: ['dns_check'], subject: 'host name',
    read: (d: DnsCheckData, s) => {
      const e = dnsEntry(d, s)
      if (e == null) return notFound(`no lookup of ${s ?? '(no name)'} in the evidence`)
      return found(e.system.error ?? e.servers.find(x => x.error != null)?.error ?? 'none')
    }
  },
  { name: 'port.listening', kind: 'boolean', tools: ['listening_ports'], subject: 'port, e.g. 22, tcp/22 or 127.0.0.1:53', read: portListening },
  { name: 'errors.count', kind: 'number', unit: 'count', tools: ['recent_errors'], tolerance: { abs: 1, rel: 0.1 }, read: field<RecentErrorsData>(d => d.count) },
  { name: 'uptime.seconds', kind: 'number', unit: 'seconds', tools: ['uptime'], tolerance: { abs: 900, rel: 0.02 }, read: field<UptimeData>(d => d.seconds) },
  { name: 'uptime.days', kind: 'number', unit: 'count', tools: ['uptime'], tolerance: { abs: 1 }, read: field<UptimeData>(d => d.seconds / 86400) },
  { name: 'os.hostname', kind: 'string', tools: ['os_info'], read: (d: OsInfoData) => d?.hostname == null ? notFound('no hostname in the evidence') : found(d.hostname) },
  { name: 'os.kernel', kind: 'string', tools: ['os_info'], read: (d: OsInfoData) => d?.kernel == null ? notFound('no kernel in the evidence') : found(d.kernel) },
  {
    name: 'interface.up', kind: 'boolean', tools: ['network_interfaces'], subject: 'interface name',
    read: (d: NetworkInterfacesData, s) => {
      const i = d?.interfaces?.find(x => x.name === s)
      return i == null ? notFound(`no interface ${s ?? '(none named)'} in the evidence`) : found(i.up)
    }
  },
  {
    name: 'process.cpuPercent', kind: 'number', unit: 'percent', tools: ['top_processes'], subject: 'pid or command', tolerance: { abs: 5, rel: 0.2 },
    read: (d: TopProcessesData, s) => {
      const p = d?.processes?.find(x => String(x.pid) === s?.trim()) ?? d?.processes?.find(x => s != null && x.command.includes(s.trim()))
      return p == null ? notFound(`no process ${s ?? '(none named)'} in the evidence`) : found(p.cpuPercent)
    }
  }
]

const BY_KEY = new Map(METRICS.map(m => [key(m.name), m]))
/** Names models tend to write instead of ours. */
const ALIASES: Record<string, string> = {
  'disk.usage': 'disk.usedPercent',
  'disk.usagepercent': 'disk.usedPercent',
  'disk.percent': 'disk.usedPercent',
  'disk.used': 'disk.usedPercent',
  'diskusage.usedpercent': 'disk.usedPercent',
  'disk.free': 'disk.availableBytes',
  'memory.used': 'memory.usedPercent',
  'memory.usage': 'memory.usedPercent',
  'memory.available': 'memory.availableBytes',
  'load.percore': 'load.perCore5',
  'service.status': 'service.state'
}

function key (name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9.]/g, '')
}

export function findMetric (name: string): MetricSpec | undefined {
  const k = key(name)
  return BY_KEY.get(k) ?? (ALIASES[k] != null ? BY_KEY.get(key(ALIASES[k])) : undefined)
}

/** One line per metric, for the system prompt. */
export function describeMetrics (): string {
  return METRICS.map(m => `- ${m.name}${m.subject != null ? ` (subject: ${m.subject})` : ''}: ${m.kind}${m.unit != null && m.unit !== 'count' ? `, ${m.unit}` : ''}; from ${m.tools.join(' or ')}`).join('\n')
}
