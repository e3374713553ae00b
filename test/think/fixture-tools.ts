/**
 * A small ToolRunner for think tests: the real tool names and data shapes, fixed data
 * that a test can change, zod validation of arguments like the real catalog, and a log
 * of every run. No programs are started.
 */
import { z } from 'zod'
import type { ToolDefinition, ToolResult, ToolRunner } from '../../src/tools/types.ts'

export const healthyData: Record<string, unknown> = {
  os_info: { platform: 'linux', release: '6.8.0', distro: 'Debian 13', kernel: 'Linux 6.8.0', arch: 'x64', hostname: 'box1' },
  uptime: { seconds: 864000, bootTime: '2026-11-13T00:00:00Z' },
  disk_usage: {
    mounts: [
      { filesystem: '/dev/sda1', type: 'ext4', mount: '/', sizeBytes: 100e9, usedBytes: 12e9, availableBytes: 88e9, usedPercent: 12 },
      { filesystem: '/dev/sdb1', type: 'xfs', mount: '/data', sizeBytes: 500e9, usedBytes: 200e9, availableBytes: 300e9, usedPercent: 40 }
    ]
  },
  memory: { totalBytes: 16e9, availableBytes: 9e9, usedPercent: 44, swapTotalBytes: 2e9, swapUsedBytes: 0 },
  system_load: { load1: 0.4, load5: 0.3, load15: 0.2, cpus: 4, perCore1: 0.1, perCore5: 0.075, perCore15: 0.05 },
  failed_services: { manager: 'systemd', failed: [] },
  dns_check: { resolvers: ['10.0.0.1'], names: [{ name: 'localhost', system: { ok: true, addresses: ['127.0.0.1'], ms: 1 }, servers: [] }] },
  recent_errors: { since: '1h', count: 2, entries: [{ time: '2026-11-23T21:00:00Z', unit: 'cron', message: 'x' }, { time: '2026-11-23T21:01:00Z', unit: 'cron', message: 'y' }] },
  listening_ports: { ports: [{ proto: 'tcp', address: '0.0.0.0', port: 22, process: 'sshd' }] }
}

const argSchemas: Record<string, z.ZodType> = {
  disk_usage: z.object({ path: z.string().optional() }).strict(),
  dns_check: z.object({ names: z.array(z.string()).optional() }).strict(),
  service_status: z.object({ name: z.string().min(1) }).strict()
}

export interface FixtureTools extends ToolRunner {
  /** data returned per tool name; change it in a test */
  data: Record<string, unknown>
  /** every run: name and the raw args */
  runs: Array<{ name: string, args: unknown }>
  /** make a tool fail */
  failing: Set<string>
  /** artificial latency per run */
  delayMs: number
}

export function fixtureTools (overrides: Record<string, unknown> = {}): FixtureTools {
  const data: Record<string, unknown> = { ...structuredClone(healthyData), ...overrides }
  const schemaOf = (name: string) => argSchemas[name] ?? z.object({}).strict()
  const fx: FixtureTools = {
    data,
    runs: [],
    failing: new Set(),
    delayMs: 0,
    list: () => Object.keys(fx.data).map(name => ({
      name,
      description: `fixture ${name}`,
      args: schemaOf(name),
      platforms: ['linux', 'darwin'],
      timeoutMs: 1000,
      maxOutputBytes: 1000,
      run: async () => await fx.run(name, {})
    }) as ToolDefinition),
    jsonSchema: (name) => z.toJSONSchema(schemaOf(name)) as Record<string, unknown>,
    run: async (name, rawArgs): Promise<ToolResult> => {
      fx.runs.push({ name, args: rawArgs })
      if (fx.delayMs > 0) await new Promise(resolve => setTimeout(resolve, fx.delayMs))
      if (!(name in fx.data)) return { ok: false, data: null, text: '', exitCode: null, ms: 0, error: `unknown tool ${name}` }
      const parsed = schemaOf(name).safeParse(rawArgs ?? {})
      if (!parsed.success) return { ok: false, data: null, text: '', exitCode: null, ms: 0, error: `invalid arguments: ${parsed.error.issues.map(i => i.message).join('; ')}` }
      if (fx.failing.has(name)) return { ok: false, data: null, text: 'boom', exitCode: 1, ms: 1, error: 'exit code 1' }
      return { ok: true, data: structuredClone(fx.data[name]), text: JSON.stringify(fx.data[name]), exitCode: 0, ms: 1 }
    }
  }
  return fx
}
