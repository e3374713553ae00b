import { afterAll, describe, expect, it } from 'vitest'
import { runBrains } from '../../bench/brains.bench.ts'
import { expectStamped, readResult, smokeArgs, support } from './smoke.ts'

describe.skipIf(!support.ok)('bench brains (smoke)', () => {
  const args = smokeArgs()
  afterAll(() => { args.cleanup() })

  it('thinks with brains offered by peers, survives one being killed, and counts turns per brain', async () => {
    const out = await runBrains(args)
    const result = readResult(out.json)
    expectStamped(result, 'brains-smoke', expect)
    const { three, oneFast } = result.runs[0]
    expect(three.during.killedBrain).toBe('mid')
    expect(three.headline.succeeded).toBe(three.headline.tasks)
    expect(oneFast.headline.succeeded).toBe(oneFast.headline.tasks)
    // every brain still alive answered some of the turns; the baseline used only its one brain
    expect(three.turnsByBrain.fast).toBeGreaterThan(0)
    expect(Object.keys(oneFast.turnsByBrain)).toEqual(['fast'])
    expect(result.summary.failed.median).toBe(0)
  }, 60_000)
})
