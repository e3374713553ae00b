import { join } from 'node:path'
import type { Command } from '../command.ts'
import { parseFlags } from '../command.ts'
import { UsageError } from '../errors.ts'
import { initHome, resolveHome, SWARM_KEY_FILE } from '../../node/home.ts'

export const command: Command = {
  summary: 'create this peer\'s home: identity key, swarm key, config file',
  usage: 'init [--home DIR] [--swarm-key FILE] [--name NAME] [--force]',
  flags: `  --home DIR        the peer's home (default $SWARM_HOME, else ~/.swarm)
  --swarm-key FILE  join an existing swarm: copy its swarm.key (default: create a new swarm);
                    on a home that exists, only the key is replaced
  --name NAME       this peer's name in \`swarm peers\` (default: the hostname)
  --force           replace an existing identity; a valid swarm key is kept`,
  async run (argv, io) {
    const { values } = parseFlags(argv, {
      home: { type: 'string' },
      'swarm-key': { type: 'string' },
      name: { type: 'string' },
      force: { type: 'boolean' }
    })
    if (values.name != null && (values.name.trim() === '' || values.name.length > 64)) throw new UsageError('--name must be 1-64 characters')
    const home = resolveHome(values.home, io.env)
    const result = await initHome({ home, swarmKeyFile: values['swarm-key'], name: values.name, force: values.force === true })
    const keyPath = join(home, SWARM_KEY_FILE)
    io.stdout(`${result.keptIdentity === true ? 'joined the swarm of the given key, identity kept:' : 'initialized'} ${home}\n  peer id    ${result.peerId}\n`)
    if (result.createdSwarmKey) {
      io.stdout(`  swarm key  ${keyPath} (new swarm; copy this file to every other box and run \`swarm init --swarm-key FILE\` there)\n`)
    } else if (values['swarm-key'] != null) {
      io.stdout(`  swarm key  ${keyPath} (copied from ${values['swarm-key']})\n`)
    } else {
      io.stdout(`  swarm key  ${keyPath} (kept: this box stays in its swarm)\n`)
    }
    io.stdout(`start the peer with: swarm start --home ${home}\n`)
    return 0
  }
}
