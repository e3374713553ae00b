import { afterAll, describe, expect, it } from 'vitest'
import { runChurn } from '../../bench/churn.bench.ts'
import { expectStamped, readResult, smokeArgs, support } from './smoke.ts'

describe.skipIf(!support.ok)('bench churn (smoke)', () => {
  const args = smokeArgs()
  afterAll(() => { args.cleanup() })

  it('kills one box and starts another mid-job, and accounts for every task', async () => {
    const out = await runChurn(args)
    const result = readResult(out.json)
    expectStamped(result, 'churn-smoke', expect)
    const { churn, plain } = result.runs[0]
    expect(plain.status).toBe('completed')
    expect(churn.during.killedBoxes).toHaveLength(1)
    expect(churn.during.started).toBe('box4')
    // every task is done or unreachable on the killed box; none lost
    expect(churn.lost).toBe(0)
    for (const t of churn.tasks) {
      if (t.state !== 'done') expect([t.state, t.host]).toEqual(['unreachable', churn.during.killedBoxes[0]])
    }
    expect(typeof result.summary.extraWallS.median).toBe('number')
  }, 60_000)
})
