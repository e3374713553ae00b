import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parse as parseToml } from 'smol-toml'
import { z } from 'zod'
import { jobsConfigSchema } from './jobs/config.ts'
import { thinkConfigSchema } from '../think/config.ts'
import { toolsConfigSchema } from '../tools/config.ts'
import { ConfigError } from './errors.ts'

/**
 * The composed config: the peer's own sections (documented in config/default.toml) plus
 * the [tools], [think] and [jobs] sections owned by those layers.
 * Precedence: schema defaults < config/default.toml < $HOME/config.toml < SWARM_* env < flags.
 */

const ms = (def: number) => z.number().int().positive().default(def)
const multiaddr = z.string().regex(/^\/(ip4|ip6|dns|dns4|dns6|dnsaddr)\//, 'expected a multiaddr such as /ip4/10.0.0.5/tcp/4001')

export const peerSectionSchema = z.object({
  /** shown in `swarm peers`; empty means the hostname */
  name: z.string().max(64).default(''),
  tags: z.array(z.string().min(1).max(64)).max(32).default([]),
  listen: z.array(multiaddr).default(['/ip4/0.0.0.0/tcp/0']),
  bootstrap: z.array(multiaddr).default([])
}).strict()

export const discoverySectionSchema = z.object({
  mdns: z.boolean().default(true),
  /** how often this peer asks the LAN who is there; answers are dialled every time */
  mdnsIntervalMs: ms(5000),
  /** how often known-but-unconnected peers and bootstrap addresses are redialled */
  redialIntervalMs: ms(2000),
  dialTimeoutMs: ms(5000),
  /** a connected peer that gossipsub lost for this long is hung up and redialled */
  watchdogMs: ms(5000)
}).strict()

export const presenceSectionSchema = z.object({
  intervalMs: ms(1000)
}).strict()

export const membershipSectionSchema = z.object({
  suspectAfterMs: ms(2500),
  deadAfterMs: ms(4000),
  /** dead sooner when our connection to it closed and nothing arrived since (a killed process) */
  deadAfterDisconnectMs: ms(2000),
  /** dead members stay listed this long, then are forgotten */
  forgetAfterMs: ms(600_000),
  checkIntervalMs: ms(250)
}).strict()

export const connectionSectionSchema = z.object({
  pingIntervalMs: ms(1000),
  pingTimeoutMs: ms(1500),
  maxConnections: z.number().int().positive().default(300)
}).strict()

export const gossipSectionSchema = z.object({
  /** peers each peer forwards gossip to (gossipsub D); lower means fewer duplicate copies */
  meshSize: z.number().int().min(2).max(32).default(2),
  /** peers outside the mesh told about recent message ids each heartbeat (gossipsub Dlazy) */
  lazyPeers: z.number().int().min(0).max(32).default(2)
}).strict()

export const offerSectionSchema = z.object({
  /** an OpenAI-compatible endpoint this box serves to the fleet; empty offers none */
  brainUrl: z.union([z.literal(''), z.url()]).default(''),
  brainModel: z.string().default('')
}).strict()

export const configSchema = z.object({
  peer: peerSectionSchema.prefault({}),
  discovery: discoverySectionSchema.prefault({}),
  presence: presenceSectionSchema.prefault({}),
  membership: membershipSectionSchema.prefault({}),
  connection: connectionSectionSchema.prefault({}),
  gossip: gossipSectionSchema.prefault({}),
  offer: offerSectionSchema.prefault({}),
  tools: toolsConfigSchema.prefault({}),
  think: thinkConfigSchema.prefault({}),
  jobs: jobsConfigSchema.prefault({})
}).strict().superRefine((c, ctx) => {
  if (c.membership.deadAfterMs <= c.membership.suspectAfterMs) {
    ctx.addIssue({ code: 'custom', path: ['membership', 'deadAfterMs'], message: 'must be greater than membership.suspectAfterMs' })
  }
})

export type Config = z.infer<typeof configSchema>
export type ConfigInput = Record<string, any>

export const DEFAULTS_FILE = new URL('../../config/default.toml', import.meta.url)

/** Recursively merges plain objects; arrays and scalars from `over` replace. */
export function mergeConfig (base: ConfigInput, over: ConfigInput): ConfigInput {
  const out: ConfigInput = { ...base }
  for (const [k, v] of Object.entries(over)) {
    if (v === undefined) continue
    const b = out[k]
    out[k] = isPlain(v) && isPlain(b) ? mergeConfig(b, v) : v
  }
  return out
}

function isPlain (v: unknown): v is ConfigInput {
  return v != null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Date)
}

/** Reads a TOML file; a missing file is an empty layer, a malformed one a ConfigError. */
export function readTomlFile (file: string | URL): ConfigInput {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (err: any) {
    if (err?.code === 'ENOENT') return {}
    throw new ConfigError('', `cannot read ${String(file)}: ${err?.code ?? err?.message}`, { cause: err })
  }
  try {
    return parseToml(text) as ConfigInput
  } catch (err: any) {
    const where = err?.line != null ? ` at line ${err.line}` : ''
    throw new ConfigError('', `${String(file)} is not valid TOML${where}: ${String(err?.message ?? err).split('\n')[0]}`, { cause: err })
  }
}

/**
 * Environment overrides. Named ones: SWARM_NAME, SWARM_TAGS, SWARM_LISTEN and
 * SWARM_BOOTSTRAP (comma lists), SWARM_MDNS (true/false). Generic: any key as
 * SWARM_CONFIG__<section>__<key>=<TOML value>, names case-insensitive, e.g.
 * SWARM_CONFIG__MEMBERSHIP__DEADAFTERMS=3000 or SWARM_CONFIG__PEER__TAGS='["gpu"]'.
 */
export function envLayer (env: NodeJS.ProcessEnv): ConfigInput {
  let out: ConfigInput = {}
  const list = (v: string) => v.split(',').map(s => s.trim()).filter(s => s !== '')
  const set = (path: string[], value: unknown) => {
    let obj: ConfigInput = {}
    const leaf = obj
    let cur = obj
    path.slice(0, -1).forEach(p => { cur[p] = {}; cur = cur[p] })
    cur[path[path.length - 1]] = value
    obj = leaf
    out = mergeConfig(out, obj)
  }
  if (env.SWARM_NAME != null) set(['peer', 'name'], env.SWARM_NAME)
  if (env.SWARM_TAGS != null) set(['peer', 'tags'], list(env.SWARM_TAGS))
  if (env.SWARM_LISTEN != null) set(['peer', 'listen'], list(env.SWARM_LISTEN))
  if (env.SWARM_BOOTSTRAP != null) set(['peer', 'bootstrap'], list(env.SWARM_BOOTSTRAP))
  if (env.SWARM_MDNS != null) set(['discovery', 'mdns'], parseEnvValue(env.SWARM_MDNS))
  const known = configSchema.parse({}) as ConfigInput
  for (const [name, raw] of Object.entries(env)) {
    if (!name.toUpperCase().startsWith('SWARM_CONFIG__') || raw == null) continue
    const segments = name.slice('SWARM_CONFIG__'.length).split('__')
    set(canonicalPath(known, segments), parseEnvValue(raw))
  }
  return out
}

/** Maps case-insensitive segments onto the schema's key spelling where the key is known. */
function canonicalPath (known: ConfigInput, segments: string[]): string[] {
  const out: string[] = []
  let cur: unknown = known
  for (const seg of segments) {
    const key = isPlain(cur) ? Object.keys(cur).find(k => k.toLowerCase() === seg.toLowerCase()) : undefined
    out.push(key ?? seg)
    cur = key != null && isPlain(cur) ? cur[key] : undefined
  }
  return out
}

function parseEnvValue (raw: string): unknown {
  try {
    return (parseToml(`v = ${raw}`) as { v: unknown }).v
  } catch {
    return raw
  }
}

export interface LoadConfigOptions {
  /** the peer's home; its config.toml is one layer */
  home?: string
  env?: NodeJS.ProcessEnv
  /** highest-precedence layer, from command-line flags */
  overrides?: ConfigInput
  /** replaces config/default.toml (tests) */
  defaultsFile?: string | URL
}

/** Builds the validated config from all layers; throws ConfigError naming the first bad key. */
export function loadConfig (options: LoadConfigOptions = {}): Config {
  let merged = readTomlFile(options.defaultsFile ?? DEFAULTS_FILE)
  if (options.home != null) merged = mergeConfig(merged, readTomlFile(join(options.home, 'config.toml')))
  merged = mergeConfig(merged, envLayer(options.env ?? {}))
  merged = mergeConfig(merged, options.overrides ?? {})
  return validateConfig(merged)
}

export function validateConfig (input: ConfigInput): Config {
  const result = configSchema.safeParse(input)
  if (result.success) return result.data
  const issue = result.error.issues[0]
  let path = issue.path.map(String).join('.')
  let message = issue.message
  if (issue.code === 'unrecognized_keys') {
    path = [...issue.path.map(String), issue.keys[0]].join('.')
    message = 'unknown key'
  }
  throw new ConfigError(path, message)
}
