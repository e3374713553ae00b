import { afterAll, describe, expect, it } from 'vitest'
import { readFileSync } from 'node:fs'
import { runField } from '../../bench/field.bench.ts'
import { expectStamped, readResult, smokeArgs, support } from './smoke.ts'

describe.skipIf(!support.ok)('bench field (smoke)', () => {
  const args = smokeArgs()
  afterAll(() => { args.cleanup() })

  it('runs a tiny field job through the real CLI and writes sane result files', async () => {
    const out = await runField(args)
    const result = readResult(out.json)
    expectStamped(result, 'field-smoke', expect)
    const run = result.runs[0]
    expect(run.status).toBe('completed')
    expect(run.plan.kind).toBe('model')
    expect(run.headline.tasks).toBe(2)
    expect(run.headline.succeeded).toBe(2)
    // the scripted brain's tool calls per box (2 and 1) arrive as real tool runs
    expect(run.stats.toolCalls).toBe(3)
    expect(run.lost).toBe(0)
    expect(run.overhead.efficiency).toBeGreaterThan(0)
    expect(run.overhead.efficiency).toBeLessThanOrEqual(1.0001)
    for (const t of run.overhead.tasks) {
      expect(t.start).toBeGreaterThanOrEqual(t.grant)
      expect(t.resultGathered).toBeGreaterThanOrEqual(t.resultSent - 5)
    }
    expect(run.overhead.offerToStart.n).toBe(2)
    expect(readFileSync(out.md, 'utf8')).toContain('## What the swarm itself costs')
  }, 60_000)
})
