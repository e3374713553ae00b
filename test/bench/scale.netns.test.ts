import { afterAll, describe, expect, it } from 'vitest'
import { runScale } from '../../bench/scale.bench.ts'
import { expectStamped, readResult, smokeArgs, support } from './smoke.ts'

describe.skipIf(!support.ok)('bench scale (smoke)', () => {
  const args = smokeArgs()
  afterAll(() => { args.cleanup() })

  it('starts a small fleet, measures convergence and idle cost, runs one fleet-wide job', async () => {
    const out = await runScale(args)
    const result = readResult(out.json)
    expectStamped(result, 'scale-smoke', expect)
    const size = result.runs[0]
    expect(size.peers).toBe(3)
    expect(size.stopped).toBeUndefined()
    const run = size.runs[0]
    expect(run.convergeMs).toBeGreaterThanOrEqual(0)
    expect(run.idle.rssMiB.p50).toBeGreaterThan(10)
    expect(run.idle.bytesPerSec.p50).toBeGreaterThan(0)
    expect(run.job.succeeded).toBe(3)
    expect(run.job.allStartedMs).toBeGreaterThan(0)
    expect(run.job.reportMs).toBeGreaterThanOrEqual(run.job.allStartedMs)
  }, 60_000)
})
