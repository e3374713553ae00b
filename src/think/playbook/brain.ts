/**
 * The playbook brain: no model. Runs a fixed set of read-only checks, turns their
 * structured data into findings with documented thresholds (./checks.ts), and verifies
 * them like any other brain's. Default when no endpoint is configured, fallback when none
 * answers; its reports say so.
 */
import type { ToolRunner } from '../../tools/types.ts'
import type { PlaybookConfig } from '../config.ts'
import { playbookConfigSchema } from '../config.ts'
import type { BrainInfo, Finding, RunTaskOptions, TaskBrain, TaskInput, TaskOutcome, ToolCallRecord } from '../types.ts'
import { runToolCall } from '../tool-records.ts'
import { verifyFindings } from '../verify.ts'
import { countBySeverity, rankFindings } from '../rank.ts'
import { diskFindings, dnsFindings, errorFindings, loadFindings, memoryFindings, serviceFindings, uptimeFindings } from './checks.ts'
import { DEFAULT_MAX_PARALLEL_TOOLS } from '../constants.ts'

type Rule = (data: any, id: string, t: PlaybookConfig) => Finding[]

/** The checks, in the order they are reported. */
const PLAYBOOK: Array<{ tool: string, rule?: Rule }> = [
  { tool: 'os_info' },
  { tool: 'uptime', rule: uptimeFindings },
  { tool: 'disk_usage', rule: diskFindings },
  { tool: 'memory', rule: memoryFindings },
  { tool: 'system_load', rule: loadFindings },
  { tool: 'failed_services', rule: serviceFindings },
  { tool: 'dns_check', rule: dnsFindings },
  { tool: 'recent_errors', rule: errorFindings }
]

export interface PlaybookOptions {
  config?: Partial<PlaybookConfig>
  /** why the playbook is the brain; @default 'configured' */
  reason?: 'configured' | 'no-endpoint' | 'fallback'
  /** @default 4 */
  maxParallelTools?: number
}

export function playbookBrain (options: PlaybookOptions = {}): TaskBrain {
  const config = playbookConfigSchema.parse(options.config ?? {})
  return {
    runTask: async (task, run) => await runPlaybook(task, run, {
      config,
      reason: options.reason ?? 'configured',
      maxParallelTools: options.maxParallelTools ?? DEFAULT_MAX_PARALLEL_TOOLS
    })
  }
}

/** Also used by the agent loop when it falls back: `prior` are calls made before, `note` says why. */
export async function runPlaybook (
  task: TaskInput,
  run: RunTaskOptions,
  opts: { config: PlaybookConfig, reason: 'configured' | 'no-endpoint' | 'fallback', maxParallelTools: number, prior?: ToolCallRecord[], note?: string, startedAt?: number }
): Promise<TaskOutcome> {
  const started = opts.startedAt ?? performance.now()
  const brain: BrainInfo = { kind: 'playbook', reason: opts.reason }
  const available = new Set(run.tools.list().map(t => t.name))
  const steps = PLAYBOOK.filter(s => available.has(s.tool))
  const prior = opts.prior ?? []
  let n = 0
  const nextId = () => `p${++n}`
  const dnsNames = namesIn(task.prompt)

  const records: ToolCallRecord[] = new Array(steps.length)
  let cursor = 0
  const worker = async () => {
    while (cursor < steps.length && run.signal?.aborted !== true) {
      const i = cursor++
      const step = steps[i]
      const args = step.tool === 'dns_check' && dnsNames.length > 0 ? { names: dnsNames } : {}
      records[i] = (await runToolCall(run.tools, { id: nextId(), tool: step.tool, args }, run)).record
    }
  }
  await Promise.all(Array.from({ length: Math.min(opts.maxParallelTools, steps.length) }, worker))
  const done = records.filter(r => r != null)

  const findings: Finding[] = []
  for (const [i, step] of steps.entries()) {
    const rec = records[i]
    if (rec == null || step.rule == null || !rec.ok || rec.data == null) continue
    try {
      findings.push(...step.rule(rec.data, rec.id, opts.config))
    } catch {
      // data of an unexpected shape gives no finding rather than a crash
    }
  }
  const verified = rankFindings(verifyFindings(findings, done))
  const toolCalls = [...prior, ...done]
  const answer = writeAnswer(verified, done, opts)
  run.onEvent?.({ type: 'answer', text: answer })
  return {
    answer,
    findings: verified,
    toolCalls,
    brain,
    steps: 0,
    ms: Math.round(performance.now() - started),
    ...(run.signal?.aborted === true ? { error: 'aborted' } : {})
  }
}

function writeAnswer (findings: ReturnType<typeof rankFindings>, calls: ToolCallRecord[], opts: { reason: string, note?: string }): string {
  const host = (calls.find(c => c.tool === 'os_info' && c.ok)?.data as any)?.hostname as string | undefined
  const counts = countBySeverity(findings)
  const failed = calls.filter(c => !c.ok)
  const lines = [
    `Playbook checks${host != null ? ` on ${host}` : ''} (no model${opts.reason === 'fallback' ? ': no endpoint answered' : opts.reason === 'no-endpoint' ? ': none configured' : ''}).` +
      (opts.note != null ? ` ${opts.note}` : ''),
    findings.length === 0
      ? `Ran ${calls.length} checks; nothing crossed a threshold.`
      : `Ran ${calls.length} checks: ${counts.critical} critical, ${counts.warning} warning, ${counts.info} info.`
  ]
  if (failed.length > 0) lines.push(`Checks that could not run: ${failed.map(c => `${c.tool} (${c.error ?? 'failed'})`).join('; ')}.`)
  return lines.join('\n')
}

/** Host names written in the task ("is example.com resolving?") become dns_check names. */
export function namesIn (prompt: string): string[] {
  const names = new Set<string>()
  for (const m of prompt.matchAll(/\b((?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,24})\b/gi)) {
    const name = m[1].toLowerCase()
    if (/\.(ts|js|json|log|txt|conf|sh|py|md|toml|yaml|yml|service)$/.test(name)) continue
    names.add(name)
    if (names.size >= 5) break
  }
  return [...names]
}
