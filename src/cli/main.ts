import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { processIO, type Command, type CommandIO } from './command.ts'
import { CliError } from './errors.ts'
import { NodeError } from '../node/errors.ts'

/**
 * The commands, each in its own module under ./commands so `swarm tools` does not
 * pay for loading libp2p. A command module exports `command: Command`.
 */
const COMMANDS = ['init', 'start', 'status', 'peers', 'tools', 'tool', 'ask', 'run', 'jobs', 'show'] as const

async function loadCommand (name: string): Promise<Command | undefined> {
  if (!(COMMANDS as readonly string[]).includes(name)) return undefined
  const file = new URL(`./commands/${name}.ts`, import.meta.url)
  if (!existsSync(fileURLToPath(file))) return undefined
  const mod = await import(file.href) as { command: Command }
  return mod.command
}

async function help (io: CommandIO): Promise<number> {
  const lines = ['usage: swarm <command> [flags]', '', 'commands:']
  for (const name of COMMANDS) {
    const cmd = await loadCommand(name)
    if (cmd != null) lines.push(`  ${name.padEnd(8)} ${cmd.summary}`)
  }
  lines.push('', 'Run `swarm <command> --help` (or `swarm help <command>`) for its flags. Every command takes --home DIR;', 'add --debug to any command for stack traces.')
  io.stdout(lines.join('\n') + '\n')
  return 0
}

/**
 * `swarm --home DIR peers` and `swarm --debug run ...` are common habits: the flags every
 * command takes may come before the command name; they are moved after it.
 */
function hoistCommonFlags (argv: string[]): string[] {
  const moved: string[] = []
  let i = 0
  while (i < argv.length) {
    const a = argv[i]
    if (a === '--debug' || a.startsWith('--home=')) { moved.push(a); i++ } else if (a === '--home' && i + 1 < argv.length) { moved.push(a, argv[i + 1]); i += 2 } else break
  }
  if (moved.length === 0 || i >= argv.length) return argv
  return [argv[i], ...moved, ...argv.slice(i + 1)]
}

/** Runs one CLI invocation and returns the exit code; never throws. */
export async function main (argvIn: string[], io: CommandIO = processIO): Promise<number> {
  const argv = hoistCommonFlags(argvIn)
  const [name, ...rest] = argv
  const debug = argv.includes('--debug')
  // `swarm help start` is `swarm start --help`
  if (name === 'help' && rest.length > 0 && !rest[0].startsWith('-')) return await main([rest[0], '--help'], io)
  if (name == null || name === 'help' || name === '--help' || name === '-h') return await help(io)
  if (name === '--version' || name === 'version') {
    io.stdout(`${(await import('../version.ts')).VERSION}\n`)
    return 0
  }
  try {
    const cmd = await loadCommand(name)
    if (cmd == null) {
      io.stderr(`swarm: unknown command '${name}' (run \`swarm help\` for the list)\n`)
      return 2
    }
    if (rest.includes('--help') || rest.includes('-h')) {
      io.stdout(`usage: swarm ${cmd.usage}\n\n${cmd.summary}\n${cmd.flags != null ? `\n${cmd.flags.replace(/\n?$/, '\n')}` : ''}`)
      return 0
    }
    return await cmd.run(rest, io)
  } catch (err: any) {
    if (debug) io.stderr(`${err?.stack ?? err}\n`)
    // errors the peer layer raises for people (config, home, no peer running) are one line too
    if (err instanceof CliError || err instanceof NodeError) {
      io.stderr(`swarm ${name}: ${err.message}\n`)
      return err instanceof CliError ? err.exitCode : 1
    }
    io.stderr(`swarm ${name}: ${err?.message ?? String(err)}${debug ? '' : ' (run with --debug for details)'}\n`)
    return 1
  }
}
