import type { Command } from '../command.ts'
import { parseFlags } from '../command.ts'
import { UsageError } from '../errors.ts'
import { json } from '../format.ts'
import { resolveHome } from '../../node/home.ts'
import { callControl } from '../../node/control-client.ts'
import { ControlCallError } from '../../node/errors.ts'
import type { JobReport } from '../../gossip/messages-report.ts'
import { MAX_PROMPT } from '../../gossip/messages.ts'
import type { JobRunEvent } from '../../node/jobs/control.ts'
import { exitCodeOf, renderReport } from '../../node/jobs/render.ts'

/** Control errors that are the caller's mistake: exit 2 like other usage errors. */
const USAGE_CODES = new Set(['ERR_UNKNOWN_TARGET', 'ERR_AMBIGUOUS_TARGET', 'ERR_EMPTY_PROMPT', 'ERR_PROMPT_TOO_LONG', 'ERR_BAD_PARAMS'])

/**
 * `swarm run`: submits a job through the local peer, streams progress to stderr, prints
 * the report on stdout. Exit 0 completed, 3 partial, 1 failed, 2 usage error.
 */
export const command: Command = {
  summary: 'run a job across the swarm and print one report (exit 0 completed, 3 partial, 1 failed)',
  usage: 'run "<prompt>" [--target NAME]... [--deadline SECONDS] [--json] [--quiet] [--home DIR]',
  async run (argv, io) {
    const { values, positionals } = parseFlags(argv, {
      home: { type: 'string' },
      target: { type: 'string', multiple: true },
      deadline: { type: 'string' },
      json: { type: 'boolean' },
      quiet: { type: 'boolean', short: 'q' }
    }, true)
    const prompt = positionals.join(' ').trim()
    if (prompt === '') throw new UsageError('expected a prompt, e.g. swarm run "audit disk, services and DNS on every box"')
    if (prompt.length > MAX_PROMPT) throw new UsageError(`prompt too long (${prompt.length} > ${MAX_PROMPT} characters)`)
    let deadline: number | undefined
    if (values.deadline !== undefined) {
      deadline = Number(values.deadline)
      if (!Number.isInteger(deadline) || deadline < 1) throw new UsageError('--deadline must be a whole number of seconds >= 1')
    }
    const home = resolveHome(values.home, io.env)
    const started = Date.now()
    const show = values.quiet === true ? () => {} : (line: string) => { io.stderr(`[${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s] ${line}\n`) }
    let report: JobReport
    try {
      report = await callControl<JobReport>(home, 'job.run', { prompt, targets: values.target ?? [], deadline }, { onEvent: (e: JobRunEvent) => { progress(e, show) } })
    } catch (err) {
      if (err instanceof ControlCallError && USAGE_CODES.has(err.code)) throw new UsageError(err.message)
      throw err
    }
    if (report.status === 'running') io.stderr('no report arrived before the deadline; this is the job so far\n')
    io.stdout(values.json === true ? json(report) : renderReport(report))
    return exitCodeOf(report)
  }
}

function progress (e: JobRunEvent, show: (line: string) => void): void {
  switch (e.type) {
    case 'submitted':
      show(`job ${e.jobId} submitted (deadline ${new Date(e.deadline).toISOString()})`)
      break
    case 'coordinator':
      show(e.epoch > 1 ? `coordinator ${e.name} took over (epoch ${e.epoch})` : `coordinator ${e.name} (epoch ${e.epoch})`)
      break
    case 'task': {
      const where = e.host ?? `(any) on ${e.worker ?? '?'}`
      const detail = e.state === 'done' ? `done in ${e.ms != null ? (e.ms / 1000).toFixed(1) + ' s' : '?'}, ${e.findings} finding(s)` : e.state
      show(`task ${e.taskId} ${where}: ${detail}`)
      break
    }
    case 'progress':
      show(`targeted ${e.tasks} / running ${e.running} / done ${e.done} / unreachable ${e.unreachable}${e.error > 0 ? ` / error ${e.error}` : ''}`)
      break
  }
}



