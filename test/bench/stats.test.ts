import { describe, expect, it } from 'vitest'
import { distribution, formatSpread, makespan, percentile, spread } from '../../bench/lib/stats.ts'
import { parseBenchArgs } from '../../bench/lib/args.ts'
import { callsForTask, decide, FIELD_TOOL_CALLS, slotQueue } from '../../bench/lib/script.ts'

describe('bench stats', () => {
  it('percentiles interpolate and ignore non-numbers', () => {
    expect(percentile([], 50)).toBeNull()
    expect(percentile([3, 1, 2], 50)).toBe(2)
    expect(percentile([1, 2, 3, 4], 50)).toBe(2.5)
    expect(percentile([0, 10], 95)).toBeCloseTo(9.5)
    expect(distribution([5, NaN, 1])).toEqual({ n: 2, p50: 3, p95: 4.8, max: 5 })
  })

  it('spread keeps median, min and max over runs and formats them', () => {
    const s = spread([10, null, 12, 11])
    expect(s).toMatchObject({ runs: 3, median: 11, min: 10, max: 12 })
    expect(formatSpread(s, 1)).toBe('11.0 (10.0-12.0)')
    expect(formatSpread(spread([7]))).toBe('7')
    expect(formatSpread(spread([]))).toBe('-')
  })

  it('makespan is the optimal schedule on the given slots', () => {
    expect(makespan([], 2)).toBe(0)
    expect(makespan([8, 8, 5, 5], 2)).toBe(13)
    expect(makespan([7, 5, 4, 4], 2)).toBe(11) // {7,4} and {5,4}
    expect(makespan([3, 3, 2, 2, 2], 2)).toBe(6)
    expect(makespan([4, 4], 1)).toBe(8)
  })
})

describe('bench args', () => {
  it('parses flags and names a bad one', () => {
    expect(parseBenchArgs(['--runs', '3', '--smoke', '--peers', '10,20'], { out: '/x' })).toMatchObject({ runs: 3, smoke: true, peers: [10, 20], out: '/x' })
    expect(() => parseBenchArgs(['--runs', 'two'], { out: '/x' })).toThrow(expect.objectContaining({ name: 'BenchUsageError', code: 'ERR_BENCH_USAGE' }))
    expect(() => parseBenchArgs(['--fast'], { out: '/x' })).toThrow(expect.objectContaining({ name: 'BenchUsageError' }))
  })
})

describe('bench scripted model', () => {
  const o = { turnMs: 10, tasksPerHost: 4, toolCalls: { box5: 22 }, defaultToolCalls: 3, callsPerTurn: 1 }

  it('splits a box\'s tool calls over its tasks like the field run', () => {
    expect([1, 2, 3, 4].map(k => callsForTask(22, 4, k))).toEqual([6, 6, 5, 5])
    expect(FIELD_TOOL_CALLS.reduce((a, b) => a + b, 0)).toBe(82)
  })

  it('plans tasksPerHost tasks per member', () => {
    const members = [{ peerId: 'A', name: 'box1' }, { peerId: 'B', name: 'box2' }]
    const { turn, info } = decide([{ role: 'system', content: 'You plan diagnostic work for a fleet' }, { role: 'user', content: `Job: x\n\nMembers:\n${JSON.stringify(members)}` }], o)
    expect(info).toEqual({ kind: 'plan', members: 2, tasks: 8 })
    expect(JSON.parse((turn as any).content).tasks.filter((t: any) => t.host === 'B')).toHaveLength(4)
  })

  it('calls the planned tools one per turn, then answers', () => {
    const user = { role: 'user', content: 'host box5, job j1, task j1.1\n\nTask: bench task 1/4 on box5: check' }
    const msgs: any[] = [{ role: 'system', content: 'You are a careful system administrator' }, user]
    const names: string[] = []
    for (let i = 0; i < 10; i++) {
      const { turn, info } = decide(msgs, o)
      if (turn.kind !== 'tool_calls') { expect(info).toMatchObject({ kind: 'agent', final: true, turn: 6 }); break }
      names.push(turn.calls[0].name)
      msgs.push({ role: 'assistant', content: null, tool_calls: [{ id: `c${i}`, type: 'function', function: { name: turn.calls[0].name, arguments: '{}' } }] })
      msgs.push({ role: 'tool', tool_call_id: `c${i}`, content: '{}' })
    }
    expect(names).toHaveLength(6)
    expect(new Set(names).size).toBe(6)
  })

  it('queues turns beyond the brain\'s parallel slots', () => {
    const q = slotQueue(2, 100)
    expect(q(0)).toEqual({ delayMs: 100, queuedMs: 0 })
    expect(q(0)).toEqual({ delayMs: 100, queuedMs: 0 })
    expect(q(10)).toEqual({ delayMs: 190, queuedMs: 90 })
    expect(slotQueue(0, 100)(5)).toEqual({ delayMs: 100, queuedMs: 0 })
  })
})

describe('bench profile areas', async () => {
  const { areaOf } = await import('../../bench/lib/profile.ts')
  it('groups frames by package, our source file, or node internals', () => {
    expect(areaOf('file:///w/node_modules/@libp2p/gossipsub/dist/src/gossipsub.js', 'f')).toBe('pkg:@libp2p/gossipsub')
    expect(areaOf('file:///w/node_modules/zod/v4/core/core.js', 'parse')).toBe('pkg:zod')
    expect(areaOf('file:///w/src/node/jobs/store.ts?tsx-namespace=1', 'append')).toBe('src/node/jobs/store.ts')
    expect(areaOf('node:internal/crypto/sig', 'verifyOneShot')).toBe('node:internal')
    expect(areaOf('', '(garbage collector)')).toBe('(gc)')
    expect(areaOf('', '(idle)')).toBe('(idle)')
  })
})
