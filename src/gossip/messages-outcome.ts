/**
 * Bounded zod schemas for what a worker reports about one task (findings, tool calls,
 * brain). Shared by task.result and the job report, so both are checked the same way.
 */
import { z } from 'zod'

/** Longest free text we accept in a finding's detail or an answer. */
export const MAX_TEXT = 16_000

const scalar = z.union([z.number(), z.string().max(500), z.boolean()])

export const claimSchema = z.object({
  metric: z.string().min(1).max(120),
  subject: z.string().max(500).optional(),
  value: scalar,
  unit: z.string().max(32).optional()
})

export const claimCheckSchema = z.object({
  claim: claimSchema,
  verified: z.boolean().nullable(),
  observed: scalar.optional(),
  source: z.string().max(120).optional(),
  note: z.string().max(1000).optional()
})

export const findingSchema = z.object({
  severity: z.enum(['critical', 'warning', 'info']),
  title: z.string().max(500),
  detail: z.string().max(MAX_TEXT),
  evidence: z.array(z.string().max(120)).max(64),
  claims: z.array(claimSchema).max(32),
  verified: z.boolean().nullable(),
  checks: z.array(claimCheckSchema).max(32)
})

export const brainInfoSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('playbook'), reason: z.enum(['configured', 'no-endpoint', 'fallback']) }),
  z.object({ kind: z.literal('model'), endpoint: z.string().max(500), model: z.string().max(200) })
])

export const toolCallSchema = z.object({
  id: z.string().min(1).max(120),
  tool: z.string().min(1).max(120),
  args: z.record(z.string(), z.unknown()),
  ok: z.boolean(),
  ms: z.number().min(0),
  exitCode: z.number().int().nullable(),
  error: z.string().max(2000).optional(),
  /** structured data; may be dropped (null) by the sender to keep the message small */
  data: z.unknown(),
  digest: z.string().max(1000),
  cached: z.boolean().optional()
})

export const taskOutcomeSchema = z.object({
  answer: z.string().max(MAX_TEXT),
  findings: z.array(findingSchema).max(100),
  toolCalls: z.array(toolCallSchema).max(200),
  brain: brainInfoSchema,
  steps: z.number().int().min(0),
  ms: z.number().min(0),
  error: z.string().max(2000).optional()
})

export type WireTaskOutcome = z.infer<typeof taskOutcomeSchema>
