/** Load and uptime parsers: Linux /proc/loadavg and /proc/uptime; macOS `sysctl -n vm.loadavg` and kern.boottime. */
import { ToolParseError } from '../errors.ts'
import type { SystemLoadData, UptimeData } from '../types.ts'
import { num, round } from './util.ts'

export function parseLoadavg (text: string): [number, number, number] {
  // Linux: "0.21 0.15 0.06 1/89 4277"; macOS: "{ 1.62 1.85 1.93 }"
  const m = /^\s*\{?\s*([\d.]+)\s+([\d.]+)\s+([\d.]+)/.exec(text)
  if (m === null) throw new ToolParseError('loadavg: expected three numbers')
  return [num(m[1], 'load1'), num(m[2], 'load5'), num(m[3], 'load15')]
}

export function systemLoad (loads: [number, number, number], cpus: number): SystemLoadData {
  if (!Number.isInteger(cpus) || cpus < 1) throw new ToolParseError(`cpu count must be >= 1, got ${cpus}`)
  const [load1, load5, load15] = loads
  return { load1, load5, load15, cpus, perCore1: round(load1 / cpus), perCore5: round(load5 / cpus), perCore15: round(load15 / cpus) }
}

/** /proc/uptime: "1262.76 2457.82" (seconds up, idle seconds summed over cpus). */
export function uptimeFromProc (text: string, now: number = Date.now()): UptimeData {
  const m = /^\s*([\d.]+)\s/.exec(text)
  if (m === null) throw new ToolParseError('uptime: expected seconds')
  const seconds = Math.floor(num(m[1], 'uptime'))
  return { seconds, bootTime: new Date(now - seconds * 1000).toISOString() }
}

/** `sysctl -n kern.boottime`: "{ sec = 1763800000, usec = 123456 } Sat Nov 22 ..." */
export function uptimeFromBoottime (text: string, now: number = Date.now()): UptimeData {
  const m = /sec = (\d+)/.exec(text)
  if (m === null) throw new ToolParseError('kern.boottime: expected "sec = N"')
  const boot = Number(m[1]) * 1000
  return { seconds: Math.max(0, Math.floor((now - boot) / 1000)), bootTime: new Date(boot).toISOString() }
}
