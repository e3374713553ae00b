/**
 * The inference pool: every endpoint this peer may think with (config, environment, and
 * those peers advertise), with routing, per-request timeout, retry on another endpoint,
 * cooldown after repeated failures, and readable stats.
 *
 * Routing is by expected completion: each usable endpoint scores
 *   (requests in flight + 1) x latency estimate
 * and the lowest score wins, so a 4x slower endpoint gets a turn only once the fast one
 * has about 4 in flight (or is cooling down). The latency estimate is the endpoint's EWMA
 * of successful replies, raised to the age of its oldest request still in flight (a hung
 * or newly overloaded endpoint looks slow before any reply says so). An endpoint with no
 * reply yet is assumed as fast as the fastest known one, so it gets tried. Scores within
 * ROUTING_TIE_TOLERANCE of each other are a tie, broken round-robin (least recently picked).
 *
 * One chat() call is bounded by turnBudgetMs in all: each attempt gets the smaller of
 * requestTimeoutMs and what is left of it. An endpoint that timed out (or stalled a
 * stream) is not tried again within the same call; one that failed fast may be.
 */
import type { ChatReply, ChatRequest } from './chat.ts'
import { normaliseBaseUrl, type EndpointSource, type EndpointSpec } from './brain-choice.ts'
import { EndpointClient } from './endpoint-client.ts'
import { AbortedError, EndpointRequestError, EndpointsExhaustedError, NoEndpointError } from './errors.ts'
import {
  DEFAULT_COOLDOWN_MS, DEFAULT_FAILURES_BEFORE_COOLDOWN, DEFAULT_MAX_ATTEMPTS, DEFAULT_REQUEST_TIMEOUT_MS,
  DEFAULT_STREAM_IDLE_TIMEOUT_MS, DEFAULT_TURN_BUDGET_MS, LATENCY_EWMA_WEIGHT, ROUTING_TIE_TOLERANCE
} from './constants.ts'
import { silentLogger, type Logger } from './logger.ts'

export interface InferencePoolInit {
  endpoints?: EndpointSpec[]
  /** model for endpoints that name none; undefined = ask the endpoint */
  model?: string
  /** limit on one request to one endpoint; @default 120_000 */
  requestTimeoutMs?: number
  /** limit on one chat() call, retries included; @default 180_000 */
  turnBudgetMs?: number
  /** @default 3 */
  maxAttempts?: number
  /** @default 2 */
  failuresBeforeCooldown?: number
  /** @default 30_000 */
  cooldownMs?: number
  /** @default false */
  stream?: boolean
  /** with stream: abandon a reply silent for this long; 0 = never; @default 60_000 */
  streamIdleTimeoutMs?: number
  /** accept setPeerEndpoints(); @default true */
  usePeerEndpoints?: boolean
  /** ready each endpoint (model lookup) as it is added, not in the first turn; @default false */
  warm?: boolean
  /** wall clock for cooldowns (latency is always measured with performance.now()) */
  now?: () => number
  logger?: Logger
}

export interface PeerEndpoint { url: string, model?: string }

export interface EndpointStats {
  url: string
  model: string | null
  source: EndpointSource
  peerId?: string
  inFlight: number
  requests: number
  failures: number
  /** failures that were timeouts or stalled streams (also counted in failures) */
  timeouts: number
  consecutiveFailures: number
  avgLatencyMs: number | null
  lastLatencyMs: number | null
  /** epoch ms until which the endpoint is skipped; null when usable */
  coolingDownUntil: number | null
  lastError?: string
}

export interface InferencePool {
  chat: (request: ChatRequest, options?: { signal?: AbortSignal }) => Promise<ChatReply>
  setPeerEndpoints: (peerId: string, endpoints: PeerEndpoint[]) => void
  removePeer: (peerId: string) => void
  stats: () => EndpointStats[]
  /** endpoints known (cooling or not) */
  size: () => number
}

/** The counters stats() shows, kept as they are, plus what only routing needs. */
interface Entry extends Omit<EndpointStats, 'url' | 'model' | 'inFlight' | 'coolingDownUntil'> {
  key: string
  client: EndpointClient
  configuredModel?: string
  /** epoch ms; 0 = usable */
  coolingDownUntil: number
  /** start (performance.now()) of each request in flight, oldest first */
  running: Map<number, number>
  /** pick order, for round-robin among tied endpoints */
  lastPicked: number
}

/** Errors after which the same endpoint is not asked again within one chat() call. */
const SLOW_FAILURES = new Set(['ERR_TIMEOUT', 'ERR_STREAM_IDLE'])

/** Less of the turn budget than this left: do not start another attempt. */
const MIN_ATTEMPT_MS = 50

export function createInferencePool (init: InferencePoolInit = {}): InferencePool {
  const now = init.now ?? Date.now
  const log = init.logger ?? silentLogger
  const timeoutMs = init.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS
  const budgetMs = init.turnBudgetMs ?? DEFAULT_TURN_BUDGET_MS
  const maxAttempts = init.maxAttempts ?? DEFAULT_MAX_ATTEMPTS
  const failuresBeforeCooldown = init.failuresBeforeCooldown ?? DEFAULT_FAILURES_BEFORE_COOLDOWN
  const cooldownMs = init.cooldownMs ?? DEFAULT_COOLDOWN_MS
  const stream = init.stream ?? false
  const idleTimeoutMs = init.streamIdleTimeoutMs ?? DEFAULT_STREAM_IDLE_TIMEOUT_MS
  const usePeers = init.usePeerEndpoints ?? true
  const entries = new Map<string, Entry>()
  let pickCounter = 0
  let requestCounter = 0

  const keyOf = (url: string, model: string | undefined) => `${url}|${model ?? ''}`

  function add (spec: EndpointSpec, peerId?: string): void {
    const model = spec.model ?? init.model
    const key = keyOf(spec.url, model)
    if (entries.has(key)) return
    const client = new EndpointClient({ url: spec.url, apiKey: spec.apiKey, model })
    if (init.warm === true) client.warm(timeoutMs)
    entries.set(key, {
      key,
      client,
      source: spec.source,
      ...(peerId != null ? { peerId } : {}),
      configuredModel: model,
      requests: 0,
      failures: 0,
      timeouts: 0,
      consecutiveFailures: 0,
      avgLatencyMs: null,
      lastLatencyMs: null,
      coolingDownUntil: 0,
      running: new Map(),
      lastPicked: 0
    })
  }

  for (const spec of init.endpoints ?? []) add(spec)

  /** Lowest expected completion among usable endpoints not excluded; fresh ones before retried ones. */
  function pick (tried: Set<string>, excluded: Set<string>): Entry | undefined {
    const t = now()
    const usable = [...entries.values()].filter(e => e.coolingDownUntil <= t && !excluded.has(e.key))
    const fresh = usable.filter(e => !tried.has(e.key))
    const candidates = fresh.length > 0 ? fresh : usable
    if (candidates.length === 0) return undefined
    const known = candidates.map(e => e.avgLatencyMs).filter((ms): ms is number => ms != null)
    const optimistic = known.length > 0 ? Math.min(...known) : 1
    const at = performance.now()
    const score = (e: Entry): number => {
      const oldest = e.running.values().next().value
      const estimate = Math.max(e.avgLatencyMs ?? optimistic, oldest == null ? 0 : at - oldest, 1)
      return (e.running.size + 1) * estimate
    }
    const scored = candidates.map(e => ({ e, s: score(e) }))
    const best = Math.min(...scored.map(x => x.s))
    const tied = scored.filter(x => x.s <= best * (1 + ROUTING_TIE_TOLERANCE))
    tied.sort((a, b) => a.e.lastPicked - b.e.lastPicked)
    return tied[0].e
  }

  function succeeded (e: Entry, ms: number): void {
    e.consecutiveFailures = 0
    e.coolingDownUntil = 0
    e.lastLatencyMs = ms
    e.avgLatencyMs = e.avgLatencyMs == null ? ms : e.avgLatencyMs * (1 - LATENCY_EWMA_WEIGHT) + ms * LATENCY_EWMA_WEIGHT
  }

  function failed (e: Entry, err: Error, ms: number): void {
    const code = (err as EndpointRequestError).code
    e.failures++
    e.consecutiveFailures++
    e.lastError = err.message
    if (SLOW_FAILURES.has(code)) {
      e.timeouts++
      e.lastLatencyMs = ms
      // the time it took to give up is a floor on its latency: without it, an endpoint that
      // only ever timed out looks as fast as the best one and takes the next turns too
      e.avgLatencyMs = e.avgLatencyMs == null ? ms : e.avgLatencyMs * (1 - LATENCY_EWMA_WEIGHT) + ms * LATENCY_EWMA_WEIGHT
    }
    const retryAfter = (err as EndpointRequestError).retryAfterMs
    if (retryAfter != null && retryAfter > 0) {
      e.coolingDownUntil = Math.max(e.coolingDownUntil, now() + retryAfter)
    }
    if (e.consecutiveFailures >= failuresBeforeCooldown) {
      e.coolingDownUntil = Math.max(e.coolingDownUntil, now() + cooldownMs)
      log.warn(`endpoint ${e.client.url} cooling down for ${cooldownMs} ms after ${e.consecutiveFailures} failures: ${err.message}`)
    }
  }

  async function chat (request: ChatRequest, options: { signal?: AbortSignal } = {}): Promise<ChatReply> {
    if (entries.size === 0) throw new NoEndpointError()
    const deadline = performance.now() + budgetMs
    const attempts: Array<{ url: string, error: string }> = []
    const tried = new Set<string>()
    const excluded = new Set<string>()
    let lastErr: unknown
    for (let attempt = 0; attempt < maxAttempts; attempt++) {
      if (options.signal?.aborted === true) throw new AbortedError(options.signal.reason)
      const left = Math.floor(deadline - performance.now())
      // a few ms left (a timer fired early) is no time for another request
      if (left < MIN_ATTEMPT_MS) {
        log.debug(`turn budget of ${budgetMs} ms spent after ${attempt} attempt(s)`)
        break
      }
      const e = pick(tried, excluded)
      if (e == null) break
      tried.add(e.key)
      const id = ++requestCounter
      const started = performance.now()
      e.running.set(id, started)
      e.requests++
      e.lastPicked = ++pickCounter
      try {
        const reply = await e.client.complete(request, {
          timeoutMs: Math.min(timeoutMs, left),
          stream,
          streamIdleTimeoutMs: idleTimeoutMs,
          signal: options.signal
        })
        succeeded(e, reply.ms)
        return reply
      } catch (err: any) {
        if (err instanceof AbortedError) throw err
        const error = err instanceof Error ? err : new Error(String(err))
        failed(e, error, performance.now() - started)
        if (SLOW_FAILURES.has((error as EndpointRequestError).code)) excluded.add(e.key)
        attempts.push({ url: e.client.url, error: `${error.message}` })
        log.debug(`attempt ${attempt + 1} on ${e.client.url} failed: ${error.message}`)
        lastErr = err
      } finally {
        e.running.delete(id)
      }
    }
    throw new EndpointsExhaustedError(attempts, lastErr)
  }

  return {
    chat,
    setPeerEndpoints (peerId, endpoints) {
      if (!usePeers) return
      // presence is untrusted input: a bad URL is logged and skipped, never thrown
      const valid: PeerEndpoint[] = []
      for (const ep of endpoints) {
        try {
          valid.push({ url: normaliseBaseUrl(ep.url), model: ep.model === '' ? undefined : ep.model })
        } catch (err: any) {
          log.warn(`ignoring endpoint ${String(ep?.url)} advertised by ${peerId}: ${err?.message}`)
        }
      }
      const wanted = new Set(valid.map(ep => keyOf(ep.url, ep.model ?? init.model)))
      for (const [key, e] of entries) {
        if (e.peerId === peerId && !wanted.has(key)) entries.delete(key)
      }
      for (const ep of valid) add({ url: ep.url, model: ep.model, source: 'peer' }, peerId)
    },
    removePeer (peerId) {
      for (const [key, e] of entries) if (e.peerId === peerId) entries.delete(key)
    },
    stats () {
      const t = now()
      return [...entries.values()].map(e => {
        const { key: _key, client, configuredModel, coolingDownUntil, running, lastPicked: _lastPicked, ...counters } = e
        return {
          url: client.url,
          model: client.modelName ?? configuredModel ?? null,
          ...counters,
          inFlight: running.size,
          coolingDownUntil: coolingDownUntil > t ? coolingDownUntil : null
        }
      })
    },
    size: () => entries.size
  }
}
