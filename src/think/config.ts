import { z } from 'zod'
import {
  DEFAULT_COOLDOWN_MS, DEFAULT_FAILURES_BEFORE_COOLDOWN, DEFAULT_MAX_ATTEMPTS, DEFAULT_MAX_PARALLEL_TOOLS,
  DEFAULT_MAX_CONTEXT_CHARS, DEFAULT_MAX_STEPS, DEFAULT_MAX_TOOL_RESULT_CHARS, DEFAULT_REQUEST_TIMEOUT_MS,
  DEFAULT_STREAM_IDLE_TIMEOUT_MS, DEFAULT_TURN_BUDGET_MS
} from './constants.ts'

/** One configured OpenAI-compatible endpoint. */
export const endpointConfigSchema = z.object({
  /** base URL including /v1, e.g. http://gpu-box:11434/v1 */
  url: z.string().url(),
  /** model for this endpoint; empty = the [think] model, else the first one the endpoint lists */
  model: z.string().default(''),
  /** API key sent as Bearer; empty = none (most local servers ignore it) */
  apiKey: z.string().default('')
}).strict()
export type EndpointConfig = z.infer<typeof endpointConfigSchema>

/** Thresholds of the playbook brain (documented in config/default.toml). */
export const playbookConfigSchema = z.object({
  diskCriticalPercent: z.number().min(1).max(100).default(90),
  diskWarningPercent: z.number().min(1).max(100).default(80),
  memoryAvailableCriticalPercent: z.number().min(0).max(100).default(5),
  memoryAvailableWarningPercent: z.number().min(0).max(100).default(10),
  loadPerCoreWarning: z.number().positive().default(1.5),
  loadPerCoreCritical: z.number().positive().default(3),
  recentErrorsWarning: z.number().int().positive().default(20),
  dnsSlowMs: z.number().int().positive().default(1000)
}).strict()
export type PlaybookConfig = z.infer<typeof playbookConfigSchema>

/** [think] section of the config. Defaults are documented in config/default.toml. */
export const thinkConfigSchema = z.object({
  brain: z.enum(['auto', 'playbook']).default('auto'),
  model: z.string().default(''),
  endpoints: z.array(endpointConfigSchema).default([]),
  usePeerEndpoints: z.boolean().default(true),
  stream: z.boolean().default(false),
  temperature: z.number().min(0).max(2).default(0.1),
  requestTimeoutMs: z.number().int().positive().default(DEFAULT_REQUEST_TIMEOUT_MS),
  turnBudgetMs: z.number().int().positive().default(DEFAULT_TURN_BUDGET_MS),
  /** 0 = no idle limit (the request timeout still applies) */
  streamIdleTimeoutMs: z.number().int().min(0).default(DEFAULT_STREAM_IDLE_TIMEOUT_MS),
  maxAttempts: z.number().int().min(1).max(10).default(DEFAULT_MAX_ATTEMPTS),
  failuresBeforeCooldown: z.number().int().min(1).default(DEFAULT_FAILURES_BEFORE_COOLDOWN),
  cooldownMs: z.number().int().min(0).default(DEFAULT_COOLDOWN_MS),
  maxSteps: z.number().int().min(1).max(50).default(DEFAULT_MAX_STEPS),
  maxToolResultChars: z.number().int().min(200).default(DEFAULT_MAX_TOOL_RESULT_CHARS),
  maxParallelTools: z.number().int().min(1).max(16).default(DEFAULT_MAX_PARALLEL_TOOLS),
  maxContextChars: z.number().int().min(2000).default(DEFAULT_MAX_CONTEXT_CHARS),
  playbook: playbookConfigSchema.prefault({})
}).strict()
export type ThinkConfig = z.infer<typeof thinkConfigSchema>

/** The defaults, for callers that have no config file (tests, `swarm ask` with none). */
export function defaultThinkConfig (): ThinkConfig {
  return thinkConfigSchema.parse({})
}
