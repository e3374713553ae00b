import type { Command } from '../command.ts'
import { parseFlags } from '../command.ts'
import { json, table, formatMs } from '../format.ts'
import { resolveHome } from '../../node/home.ts'
import { callControl } from '../../node/control-client.ts'
import type { PeerRow } from '../../node/peer.ts'

export const command: Command = {
  summary: 'list the swarm\'s members as the local peer sees them',
  usage: 'peers [--home DIR] [--json]',
  flags: `  --home DIR   the home of the running peer to ask (default $SWARM_HOME, else ~/.swarm)
  --json       one JSON array of members on stdout`,
  async run (argv, io) {
    const { values } = parseFlags(argv, { home: { type: 'string' }, json: { type: 'boolean' } })
    const home = resolveHome(values.home, io.env)
    const rows = await callControl<PeerRow[]>(home, 'peers')
    if (values.json === true) {
      io.stdout(json(rows))
      return 0
    }
    const order = { alive: 0, suspect: 1, dead: 2 }
    const sorted = [...rows].sort((a, b) => order[a.state] - order[b.state] || a.name.localeCompare(b.name))
    io.stdout(table(sorted.map(r => ({
      name: r.self ? `${r.name} (self)` : r.name,
      state: r.state === 'dead' && r.deadReason === 'left' ? 'left' : r.state,
      peer: r.peerId.slice(-8),
      address: r.addresses.find(a => !a.includes('/127.0.0.1/')) ?? r.addresses[0],
      platform: `${r.platform}/${r.arch}`,
      load: r.load[0],
      cpus: r.cpus,
      tasks: r.tasksRunning,
      seen: r.self ? 'now' : `${formatMs(r.lastSeenMs)} ago`
    })), ['name', 'state', 'peer', 'address', 'platform', 'load', 'cpus', 'tasks', 'seen']))
    return 0
  }
}
