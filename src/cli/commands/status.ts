import type { Command } from '../command.ts'
import { parseFlags } from '../command.ts'
import { json, table, formatMs } from '../format.ts'
import { resolveHome } from '../../node/home.ts'
import { callControl } from '../../node/control-client.ts'
import { ControlCallError } from '../../node/errors.ts'
import type { PeerStats } from '../../node/peer.ts'
import type { JobsStatus } from '../../node/jobs/control.ts'

/** What the peer's own `status` control method answers (src/node/peer.ts). */
interface PeerStatusAnswer extends PeerStats {
  peerId: string
  name: string
  home: string
  version: string
  pid: number
  addresses: string[]
  members: { alive: number, suspect: number, dead: number }
}

/** The one object `swarm status --json` prints. */
export interface StatusReport {
  peer: { name: string, peerId: string, version: string, pid: number, home: string, uptimeMs: number, addresses: string[], connections: number }
  /** members by state, this peer included */
  members: { alive: number, suspect: number, dead: number, total: number }
  /** null when the peer runs without the jobs service (nothing to think or run with) */
  brain: string | null
  endpoints: JobsStatus['endpoints']
  tasks: JobsStatus['tasks'] | null
  jobs: JobsStatus['jobs'] | null
  /** messages dropped at the edge, by layer and reason */
  drops: {
    jobs: JobsStatus['drops'] | null
    presence: { total: number, reasons: Record<string, number> }
    control: { total: number }
  }
}

/** `swarm status`: what a sysadmin asks a box first, from the local peer's control socket. */
export const command: Command = {
  summary: 'this peer at a glance: identity, uptime, members, inference endpoints, tasks, jobs, drops',
  usage: 'status [--home DIR] [--json]',
  flags: `  --home DIR   the home of the running peer to ask (default $SWARM_HOME, else ~/.swarm)
  --json       one JSON object on stdout (peer, members, brain, endpoints, tasks, jobs, drops)`,
  async run (argv, io) {
    const { values } = parseFlags(argv, { home: { type: 'string' }, json: { type: 'boolean' } })
    const home = resolveHome(values.home, io.env)
    // the peer's own status first: with no peer running this is the one-line error of `swarm peers`
    const peer = await callControl<PeerStatusAnswer>(home, 'status')
    const jobs = await callControl<JobsStatus>(home, 'jobs.status').catch((err: unknown) => {
      // a peer without the jobs service (or an older one) still has a status worth showing
      if (err instanceof ControlCallError && err.code === 'ERR_UNKNOWN_METHOD') return null
      throw err
    })
    const report = compose(peer, jobs)
    io.stdout(values.json === true ? json(report) : render(report))
    return 0
  }
}

function compose (peer: PeerStatusAnswer, jobs: JobsStatus | null): StatusReport {
  const m = peer.members
  return {
    peer: { name: peer.name, peerId: peer.peerId, version: peer.version, pid: peer.pid, home: peer.home, uptimeMs: peer.uptimeMs, addresses: peer.addresses, connections: peer.connections },
    members: { alive: m.alive, suspect: m.suspect, dead: m.dead, total: m.alive + m.suspect + m.dead },
    brain: jobs?.brain ?? null,
    endpoints: jobs?.endpoints ?? [],
    tasks: jobs?.tasks ?? null,
    jobs: jobs?.jobs ?? null,
    drops: {
      jobs: jobs?.drops ?? null,
      presence: { total: peer.presence.dropped, reasons: peer.presence.dropReasons },
      control: { total: peer.control.badRequests }
    }
  }
}

/** A few short sections, label on the left, as `systemctl status` reads. */
function render (s: StatusReport): string {
  const out: string[] = []
  const row = (label: string, value: string) => { out.push(`${label.padEnd(10)} ${value}`) }
  row('peer', `${s.peer.name} ${s.peer.peerId}`)
  row('version', `${s.peer.version}, pid ${s.peer.pid}, up ${formatUptime(s.peer.uptimeMs)}`)
  row('home', s.peer.home)
  s.peer.addresses.forEach((a, i) => { row(i === 0 ? 'listening' : '', a) })
  if (s.peer.addresses.length === 0) row('listening', 'nowhere')
  row('members', `${s.members.alive} alive, ${s.members.suspect} suspect, ${s.members.dead} dead (${s.peer.connections} connections)`)
  if (s.tasks != null) row('tasks', `${s.tasks.running} running of ${s.tasks.slots} slots`)
  if (s.jobs != null) {
    const j = s.jobs
    row('jobs', `${j.known} known: ${j.running} running, ${j.ended} ended (${j.completed} completed, ${j.partial} partial, ${j.failed} failed)`)
    if (j.coordinating.length > 0) row('leading', j.coordinating.join(', '))
  }
  if (s.brain != null) row('brain', s.brain)
  if (s.endpoints.length > 0) {
    out.push('', 'inference endpoints')
    const rows = s.endpoints.map(e => ({
      url: e.url,
      model: e.model,
      from: e.source === 'peer' && e.peerId != null ? `peer ${e.peerId.slice(-8)}` : e.source,
      'in-flight': e.inFlight,
      requests: e.requests,
      failures: e.failures,
      latency: e.avgLatencyMs != null ? formatMs(e.avgLatencyMs) : null,
      state: e.cooling && e.coolingDownUntil != null ? `cooling ${formatMs(Math.max(0, e.coolingDownUntil - Date.now()))}` : 'ready'
    }))
    out.push(table(rows, ['url', 'model', 'from', 'in-flight', 'requests', 'failures', 'latency', 'state']).trimEnd())
  }
  out.push('', 'dropped messages')
  const reasons = (r: Record<string, number>) => {
    const parts = Object.entries(r).filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n}`)
    return parts.length > 0 ? ` (${parts.join(', ')})` : ''
  }
  if (s.drops.jobs != null) row('  jobs', `${s.drops.jobs.total}${reasons(s.drops.jobs.reasons)}`)
  row('  presence', `${s.drops.presence.total}${reasons(s.drops.presence.reasons)}`)
  row('  control', String(s.drops.control.total))
  return out.join('\n') + '\n'
}

/** 42 s, 5m 07s, 3h 12m, 4d 02h: uptimes read at a glance, not in milliseconds. */
export function formatUptime (ms: number): string {
  const s = Math.floor(ms / 1000)
  if (s < 60) return `${s} s`
  const pad = (n: number) => String(n).padStart(2, '0')
  if (s < 3600) return `${Math.floor(s / 60)}m ${pad(s % 60)}s`
  if (s < 86_400) return `${Math.floor(s / 3600)}h ${pad(Math.floor(s / 60) % 60)}m`
  return `${Math.floor(s / 86_400)}d ${pad(Math.floor(s / 3600) % 24)}h`
}
