import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { processIO, type Command, type CommandIO } from './command.ts'
import { CliError } from './errors.ts'
import { NodeError } from '../node/errors.ts'

/**
 * The commands, each in its own module under ./commands so `swarm tools` does not
 * pay for loading libp2p. A command module exports `command: Command`.
 */
const COMMANDS = ['init', 'start', 'peers', 'tools', 'tool', 'ask', 'run', 'jobs', 'show'] as const

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
  lines.push('', 'Run `swarm <command> --help` for its flags. Add --debug to any command for stack traces.')
  io.stdout(lines.join('\n') + '\n')
  return 0
}

/** Runs one CLI invocation and returns the exit code; never throws. */
export async function main (argv: string[], io: CommandIO = processIO): Promise<number> {
  const [name, ...rest] = argv
  const debug = argv.includes('--debug')
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
      io.stdout(`usage: swarm ${cmd.usage}\n\n${cmd.summary}\n`)
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
