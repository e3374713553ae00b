/**
 * Job-level thinking for the coordinator: decompose a job into tasks (a zod-validated plan)
 * and synthesize the task results into one report. The model only plans and writes the
 * summary; findings stay exactly as verified on each host, ranked here. Both steps have a
 * playbook version, used when no model is configured and when the model fails.
 */
import { z } from 'zod'
import type { ThinkConfig } from './config.ts'
import { defaultThinkConfig } from './config.ts'
import { AbortedError, InvalidPlanError } from './errors.ts'
import type { InferencePool } from './pool.ts'
import type { BrainInfo, JobBrain, Plan, PlanMember, PlannedTask, Synthesis, TaskReportInput } from './types.ts'
import { jsonValuesIn } from './json-scan.ts'
import { countBySeverity, rankFindings } from './rank.ts'
import { silentLogger, type Logger } from './logger.ts'

export interface JobBrainComponents {
  /** null or empty: playbook only */
  pool?: InferencePool | null
  config?: ThinkConfig
  logger?: Logger
}

type Job = { jobId: string, prompt: string }

const MAX_PLAN_PROMPT = 2000

/** The default plan: every member investigates itself with the job's prompt. */
export function playbookPlan (job: Job, members: PlanMember[], reason: 'configured' | 'no-endpoint' | 'fallback'): Plan {
  return {
    tasks: members.map((m, i) => ({ taskId: `${job.jobId}.${i + 1}`, host: m.peerId, prompt: job.prompt })),
    brain: { kind: 'playbook', reason }
  }
}

/** Validates a model's plan against the members it was given. */
export function parsePlan (text: string, job: Job, members: PlanMember[]): PlannedTask[] {
  const ids = new Set(members.map(m => m.peerId))
  const byName = new Map(members.map(m => [m.name, m.peerId]))
  const schema = z.object({
    tasks: z.array(z.object({
      host: z.string().nullable().optional().transform(h => h == null || h === '' || h === 'any' ? null : (byName.get(h) ?? h))
        .refine(h => h == null || ids.has(h), 'host must be a member peerId, a member name, or null'),
      prompt: z.string().min(1).max(MAX_PLAN_PROMPT)
    })).min(1).max(Math.max(1, members.length * 4 + 8))
  })
  const candidate = [...jsonValuesIn(text)].reverse().find(v => typeof v === 'object' && v != null && 'tasks' in v)
  if (candidate == null) throw new InvalidPlanError('no {"tasks": [...]} object in the reply')
  const parsed = schema.safeParse(candidate)
  if (!parsed.success) throw new InvalidPlanError(`plan failed validation: ${parsed.error.issues[0]?.message ?? 'invalid'}`, parsed.error)
  return parsed.data.tasks.map((t, i) => ({ taskId: `${job.jobId}.${i + 1}`, host: t.host, prompt: t.prompt }))
}

export function playbookSynthesis (job: Job, results: TaskReportInput[], brain: BrainInfo): Synthesis {
  const findings = rankedFindings(results)
  return { summary: playbookSummary(job, results, findings), findings, brain }
}

function rankedFindings (results: TaskReportInput[]): Synthesis['findings'] {
  const all: Synthesis['findings'] = []
  for (const r of results) {
    for (const f of r.outcome?.findings ?? []) all.push({ ...f, host: r.host, ...(r.hostName != null ? { hostName: r.hostName } : {}) })
  }
  return rankFindings(all)
}

function playbookSummary (job: Job, results: TaskReportInput[], findings: Synthesis['findings']): string {
  const done = results.filter(r => r.state === 'done').length
  const unreachable = results.filter(r => r.state === 'unreachable')
  const errored = results.filter(r => r.state === 'error')
  const c = countBySeverity(findings)
  const contradicted = findings.filter(f => f.verified === false).length
  const lines = [
    `${results.length} task(s): ${done} done` +
      (unreachable.length > 0 ? `, ${unreachable.length} unreachable (${unreachable.map(label).join(', ')})` : '') +
      (errored.length > 0 ? `, ${errored.length} failed (${errored.map(label).join(', ')})` : '') + '.',
    findings.length === 0
      ? 'No findings.'
      : `${c.critical} critical, ${c.warning} warning, ${c.info} info finding(s)` +
        (contradicted > 0 ? `; ${contradicted} contradicted by their own evidence (marked unverified).` : '.')
  ]
  for (const f of findings.filter(f => f.severity !== 'info').slice(0, 10)) {
    lines.push(`- [${f.severity}] ${f.hostName ?? f.host ?? 'any'}: ${f.title}${f.verified === false ? ' (UNVERIFIED: evidence disagrees)' : ''}`)
  }
  return lines.join('\n')
}

const label = (r: TaskReportInput) => r.hostName ?? r.host ?? r.taskId

export function createJobBrain (components: JobBrainComponents = {}): JobBrain {
  const config = components.config ?? defaultThinkConfig()
  const log = components.logger ?? silentLogger
  const pool = components.pool
  const noModel = (): 'configured' | 'no-endpoint' | null =>
    config.brain === 'playbook' ? 'configured' : pool == null || pool.size() === 0 ? 'no-endpoint' : null

  return {
    async decompose (job, members, options = {}) {
      const reason = noModel()
      if (reason != null || pool == null) return playbookPlan(job, members, reason ?? 'no-endpoint')
      try {
        const reply = await pool.chat({
          temperature: config.temperature,
          messages: [
            {
              role: 'system',
              content: 'You plan diagnostic work for a fleet of machines. Each task runs an agent with read-only tools on one host. ' +
                'Reply with ONE JSON object: {"tasks": [{"host": "<peerId of a member, or null for any host>", "prompt": "<what that host should investigate>"}]}. ' +
                'Usually one task per host the job concerns. No prose.'
            },
            { role: 'user', content: `Job: ${job.prompt}\n\nMembers:\n${JSON.stringify(members.map(m => ({ peerId: m.peerId, name: m.name, platform: m.platform, tags: m.tags })))}` }
          ]
        }, options)
        return { tasks: parsePlan(reply.content, job, members), brain: { kind: 'model', endpoint: reply.endpoint, model: reply.model } }
      } catch (err: any) {
        if (err instanceof AbortedError) throw err
        log.warn(`plan from the model unusable, using the playbook plan: ${err?.message}`)
        return playbookPlan(job, members, 'fallback')
      }
    },

    async synthesize (job, results, options = {}) {
      const reason = noModel()
      if (reason != null || pool == null) return playbookSynthesis(job, results, { kind: 'playbook', reason: reason ?? 'no-endpoint' })
      const findings = rankedFindings(results)
      try {
        const digest = results.map(r => ({
          host: label(r),
          state: r.state,
          answer: r.outcome?.answer.slice(0, 1500),
          findings: (r.outcome?.findings ?? []).map(f => ({ severity: f.severity, title: f.title, verified: f.verified }))
        }))
        const reply = await pool.chat({
          temperature: config.temperature,
          messages: [
            {
              role: 'system',
              content: 'You write the summary of a fleet diagnosis for a system administrator: a few plain sentences, most important first, naming hosts. ' +
                'Findings with verified=false are contradicted by their own evidence: never state them as fact. Unreachable hosts were not checked. No JSON.'
            },
            { role: 'user', content: `Job: ${job.prompt}\n\nResults per host:\n${JSON.stringify(digest)}` }
          ]
        }, options)
        const summary = reply.content.trim()
        if (summary === '') throw new Error('empty summary')
        return { summary, findings, brain: { kind: 'model', endpoint: reply.endpoint, model: reply.model } }
      } catch (err: any) {
        if (err instanceof AbortedError) throw err
        log.warn(`summary from the model failed, using the playbook summary: ${err?.message}`)
        return playbookSynthesis(job, results, { kind: 'playbook', reason: 'fallback' })
      }
    }
  }
}
