/**
 * Readings for Linux boxes that lack procps (`ps`) or iproute2 (`ip`, `ss`), as slim
 * container images do: the same facts from /proc and /sys. Used only when the program
 * is missing, and the raw text says so.
 */
import { networkInterfaces as nodeInterfaces } from 'node:os'
import type { ToolContext } from '../tool.ts'
import type { NetworkInterfacesData, TopProcessesData } from '../types.ts'
import { ProgramFailedError, ProgramMissingError, ToolParseError } from '../errors.ts'
import { parseMeminfo } from '../parsers/memory.ts'
import { parsePasswd, parseProcStat, procFromStat } from '../parsers/procfs.ts'

type Proc = TopProcessesData['processes'][number]
type Iface = NetworkInterfacesData['interfaces'][number]

/**
 * Runs `primary`; if its program is not installed, or is a variant that rejects our
 * flags or prints something else (busybox ps, iproute2 without -j), notes why and runs
 * `fallback`. A timeout or an abort is not retried: the box is slow, not different.
 */
export async function orFallback<T> (ctx: ToolContext, primary: () => Promise<T>, fallback: () => Promise<T>): Promise<T> {
  try {
    return await primary()
  } catch (err) {
    if (!(err instanceof ProgramMissingError || err instanceof ProgramFailedError || err instanceof ToolParseError)) throw err
    ctx.note(`${err.message}: reading /proc and /sys instead`)
    return await fallback()
  }
}

/** Every process from /proc/PID/{stat,status}; processes that exit meanwhile are skipped. */
export async function processesFromProc (ctx: ToolContext): Promise<Proc[]> {
  // fractional seconds: a young process's share depends on them
  const uptimeSeconds = Number.parseFloat(await ctx.read('/proc/uptime', { quiet: true }))
  if (!Number.isFinite(uptimeSeconds)) throw new ToolParseError('/proc/uptime: not a number')
  const memTotalBytes = parseMeminfo(await ctx.read('/proc/meminfo', { quiet: true })).get('MemTotal') ?? 0
  let users = new Map<number, string>()
  try { users = parsePasswd(await ctx.read('/etc/passwd', { quiet: true })) } catch { /* numeric uids then */ }
  const pids = (await ctx.list('/proc')).filter(n => /^\d+$/.test(n))
  const procs: Proc[] = []
  for (const pid of pids) {
    try {
      const stat = parseProcStat(await ctx.read(`/proc/${pid}/stat`, { quiet: true }))
      const status = await ctx.read(`/proc/${pid}/status`, { quiet: true })
      procs.push(procFromStat(stat, status, { uptimeSeconds, memTotalBytes, pageSize: 4096, users }))
    } catch { /* gone between the listing and the read */ }
  }
  ctx.note(`read ${procs.length} processes from /proc`)
  return procs
}

const IFF_UP = 0x1
const ARPHRD_LOOPBACK = '772'

/** Interfaces from /sys/class/net, addresses from the kernel via Node. */
export async function interfacesFromSys (ctx: ToolContext): Promise<Iface[]> {
  const addrs = nodeInterfaces()
  const names = await ctx.list('/sys/class/net')
  const out: Iface[] = []
  for (const name of names.sort()) {
    const read = async (f: string) => { try { return (await ctx.read(`/sys/class/net/${name}/${f}`, { quiet: true })).trim() } catch { return undefined } }
    const flags = Number.parseInt(await read('flags') ?? '0', 16)
    const iface: Iface = {
      name,
      up: (flags & IFF_UP) !== 0,
      addresses: (addrs[name] ?? []).map(a => ({ family: a.family === 'IPv4' ? 'ipv4' as const : 'ipv6' as const, address: a.address, cidr: a.cidr ?? `${a.address}` }))
    }
    const mtu = Number(await read('mtu'))
    if (Number.isInteger(mtu) && mtu > 0) iface.mtu = mtu
    const mac = await read('address')
    if (mac !== undefined && mac.length > 0 && await read('type') !== ARPHRD_LOOPBACK) iface.mac = mac
    out.push(iface)
  }
  ctx.note(`read ${out.length} interfaces from /sys/class/net`)
  return out
}
