/**
 * Processes and interfaces straight from /proc and /sys, for boxes without procps or
 * iproute2 (slim containers). The numbers follow ps: %cpu is CPU time over the
 * process's lifetime, rss in bytes, %mem is rss over MemTotal.
 */
import { ToolParseError } from '../errors.ts'
import type { TopProcessesData } from '../types.ts'

type Proc = TopProcessesData['processes'][number]

/** Clock ticks per second of /proc/PID/stat times; 100 on every mainstream Linux build. */
export const USER_HZ = 100

export interface ProcStat { pid: number, comm: string, cpuTicks: number, startTicks: number, rssPages: number }

/** /proc/PID/stat: the comm field is in parentheses and may hold spaces and ')'. */
export function parseProcStat (text: string): ProcStat {
  const open = text.indexOf('(')
  const close = text.lastIndexOf(')')
  if (open < 0 || close < open) throw new ToolParseError('/proc/PID/stat: no (comm)')
  const rest = text.slice(close + 2).trim().split(/\s+/)
  // rest[0] is field 3 (state): utime 14, stime 15, starttime 22, rss 24
  const field = (n: number) => Number(rest[n - 3])
  const stat = { pid: Number(text.slice(0, open).trim()), comm: text.slice(open + 1, close), cpuTicks: field(14) + field(15), startTicks: field(22), rssPages: field(24) }
  if (![stat.pid, stat.cpuTicks, stat.startTicks, stat.rssPages].every(Number.isFinite)) throw new ToolParseError('/proc/PID/stat: bad numbers')
  return stat
}

/** uid -> user name from /etc/passwd. */
export function parsePasswd (text: string): Map<number, string> {
  const out = new Map<number, string>()
  for (const row of text.split('\n')) {
    const f = row.split(':')
    if (f.length >= 3 && /^\d+$/.test(f[2])) out.set(Number(f[2]), f[0])
  }
  return out
}

export function procFromStat (stat: ProcStat, statusText: string, ctx: { uptimeSeconds: number, memTotalBytes: number, pageSize: number, users: Map<number, string> }): Proc {
  const uid = Number(/^Uid:\s+(\d+)/m.exec(statusText)?.[1])
  const rssKb = /^VmRSS:\s+(\d+) kB/m.exec(statusText)?.[1]
  const rssBytes = rssKb !== undefined ? Number(rssKb) * 1024 : stat.rssPages * ctx.pageSize
  const lifetime = ctx.uptimeSeconds - stat.startTicks / USER_HZ
  const cpuPercent = lifetime > 0 ? Math.round((stat.cpuTicks / USER_HZ) * 1000 / lifetime) / 10 : 0
  const proc: Proc = {
    pid: stat.pid,
    command: stat.comm,
    cpuPercent,
    memPercent: ctx.memTotalBytes > 0 ? Math.round(rssBytes * 1000 / ctx.memTotalBytes) / 10 : 0,
    rssBytes
  }
  if (Number.isInteger(uid)) proc.user = ctx.users.get(uid) ?? String(uid)
  return proc
}
