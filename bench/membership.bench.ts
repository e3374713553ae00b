/**
 * Membership benchmark: real peers in network namespaces (root needed), for 3 and 10
 * peers, several runs each. Prints median and spread (min..max) of:
 *   spawn    time from spawning `swarm start` to its start line (loading the code, libp2p up)
 *   join     time from spawning `swarm start` (and from its start line) to being listed
 *            alive by every peer already running; peers boot one after another
 *   dead     time from SIGKILL of one peer to every other peer listing it dead
 *   rss      idle resident memory per peer process
 *   cpu      idle CPU per peer process (% of one core)
 *   wire     bytes/s each peer sends on its interface at idle (gossip, pings, mDNS)
 *   gossip   presence payload bytes/s each peer publishes at idle
 * Usage: npm run bench -- membership [--runs=N] [--sizes=3,10] [--idle=SECONDS]
 */
import { readFileSync } from 'node:fs'
import { loadavg } from 'node:os'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { createLab, labSupport, type Lab, type LabPeer } from '../test/helpers/netlab.ts'
import { callControl } from '../src/node/control-client.ts'
import type { PeerRow } from '../src/node/peer.ts'

const run = promisify(execFile)
const arg = (name: string, def: string) => process.argv.find(a => a.startsWith(`--${name}=`))?.split('=')[1] ?? def
const RUNS = Number(arg('runs', '3'))
const SIZES = arg('sizes', '3,10').split(',').map(Number)
const IDLE_S = Number(arg('idle', '10'))
const CLK_TCK = 100

const support = labSupport()
if (!support.ok) {
  console.error(`bench membership: ${support.reason}`)
  process.exit(1)
}

async function views (peers: LabPeer[]): Promise<PeerRow[][]> {
  return await Promise.all(peers.map(async p => await p.peers().catch(() => [] as PeerRow[])))
}

function cpuTicks (pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return Number(fields[11]) + Number(fields[12]) // utime + stime
}

function rssBytes (pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return Number(m?.[1] ?? 0) * 1024
}

async function txBytes (ns: string): Promise<number> {
  const { stdout } = await run('ip', ['-n', ns, '-s', '-j', 'link', 'show', 'eth0'])
  return Number(JSON.parse(stdout)[0].stats64.tx.bytes)
}

async function presenceBytesSent (p: LabPeer): Promise<number> {
  const status = await callControl(p.home, 'status')
  return status.presence.bytesSent as number
}

interface RunFigures { load: number[], spawn: number[], join: number[], joinStarted: number[], dead: number[], rss: number[], cpu: number[], wire: number[], gossip: number[], conns: number[] }

async function oneRun (n: number): Promise<RunFigures> {
  const lab: Lab = await createLab()
  try {
    // peers boot one after another, as boxes do; each one's join is timed against the
    // peers already running, so n processes loading code at once do not skew the figure
    const peers: LabPeer[] = []
    const join: number[] = []
    const joinStarted: number[] = []
    for (let i = 0; i < n; i++) {
      const p = await lab.addPeer({ name: `n${i}` })
      const observers = [...peers]
      peers.push(p)
      if (observers.length === 0) continue
      await lab.waitFor(async () => (await views(observers)).every(rows => rows.some(r => r.peerId === p.peerId && r.state === 'alive')), { timeoutMs: 60_000, intervalMs: 25 })
      join.push(Date.now() - p.spawnedAt)
      joinStarted.push(Date.now() - p.startedAt)
    }
    // and the swarm as a whole converges: every peer lists all n alive
    await lab.waitFor(async () => (await views(peers)).every(rows => rows.filter(r => r.state === 'alive').length === n), { timeoutMs: 60_000, intervalMs: 100 })
    const spawn = peers.map(p => p.startedAt - p.spawnedAt)

    // idle window
    await new Promise(r => setTimeout(r, 2000))
    const t0 = Date.now()
    const cpu0 = peers.map(p => cpuTicks(p.pid!))
    const tx0 = await Promise.all(peers.map(async p => await txBytes(p.ns)))
    const g0 = await Promise.all(peers.map(presenceBytesSent))
    await new Promise(r => setTimeout(r, IDLE_S * 1000))
    const secs = (Date.now() - t0) / 1000
    const cpu = peers.map((p, i) => (cpuTicks(p.pid!) - cpu0[i]) / CLK_TCK / secs * 100)
    const wire = (await Promise.all(peers.map(async p => await txBytes(p.ns)))).map((v, i) => (v - tx0[i]) / secs)
    const gossip = (await Promise.all(peers.map(presenceBytesSent))).map((v, i) => (v - g0[i]) / secs)
    const rss = peers.map(p => rssBytes(p.pid!))
    const conns = await Promise.all(peers.map(async p => (await callControl(p.home, 'status')).connections as number))

    // dead: SIGKILL the last peer
    const victim = peers[n - 1]
    const others = peers.slice(0, -1)
    const k0 = Date.now()
    await victim.kill('SIGKILL')
    await lab.waitFor(async () => (await views(others)).every(rows => rows.some(r => r.peerId === victim.peerId && r.state === 'dead')), { timeoutMs: 30_000, intervalMs: 50 })
    const dead = [Date.now() - k0]
    return { load: [loadavg()[0]], spawn, join, joinStarted, dead, rss, cpu, wire, gossip, conns }
  } finally {
    await lab.destroy()
  }
}

function summary (values: number[], fmt: (v: number) => string): string {
  const s = [...values].sort((x, y) => x - y)
  const median = s.length % 2 === 1 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
  return `${fmt(median).padStart(10)}   (${fmt(s[0])} .. ${fmt(s[s.length - 1])}, n=${s.length})`
}

const ms = (v: number) => `${Math.round(v)} ms`
const mib = (v: number) => `${(v / 1048576).toFixed(1)} MiB`
const pct = (v: number) => `${v.toFixed(1)} %`
const bps = (v: number) => `${Math.round(v)} B/s`

for (const n of SIZES) {
  const all: RunFigures = { load: [], spawn: [], join: [], joinStarted: [], dead: [], rss: [], cpu: [], wire: [], gossip: [], conns: [] }
  for (let r = 0; r < RUNS; r++) {
    const f = await oneRun(n)
    for (const k of Object.keys(all) as Array<keyof RunFigures>) all[k].push(...f[k])
    process.stdout.write(`  ${n} peers, run ${r + 1}/${RUNS}: join median ${ms(f.join.sort((x, y) => x - y)[Math.floor(f.join.length / 2)])}, dead ${ms(f.dead[0])}\n`)
  }
  console.log(`\n${n} peers, ${RUNS} runs, idle window ${IDLE_S} s: median (min .. max)`)
  console.log(`  spawn -> peer started          ${summary(all.spawn, ms)}`)
  console.log(`  join (spawn -> listed by all)  ${summary(all.join, ms)}`)
  console.log(`  join (started -> listed by all)${summary(all.joinStarted, ms)}`)
  console.log(`  machine load (1 min avg)       ${summary(all.load, (v) => v.toFixed(1))}`)
  console.log(`  dead (SIGKILL -> dead at all)  ${summary(all.dead, ms)}`)
  console.log(`  idle RSS per peer              ${summary(all.rss, mib)}`)
  console.log(`  idle CPU per peer              ${summary(all.cpu, pct)}`)
  console.log(`  wire tx per peer               ${summary(all.wire, bps)}`)
  console.log(`  presence payload per peer      ${summary(all.gossip, bps)}`)
  console.log(`  connections per peer           ${summary(all.conns, (v) => String(v))}`)
}
