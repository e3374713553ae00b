/**
 * Small statistics for benchmark figures: percentiles of samples, and the spread of a
 * figure over repeated runs. Pure, so the smoke tests can check them.
 */

/** Percentile by linear interpolation between closest ranks; null for no samples. */
export function percentile (samples: readonly number[], p: number): number | null {
  const xs = samples.filter(Number.isFinite).slice().sort((a, b) => a - b)
  if (xs.length === 0) return null
  if (xs.length === 1) return xs[0]
  const rank = (Math.min(100, Math.max(0, p)) / 100) * (xs.length - 1)
  const lo = Math.floor(rank)
  const hi = Math.ceil(rank)
  return xs[lo] + (xs[hi] - xs[lo]) * (rank - lo)
}

export const median = (samples: readonly number[]): number | null => percentile(samples, 50)

export function mean (samples: readonly number[]): number | null {
  const xs = samples.filter(Number.isFinite)
  return xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0) / xs.length
}

/** p50/p95/max of one set of samples (e.g. per-task overheads of one run). */
export interface Distribution { n: number, p50: number | null, p95: number | null, max: number | null }

export function distribution (samples: readonly number[]): Distribution {
  const xs = samples.filter(Number.isFinite)
  return { n: xs.length, p50: percentile(xs, 50), p95: percentile(xs, 95), max: xs.length > 0 ? Math.max(...xs) : null }
}

/** One figure over repeated runs: its median and how far the runs spread. */
export interface Spread { runs: number, median: number | null, min: number | null, max: number | null, values: number[] }

export function spread (values: ReadonlyArray<number | null | undefined>): Spread {
  const xs = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v))
  return { runs: xs.length, median: median(xs), min: xs.length > 0 ? Math.min(...xs) : null, max: xs.length > 0 ? Math.max(...xs) : null, values: xs }
}

/** "12.3 (11.9-13.0)" for a spread; one value prints alone. */
export function formatSpread (s: Spread, digits = 0, unit = ''): string {
  if (s.median == null) return '-'
  const f = (v: number) => v.toFixed(digits) + unit
  if (s.runs <= 1 || s.min === s.max) return f(s.median)
  return `${f(s.median)} (${f(s.min!)}-${f(s.max!)})`
}

/**
 * The shortest time a set of task durations can take on `slots` parallel slots (the
 * optimal makespan): exact by branch and bound for the handful of tasks a box gets,
 * longest-processing-time first beyond that (within 4/3 of optimal).
 */
export function makespan (durations: readonly number[], slots: number): number {
  const xs = durations.filter(Number.isFinite).slice().sort((a, b) => b - a)
  if (xs.length === 0) return 0
  if (slots <= 1) return xs.reduce((a, b) => a + b, 0)
  if (xs.length > 12) {
    const load = new Array<number>(slots).fill(0)
    for (const x of xs) { const i = load.indexOf(Math.min(...load)); load[i] += x }
    return Math.max(...load)
  }
  let best = Infinity
  const load = new Array<number>(slots).fill(0)
  const place = (i: number): void => {
    if (i === xs.length) { best = Math.min(best, Math.max(...load)); return }
    const seen = new Set<number>()
    for (let s = 0; s < slots; s++) {
      if (seen.has(load[s]) || load[s] + xs[i] >= best) continue
      seen.add(load[s])
      load[s] += xs[i]
      place(i + 1)
      load[s] -= xs[i]
    }
  }
  place(0)
  return best
}
