/**
 * The contract of the think layer: findings, claims, tool-call records, brains, and the
 * job-level plan/synthesis. The agent loop, the playbook brain, the verifier and the
 * job coordinator all speak these types. Knows nothing of libp2p.
 */
import type { ToolRunner } from '../tools/types.ts'

export type Severity = 'critical' | 'warning' | 'info'

/** A checkable statement, e.g. { metric: 'disk.usedPercent', subject: '/', value: 90, unit: '%' }. */
export interface Claim {
  metric: string
  subject?: string
  value: number | string | boolean
  unit?: string
}

/** The outcome of checking one claim against the cited tool data. */
export interface ClaimCheck {
  claim: Claim
  /** true: evidence agrees; false: evidence disagrees; null: nothing to check it against */
  verified: boolean | null
  /** what the evidence actually says, when it could be read */
  observed?: number | string | boolean
  /** tool call id the observation came from */
  source?: string
  note?: string
}

export interface Finding {
  severity: Severity
  title: string
  detail: string
  /** ids of the tool calls this finding rests on */
  evidence: string[]
  claims: Claim[]
}

/** A finding after verification. verified: all claims true -> true; any false -> false; none checkable -> null. */
export interface VerifiedFinding extends Finding {
  verified: boolean | null
  checks: ClaimCheck[]
  /** evidence ids that name no tool call of this task (kept, not hidden) */
  unknownEvidence?: string[]
}

/** One tool call an agent made, as kept in results and reports. */
export interface ToolCallRecord {
  id: string
  tool: string
  args: Record<string, unknown>
  ok: boolean
  ms: number
  exitCode: number | null
  error?: string
  /** structured output (bounded); what the verifier reads */
  data: unknown
  /** short digest of the structured output, for reports */
  digest: string
  /** true when answered from an identical earlier call */
  cached?: boolean
}

/** Which brain wrote an answer. */
export type BrainInfo =
  | { kind: 'playbook', reason: 'configured' | 'no-endpoint' | 'fallback' }
  | { kind: 'model', endpoint: string, model: string }

/** What one agent task produces on one host. */
export interface TaskOutcome {
  answer: string
  findings: VerifiedFinding[]
  toolCalls: ToolCallRecord[]
  brain: BrainInfo
  /** model turns taken (0 for the playbook) */
  steps: number
  ms: number
  /** set when the task could not finish properly (still carries what it gathered) */
  error?: string
}

/** Events an agent emits while it works (for `swarm ask` streaming and task.progress). */
export type AgentEvent =
  | { type: 'thinking', step: number }
  | { type: 'tool:start', id: string, tool: string, args: Record<string, unknown> }
  | { type: 'tool:end', record: ToolCallRecord }
  | { type: 'answer', text: string }
  | { type: 'fallback', reason: string }

export interface TaskInput {
  prompt: string
  /** short context line: which host, which job */
  context?: string
}

export interface RunTaskOptions {
  tools: ToolRunner
  signal?: AbortSignal
  onEvent?: (event: AgentEvent) => void
}

/** Anything that can investigate a task on this machine: a model-driven agent or the playbook. */
export interface TaskBrain {
  runTask: (task: TaskInput, options: RunTaskOptions) => Promise<TaskOutcome>
}

// ---- job-level thinking (used by the coordinator) ----

/** A member as the planner sees it. */
export interface PlanMember {
  peerId: string
  name: string
  platform?: string
  tags?: string[]
}

export interface PlannedTask {
  taskId: string
  /** peerId of the host this task must run on; null = host-agnostic (any peer may claim) */
  host: string | null
  prompt: string
}

export interface Plan {
  tasks: PlannedTask[]
  brain: BrainInfo
}

/** What synthesis gets per task. */
export interface TaskReportInput {
  taskId: string
  host: string | null
  hostName?: string
  state: 'done' | 'error' | 'unreachable'
  outcome?: TaskOutcome
}

export interface Synthesis {
  summary: string
  /** findings of all tasks, ranked (critical first, verified before unverified) */
  findings: Array<VerifiedFinding & { host: string | null, hostName?: string }>
  brain: BrainInfo
}

export interface JobBrain {
  decompose: (job: { jobId: string, prompt: string }, members: PlanMember[], options?: { signal?: AbortSignal }) => Promise<Plan>
  synthesize: (job: { jobId: string, prompt: string }, results: TaskReportInput[], options?: { signal?: AbortSignal }) => Promise<Synthesis>
}
