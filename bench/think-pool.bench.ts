/**
 * The inference pool and agent loop against scripted OpenAI-compatible servers on
 * loopback: pool overhead per request, load split between a slow and a fast endpoint,
 * failover with one endpoint always failing, and one 2-step agent task end to end.
 * `npm run bench -- think-pool [--runs 5] [--smoke]`. Prints figures; asserts nothing.
 */
import { createInferencePool } from '../src/think/pool.ts'
import { createTaskBrain } from '../src/think/agent.ts'
import { defaultThinkConfig } from '../src/think/config.ts'
import { startFakeOpenAI, turns, type FakeOpenAI } from '../test/helpers/fake-openai.ts'
import { fixtureTools } from '../test/think/fixture-tools.ts'
import { parseBenchArgs } from './lib/args.ts'
import { distribution, formatSpread, spread } from './lib/stats.ts'

const args = parseBenchArgs(process.argv.slice(2), { out: 'bench/results' })
const n = args.smoke ? 20 : 200
const ask = { messages: [{ role: 'user' as const, content: 'hi' }] }
const servers: FakeOpenAI[] = []
async function fake (...a: Parameters<typeof startFakeOpenAI>) { const s = await startFakeOpenAI(...a); servers.push(s); return s }

async function overheadRun (): Promise<number | null> {
  const llm = await fake({ script: () => turns.text('ok') })
  const pool = createInferencePool({ endpoints: [{ url: llm.url, source: 'config' }], model: 'm' })
  const samples: number[] = []
  for (let i = 0; i < n; i++) {
    const t = performance.now()
    await pool.chat(ask)
    samples.push(performance.now() - t)
  }
  return distribution(samples.slice(5)).p50
}

async function splitRun (): Promise<number> {
  const slow = await fake({ script: () => turns.text('s', { delayMs: 100 }) })
  const fast = await fake({ script: () => turns.text('f', { delayMs: 10 }) })
  const pool = createInferencePool({ endpoints: [{ url: slow.url, source: 'config' }, { url: fast.url, source: 'config' }], model: 'm' })
  let next = 0
  const total = args.smoke ? 20 : 120
  await Promise.all(Array.from({ length: 4 }, async () => { while (next++ < total) await pool.chat(ask) }))
  return fast.requests.length / total
}

async function failoverRun (): Promise<{ lost: number, p50: number | null, badRequests: number }> {
  const bad = await fake({ script: () => turns.error(500) })
  const good = await fake({ script: () => turns.text('ok') })
  const pool = createInferencePool({ endpoints: [{ url: bad.url, source: 'config' }, { url: good.url, source: 'config' }], model: 'm', cooldownMs: 60_000 })
  let lost = 0
  const samples: number[] = []
  for (let i = 0; i < n; i++) {
    const t = performance.now()
    try { await pool.chat(ask) } catch { lost++ }
    samples.push(performance.now() - t)
  }
  return { lost, p50: distribution(samples).p50, badRequests: bad.requests.length }
}

async function agentRun (): Promise<number> {
  const llm = await fake({ script: [turns.toolCalls({ name: 'disk_usage' }, { name: 'memory' }), turns.text('fine\n```json\n{"findings": []}\n```')] })
  const pool = createInferencePool({ endpoints: [{ url: llm.url, source: 'config' }], model: 'm' })
  const brain = createTaskBrain({ pool, config: defaultThinkConfig() })
  const t = performance.now()
  await brain.runTask({ prompt: 'check' }, { tools: fixtureTools() })
  return performance.now() - t
}

const overhead: Array<number | null> = []
const split: number[] = []
const failover: Array<{ lost: number, p50: number | null, badRequests: number }> = []
const agent: number[] = []
try {
  for (let r = 0; r < args.runs; r++) {
    overhead.push(await overheadRun())
    split.push(await splitRun())
    failover.push(await failoverRun())
    agent.push(await agentRun())
    await Promise.all(servers.splice(0).map(async s => { await s.close() }))
  }
} finally {
  await Promise.all(servers.splice(0).map(async s => { await s.close() }))
}
const f = (v: Array<number | null>, d = 2) => formatSpread(spread(v), d)
console.log(`runs: ${args.runs}${args.smoke ? ' (smoke)' : ''}`)
console.log(`pool round trip on loopback, p50 ms (${n} sequential requests):   ${f(overhead)}`)
console.log(`share of load on the fast endpoint (10 ms vs 100 ms, 4 workers): ${f(split)}`)
console.log(`failover, one endpoint always 500: lost requests ${failover.map(x => x.lost).join('/')}; requests that reached the bad one ${failover.map(x => x.badRequests).join('/')}; p50 ms ${f(failover.map(x => x.p50))}`)
console.log(`agent task, 2 model turns + 2 tools (fixture), ms:              ${f(agent)}`)
