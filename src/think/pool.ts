/**
 * The inference pool: every endpoint this peer may think with (config, environment, and
 * those peers advertise), routed by fewest requests in flight, with per-request timeout,
 * retry on another endpoint, cooldown after repeated failures, and readable stats.
 */
import type { ChatReply, ChatRequest } from './chat.ts'
import { normaliseBaseUrl, type EndpointSource, type EndpointSpec } from './brain-choice.ts'
import { EndpointClient } from './endpoint-client.ts'
import { AbortedError, EndpointRequestError, EndpointsExhaustedError, NoEndpointError } from './errors.ts'
import {
  DEFAULT_COOLDOWN_MS, DEFAULT_FAILURES_BEFORE_COOLDOWN, DEFAULT_MAX_ATTEMPTS, DEFAULT_REQUEST_TIMEOUT_MS, LATENCY_EWMA_WEIGHT
} from './constants.ts'
import { silentLogger, type Logger } from './logger.ts'

export interface InferencePoolInit {
  endpoints?: EndpointSpec[]
  /** model for endpoints that name none; undefined = ask the endpoint */
  model?: string
  /** @default 120_000 */
  requestTimeoutMs?: number
  /** @default 3 */
  maxAttempts?: number
  /** @default 2 */
  failuresBeforeCooldown?: number
  /** @default 30_000 */
  cooldownMs?: number
  /** @default false */
  stream?: boolean
  /** accept setPeerEndpoints(); @default true */
  usePeerEndpoints?: boolean
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

interface Entry {
  key: string
  client: EndpointClient
  source: EndpointSource
  peerId?: string
  configuredModel?: string
  inFlight: number
  requests: number
  failures: number
  consecutiveFailures: number
  avgLatencyMs: number | null
  lastLatencyMs: number | null
  coolingDownUntil: number
  lastError?: string
  /** for round-robin among otherwise equal endpoints */
  lastPicked: number
}

export function createInferencePool (init: InferencePoolInit = {}): InferencePool {
  const now = init.now ?? Date.now
  const log = init.logger ?? silentLogger
  const timeoutMs = init.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS
  const maxAttempts = init.maxAttempts ?? DEFAULT_MAX_ATTEMPTS
  const failuresBeforeCooldown = init.failuresBeforeCooldown ?? DEFAULT_FAILURES_BEFORE_COOLDOWN
  const cooldownMs = init.cooldownMs ?? DEFAULT_COOLDOWN_MS
  const stream = init.stream ?? false
  const usePeers = init.usePeerEndpoints ?? true
  const entries = new Map<string, Entry>()
  let pickCounter = 0

  const keyOf = (url: string, model: string | undefined) => `${url}|${model ?? ''}`

  function add (spec: EndpointSpec, peerId?: string): void {
    const model = spec.model ?? init.model
    const key = keyOf(spec.url, model)
    if (entries.has(key)) return
    entries.set(key, {
      key,
      client: new EndpointClient({ url: spec.url, apiKey: spec.apiKey, model }),
      source: spec.source,
      peerId,
      configuredModel: model,
      inFlight: 0,
      requests: 0,
      failures: 0,
      consecutiveFailures: 0,
      avgLatencyMs: null,
      lastLatencyMs: null,
      coolingDownUntil: 0,
      lastPicked: 0
    })
  }

  for (const spec of init.endpoints ?? []) add(spec)

  /** Fewest in flight first; then the faster (within 20%); then the one used longest ago. */
  function pick (tried: Set<string>): Entry | undefined {
    const t = now()
    const usable = [...entries.values()].filter(e => e.coolingDownUntil <= t)
    const fresh = usable.filter(e => !tried.has(e.key))
    const pool = fresh.length > 0 ? fresh : usable
    pool.sort((a, b) => {
      if (a.inFlight !== b.inFlight) return a.inFlight - b.inFlight
      const la = a.avgLatencyMs ?? 0
      const lb = b.avgLatencyMs ?? 0
      if (Math.abs(la - lb) > 0.2 * Math.max(la, lb, 1)) return la - lb
      return a.lastPicked - b.lastPicked
    })
    return pool[0]
  }

  function succeeded (e: Entry, ms: number): void {
    e.consecutiveFailures = 0
    e.coolingDownUntil = 0
    e.lastLatencyMs = ms
    e.avgLatencyMs = e.avgLatencyMs == null ? ms : e.avgLatencyMs * (1 - LATENCY_EWMA_WEIGHT) + ms * LATENCY_EWMA_WEIGHT
  }

  function failed (e: Entry, err: EndpointRequestError | Error, ms: number): void {
    e.failures++
    e.consecutiveFailures++
    e.lastError = err.message
    if ((err as EndpointRequestError).code === 'ERR_TIMEOUT') e.lastLatencyMs = ms
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
    const attempts: Array<{ url: string, error: string }> = []
    const tried = new Set<string>()
    let lastErr: unknown
    for (let attempt = 0; attempt < maxAttempts; attempt++) {
      if (options.signal?.aborted === true) throw new AbortedError(options.signal.reason)
      const e = pick(tried)
      if (e == null) break
      tried.add(e.key)
      e.inFlight++
      e.requests++
      e.lastPicked = ++pickCounter
      const started = performance.now()
      try {
        const reply = await e.client.complete(request, { timeoutMs, stream, signal: options.signal })
        succeeded(e, reply.ms)
        return reply
      } catch (err: any) {
        if (err instanceof AbortedError) throw err
        const error = err instanceof Error ? err : new Error(String(err))
        failed(e, error, performance.now() - started)
        attempts.push({ url: e.client.url, error: `${error.message}` })
        log.debug(`attempt ${attempt + 1} on ${e.client.url} failed: ${error.message}`)
        lastErr = err
      } finally {
        e.inFlight--
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
      return [...entries.values()].map(e => ({
        url: e.client.url,
        model: e.client.modelName ?? e.configuredModel ?? null,
        source: e.source,
        ...(e.peerId != null ? { peerId: e.peerId } : {}),
        inFlight: e.inFlight,
        requests: e.requests,
        failures: e.failures,
        consecutiveFailures: e.consecutiveFailures,
        avgLatencyMs: e.avgLatencyMs,
        lastLatencyMs: e.lastLatencyMs,
        coolingDownUntil: e.coolingDownUntil > t ? e.coolingDownUntil : null,
        ...(e.lastError != null ? { lastError: e.lastError } : {})
      }))
    },
    size: () => entries.size
  }
}
