/**
 * Runs one tool through a ToolRunner and keeps what reports need: a ToolCallRecord with
 * bounded structured data and a one-line digest. Shared by the agent loop and the playbook.
 */
import type { ToolRunner } from '../tools/types.ts'
import type { AgentEvent, ToolCallRecord } from './types.ts'
import { MAX_RECORD_DATA_CHARS } from './constants.ts'

export async function runToolCall (
  tools: ToolRunner,
  call: { id: string, tool: string, args: Record<string, unknown> },
  options: { signal?: AbortSignal, onEvent?: (e: AgentEvent) => void } = {}
): Promise<{ record: ToolCallRecord, text: string }> {
  options.onEvent?.({ type: 'tool:start', id: call.id, tool: call.tool, args: call.args })
  const started = performance.now()
  let record: ToolCallRecord
  let text = ''
  try {
    const result = await tools.run(call.tool, call.args, { signal: options.signal })
    text = result.text ?? ''
    record = {
      id: call.id,
      tool: call.tool,
      args: call.args,
      ok: result.ok,
      ms: Math.round(result.ms ?? performance.now() - started),
      exitCode: result.exitCode ?? null,
      ...(result.error != null ? { error: result.error } : {}),
      data: boundData(result.data),
      digest: result.ok ? digest(call.tool, result.data) : `error: ${result.error ?? 'failed'}`.slice(0, 160)
    }
  } catch (err: any) {
    // a ToolRunner must not throw; one that does still yields a record, not a crash
    record = { id: call.id, tool: call.tool, args: call.args, ok: false, ms: Math.round(performance.now() - started), exitCode: null, error: String(err?.message ?? err).slice(0, 300), data: null, digest: 'error: tool runner threw' }
  }
  options.onEvent?.({ type: 'tool:end', record })
  return { record, text }
}

/** Structured data as kept in results: bounded so one huge listing cannot swamp a report. */
function boundData (data: unknown): unknown {
  if (data == null) return null
  const json = JSON.stringify(data)
  if (json == null || json.length <= MAX_RECORD_DATA_CHARS) return data
  return { truncated: true, preview: json.slice(0, MAX_RECORD_DATA_CHARS) }
}

const pct = (n: number) => `${Math.round(n)}%`

/** One line saying what a tool found, for streaming output and report tables. */
export function digest (tool: string, data: any): string {
  try {
    switch (tool) {
      case 'disk_usage': {
        const mounts: any[] = data?.mounts ?? []
        const top = [...mounts].sort((a, b) => b.usedPercent - a.usedPercent).slice(0, 3)
        return `${mounts.length} mounts; fullest: ${top.map(m => `${m.mount} ${pct(m.usedPercent)}`).join(', ') || '-'}`
      }
      case 'memory':
        return `used ${pct(data.usedPercent)} of ${gib(data.totalBytes)}, available ${gib(data.availableBytes)}, swap used ${gib(data.swapUsedBytes)}`
      case 'system_load':
        return `load ${data.load1}/${data.load5}/${data.load15} on ${data.cpus} cpus (${Number(data.perCore5).toFixed(2)} per core over 5 min)`
      case 'failed_services':
        return data.failed.length === 0 ? `no failed services (${data.manager})` : `${data.failed.length} failed: ${data.failed.slice(0, 5).map((f: any) => f.name).join(', ')}`
      case 'service_status':
        return `${data.name}: ${data.found ? data.state : 'not found'}`
      case 'dns_check':
        return data.names.map((n: any) => `${n.name} ${n.system.ok ? 'ok' : (n.system.error ?? 'failed')}`).join(', ')
      case 'listening_ports':
        return `${data.ports.length} listening: ${data.ports.slice(0, 8).map((p: any) => `${p.proto}/${p.port}`).join(' ')}`
      case 'recent_errors':
        return `${data.count} errors since ${data.since}`
      case 'uptime':
        return data.seconds >= 86400 ? `up ${(data.seconds / 86400).toFixed(1)} days` : `up ${Math.floor(data.seconds / 3600)} h ${Math.floor(data.seconds % 3600 / 60)} min`
      case 'os_info':
        return `${data.hostname}: ${data.distro ?? data.platform} ${data.release} ${data.arch}`
      case 'top_processes':
        return data.processes.slice(0, 3).map((p: any) => `${p.command.split(/\s/)[0]} ${p.cpuPercent}%cpu`).join(', ')
      case 'network_interfaces':
        return data.interfaces.map((i: any) => `${i.name}${i.up ? '' : '(down)'}`).join(' ')
    }
  } catch {}
  const json = JSON.stringify(data) ?? 'null'
  return json.length > 120 ? json.slice(0, 117) + '...' : json
}

function gib (bytes: number): string {
  return `${(bytes / 1024 ** 3).toFixed(1)} GiB`
}
