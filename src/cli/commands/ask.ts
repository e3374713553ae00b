import type { Command, CommandIO } from '../command.ts'
import { parseFlags } from '../command.ts'
import { CliError, UsageError } from '../errors.ts'
import { formatMs, json } from '../format.ts'
import { loadConfig } from '../../node/config.ts'
import { resolveHome } from '../../node/home.ts'
import { localToolRunner } from '../../tools/index.ts'
import { createBrains } from '../../think/setup.ts'
import { ThinkError } from '../../think/errors.ts'
import type { AgentEvent, BrainInfo, TaskOutcome, VerifiedFinding } from '../../think/types.ts'

const MAX_PROMPT_CHARS = 4000

/**
 * `swarm ask`: the agent loop on this machine alone, no peer needed. Tool calls stream
 * to stderr as they happen; stdout gets the answer and findings (or one JSON object).
 */
export const command: Command = {
  summary: 'investigate this machine with the agent (no peer needed); prints answer and findings',
  usage: 'ask "<prompt>" [--brain playbook|URL] [--model M] [--json] [--max-steps N] [--home DIR]',
  flags: `  --brain playbook|URL  the built-in playbook, or an OpenAI-compatible endpoint (default: config,
                        then $OPENAI_BASE_URL; the playbook when none is set or none answers)
  --model M             the model at the endpoint (default: config think.model, $SWARM_MODEL)
  --max-steps N         at most N agent steps (1-50)
  --json                answer, findings and tool calls as one JSON object on stdout
  --home DIR            read settings from this home's config.toml
Tool calls are shown on stderr as they run; the answer goes to stdout.`,
  async run (argv, io) {
    const { values, positionals } = parseFlags(argv, {
      brain: { type: 'string' },
      model: { type: 'string' },
      json: { type: 'boolean' },
      'max-steps': { type: 'string' },
      home: { type: 'string' }
    }, true)
    const prompt = positionals.join(' ').trim()
    if (prompt === '') throw new UsageError('expected a prompt, e.g. swarm ask "why is this box slow?"')
    if (prompt.length > MAX_PROMPT_CHARS) throw new UsageError(`prompt too long (${prompt.length} > ${MAX_PROMPT_CHARS} characters)`)

    const config = loadConfig({ home: resolveHome(values.home, io.env), env: io.env })
    if (values['max-steps'] !== undefined) {
      const n = Number(values['max-steps'])
      if (!Number.isInteger(n) || n < 1 || n > 50) throw new UsageError('--max-steps must be 1-50')
      config.think.maxSteps = n
    }
    let brains
    try {
      brains = createBrains({ config: config.think, env: io.env, flags: { brain: values.brain, model: values.model } })
    } catch (err) {
      if (err instanceof ThinkError) throw new UsageError(`--brain: ${err.message}`)
      throw err
    }
    io.stderr(`brain: ${brains.describe()}\n`)

    const ac = new AbortController()
    const onSignal = () => { ac.abort() }
    process.once('SIGINT', onSignal)
    let outcome: TaskOutcome
    try {
      outcome = await brains.task.runTask({ prompt }, { tools: localToolRunner(config.tools), signal: ac.signal, onEvent: e => { progress(e, io) } })
    } finally {
      process.off('SIGINT', onSignal)
    }
    if (outcome.error === 'aborted') throw new CliError('interrupted', { code: 'ERR_ABORTED', exitCode: 130 })

    if (values.json === true) {
      io.stdout(json({
        answer: outcome.answer,
        findings: outcome.findings,
        toolCalls: outcome.toolCalls,
        brain: outcome.brain,
        steps: outcome.steps,
        ms: outcome.ms,
        ...(outcome.error != null ? { error: outcome.error } : {})
      }))
      return 0
    }
    io.stdout(render(outcome))
    return 0
  }
}

function progress (e: AgentEvent, io: CommandIO): void {
  switch (e.type) {
    case 'thinking':
      if (e.step > 1) io.stderr(`… thinking (step ${e.step})\n`)
      break
    case 'tool:start':
      io.stderr(`→ ${e.id} ${e.tool} ${JSON.stringify(e.args)}\n`)
      break
    case 'tool:end': {
      const r = e.record
      io.stderr(`← ${r.id} ${r.tool} ${r.ok ? 'ok' : 'FAILED'}${r.cached === true ? ' (repeat, earlier result)' : ` ${formatMs(r.ms)}`}: ${r.digest}\n`)
      break
    }
    case 'fallback':
      io.stderr(`! ${e.reason}; the playbook takes over\n`)
      break
  }
}

export function describeBrain (b: BrainInfo): string {
  if (b.kind === 'model') return `model ${b.model} at ${b.endpoint}`
  return b.reason === 'configured' ? 'playbook' : b.reason === 'no-endpoint' ? 'playbook (no inference endpoint configured)' : 'playbook (fallback: no endpoint answered)'
}

/** ✔ evidence agrees, ✘ evidence disagrees (with what it says), ? nothing checkable */
export function verificationMark (f: VerifiedFinding): string {
  if (f.verified === true) return '✔ verified'
  if (f.verified === null) return '? unchecked'
  const wrong = f.checks.filter(c => c.verified === false)
    .map(c => `${c.claim.metric}${c.claim.subject != null ? ` of ${c.claim.subject}` : ''} claimed ${String(c.claim.value)}, evidence says ${String(c.observed)}`)
  return `✘ UNVERIFIED: ${wrong.join('; ')}`
}

function render (o: TaskOutcome): string {
  const lines = [o.answer.trim() === '' ? '(no answer)' : o.answer.trim(), '']
  if (o.findings.length === 0) lines.push('Findings: none')
  else {
    lines.push('Findings:')
    for (const f of o.findings) {
      lines.push(`  [${f.severity}] ${f.title}  ${verificationMark(f)}`)
      if (f.detail !== '') lines.push(`      ${f.detail}`)
      if (f.evidence.length > 0) lines.push(`      evidence: ${f.evidence.join(', ')}`)
    }
  }
  lines.push('', `brain: ${describeBrain(o.brain)} · ${o.steps} step(s) · ${o.toolCalls.length} tool call(s) · ${formatMs(o.ms)}`)
  if (o.error != null) lines.push(`note: ${o.error}`)
  return lines.join('\n') + '\n'
}
