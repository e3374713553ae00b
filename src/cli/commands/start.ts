import type { Command } from '../command.ts'
import { parseFlags } from '../command.ts'
import { UsageError } from '../errors.ts'
import { resolveHome } from '../../node/home.ts'
import { normaliseBaseUrl } from '../../think/brain-choice.ts'
import { startPeer } from '../../node/peer.ts'
import { createLogger, parseLevel } from '../../node/logger.ts'
import type { ConfigInput } from '../../node/config.ts'
import type { Member } from '../../gossip/types.ts'

export const command: Command = {
  summary: 'run this box\'s peer in the foreground until SIGINT/SIGTERM',
  usage: 'start [--home DIR] [--name NAME] [--listen MULTIADDR]... [--bootstrap MULTIADDR]... [--no-mdns]\n' +
    '            [--tag TAG]... [--offer-brain URL [--offer-model MODEL]] [--brain playbook|URL] [--model M] [--verbose]',
  flags: `  --home DIR                the peer's home (default $SWARM_HOME, else ~/.swarm)
  --name NAME               shown in \`swarm peers\` (default: config peer.name, else the hostname)
  --listen MULTIADDR        where to listen, repeatable (default /ip4/0.0.0.0/tcp/0: a new port each start;
                            fix one, e.g. /ip4/0.0.0.0/tcp/4001, on a box others --bootstrap to)
  --bootstrap MULTIADDR     a peer to dial and redial, repeatable: /ip4/10.0.0.5/tcp/4001/p2p/<peerId>
  --no-mdns                 do not find peers by mDNS on the LAN (use --bootstrap)
  --tag TAG                 a free-form label gossiped in presence, repeatable
  --offer-brain URL         serve this box's OpenAI-compatible endpoint to the fleet
  --offer-model MODEL       the model to use at --offer-brain
  --brain playbook|URL      how this peer thinks: the built-in playbook, or an endpoint
  --model M                 the model at --brain (default: config think.model, $SWARM_MODEL)
  --verbose                 log at info level on stderr (or SWARM_LOG=info|debug)
Joins, leaves and state changes are printed on stdout; warnings go to stderr.`,
  async run (argv, io) {
    const { values } = parseFlags(argv, {
      home: { type: 'string' },
      name: { type: 'string' },
      listen: { type: 'string', multiple: true },
      bootstrap: { type: 'string', multiple: true },
      'no-mdns': { type: 'boolean' },
      tag: { type: 'string', multiple: true },
      'offer-brain': { type: 'string' },
      'offer-model': { type: 'string' },
      brain: { type: 'string' },
      model: { type: 'string' },
      verbose: { type: 'boolean' }
    })
    // an empty --name would silently mean the hostname; say so, as init does
    if (values.name != null && (values.name.trim() === '' || values.name.length > 64)) throw new UsageError('--name must be 1-64 characters')
    // a bad --brain fails here, before the peer starts
    if (values.brain != null && values.brain !== 'playbook' && values.brain !== 'auto') {
      try { normaliseBaseUrl(values.brain) } catch (err: any) { throw new UsageError(`--brain: ${err.message}`) }
    }
    if (values['offer-model'] != null && values['offer-brain'] == null) throw new UsageError('--offer-model needs --offer-brain URL')
    const home = resolveHome(values.home, io.env)
    const overrides: ConfigInput = {
      peer: { name: values.name, listen: values.listen, bootstrap: values.bootstrap, tags: values.tag },
      discovery: { mdns: values['no-mdns'] === true ? false : undefined },
      offer: { brainUrl: values['offer-brain'], brainModel: values['offer-model'] }
    }
    const level = values.verbose === true ? 'info' : (parseLevel(io.env.SWARM_LOG) ?? 'warn')
    const logger = createLogger('swarm:peer', { level, sink: (line) => { io.stderr(line + '\n') } })
    const stamp = () => new Date().toISOString()

    // The handlers go in before the peer starts: a SIGTERM that lands while it starts, or just
    // after the "started" line a supervisor waits for, must still end in a clean leave, not in
    // the default action (killed, no leave announced, exit by signal).
    let leave: (() => void) | undefined
    let leaveAsked = false
    const onSignal = (sig: NodeJS.Signals) => {
      if (leaveAsked) {
        io.stderr(`${stamp()} ${sig} again: exiting without leaving\n`)
        process.exit(1)
      }
      leaveAsked = true
      io.stdout(`${stamp()} ${sig}: leaving the swarm\n`)
      leave?.()
    }
    const unlisten = () => { process.off('SIGINT', onSignal); process.off('SIGTERM', onSignal) }
    process.on('SIGINT', onSignal)
    process.on('SIGTERM', onSignal)

    let peer: Awaited<ReturnType<typeof startPeer>>
    try {
      peer = await startPeer({ home, env: io.env, overrides, logger })
    } catch (err) {
      unlisten()
      throw err
    }

    const who = (m: Member) => `${m.name} (${m.peerId.slice(-8)})`
    const states = new Map<string, string>()
    peer.membership.on('member:join', (m) => { states.set(m.peerId, 'alive'); io.stdout(`${stamp()} join ${who(m)} ${m.presence.hostname} ${m.addresses[0] ?? ''}\n`) })
    peer.membership.on('member:leave', (m) => { states.set(m.peerId, 'dead'); io.stdout(`${stamp()} leave ${who(m)} ${m.deadReason === 'left' ? 'left' : 'dead (silent)'}\n`) })
    peer.membership.on('member:update', (m) => {
      // one line per state change; routine presence updates stay quiet
      if (states.get(m.peerId) === m.state) return
      states.set(m.peerId, m.state)
      io.stdout(`${stamp()} ${m.state} ${who(m)}\n`)
    })

    // services attach here (e.g. jobs) so they share the peer's lifecycle
    try {
      await (await import('../../node/jobs/attach.ts')).attachJobs(peer, { env: io.env, flags: { brain: values.brain, model: values.model } })
    } catch (err) {
      // a service that cannot start must not leave a half-started peer holding the process open
      await peer.stop().catch(() => {})
      unlisten()
      throw err
    }

    io.stdout(`${stamp()} peer ${peer.peerId} started as ${peer.name} in ${home}\n`)
    for (const addr of peer.libp2p.getMultiaddrs()) io.stdout(`${stamp()} listening on ${addr.toString()}\n`)

    return await new Promise<number>((resolve) => {
      leave = () => {
        peer.stop().then(() => {
          unlisten()
          io.stdout(`${stamp()} stopped\n`)
          // libp2p may leave a timer or two behind; do not let them hold the exit (unref: never delays it)
          setTimeout(() => { process.exit(process.exitCode ?? 0) }, 300).unref()
          resolve(0)
        }, (err) => {
          io.stderr(`${stamp()} error while stopping: ${err?.message ?? err}\n`)
          resolve(1)
        })
      }
      // a signal that came while the peer was starting
      if (leaveAsked) leave()
    })
  }
}
