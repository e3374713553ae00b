/**
 * Result files: every run of a scenario writes bench/results/<scenario>-<timestamp>.json
 * (everything, for comparing runs) and a .md beside it (the tables), both stamped with
 * the machine, the commit and the settings.
 */
import { execFileSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { cpus, freemem, loadavg, platform, release, totalmem } from 'node:os'
import { join, resolve } from 'node:path'

export const RESULTS_DIR = resolve(import.meta.dirname, '../results')

export interface Machine {
  os: string
  cpuModel: string
  cores: number
  memGiB: number
  freeMemGiB: number
  load: number[]
  node: string
}

export function machine (): Machine {
  const c = cpus()
  return {
    os: `${platform()} ${release()}`,
    cpuModel: c[0]?.model ?? 'unknown',
    cores: c.length,
    memGiB: round(totalmem() / 2 ** 30, 1),
    freeMemGiB: round(freemem() / 2 ** 30, 1),
    load: loadavg().map(l => round(l, 2)),
    node: process.version
  }
}

export function gitCommit (): { commit: string, dirty: boolean } {
  const cwd = resolve(import.meta.dirname, '../..')
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd, encoding: 'utf8' }).trim()
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src', 'bench', 'bin'], { cwd, encoding: 'utf8' }).trim() !== ''
    return { commit, dirty }
  } catch {
    return { commit: 'unknown', dirty: false }
  }
}

export interface ResultFile<T> {
  scenario: string
  startedAt: string
  machine: Machine
  git: { commit: string, dirty: boolean }
  settings: Record<string, unknown>
  /** the figures over all runs (medians with spread) */
  summary: T
  /** each run's raw figures */
  runs: unknown[]
}

export function round (x: number, digits = 0): number {
  const f = 10 ** digits
  return Math.round(x * f) / f
}

/** Stamps the machine and the commit, writes the JSON and the Markdown; returns their paths. */
export function writeResult<T> (dir: string, figures: Omit<ResultFile<T>, 'machine' | 'git'>, markdown: string): { json: string, md: string } {
  const { scenario, startedAt, ...rest } = figures
  // the same key order as before: who and where first, then the figures
  const result: ResultFile<T> = { scenario, startedAt, machine: machine(), git: gitCommit(), ...rest }
  mkdirSync(dir, { recursive: true })
  const stamp = result.startedAt.replace(/[:.]/g, '-')
  const base = join(dir, `${result.scenario}-${stamp}`)
  writeFileSync(`${base}.json`, JSON.stringify(result, null, 2) + '\n')
  const header = [
    `# bench ${result.scenario}, ${result.startedAt}`,
    '',
    `Machine: ${result.machine.os}, ${result.machine.cores} x ${result.machine.cpuModel}, ${result.machine.memGiB} GiB, Node ${result.machine.node}. ` +
      `Commit ${result.git.commit}${result.git.dirty ? ' (with uncommitted changes)' : ''}.`,
    `Settings: ${Object.entries(result.settings).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(', ')}.`,
    ''
  ]
  writeFileSync(`${base}.md`, header.join('\n') + markdown.trimEnd() + '\n')
  return { json: `${base}.json`, md: `${base}.md` }
}

/** A Markdown table; numbers as given (format them first). */
export function mdTable (headers: string[], rows: Array<Array<string | number>>): string {
  const line = (cells: Array<string | number>) => `| ${cells.map(String).join(' | ')} |`
  return [line(headers), line(headers.map(() => '---')), ...rows.map(line)].join('\n')
}
