import type { Command, CommandIO } from '../command.ts'
import { parseFlags } from '../command.ts'
import { CliError, UsageError } from '../errors.ts'
import { formatBytes, json, table } from '../format.ts'
import { loadConfig } from '../../node/config.ts'
import { resolveHome } from '../../node/home.ts'
import { localToolRunner, toolNames, type ToolResult, type ToolsConfig } from '../../tools/index.ts'

/** The [tools] section as the peer would see it: defaults, the home's config.toml, env. */
export function loadToolsConfig (homeFlag: string | undefined, io: CommandIO): ToolsConfig {
  return loadConfig({ home: resolveHome(homeFlag, io.env), env: io.env }).tools
}

export const command: Command = {
  summary: 'run one diagnostic tool on this machine and print its result (no peer needed)',
  usage: 'tool NAME [--args JSON] [--json] [--raw] [--timeout MS] [--home DIR]',
  flags: `  --args JSON   the tool's arguments as a JSON object, e.g. --args '{"name":"ssh"}' (see \`swarm tools\`)
  --json        the whole result (ok, data, text, code, error) as one JSON object on stdout
  --raw         also print the command's raw output
  --timeout MS  give up after MS milliseconds (100-300000)
  --home DIR    read [tools] settings from this home's config.toml
Exit 0 ok, 1 the tool failed, 2 bad arguments or an unknown tool.`,
  async run (argv, io) {
    const { values, positionals } = parseFlags(argv, {
      args: { type: 'string' },
      json: { type: 'boolean' },
      raw: { type: 'boolean' },
      timeout: { type: 'string' },
      home: { type: 'string' }
    }, true)
    if (positionals.length !== 1) throw new UsageError(`expected one tool name (have: ${toolNames().join(', ')})`)
    const name = positionals[0]
    let args: unknown = {}
    if (values.args !== undefined) {
      try { args = JSON.parse(values.args) } catch { throw new UsageError('--args must be a JSON object, e.g. --args \'{"limit":5}\'') }
      if (args === null || typeof args !== 'object' || Array.isArray(args)) throw new UsageError('--args must be a JSON object')
    }
    const config = loadToolsConfig(values.home, io)
    if (values.timeout !== undefined) {
      const ms = Number(values.timeout)
      if (!Number.isInteger(ms) || ms < 100 || ms > 300_000) throw new UsageError('--timeout must be 100-300000 ms')
      config.timeoutMs = ms
    }
    const runner = localToolRunner(config)
    if (!runner.list().some(t => t.name === name)) {
      throw new CliError(`no tool '${name}' on this machine (have: ${runner.list().map(t => t.name).join(', ')})`, { code: 'ERR_TOOL_UNKNOWN', exitCode: 2 })
    }
    const ac = new AbortController()
    const onSignal = () => { ac.abort() }
    process.once('SIGINT', onSignal)
    let result: ToolResult
    try {
      result = await runner.run(name, args, { signal: ac.signal })
    } finally {
      process.off('SIGINT', onSignal)
    }
    const exitCode = result.ok ? 0 : result.code === 'ERR_TOOL_ARGS' ? 2 : 1
    if (values.json === true) {
      io.stdout(json(result))
      return exitCode
    }
    if (!result.ok) {
      // the runner's message already starts with the tool name; say it once
      const error = (result.error ?? 'failed').replace(new RegExp(`^${name}: `), '')
      io.stderr(`swarm tool ${name}: ${error} [${result.code ?? 'ERR_TOOL'}]\n`)
      if (values.raw === true && result.text.length > 0) io.stdout(result.text.endsWith('\n') ? result.text : `${result.text}\n`)
      return exitCode
    }
    io.stdout(render(name, result.data))
    const notes = [`${result.ms} ms`, result.truncated === true ? 'raw text truncated' : '', result.dataTruncated === true ? 'list truncated' : ''].filter(Boolean)
    io.stdout(`(${notes.join(', ')})\n`)
    if (values.raw === true) io.stdout(`\n${result.text}${result.text.endsWith('\n') ? '' : '\n'}`)
    return 0
  }
}

const pct = (n: number) => `${n}%`

/** People get a table for list-shaped data and key: value lines otherwise; scripts use --json. */
function render (name: string, data: any): string {
  switch (name) {
    case 'disk_usage':
      return table(data.mounts.map((m: any) => ({
        mount: m.mount, type: m.type, size: formatBytes(m.sizeBytes), used: formatBytes(m.usedBytes), avail: formatBytes(m.availableBytes),
        use: pct(m.usedPercent), inodes: m.inodesUsedPercent !== undefined ? pct(m.inodesUsedPercent) : undefined,
        apfs: m.container !== undefined ? `${m.container}/${m.role ?? '?'}` : undefined, filesystem: m.filesystem
      })), ['mount', 'type', 'size', 'used', 'avail', 'use', 'inodes', 'apfs', 'filesystem'])
    case 'listening_ports':
      return table(data.ports, ['proto', 'address', 'port', 'process', 'pid'])
    case 'top_processes':
      return table(data.processes.map((p: any) => ({ ...p, rss: formatBytes(p.rssBytes), cpu: p.cpuPercent, mem: p.memPercent })), ['pid', 'user', 'cpu', 'mem', 'rss', 'command'])
    case 'failed_services':
      return `manager: ${data.manager}\n` + (data.failed.length === 0 ? 'no failed units\n' : table(data.failed, ['name', 'state', 'description']))
    case 'network_interfaces':
      return table(data.interfaces.map((i: any) => ({ ...i, state: i.up ? 'up' : 'down', addresses: i.addresses.map((a: any) => a.cidr) })), ['name', 'state', 'mtu', 'mac', 'addresses'])
    case 'recent_errors':
      return `errors since ${data.since}: ${data.count}\n` + data.entries.map((e: any) => `${e.time} ${e.unit ?? '-'}: ${e.message}\n`).join('')
    case 'dns_check': {
      const rows: Array<Record<string, unknown>> = []
      for (const n of data.names) {
        rows.push({ name: n.name, via: 'system', answer: n.system.ok ? n.system.addresses : n.system.error, ms: n.system.ms })
        for (const s of n.servers) rows.push({ name: n.name, via: s.server, answer: s.ok ? s.addresses : s.error, ms: s.ms })
      }
      return `resolvers: ${data.resolvers.join(', ') || '(none configured)'}\n` + table(rows, ['name', 'via', 'answer', 'ms'])
    }
    case 'memory':
      return `total: ${formatBytes(data.totalBytes)}\navailable: ${formatBytes(data.availableBytes)}\nused: ${pct(data.usedPercent)}\nswap: ${formatBytes(data.swapUsedBytes)} of ${formatBytes(data.swapTotalBytes)}\n`
    default:
      return Object.entries(data ?? {}).map(([k, v]) => `${k}: ${Array.isArray(v) ? (v.length === 0 ? '(none)' : v.join('\n  ')) : String(v)}\n`).join('')
  }
}
