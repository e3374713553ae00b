/**
 * CPU profiles of the peers (`--profile`): each peer runs with NODE_OPTIONS=--cpu-prof,
 * is stopped with SIGTERM so Node writes its .cpuprofile, and the profiles are summed
 * by where the time went (a package under node_modules, a file of ours, node internals,
 * GC, idle), so the swarm's own cost can be named with a measurement.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

interface ProfileNode { id: number, callFrame: { functionName: string, url: string }, children?: number[] }
interface CpuProfile { nodes: ProfileNode[], samples: number[], timeDeltas: number[], startTime: number, endTime: number }

export interface ProfileSummary {
  files: number
  /** total sampled time over all profiles, ms */
  totalMs: number
  /** self time by area, ms, largest first (idle and program excluded from busyMs) */
  byArea: Array<{ area: string, ms: number, percentOfBusy: number }>
  /** self time by function, largest first */
  byFunction: Array<{ fn: string, ms: number }>
  busyMs: number
}

/** Where a frame's code lives, coarse enough to read: "pkg:@libp2p/gossipsub", "src/node/jobs/store.ts", "node:internal". */
export function areaOf (url: string, functionName: string): string {
  if (url === '') {
    if (functionName === '(idle)') return '(idle)'
    if (functionName === '(garbage collector)') return '(gc)'
    if (functionName === '(program)') return '(program)'
    return '(native)'
  }
  const nm = url.lastIndexOf('node_modules/')
  if (nm !== -1) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/')
    return `pkg:${rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]}`
  }
  const src = url.indexOf('/src/')
  if (src !== -1) return url.slice(src + 1).replace(/\?.*$/, '')
  if (url.startsWith('node:')) return url.startsWith('node:internal') ? 'node:internal' : url
  return url.replace(/^file:\/\//, '')
}

/**
 * Sums the profiles in `dir`. With `window` (wall-clock ms) and `exitAt` (pid -> wall time
 * the process exited, which is when its profile ends), only samples inside the window count.
 */
export function summarizeProfiles (dir: string, options: { top?: number, window?: [number, number], exitAt?: Map<number, number> } = {}): ProfileSummary {
  const top = options.top ?? 15
  const files = readdirSync(dir).filter(f => f.endsWith('.cpuprofile'))
  const areas = new Map<string, number>()
  const fns = new Map<string, number>()
  let totalMs = 0
  for (const f of files) {
    let p: CpuProfile
    try { p = JSON.parse(readFileSync(join(dir, f), 'utf8')) } catch { continue }
    const byId = new Map(p.nodes.map(n => [n.id, n]))
    const self = new Map<number, number>()
    // CPU.<date>.<time>.<pid>.<tid>.<seq>.cpuprofile
    const pid = Number(f.split('.')[3])
    const exit = options.exitAt?.get(pid)
    let t = p.startTime
    p.samples.forEach((id, i) => {
      t += p.timeDeltas[i] ?? 0
      if (options.window != null && exit != null) {
        const wall = exit - (p.endTime - t) / 1000
        if (wall < options.window[0] || wall > options.window[1]) return
      }
      self.set(id, (self.get(id) ?? 0) + (p.timeDeltas[i] ?? 0) / 1000)
    })
    for (const [id, ms] of self) {
      const n = byId.get(id)
      if (n == null) continue
      totalMs += ms
      const area = areaOf(n.callFrame.url, n.callFrame.functionName)
      areas.set(area, (areas.get(area) ?? 0) + ms)
      if (!area.startsWith('(')) {
        const fn = `${n.callFrame.functionName || '(anonymous)'} ${area}`
        fns.set(fn, (fns.get(fn) ?? 0) + ms)
      }
    }
  }
  const busyMs = [...areas].filter(([a]) => a !== '(idle)' && a !== '(program)').reduce((s, [, ms]) => s + ms, 0)
  const sorted = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1])
  return {
    files: files.length,
    totalMs: Math.round(totalMs),
    busyMs: Math.round(busyMs),
    byArea: sorted(areas).filter(([a]) => a !== '(idle)').slice(0, top).map(([area, ms]) => ({ area, ms: Math.round(ms), percentOfBusy: busyMs > 0 ? Math.round(1000 * ms / busyMs) / 10 : 0 })),
    byFunction: sorted(fns).slice(0, top).map(([fn, ms]) => ({ fn, ms: Math.round(ms) }))
  }
}
