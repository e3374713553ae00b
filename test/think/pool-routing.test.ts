/**
 * Pool routing by expected completion, and the bounds on one model turn (turn budget, no
 * second full timeout on an endpoint that timed out, idle streams), against real HTTP
 * servers. Timings are short on purpose; assertions are on outcomes, wall time only
 * against generous bounds.
 */
import { describe, expect, it, vi } from 'vitest'
import { createInferencePool } from '../../src/think/pool.ts'
import { fakeOpenAIPerTest, turns } from '../helpers/fake-openai.ts'

const fake = fakeOpenAIPerTest()

const ask = { messages: [{ role: 'user' as const, content: 'hello' }] }

/** `workers` callers, each asking again as soon as its reply came, `total` requests in all. */
async function drive (pool: ReturnType<typeof createInferencePool>, workers: number, total: number): Promise<void> {
  let next = 0
  await Promise.all(Array.from({ length: workers }, async () => {
    while (next++ < total) await pool.chat(ask)
  }))
}

describe('pool routing by expected completion', () => {
  it('gives the fast endpoint nearly every turn when it is free, after trying the other once', async () => {
    const fast = await fake({ script: () => turns.text('fast', { delayMs: 10 }) })
    const slow = await fake({ script: () => turns.text('slow', { delayMs: 400 }) })
    const pool = createInferencePool({ endpoints: [{ url: fast.url, source: 'config' }, { url: slow.url, source: 'config' }], model: 'm' })
    await drive(pool, 1, 20)
    // the unknown one is tried (assumed as fast as the fastest), then left alone
    expect(slow.requests.length).toBeGreaterThanOrEqual(1)
    expect(slow.requests.length).toBeLessThanOrEqual(3)
    expect(fast.requests.length + slow.requests.length).toBe(20)
  })

  it('sends turns to a 4x slower endpoint once the fast one has several in flight', async () => {
    const fast = await fake({ script: () => turns.text('fast', { delayMs: 60 }) })
    const slow = await fake({ script: () => turns.text('slow', { delayMs: 240 }) })
    const pool = createInferencePool({ endpoints: [{ url: slow.url, source: 'config' }, { url: fast.url, source: 'config' }], model: 'm' })
    await drive(pool, 1, 4) // both measured
    const [fastBefore, slowBefore] = [fast.requests.length, slow.requests.length]
    await drive(pool, 8, 64)
    const [fastBurst, slowBurst] = [fast.requests.length - fastBefore, slow.requests.length - slowBefore]
    expect(fastBurst + slowBurst).toBe(64)
    // 8 callers saturate the fast one: with 3 in flight there, the 4th costs as much as 1 on
    // the slow one. Measured 3-6 of 64 on the slow one (8 with the test process 80% busy);
    // fewest-in-flight routing gave it 16
    expect(slowBurst).toBeGreaterThanOrEqual(1)
    expect(slowBurst).toBeLessThanOrEqual(12)
    const [slowStats, fastStats] = pool.stats()
    expect(slowStats.avgLatencyMs!).toBeGreaterThan(fastStats.avgLatencyMs!)
    expect(pool.stats().every(s => s.inFlight === 0)).toBe(true)
  })

  it('uses the slow endpoint while the fast one cools down, and the fast one again after', async () => {
    let t = 1_000_000
    let failing = false
    const fast = await fake({ script: () => failing ? turns.error(503) : turns.text('fast', { delayMs: 10 }) })
    const slow = await fake({ script: () => turns.text('slow', { delayMs: 150 }) })
    const pool = createInferencePool({
      endpoints: [{ url: fast.url, source: 'config' }, { url: slow.url, source: 'config' }],
      model: 'm',
      failuresBeforeCooldown: 2,
      cooldownMs: 10_000,
      now: () => t
    })
    await drive(pool, 1, 6)
    const slowBefore = slow.requests.length
    failing = true
    // each failure on the fast one is retried on the slow one: no turn lost
    for (let i = 0; i < 2; i++) expect((await pool.chat(ask)).content).toBe('slow')
    expect(pool.stats()[0].coolingDownUntil).toBe(t + 10_000)
    const fastSeen = fast.requests.length
    for (let i = 0; i < 3; i++) expect((await pool.chat(ask)).content).toBe('slow')
    expect(fast.requests.length).toBe(fastSeen)
    expect(slow.requests.length).toBe(slowBefore + 5)
    failing = false
    t += 10_001
    expect((await pool.chat(ask)).content).toBe('fast')
  })

  it('sends no further turns to an endpoint whose request hangs, long before it times out', async () => {
    const hung = await fake({ script: () => turns.hang() })
    const good = await fake({ script: () => turns.text('ok', { delayMs: 5 }) })
    const pool = createInferencePool({ endpoints: [{ url: hung.url, source: 'config' }, { url: good.url, source: 'config' }], model: 'm', requestTimeoutMs: 60_000 })
    const stop = new AbortController()
    const workers: Array<Promise<void>> = []
    const worker = () => {
      workers.push((async () => { while (!stop.signal.aborted) await pool.chat(ask, { signal: stop.signal }) })())
    }
    try {
      // nothing known yet: the first turn goes to the first endpoint, which hangs
      worker()
      await vi.waitFor(() => { expect(hung.requests).toHaveLength(1) })
      worker()
      await vi.waitFor(() => { expect(good.requests.length).toBeGreaterThanOrEqual(5) })
      // now the hung request is older than several replies of the good endpoint, so the hung
      // one looks slow, though it has no reply and no failure (fewest-in-flight routing sent
      // these callers to it: one in flight on each side is a tie)
      worker()
      worker()
      await vi.waitFor(() => { expect(good.requests.length).toBeGreaterThanOrEqual(40) }, { timeout: 20_000, interval: 20 })
      expect(hung.requests).toHaveLength(1)
      expect(pool.stats()[0]).toMatchObject({ inFlight: 1, failures: 0 })
    } finally {
      stop.abort()
      await Promise.allSettled(workers)
    }
    expect(pool.stats().map(s => s.inFlight)).toEqual([0, 0])
  })
})

describe('an endpoint that timed out', () => {
  it('is not picked again in the next turns as if it were fast', async () => {
    const good = await fake({ script: () => turns.text('ok', { delayMs: 20 }) })
    const hung = await fake({ script: () => turns.hang() })
    const pool = createInferencePool({ endpoints: [{ url: good.url, source: 'config' }, { url: hung.url, source: 'config' }], model: 'm', requestTimeoutMs: 300, failuresBeforeCooldown: 5 })
    for (let i = 0; i < 6; i++) expect((await pool.chat(ask)).content).toBe('ok')
    // tried once while unknown; its 300 ms timeout then counts as its latency, so the 20 ms
    // endpoint wins every later turn (before, it stayed 'unknown, assume fast' until cooled)
    expect(hung.requests).toHaveLength(1)
    const [goodStats, hungStats] = pool.stats()
    expect(hungStats).toMatchObject({ timeouts: 1, coolingDownUntil: null })
    expect(hungStats.avgLatencyMs!).toBeGreaterThan(goodStats.avgLatencyMs! * 5)
  })
})

describe('bounds on one model turn', () => {
  it('does not retry a timed-out request on the same endpoint', async () => {
    const hung = await fake({ script: () => turns.hang() })
    const pool = createInferencePool({ endpoints: [{ url: hung.url, source: 'config' }], model: 'm', requestTimeoutMs: 300, maxAttempts: 3 })
    const started = Date.now()
    const err = await pool.chat(ask).catch(e => e)
    expect(err).toMatchObject({ name: 'EndpointsExhaustedError', code: 'ERR_ENDPOINTS_EXHAUSTED' })
    expect(err.attempts).toHaveLength(1)
    expect(err.cause).toMatchObject({ name: 'EndpointRequestError', code: 'ERR_TIMEOUT' })
    expect(hung.requests).toHaveLength(1)
    expect(pool.stats()[0]).toMatchObject({ requests: 1, failures: 1, timeouts: 1, inFlight: 0 })
    expect(Date.now() - started).toBeLessThan(5_000)
  })

  it('bounds the whole turn by turnBudgetMs, however long one request may take', async () => {
    const a = await fake({ script: () => turns.hang() })
    const b = await fake({ script: () => turns.hang() })
    const pool = createInferencePool({
      endpoints: [{ url: a.url, source: 'config' }, { url: b.url, source: 'config' }],
      model: 'm',
      requestTimeoutMs: 30_000,
      turnBudgetMs: 400,
      maxAttempts: 3
    })
    const started = Date.now()
    const err = await pool.chat(ask).catch(e => e)
    expect(err).toMatchObject({ name: 'EndpointsExhaustedError' })
    // the first attempt used the whole budget; nothing was left for a second
    expect(err.attempts).toHaveLength(1)
    expect(a.requests.length + b.requests.length).toBe(1)
    expect(Date.now() - started).toBeLessThan(10_000)
  })

  it('abandons a stalled stream after the idle window and takes the turn elsewhere', async () => {
    const stalled = await fake({ script: () => turns.stall('The disk is') })
    const good = await fake({ script: () => turns.text('all good') })
    const common = { model: 'm', stream: true, streamIdleTimeoutMs: 300, requestTimeoutMs: 30_000 }
    const alone = createInferencePool({ ...common, endpoints: [{ url: stalled.url, source: 'config' }] })
    const started = Date.now()
    const err = await alone.chat(ask).catch(e => e)
    expect(err).toMatchObject({ name: 'EndpointsExhaustedError' })
    expect(err.attempts).toHaveLength(1)
    expect(err.cause).toMatchObject({ name: 'EndpointRequestError', code: 'ERR_STREAM_IDLE' })
    expect(alone.stats()[0]).toMatchObject({ requests: 1, failures: 1, timeouts: 1 })
    expect(Date.now() - started).toBeLessThan(10_000)

    const both = createInferencePool({ ...common, endpoints: [{ url: stalled.url, source: 'config' }, { url: good.url, source: 'config' }] })
    const reply = await both.chat(ask)
    expect(reply).toMatchObject({ content: 'all good', endpoint: good.url })
    expect(both.stats()[0]).toMatchObject({ requests: 1, timeouts: 1 })
  })

  it('never returns a cut-off stream as a reply, and counts the idle window from the headers', async () => {
    const stalled = await fake({ script: () => turns.stall('The disk is') })
    const noIdle = createInferencePool({ model: 'm', stream: true, streamIdleTimeoutMs: 0, requestTimeoutMs: 300, endpoints: [{ url: stalled.url, source: 'config' }] })
    const err = await noIdle.chat(ask).catch(e => e)
    expect(err).toMatchObject({ name: 'EndpointsExhaustedError' })
    expect(err.cause).toMatchObject({ code: 'ERR_TIMEOUT' })

    // a server that thinks longer than the idle window before it answers is not idle
    const thinker = await fake({ script: () => turns.text('done thinking', { delayMs: 600 }) })
    const pool = createInferencePool({ model: 'm', stream: true, streamIdleTimeoutMs: 200, endpoints: [{ url: thinker.url, source: 'config' }] })
    expect((await pool.chat(ask)).content).toBe('done thinking')

    // without streaming, a reply cut off half-way is a timeout too
    const plain = createInferencePool({ model: 'm', requestTimeoutMs: 300, endpoints: [{ url: stalled.url, source: 'config' }] })
    const plainErr = await plain.chat(ask).catch(e => e)
    expect(plainErr.cause).toMatchObject({ code: 'ERR_TIMEOUT' })
  })
})
