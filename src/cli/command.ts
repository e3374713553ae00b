import { parseArgs, type ParseArgsConfig } from 'node:util'
import { UsageError } from './errors.ts'

/** What every `swarm <name>` module exports as `command`. */
export interface Command {
  /** one line for `swarm help` */
  summary: string
  /** the usage line(s), without the leading "swarm " */
  usage: string
  /** what each flag does, one `  --flag   meaning` line each, shown by `--help` */
  flags?: string
  /** runs the command; resolves to the process exit code */
  run: (argv: string[], io: CommandIO) => Promise<number>
}

/** Where a command writes; tests pass their own. */
export interface CommandIO {
  stdout: (text: string) => void
  stderr: (text: string) => void
  env: NodeJS.ProcessEnv
}

/**
 * Text from other machines (job prompts, peer names, a model's answer) reaches the
 * operator's terminal: control characters other than newline and tab, C1 included, are
 * written as visible \uXXXX escapes so none can move the cursor, clear the screen or
 * retitle the terminal. In --json output such characters only occur inside strings
 * (JSON.stringify escapes C0 itself), where \uXXXX is the same value: JSON stays exact.
 */
export function terminalSafe (text: string): string {
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, c => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
}

export const processIO: CommandIO = {
  stdout: (text) => { process.stdout.write(terminalSafe(text)) },
  stderr: (text) => { process.stderr.write(terminalSafe(text)) },
  env: process.env
}

type Options = NonNullable<ParseArgsConfig['options']>

/** Flags every command accepts. */
export const commonOptions = {
  help: { type: 'boolean', short: 'h' },
  debug: { type: 'boolean' }
} as const satisfies Options

/** parseArgs with our rules: unknown flags are a usage error that names the flag. */
export function parseFlags<O extends Options> (argv: string[], options: O, allowPositionals = false) {
  try {
    return parseArgs({ args: argv, options: { ...commonOptions, ...options }, allowPositionals, strict: true })
  } catch (err: any) {
    throw new UsageError(String(err?.message ?? err).replace(/\. To specify a positional argument.*$/s, ''))
  }
}
