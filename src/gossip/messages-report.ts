/**
 * The job report: what `swarm run --json` and `swarm show --json` print, what the
 * coordinator gossips in job.result and what every peer stores. docs/report.md
 * documents each field; change both together.
 */
import { z } from 'zod'
import { brainInfoSchema, claimCheckSchema, claimSchema, findingSchema, MAX_TEXT } from './messages-outcome.ts'

export const jobStatusSchema = z.enum(['running', 'completed', 'partial', 'failed'])
export type JobStatus = z.infer<typeof jobStatusSchema>

export const hostStateSchema = z.enum(['pending', 'running', 'ok', 'findings', 'error', 'unreachable'])
export type HostState = z.infer<typeof hostStateSchema>

export const taskStateSchema = z.enum(['pending', 'offered', 'running', 'done', 'error', 'unreachable'])
export type TaskState = z.infer<typeof taskStateSchema>

const who = z.object({ name: z.string().max(200), peerId: z.string().max(128) })

export const reportToolCallSchema = z.object({
  id: z.string().max(120),
  tool: z.string().max(120),
  args: z.record(z.string(), z.unknown()),
  ok: z.boolean(),
  ms: z.number(),
  digest: z.string().max(1000).optional(),
  error: z.string().max(2000).optional()
})

export const reportTaskSchema = z.object({
  taskId: z.string().max(128),
  /** host name for a host-bound task, null for a host-agnostic one */
  host: z.string().max(200).nullable(),
  hostPeerId: z.string().max(128).nullable(),
  /** name of the peer that ran (or runs) it */
  worker: z.string().max(200).nullable(),
  state: taskStateSchema,
  attempts: z.number().int().min(0),
  ms: z.number().nullable(),
  brain: brainInfoSchema.nullable(),
  toolCalls: z.array(reportToolCallSchema).max(200),
  findings: z.array(findingSchema).max(100),
  answer: z.string().max(MAX_TEXT).optional(),
  error: z.string().max(2000).optional()
})

export const reportFindingSchema = z.object({
  host: z.string().max(200).nullable(),
  severity: z.enum(['critical', 'warning', 'info']),
  title: z.string().max(500),
  detail: z.string().max(MAX_TEXT),
  evidence: z.array(z.string().max(120)).max(64),
  verified: z.boolean().nullable(),
  claims: z.array(claimSchema).max(32),
  checks: z.array(claimCheckSchema).max(32)
})

export const perHostSchema = z.object({
  name: z.string().max(200),
  peerId: z.string().max(128),
  tasks: z.number().int(),
  toolCalls: z.number().int(),
  avgTaskMs: z.number().nullable(),
  loadBefore: z.number().nullable(),
  loadAfter: z.number().nullable()
})

export const reportSchema = z.object({
  v: z.literal(1),
  jobId: z.string().max(128),
  prompt: z.string().max(MAX_TEXT),
  status: jobStatusSchema,
  submitter: who,
  submittedAt: z.number(),
  deadline: z.number(),
  endedAt: z.number().nullable(),
  coordinator: who.nullable(),
  epoch: z.number().int().min(0),
  wallMs: z.number(),
  hosts: z.array(who.extend({ state: hostStateSchema })).max(1024),
  tasks: z.array(reportTaskSchema).max(1024),
  findings: z.array(reportFindingSchema).max(2000),
  summary: z.string().max(MAX_TEXT),
  /** set when the report was cut to fit one gossip message (answers, details, task copies of findings) */
  truncated: z.boolean().optional(),
  brains: z.object({ plan: brainInfoSchema.nullable(), summary: brainInfoSchema.nullable() }),
  stats: z.object({
    tasks: z.number().int(),
    succeeded: z.number().int(),
    failed: z.number().int(),
    unreachable: z.number().int(),
    toolCalls: z.number().int(),
    perHost: z.array(perHostSchema).max(1024)
  })
})

export type JobReport = z.infer<typeof reportSchema>
export type ReportTask = z.infer<typeof reportTaskSchema>
export type ReportFinding = z.infer<typeof reportFindingSchema>
