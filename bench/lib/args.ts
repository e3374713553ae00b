/**
 * Flags every scenario understands: `npm run bench -- field --runs 3 --smoke`.
 * Unknown flags are an error that names them, so a typo never runs the wrong benchmark.
 */
import { parseArgs } from 'node:util'

export interface BenchArgs {
  /** repeated runs; figures are medians with their spread */
  runs: number
  /** a tiny version (2-3 peers, 1-2 tasks, 50 ms turns) that only proves the harness works */
  smoke: boolean
  /** model latency per turn, ms (scenario default when undefined) */
  turnMs?: number
  /** peer counts for `scale` */
  peers?: number[]
  /** where result files go */
  out: string
  /** print the peers' logs when something fails */
  verbose: boolean
  /** CPU-profile the peers (field) and print where their time went */
  profile: boolean
  /** scale: slower presence, pings and member timeouts, to show the defaults are what collapse first */
  relaxed: boolean
}

export class BenchUsageError extends Error {
  readonly code = 'ERR_BENCH_USAGE'
  constructor (message: string) { super(message); this.name = new.target.name }
}

export function parseBenchArgs (argv: string[], defaults: { out: string }): BenchArgs {
  let values
  try {
    values = parseArgs({
      args: argv,
      options: {
        runs: { type: 'string' },
        smoke: { type: 'boolean' },
        'turn-ms': { type: 'string' },
        peers: { type: 'string' },
        out: { type: 'string' },
        verbose: { type: 'boolean' },
        profile: { type: 'boolean' },
        relaxed: { type: 'boolean' }
      },
      strict: true
    }).values
  } catch (err: any) {
    throw new BenchUsageError(String(err?.message ?? err))
  }
  const int = (name: string, v: string | undefined, min: number): number | undefined => {
    if (v == null) return undefined
    const n = Number(v)
    if (!Number.isInteger(n) || n < min) throw new BenchUsageError(`--${name} must be an integer >= ${min}, got ${JSON.stringify(v)}`)
    return n
  }
  const peers = values.peers?.split(',').map(p => int('peers', p.trim(), 2)!)
  return {
    runs: int('runs', values.runs, 1) ?? 1,
    smoke: values.smoke === true,
    turnMs: int('turn-ms', values['turn-ms'], 0),
    peers,
    out: values.out ?? defaults.out,
    verbose: values.verbose === true,
    profile: values.profile === true,
    relaxed: values.relaxed === true
  }
}
