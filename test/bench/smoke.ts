/**
 * Shared by the bench smoke tests: the lab check (skip when not root, fail under CI),
 * a temporary results dir, and reading back what a scenario wrote.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { labSupport } from '../helpers/netlab.ts'
import type { BenchArgs } from '../../bench/lib/args.ts'

export const support = labSupport()
if (!support.ok && process.env.CI === 'true') throw new Error(`CI=true but the netns lab cannot run: ${support.reason}`)
if (!support.ok) console.warn(`bench smoke tests skipped: ${support.reason}`)

export function smokeArgs (): BenchArgs & { cleanup: () => void } {
  const out = mkdtempSync(join(tmpdir(), 'swarm-bench-smoke-'))
  return { runs: 1, smoke: true, out, verbose: false, profile: false, relaxed: false, cleanup: () => { rmSync(out, { recursive: true, force: true }) } }
}

export function readResult (path: string): any {
  return JSON.parse(readFileSync(path, 'utf8'))
}

/** Fields every result file carries, whatever the scenario. */
export function expectStamped (result: any, scenario: string, expect: (v: unknown) => any): void {
  expect(result.scenario).toBe(scenario)
  expect(typeof result.machine.cores).toBe('number')
  expect(result.machine.cores).toBeGreaterThan(0)
  expect(result.machine.node).toMatch(/^v\d+/)
  expect(typeof result.git.commit).toBe('string')
  expect(result.settings.runs).toBe(1)
  expect(Array.isArray(result.runs)).toBe(true)
}
