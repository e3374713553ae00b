/** Memory parsers: Linux /proc/meminfo; macOS `vm_stat`, `sysctl -n hw.memsize`, `sysctl vm.swapusage`. */
import { ToolParseError } from '../errors.ts'
import type { MemoryData } from '../types.ts'
import { int, lines, round } from './util.ts'

/** /proc/meminfo as key -> bytes (values are in kB, i.e. KiB). */
export function parseMeminfo (text: string): Map<string, number> {
  const out = new Map<string, number>()
  for (const row of lines(text)) {
    const m = /^([\w()]+):\s+(\d+)(?:\s+kB)?$/.exec(row.trim())
    if (m === null) continue
    out.set(m[1], /kB$/.test(row.trim()) ? Number(m[2]) * 1024 : Number(m[2]))
  }
  return out
}

export function memoryFromMeminfo (text: string): MemoryData {
  const info = parseMeminfo(text)
  const total = info.get('MemTotal')
  if (total === undefined || total === 0) throw new ToolParseError('meminfo: no MemTotal')
  // MemAvailable is the kernel's own estimate (since 3.14); older kernels: free + cache
  const available = info.get('MemAvailable') ??
    (info.get('MemFree') ?? 0) + (info.get('Buffers') ?? 0) + (info.get('Cached') ?? 0)
  const swapTotal = info.get('SwapTotal') ?? 0
  const swapFree = info.get('SwapFree') ?? 0
  return {
    totalBytes: total,
    availableBytes: available,
    usedPercent: round(((total - available) * 100) / total, 1),
    swapTotalBytes: swapTotal,
    swapUsedBytes: Math.max(0, swapTotal - swapFree)
  }
}

/** `vm_stat`: page size and page counts by label. */
export function parseVmStat (text: string): { pageSize: number, pages: Map<string, number> } {
  const rows = lines(text)
  const head = /page size of (\d+) bytes/.exec(rows[0] ?? '')
  if (head === null) throw new ToolParseError('vm_stat: missing "page size of N bytes" header')
  const pages = new Map<string, number>()
  for (const row of rows.slice(1)) {
    const m = /^"?([^":]+)"?:\s+(\d+)\.?$/.exec(row.trim())
    if (m !== null) pages.set(m[1].trim(), Number(m[2]))
  }
  return { pageSize: int(head[1], 'page size'), pages }
}

/** `sysctl vm.swapusage`: `vm.swapusage: total = 2048.00M  used = 1034.25M  free = 1013.75M  (encrypted)`. */
export function parseSwapUsage (text: string): { totalBytes: number, usedBytes: number } {
  const unit = (n: string, u: string) => Math.round(Number(n) * ({ K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 }[u] ?? 1))
  const total = /total = ([\d.]+)([KMGT])/.exec(text)
  const used = /used = ([\d.]+)([KMGT])/.exec(text)
  if (total === null || used === null) throw new ToolParseError('vm.swapusage: expected "total = ... used = ..."')
  return { totalBytes: unit(total[1], total[2]), usedBytes: unit(used[1], used[2]) }
}

/**
 * macOS has no MemAvailable; the nearest honest reading is pages the kernel can hand out
 * without swapping: free + inactive + speculative + purgeable. Wired, active and
 * compressor pages count as used.
 */
export function memoryFromDarwin (memsizeText: string, vmStatText: string, swapText: string): MemoryData {
  const total = int(memsizeText.trim(), 'hw.memsize')
  const { pageSize, pages } = parseVmStat(vmStatText)
  const free = pages.get('Pages free')
  if (free === undefined) throw new ToolParseError('vm_stat: no "Pages free"')
  const available = Math.min(total, pageSize * (free + (pages.get('Pages inactive') ?? 0) + (pages.get('Pages speculative') ?? 0) + (pages.get('Pages purgeable') ?? 0)))
  const swap = parseSwapUsage(swapText)
  return {
    totalBytes: total,
    availableBytes: available,
    usedPercent: round(((total - available) * 100) / total, 1),
    swapTotalBytes: swap.totalBytes,
    swapUsedBytes: swap.usedBytes
  }
}
