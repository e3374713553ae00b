/**
 * Resource figures of running peers, read from /proc (RSS, CPU time) and from the
 * bridge side of each peer's veth (bytes in and out: gossip, pings, mDNS), so nothing in
 * the peer has to cooperate.
 */
import { readFileSync } from 'node:fs'
import type { Lab, LabPeer } from '../../test/helpers/netlab.ts'

const CLK_TCK = 100

/** Resident memory of a process, bytes (0 when it is gone). */
export function rssBytes (pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return m != null ? Number(m[1]) * 1024 : 0
  } catch { return 0 }
}

/** User + system CPU time of a process, ms. */
export function cpuMs (pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    // fields[11], [12] are utime, stime (the 14th and 15th of the full line)
    return (Number(fields[11]) + Number(fields[12])) * 1000 / CLK_TCK
  } catch { return 0 }
}

/** Bytes through a peer's link (both directions), read on the bridge side. */
export async function linkBytes (lab: Lab, peer: LabPeer): Promise<number> {
  const dev = `v${lab.id}p${peer.index}`
  const out = await lab.exec(lab.bridgeNs, ['cat', `/sys/class/net/${dev}/statistics/rx_bytes`, `/sys/class/net/${dev}/statistics/tx_bytes`])
  return out.trim().split(/\s+/).map(Number).reduce((a, b) => a + b, 0)
}

export interface IdleSample { rssMiB: number, cpuPercent: number, bytesPerSec: number }

/** Samples every peer over `ms` of idleness: RSS at the end, CPU share of one core, link bytes/s. */
export async function sampleIdle (lab: Lab, peers: LabPeer[], ms: number): Promise<IdleSample[]> {
  // each counter gets its own clock: reading 40 veths through `ip netns exec` takes a while
  const bytes0 = await Promise.all(peers.map(async p => await linkBytes(lab, p)))
  const b0 = Date.now()
  const cpu0 = peers.map(p => cpuMs(p.pid!))
  const c0 = Date.now()
  await new Promise(r => setTimeout(r, ms))
  const cpu1 = peers.map(p => cpuMs(p.pid!))
  const c1 = Date.now()
  const bytes1 = await Promise.all(peers.map(async p => await linkBytes(lab, p)))
  const b1 = Date.now()
  return peers.map((p, i) => ({
    rssMiB: rssBytes(p.pid!) / 2 ** 20,
    cpuPercent: 100 * (cpu1[i] - cpu0[i]) / (c1 - c0),
    bytesPerSec: (bytes1[i] - bytes0[i]) * 1000 / (b1 - b0)
  }))
}
