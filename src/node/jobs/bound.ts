/**
 * Bounds on what crosses the wire: a task outcome and a job report kept under one
 * message's size, and deadlines kept under the config's maximum on receipt.
 *
 * Keeps a task outcome under the size of one task.result message. Structured tool
 * data goes first (largest first; findings keep the worker's verification verdicts),
 * then long texts are cut, then findings and tool calls beyond a count.
 */
import { MAX_MESSAGE_BYTES, MAX_REPORT_BYTES } from '../../gossip/messages-codec.ts'
import type { JobMessage, JobSubmitted } from '../../gossip/messages.ts'
import type { JobReport } from '../../gossip/messages-report.ts'
import { taskOutcomeSchema, type WireTaskOutcome } from '../../gossip/messages-outcome.ts'
import type { TaskOutcome } from '../../think/types.ts'

/** Room left for the message envelope (ids, epoch...). */
const ENVELOPE = 2048

const size = (v: unknown) => Buffer.byteLength(JSON.stringify(v))

function cut (text: string, max: number): string {
  return text.length <= max ? text : text.slice(0, Math.max(0, max - 20)) + ' [...cut]'
}

/** Returns a copy of the outcome that fits the wire schema and the byte limit. */
export function boundOutcome (outcome: TaskOutcome, maxBytes = MAX_MESSAGE_BYTES - ENVELOPE): WireTaskOutcome {
  const o: WireTaskOutcome = structuredClone({
    answer: cut(outcome.answer ?? '', 16_000),
    findings: outcome.findings.slice(0, 100).map(f => ({
      severity: f.severity,
      title: cut(f.title, 500),
      detail: cut(f.detail, 4000),
      evidence: f.evidence.slice(0, 64),
      claims: f.claims.slice(0, 32),
      verified: f.verified,
      checks: f.checks.slice(0, 32)
    })),
    toolCalls: outcome.toolCalls.slice(0, 200).map(c => ({ ...c, digest: cut(c.digest ?? '', 1000), error: c.error != null ? cut(c.error, 2000) : undefined })),
    brain: outcome.brain,
    steps: outcome.steps,
    ms: outcome.ms,
    ...(outcome.error != null ? { error: cut(outcome.error, 2000) } : {})
  })
  const calls = [...o.toolCalls].sort((a, b) => size(b.data) - size(a.data))
  for (const c of calls) {
    if (size(o) <= maxBytes) break
    c.data = null
  }
  if (size(o) > maxBytes) o.answer = cut(o.answer, 2000)
  for (const f of o.findings) if (size(o) > maxBytes) f.detail = cut(f.detail, 500)
  while (size(o) > maxBytes && o.findings.length > 10) o.findings.pop()
  while (size(o) > maxBytes && o.toolCalls.length > 10) o.toolCalls.pop()
  const parsed = taskOutcomeSchema.safeParse(o)
  if (parsed.success) return parsed.data
  // something the agent produced does not fit the schema: keep what is plain and safe
  return { answer: cut(o.answer, 2000), findings: [], toolCalls: [], brain: outcome.brain, steps: outcome.steps, ms: outcome.ms, error: `outcome did not fit the wire schema: ${parsed.error.issues[0]?.path.join('.')}` }
}

/**
 * Keeps a job report under one job.result message. A big fleet with verbose agents can
 * outgrow it; then answers and details are cut, the per-task copies of findings go (the
 * ranked list keeps them), tool-call arguments go, and finally the least important
 * findings, halving until it fits. The report says `truncated: true`.
 */
export function boundReport (report: JobReport, maxBytes = MAX_REPORT_BYTES - 16 * 1024): JobReport {
  if (size(report) <= maxBytes) return report
  const r: JobReport = structuredClone(report)
  r.truncated = true
  const steps: Array<() => void> = [
    () => { for (const t of r.tasks) if (t.answer != null) t.answer = cut(t.answer, 1000) },
    () => { for (const t of r.tasks) t.findings = [] },
    () => { for (const f of r.findings) { f.detail = cut(f.detail, 500); f.checks = f.checks.filter(c => c.verified === false) } },
    () => { for (const t of r.tasks) for (const c of t.toolCalls) { c.args = {}; if (c.digest != null) c.digest = cut(c.digest, 100) } },
    () => { for (const t of r.tasks) t.answer = undefined }
  ]
  for (const step of steps) {
    if (size(r) <= maxBytes) return r
    step()
  }
  r.summary = cut(r.summary, 4000)
  while (size(r) > maxBytes && r.findings.length > 0) r.findings = r.findings.slice(0, Math.floor(r.findings.length / 2))
  while (size(r) > maxBytes && r.tasks.some(t => t.toolCalls.length > 0)) for (const t of r.tasks) t.toolCalls = t.toolCalls.slice(0, Math.floor(t.toolCalls.length / 2))
  return r
}

/** How far ahead of our clock a submission may be dated (clock skew between boxes), ms. */
export const MAX_CLOCK_AHEAD_MS = 60_000

/**
 * The latest deadline this peer honours for a job submitted at `submittedAt`. It depends
 * only on the message while the submitter's clock is sane, so every peer with the same
 * config holds the same deadline; a submission dated in the future is measured from our
 * clock instead, so nobody can buy time by lying about when it asked.
 */
export function latestDeadline (submittedAt: number, now: number, maxDeadlineMs: number): number {
  return Math.min(submittedAt, now + MAX_CLOCK_AHEAD_MS) + maxDeadlineMs
}

/**
 * Caps every deadline an incoming message carries at the config's maximum, so a hostile
 * or buggy submitter cannot make peers hold a job (and its election, its tasks) for a year.
 * Clamped rather than dropped: a peer whose own limit is larger (or whose clock runs ahead)
 * still gets its job run by the whole fleet, within our bound, instead of by itself alone.
 * Returns the message itself when nothing needed a cap.
 */
export function boundDeadlines<M extends JobMessage> (message: M, now: number, maxDeadlineMs: number): M {
  switch (message.type) {
    case 'job.submitted':
      return boundSubmission(message, now, maxDeadlineMs) as M
    case 'job.report': {
      const submitted = boundSubmission(message.submitted, now, maxDeadlineMs)
      return submitted === message.submitted ? message : { ...message, submitted }
    }
    case 'task.offer': {
      // an offer has no submission time: measure from our clock
      const latest = now + maxDeadlineMs
      return message.deadline != null && message.deadline > latest ? { ...message, deadline: latest } : message
    }
    default:
      return message
  }
}

function boundSubmission (s: JobSubmitted, now: number, maxDeadlineMs: number): JobSubmitted {
  const latest = latestDeadline(s.submittedAt, now, maxDeadlineMs)
  return s.deadline > latest ? { ...s, deadline: latest } : s
}
