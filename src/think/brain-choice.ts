import type { ThinkConfig } from './config.ts'
import { BrainChoiceError } from './errors.ts'

/** Where an endpoint came from (shown in pool stats and `swarm peers`). */
export type EndpointSource = 'config' | 'env' | 'flag' | 'peer'

export interface EndpointSpec {
  url: string
  /** empty/undefined = the pool's default model, else the first one the endpoint lists */
  model?: string
  apiKey?: string
  source: EndpointSource
}

/** The outcome of weighing config, environment and flags. */
export type BrainChoice =
  | { kind: 'playbook', reason: 'configured' | 'no-endpoint' }
  | { kind: 'model', endpoints: EndpointSpec[], model?: string }

export interface BrainFlags {
  /** `--brain playbook|URL` */
  brain?: string
  /** `--model M` */
  model?: string
}

/**
 * Decides which brain to use; pure, so `swarm ask` and `swarm start` agree and tests need
 * no process state. Order: flags, then environment, then config. `--brain URL` replaces
 * every other endpoint; OPENAI_BASE_URL adds to the configured ones (the way users expect
 * from other OpenAI clients). With nothing at all: the playbook.
 */
export function resolveBrainChoice (input: { config: ThinkConfig, env?: Record<string, string | undefined>, flags?: BrainFlags }): BrainChoice {
  const { config } = input
  const env = input.env ?? {}
  const flags = input.flags ?? {}
  const model = nonEmpty(flags.model) ?? nonEmpty(env.SWARM_MODEL) ?? nonEmpty(config.model)
  const envKey = nonEmpty(env.OPENAI_API_KEY)

  const flagBrain = nonEmpty(flags.brain)
  if (flagBrain != null) {
    if (flagBrain === 'playbook') return { kind: 'playbook', reason: 'configured' }
    if (flagBrain === 'auto') return fromConfigAndEnv()
    return { kind: 'model', endpoints: [{ url: normaliseBaseUrl(flagBrain), apiKey: envKey, source: 'flag' }], model }
  }
  if (config.brain === 'playbook') return { kind: 'playbook', reason: 'configured' }
  return fromConfigAndEnv()

  function fromConfigAndEnv (): BrainChoice {
    const endpoints: EndpointSpec[] = config.endpoints.map(e => ({
      url: normaliseBaseUrl(e.url),
      model: nonEmpty(e.model),
      apiKey: nonEmpty(e.apiKey) ?? envKey,
      source: 'config' as const
    }))
    const envUrl = nonEmpty(env.OPENAI_BASE_URL)
    if (envUrl != null) {
      const url = normaliseBaseUrl(envUrl)
      if (!endpoints.some(e => e.url === url)) endpoints.push({ url, apiKey: envKey, source: 'env' })
    }
    if (endpoints.length === 0) return { kind: 'playbook', reason: 'no-endpoint' }
    return { kind: 'model', endpoints, model }
  }
}

/**
 * Accepts what people paste: `http://box:11434`, `http://box:11434/`, `http://box:11434/v1/`.
 * A bare host gets `/v1`, since every OpenAI-compatible server we know serves there.
 */
export function normaliseBaseUrl (raw: string): string {
  let url: URL
  try {
    url = new URL(raw.includes('://') ? raw : `http://${raw}`)
  } catch {
    throw new BrainChoiceError(`not a URL or 'playbook': ${raw}`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new BrainChoiceError(`endpoint must be http(s): ${raw}`)
  let path = url.pathname.replace(/\/+$/, '')
  if (path === '') path = '/v1'
  return `${url.protocol}//${url.host}${path}`
}

function nonEmpty (value: string | undefined | null): string | undefined {
  const v = value?.trim()
  return v == null || v === '' ? undefined : v
}
