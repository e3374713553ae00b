/**
 * The contract of the tools layer: what a tool run returns and the structured data
 * each named tool produces. `think` (agent loop, playbook brain, verifier) and the
 * job report key on these names and shapes, so change them only together.
 */
import type { z } from 'zod'

export type Platform = 'linux' | 'darwin'

/** The result of one tool run. A tool never throws into its caller. */
export interface ToolResult<T = unknown> {
  ok: boolean
  /** parsed structure; null when the run or the parse failed */
  data: T | null
  /** bounded raw excerpt of what the program printed */
  text: string
  /** exit code of the (last) program run; null if it never ran or was killed */
  exitCode: number | null
  /** wall time of the run in milliseconds */
  ms: number
  /** present when ok is false: what went wrong, in one line */
  error?: string
  /** true when `text` was cut at the output cap */
  truncated?: boolean
  /** true when a list in `data` was cut at the item cap (e.g. top 200 mounts) */
  dataTruncated?: boolean
  /** present when ok is false: a stable code, e.g. ERR_PROGRAM_MISSING, ERR_TOOL_TIMEOUT */
  code?: string
}

export interface ToolRunOptions {
  signal?: AbortSignal
}

/** One entry of the catalog. */
export interface ToolDefinition<A extends z.ZodType = z.ZodType, T = unknown> {
  /** stable snake_case name; part of the interface */
  name: string
  /** written for a model: what it tells and when to use it */
  description: string
  /** arguments; unknown fields are rejected */
  args: A
  /** platforms this tool has an implementation for */
  platforms: Platform[]
  /** @default 10_000 */
  timeoutMs: number
  /** cap on raw text kept, in bytes */
  maxOutputBytes: number
  run: (args: z.infer<A>, options?: ToolRunOptions) => Promise<ToolResult<T>>
}

// ---- structured data of the named tools ----

export interface DiskMount {
  filesystem: string
  type: string
  mount: string
  sizeBytes: number
  usedBytes: number
  availableBytes: number
  /** as df computes it: ceil(used * 100 / (used + available)) */
  usedPercent: number
  /** macOS APFS: the container (e.g. disk3) whose volumes share space */
  container?: string
  /** macOS APFS: role of the volume, e.g. 'system' (sealed, read-only) or 'data' */
  role?: string
  /** Linux: inodes (files) the filesystem has and uses; "no space left" with free bytes is often these */
  inodesTotal?: number
  inodesUsed?: number
  /** as df -i computes it: ceil(used * 100 / (used + free)) */
  inodesUsedPercent?: number
}
export interface DiskUsageData { mounts: DiskMount[] }

export interface MemoryData {
  totalBytes: number
  availableBytes: number
  usedPercent: number
  swapTotalBytes: number
  swapUsedBytes: number
}

export interface SystemLoadData {
  load1: number
  load5: number
  load15: number
  cpus: number
  perCore1: number
  perCore5: number
  perCore15: number
}

export type ServiceManager = 'systemd' | 'launchd' | 'none'
export interface FailedServicesData {
  manager: ServiceManager
  failed: Array<{ name: string, state: string, description?: string }>
}

export interface ServiceStatusData {
  manager: ServiceManager
  name: string
  found: boolean
  /** e.g. active, inactive, failed, running */
  state: string
  subState?: string
  pid?: number
  logLines: string[]
}

export interface DnsAnswer {
  ok: boolean
  addresses: string[]
  ms: number
  /** e.g. NXDOMAIN, NODATA, SERVFAIL, REFUSED, TIMEOUT, TEMPFAIL (system resolver), ECONNREFUSED */
  error?: string
}
export interface DnsCheckData {
  resolvers: string[]
  names: Array<{
    name: string
    system: DnsAnswer
    servers: Array<DnsAnswer & { server: string }>
  }>
}

export interface ListeningPortsData {
  ports: Array<{ proto: 'tcp' | 'udp', address: string, port: number, process?: string, pid?: number }>
}

export interface TopProcessesData {
  by: 'cpu' | 'memory'
  processes: Array<{ pid: number, user?: string, command: string, cpuPercent: number, memPercent: number, rssBytes: number }>
}

export interface RecentErrorsData {
  since: string
  count: number
  entries: Array<{ time: string, unit?: string, message: string }>
  /** log lines that could not be read (bad JSON, no message) and were skipped */
  dropped?: number
}

export interface UptimeData { seconds: number, bootTime: string }

export interface OsInfoData {
  platform: string
  release: string
  distro?: string
  kernel: string
  arch: string
  hostname: string
}

export interface NetworkInterfacesData {
  interfaces: Array<{ name: string, up: boolean, mac?: string, mtu?: number, addresses: Array<{ family: 'ipv4' | 'ipv6', address: string, cidr: string }> }>
}

/** tool name -> its data type, for code that switches on names */
export interface ToolDataMap {
  disk_usage: DiskUsageData
  memory: MemoryData
  system_load: SystemLoadData
  failed_services: FailedServicesData
  service_status: ServiceStatusData
  dns_check: DnsCheckData
  listening_ports: ListeningPortsData
  top_processes: TopProcessesData
  recent_errors: RecentErrorsData
  uptime: UptimeData
  os_info: OsInfoData
  network_interfaces: NetworkInterfacesData
}
export type ToolName = keyof ToolDataMap

/**
 * What other layers use to find and run tools. The catalog in ./catalog.ts implements
 * it for this machine; tests may pass their own.
 */
export interface ToolRunner {
  /** the tools available on this platform */
  list: () => ToolDefinition[]
  /** validates raw (model-supplied) args and runs; never throws */
  run: (name: string, rawArgs: unknown, options?: ToolRunOptions) => Promise<ToolResult>
  /** JSON schema of a tool's arguments, for tool calling */
  jsonSchema: (name: string) => Record<string, unknown>
}
