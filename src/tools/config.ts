import { z } from 'zod'

/** Filesystem types that say nothing about free space: kernel views, images, automounters. */
export const DEFAULT_EXCLUDED_FS_TYPES = [
  'proc', 'sysfs', 'devtmpfs', 'devfs', 'devpts', 'cgroup', 'cgroup2', 'securityfs', 'debugfs',
  'tracefs', 'configfs', 'fusectl', 'mqueue', 'hugetlbfs', 'pstore', 'bpf', 'autofs', 'binfmt_misc',
  'nsfs', 'ramfs', 'rpc_pipefs', 'efivarfs', 'selinuxfs', 'squashfs', 'iso9660', 'nullfs', 'map', 'fdesc'
]

/** [tools] section of the config. Defaults are documented in config/default.toml. */
export const toolsConfigSchema = z.object({
  /** per-tool wall-clock limit; the program is killed past it */
  timeoutMs: z.number().int().min(100).max(300_000).default(10_000),
  /** raw text kept per result (bytes); structured data is parsed from the full read */
  maxTextBytes: z.number().int().min(256).max(1 << 20).default(16 * 1024),
  /** bytes read from a program before it is stopped; past this the output counts as truncated */
  maxReadBytes: z.number().int().min(4096).max(64 << 20).default(8 << 20),
  /** cap on list lengths in data (mounts, ports, processes, log entries) */
  maxItems: z.number().int().min(1).max(10_000).default(200),
  /** log entries returned by recent_errors (the newest); each message is cut at 500 characters */
  maxLogEntries: z.number().int().min(1).max(1000).default(50),
  /** log lines returned by service_status */
  serviceLogLines: z.number().int().min(0).max(500).default(20),
  disk: z.object({
    /** filesystem types left out of disk_usage */
    excludeTypes: z.array(z.string().min(1)).default(DEFAULT_EXCLUDED_FS_TYPES)
  }).strict().default({ excludeTypes: DEFAULT_EXCLUDED_FS_TYPES }),
  dns: z.object({
    /** names dns_check resolves when the caller gives none */
    names: z.array(z.string().min(1).max(253)).max(20).default(['localhost']),
    /** per query limit, for the system resolver and each nameserver */
    timeoutMs: z.number().int().min(50).max(30_000).default(2_000),
    /** where the Linux resolver configuration is read */
    resolvConf: z.string().min(1).default('/etc/resolv.conf')
  }).strict().default({ names: ['localhost'], timeoutMs: 2_000, resolvConf: '/etc/resolv.conf' })
}).strict()
export type ToolsConfig = z.infer<typeof toolsConfigSchema>

/** The defaults, for code that runs with no config file. */
export function defaultToolsConfig (): ToolsConfig {
  return toolsConfigSchema.parse({})
}
