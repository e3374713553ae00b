/**
 * The job wire protocol: every message a peer gossips about jobs, as zod schemas.
 * One topic, a `type` field, a protocol version `v`, and on every per-job message the
 * job's election epoch so stale coordinators are ignored. Sizes are bounded here; who
 * may send what is checked above this layer (src/node/jobs/authorize.ts).
 */
import { z } from 'zod'
import { brainInfoSchema, taskOutcomeSchema } from './messages-outcome.ts'
import { jobStatusSchema, reportSchema } from './messages-report.ts'

/** The pubsub topic of the job protocol; the suffix is the protocol version. */
export const JOBS_TOPIC = 'swarm/jobs/1'
export const PROTOCOL_VERSION = 1
/** Longest job prompt accepted, in characters. */
export const MAX_PROMPT = 4000

const ident = z.string().min(1).max(128).regex(/^[A-Za-z0-9._:-]+$/)
const peerId = z.string().min(1).max(128).regex(/^[A-Za-z0-9]+$/)
const name = z.string().min(1).max(200)
const epoch = z.number().int().min(0).max(1_000_000)
const attempt = z.number().int().min(1).max(1000)

/** Fields every per-job message carries. */
const jobBase = {
  v: z.literal(PROTOCOL_VERSION),
  jobId: ident,
  epoch,
  /** sender's clock (ms since epoch); informational, never used for leases */
  ts: z.number()
}

export const jobSubmittedSchema = z.object({
  ...jobBase,
  type: z.literal('job.submitted'),
  prompt: z.string().min(1).max(MAX_PROMPT),
  /** peerIds the job is limited to; null = every member (fleet-wide) */
  targets: z.array(peerId).min(1).max(1024).nullable(),
  submitter: peerId,
  submitterName: name,
  submittedAt: z.number(),
  /** absolute deadline, ms since epoch */
  deadline: z.number()
})

export const jobClaimSchema = z.object({
  ...jobBase,
  type: z.literal('job.claim'),
  coordinator: peerId,
  coordinatorName: name,
  /** how long this claim holds without renewal, ms */
  leaseMs: z.number().int().min(100).max(600_000)
})

export const plannedTaskSchema = z.object({
  taskId: ident,
  host: peerId.nullable(),
  hostName: name.optional(),
  prompt: z.string().min(1).max(MAX_PROMPT)
})

export const jobPlanSchema = z.object({
  ...jobBase,
  type: z.literal('job.plan'),
  tasks: z.array(plannedTaskSchema).max(1024),
  brain: brainInfoSchema,
  /** load1 of each host when the plan was made (for the report) */
  loads: z.array(z.object({ peerId, name, load: z.number() })).max(1024)
})

export const taskOfferSchema = z.object({
  ...jobBase,
  type: z.literal('task.offer'),
  taskId: ident,
  host: peerId.nullable(),
  hostName: name.optional(),
  prompt: z.string().min(1).max(MAX_PROMPT),
  attempt,
  /** the job's deadline (ms since epoch), for a worker that missed job.submitted */
  deadline: z.number().optional(),
  /** peers that must not claim it (e.g. the worker that went dark) */
  exclude: z.array(peerId).max(1024).optional()
})

export const taskClaimSchema = z.object({
  ...jobBase,
  type: z.literal('task.claim'),
  taskId: ident,
  attempt,
  worker: peerId,
  /** tasks the worker is running now; the coordinator grants to the least loaded */
  load: z.number().int().min(0).max(10_000)
})

export const taskGrantSchema = z.object({
  ...jobBase,
  type: z.literal('task.grant'),
  taskId: ident,
  attempt,
  worker: peerId,
  workerName: name.optional()
})

export const taskProgressSchema = z.object({
  ...jobBase,
  type: z.literal('task.progress'),
  taskId: ident,
  attempt,
  worker: peerId,
  step: z.number().int().min(0),
  toolCalls: z.number().int().min(0),
  lastTool: z.string().max(120).optional()
})

export const taskResultSchema = z.object({
  ...jobBase,
  type: z.literal('task.result'),
  taskId: ident,
  attempt,
  worker: peerId,
  workerName: name.optional(),
  outcome: taskOutcomeSchema
})

/** The coordinator's verdict on a task it gave up waiting for. */
export const taskStateSchema = z.object({
  ...jobBase,
  type: z.literal('task.state'),
  taskId: ident,
  attempt,
  state: z.enum(['unreachable', 'error']),
  reason: z.string().max(500)
})

/**
 * The coordinator's signature of a report (src/node/jobs/signature.ts), base64. Optional in
 * the schema so a previous-version message still parses, but a report without a valid one
 * is dropped (`bad-signature`).
 */
const reportSig = z.string().min(1).max(200).regex(/^[A-Za-z0-9+/=]+$/)

export const jobResultSchema = z.object({
  ...jobBase,
  type: z.literal('job.result'),
  report: reportSchema,
  sig: reportSig.optional()
})

/** A stored report re-gossiped by any peer for a peer that missed it (catch-up). */
export const jobReportSchema = z.object({
  ...jobBase,
  type: z.literal('job.report'),
  submitted: jobSubmittedSchema,
  report: reportSchema,
  /** the coordinator's signature, relayed as it was published */
  sig: reportSig.optional()
})

/** Recent finished jobs a peer holds, sent when membership changes. */
export const jobDigestSchema = z.object({
  v: z.literal(PROTOCOL_VERSION),
  type: z.literal('job.digest'),
  ts: z.number(),
  jobs: z.array(z.object({ jobId: ident, status: jobStatusSchema, epoch })).max(500)
})

/** A peer asking for the reports of jobs it missed. */
export const jobFetchSchema = z.object({
  v: z.literal(PROTOCOL_VERSION),
  type: z.literal('job.fetch'),
  ts: z.number(),
  jobIds: z.array(ident).min(1).max(500)
})

export const jobMessageSchema = z.discriminatedUnion('type', [
  jobSubmittedSchema, jobClaimSchema, jobPlanSchema, taskOfferSchema, taskClaimSchema,
  taskGrantSchema, taskProgressSchema, taskResultSchema, taskStateSchema, jobResultSchema,
  jobReportSchema, jobDigestSchema, jobFetchSchema
])

export type JobMessage = z.infer<typeof jobMessageSchema>
export type JobMessageType = JobMessage['type']
export type MessageOf<T extends JobMessageType> = Extract<JobMessage, { type: T }>
/** A per-job message (everything but digest/fetch). */
export type PerJobMessage = Exclude<JobMessage, { type: 'job.digest' | 'job.fetch' }>
/** A message as the sender builds it: v and ts are filled in by the codec. */
export type OutgoingMessage = JobMessage extends infer M ? M extends JobMessage ? Omit<M, 'v' | 'ts'> & { ts?: number } : never : never

export type JobSubmitted = MessageOf<'job.submitted'>
export type PlannedTaskWire = z.infer<typeof plannedTaskSchema>
