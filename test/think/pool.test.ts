import { describe, expect, it, vi } from 'vitest'
import { createInferencePool } from '../../src/think/pool.ts'
import { fakeOpenAIPerTest, turns } from '../helpers/fake-openai.ts'

const fake = fakeOpenAIPerTest()

const ask = { messages: [{ role: 'user' as const, content: 'hello' }] }

describe('inference pool', () => {
  it('loses no request when one of two endpoints always fails', async () => {
    const bad = await fake({ script: () => turns.error(500) })
    const good = await fake({ script: () => turns.text('ok') })
    const pool = createInferencePool({
      endpoints: [{ url: bad.url, source: 'config' }, { url: good.url, source: 'config' }],
      model: 'm',
      cooldownMs: 60_000
    })
    const replies = await Promise.all(Array.from({ length: 20 }, async () => await pool.chat(ask)))
    expect(replies.every(r => r.content === 'ok' && r.endpoint === good.url)).toBe(true)
    const [badStats, goodStats] = pool.stats()
    expect(goodStats.requests).toBe(20)
    expect(badStats.failures).toBeGreaterThanOrEqual(1)
    // concurrency lets a few in before the cooldown; after it, the bad one is skipped
    expect(badStats.coolingDownUntil).not.toBeNull()
    const before = bad.requests.length
    await pool.chat(ask)
    expect(bad.requests.length).toBe(before)
  })

  it('sends more of the load to the faster endpoint', async () => {
    const slow = await fake({ script: () => turns.text('slow', { delayMs: 120 }) })
    const fast = await fake({ script: () => turns.text('fast', { delayMs: 5 }) })
    const pool = createInferencePool({
      endpoints: [{ url: slow.url, source: 'config' }, { url: fast.url, source: 'config' }],
      model: 'm'
    })
    // 4 workers, 40 requests: fewest-in-flight routing lets the fast one drain more
    let next = 0
    await Promise.all(Array.from({ length: 4 }, async () => {
      while (next++ < 40) await pool.chat(ask)
    }))
    expect(slow.requests.length + fast.requests.length).toBe(40)
    expect(fast.requests.length).toBeGreaterThan(slow.requests.length * 2)
    const stats = pool.stats()
    expect(stats[0].avgLatencyMs!).toBeGreaterThan(stats[1].avgLatencyMs!)
  })

  it('cools a failing endpoint down and takes it back after the cooldown', async () => {
    let t = 1_000_000
    let failing = true
    const flaky = await fake({ script: () => failing ? turns.error(503) : turns.text('flaky ok') })
    const steady = await fake({ script: () => turns.text('steady ok') })
    const pool = createInferencePool({
      endpoints: [{ url: flaky.url, source: 'config' }, { url: steady.url, source: 'env' }],
      model: 'm',
      failuresBeforeCooldown: 2,
      cooldownMs: 10_000,
      now: () => t
    })
    // equal latency: round robin reaches the flaky one; each of its failures is retried on steady
    for (let i = 0; i < 6; i++) expect((await pool.chat(ask)).content).toBe('steady ok')
    let s = pool.stats()[0]
    expect(s.consecutiveFailures).toBe(2)
    expect(s.coolingDownUntil).toBe(t + 10_000)
    const seen = flaky.requests.length
    for (let i = 0; i < 4; i++) await pool.chat(ask)
    expect(flaky.requests.length).toBe(seen)

    failing = false
    t += 10_001
    expect(pool.stats()[0].coolingDownUntil).toBeNull()
    const contents = new Set<string>()
    for (let i = 0; i < 4; i++) contents.add((await pool.chat(ask)).content)
    expect(contents.has('flaky ok')).toBe(true)
    s = pool.stats()[0]
    expect(s.consecutiveFailures).toBe(0)
    expect(s.source).toBe('config')
    expect(pool.stats()[1].source).toBe('env')
  })

  it('times out a hanging endpoint and retries on another', async () => {
    const hang = await fake({ script: () => turns.hang() })
    const good = await fake({ script: () => turns.text('ok') })
    const pool = createInferencePool({
      endpoints: [{ url: hang.url, source: 'config' }, { url: good.url, source: 'config' }],
      model: 'm',
      requestTimeoutMs: 300
    })
    const started = Date.now()
    const results = await Promise.all([pool.chat(ask), pool.chat(ask)])
    expect(results.map(r => r.content)).toEqual(['ok', 'ok'])
    expect(Date.now() - started).toBeLessThan(5_000)
    expect(pool.stats()[0].failures).toBe(1)
    expect(pool.stats()[0].lastLatencyMs!).toBeGreaterThanOrEqual(250)
  })

  it('is cancelled by an AbortSignal without counting a failure', async () => {
    const hang = await fake({ script: () => turns.hang() })
    const pool = createInferencePool({ endpoints: [{ url: hang.url, source: 'config' }], model: 'm' })
    const controller = new AbortController()
    const pending = pool.chat(ask, { signal: controller.signal })
    await vi.waitFor(() => { expect(hang.requests).toHaveLength(1) })
    controller.abort()
    await expect(pending).rejects.toMatchObject({ name: 'AbortedError', code: 'ERR_ABORTED' })
    expect(pool.stats()[0]).toMatchObject({ failures: 0, inFlight: 0 })
  })

  it('honours Retry-After on 429 as a cooldown', async () => {
    let t = 5_000
    const limited = await fake({ script: [turns.error(429, { retryAfterSeconds: 7 })] })
    const pool = createInferencePool({ endpoints: [{ url: limited.url, source: 'config' }], model: 'm', failuresBeforeCooldown: 5, maxAttempts: 1, now: () => t })
    await expect(pool.chat(ask)).rejects.toMatchObject({ name: 'EndpointsExhaustedError' })
    expect(pool.stats()[0].coolingDownUntil).toBe(t + 7000)
    // every endpoint cooling: fails at once, without a request
    await expect(pool.chat(ask)).rejects.toMatchObject({ name: 'EndpointsExhaustedError', attempts: [] })
    expect(limited.requests.length).toBe(1)
    t += 7001
    limited.push(turns.text('back'))
    expect((await pool.chat(ask)).content).toBe('back')
    limited.assertDone()
  })

  it('reassembles streamed text and tool calls', async () => {
    const llm = await fake({
      script: [
        turns.toolCalls({ name: 'disk_usage', arguments: { path: '/' } }, { name: 'memory' }),
        turns.text('The disk is fine and memory is fine too.')
      ]
    })
    const pool = createInferencePool({ endpoints: [{ url: llm.url, source: 'flag' }], stream: true })
    const first = await pool.chat(ask)
    expect(first.toolCalls.map(c => c.name)).toEqual(['disk_usage', 'memory'])
    expect(JSON.parse(first.toolCalls[0].arguments)).toEqual({ path: '/' })
    expect(first.toolCalls[0].id).not.toBe(first.toolCalls[1].id)
    const second = await pool.chat(ask)
    expect(second.content).toBe('The disk is fine and memory is fine too.')
    expect(llm.requests.every(r => r.stream)).toBe(true)
    // no model configured: the pool asked /v1/models once and used what it listed
    expect(llm.modelListRequests).toBe(1)
    expect(llm.requests[1].body.model).toBe('fake-model')
    expect(second.model).toBe('fake-model')
    llm.assertDone()
  })

  it('asks /v1/models once for requests that start together, and again after a failed lookup', async () => {
    const llm = await fake({ script: () => turns.text('ok') })
    const pool = createInferencePool({ endpoints: [{ url: llm.url, source: 'flag' }] })
    const replies = await Promise.all([pool.chat(ask), pool.chat(ask), pool.chat(ask), pool.chat(ask)])
    expect(replies.map(r => r.model)).toEqual(['fake-model', 'fake-model', 'fake-model', 'fake-model'])
    expect(llm.modelListRequests).toBe(1)
    // one caller giving up does not cancel the lookup the others wait on
    const fresh = createInferencePool({ endpoints: [{ url: llm.url, source: 'flag' }] })
    const impatient = fresh.chat(ask, { signal: AbortSignal.abort() })
    const patient = fresh.chat(ask)
    await expect(impatient).rejects.toMatchObject({ name: 'AbortedError' })
    expect((await patient).model).toBe('fake-model')
  })

  it('with warm, looks up the model when an endpoint is added, before any turn needs it; a failed warm-up counts nothing', async () => {
    const llm = await fake({ script: () => turns.text('ok') })
    const peer = await fake({ script: () => turns.text('from peer') })
    const pool = createInferencePool({ endpoints: [{ url: llm.url, source: 'flag' }, { url: 'http://127.0.0.1:9/v1', source: 'config' }], warm: true })
    pool.setPeerEndpoints('peerA', [{ url: peer.url }])
    await vi.waitFor(() => { expect([llm.modelListRequests, peer.modelListRequests]).toEqual([1, 1]) })
    expect(llm.requests).toHaveLength(0)
    // the port-9 endpoint refused its warm-up; it is neither failed nor cooling
    for (const e of pool.stats()) expect(e).toMatchObject({ requests: 0, failures: 0, coolingDownUntil: null })
    expect((await pool.chat(ask)).model).toBe('fake-model')
    // the first turn used the model found by the warm-up
    expect(llm.modelListRequests + peer.modelListRequests).toBe(2)
    // without warm nothing is asked until a turn needs it
    const cold = await fake({ script: () => turns.text('ok') })
    createInferencePool({ endpoints: [{ url: cold.url, source: 'flag' }] })
    await new Promise(resolve => setTimeout(resolve, 100))
    expect(cold.modelListRequests).toBe(0)
  })

  it('fails clearly with no endpoint, and when every attempt fails', async () => {
    await expect(createInferencePool().chat(ask)).rejects.toMatchObject({ name: 'NoEndpointError', code: 'ERR_NO_ENDPOINT' })
    const bad = await fake({ script: () => turns.garbage() })
    const pool = createInferencePool({ endpoints: [{ url: bad.url, source: 'config' }], model: 'm', maxAttempts: 2 })
    const err = await pool.chat(ask).catch(e => e)
    expect(err).toMatchObject({ name: 'EndpointsExhaustedError', code: 'ERR_ENDPOINTS_EXHAUSTED' })
    expect(err.attempts).toHaveLength(2)
  })

  it('takes endpoints that peers advertise and drops them with the peer', async () => {
    const a = await fake({ script: () => turns.text('from peer') })
    const pool = createInferencePool({ model: 'm' })
    pool.setPeerEndpoints('peerA', [{ url: a.url }, { url: 'not a url at all ::' }, { url: 'ftp://x/' }])
    expect(pool.stats()).toMatchObject([{ url: a.url, source: 'peer', peerId: 'peerA' }])
    expect((await pool.chat(ask)).content).toBe('from peer')
    pool.setPeerEndpoints('peerA', [{ url: a.url }])
    expect(pool.stats()[0].requests).toBe(1) // kept, with its stats
    pool.setPeerEndpoints('peerA', [])
    expect(pool.size()).toBe(0)
    pool.setPeerEndpoints('peerB', [{ url: a.url, model: 'other' }])
    pool.removePeer('peerB')
    expect(pool.size()).toBe(0)
    const off = createInferencePool({ usePeerEndpoints: false })
    off.setPeerEndpoints('peerA', [{ url: a.url }])
    expect(off.size()).toBe(0)
  })
})
