/** Process and OS parsers: `ps -A -o pid=,user=,%cpu=,%mem=,rss=,comm=`, /etc/os-release, `sw_vers`. */
import { ToolParseError } from '../errors.ts'
import type { TopProcessesData } from '../types.ts'
import { int, lines, num, splitFields } from './util.ts'

type Proc = TopProcessesData['processes'][number]

/** ps with empty headers; comm is last so a name with spaces stays whole. rss is KiB. */
export function parsePs (text: string): Proc[] {
  return lines(text).map(row => {
    const split = splitFields(row, 5)
    if (split === null || split.rest.length === 0) throw new ToolParseError(`ps: cannot read line '${row}'`)
    const [pid, user, cpu, mem, rss] = split.fields
    return { pid: int(pid, 'pid'), user, command: split.rest.trim(), cpuPercent: num(cpu, '%cpu'), memPercent: num(mem, '%mem'), rssBytes: int(rss, 'rss') * 1024 }
  })
}

export function topProcesses (procs: Proc[], by: 'cpu' | 'memory', limit: number, selfPid?: number): Proc[] {
  const key = by === 'cpu' ? (p: Proc) => p.cpuPercent : (p: Proc) => p.rssBytes
  return procs
    .filter(p => p.pid !== selfPid) // the ps we ran is not news
    .sort((a, b) => key(b) - key(a) || a.pid - b.pid)
    .slice(0, limit)
}

/** /etc/os-release KEY=value (values may be quoted). */
export function parseOsRelease (text: string): Map<string, string> {
  const out = new Map<string, string>()
  for (const row of lines(text)) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(row.trim())
    if (m !== null) out.set(m[1], m[2].replace(/^(["'])(.*)\1$/, '$2'))
  }
  return out
}

/** `sw_vers`: "ProductName:\tmacOS" lines. */
export function parseSwVers (text: string): { name: string, version: string, build?: string } {
  const kv = new Map<string, string>()
  for (const row of lines(text)) {
    const m = /^(\w+):\s*(.*)$/.exec(row.trim())
    if (m !== null) kv.set(m[1], m[2])
  }
  const name = kv.get('ProductName')
  const version = kv.get('ProductVersion')
  if (name === undefined || version === undefined) throw new ToolParseError('sw_vers: no ProductName/ProductVersion')
  return { name, version, build: kv.get('BuildVersion') }
}
