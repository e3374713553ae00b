/**
 * What every scenario file shares: parse the flags, refuse clearly when the lab cannot
 * run (not root, not Linux), run, print the Markdown, write the result files. A
 * scenario module exports its run function (the smoke tests call it) and calls
 * `main()` only when run as a script.
 */
import { pathToFileURL } from 'node:url'
import { labSupport } from '../../test/helpers/netlab.ts'
import { parseBenchArgs, type BenchArgs } from './args.ts'
import { RESULTS_DIR } from './results.ts'

export interface ScenarioOutput { json: string, md: string, markdown: string }

export function isMain (metaUrl: string): boolean {
  return process.argv[1] != null && pathToFileURL(process.argv[1]).href === metaUrl
}

export async function main (name: string, run: (args: BenchArgs) => Promise<ScenarioOutput>): Promise<void> {
  let args: BenchArgs
  try {
    args = parseBenchArgs(process.argv.slice(2), { out: RESULTS_DIR })
  } catch (err: any) {
    process.stderr.write(`bench ${name}: ${err.message}\nflags: [--runs N] [--smoke] [--turn-ms MS] [--peers 10,20,40] [--out DIR] [--verbose] [--profile] [--relaxed]\n`)
    process.exit(2)
  }
  const support = labSupport()
  if (!support.ok) {
    process.stderr.write(`bench ${name}: cannot run: ${support.reason}\n`)
    process.exit(2)
  }
  // Ctrl-C: exit through process.exit so the labs' exit hooks kill peers and remove namespaces
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => { process.stderr.write(`bench ${name}: ${sig}, cleaning up\n`); process.exit(130) })
  try {
    const out = await run(args)
    process.stdout.write(out.markdown.trimEnd() + `\n\nwritten: ${out.json}\n         ${out.md}\n`)
    process.exit(0)
  } catch (err: any) {
    process.stderr.write(`bench ${name} failed: ${args.verbose ? err?.stack : err?.message ?? err}\n`)
    process.exit(1)
  }
}

/** A progress line on stderr, so stdout stays the tables. */
export function note (line: string): void {
  process.stderr.write(`  ${new Date().toISOString().slice(11, 19)} ${line}\n`)
}
