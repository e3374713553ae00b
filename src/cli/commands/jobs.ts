import type { Command } from '../command.ts'
import { parseFlags } from '../command.ts'
import { UsageError } from '../errors.ts'
import { json, table } from '../format.ts'
import { resolveHome } from '../../node/home.ts'
import { callControl } from '../../node/control-client.ts'
import type { JobSummary } from '../../node/jobs/service.ts'

/** `swarm jobs`: the jobs this peer knows, newest first, running ones included. */
export const command: Command = {
  summary: 'list jobs this peer knows (any peer holds the whole swarm\'s history)',
  usage: 'jobs [--limit N] [--json] [--home DIR]',
  async run (argv, io) {
    const { values } = parseFlags(argv, { home: { type: 'string' }, json: { type: 'boolean' }, limit: { type: 'string' } })
    let limit: number | undefined
    if (values.limit !== undefined) {
      limit = Number(values.limit)
      if (!Number.isInteger(limit) || limit < 1) throw new UsageError('--limit must be a whole number >= 1')
    }
    const rows = await callControl<JobSummary[]>(resolveHome(values.home, io.env), 'job.list', { limit })
    if (values.json === true) {
      io.stdout(json(rows))
      return 0
    }
    if (rows.length === 0) {
      io.stdout('no jobs yet (swarm run "<prompt>" starts one)\n')
      return 0
    }
    io.stdout(table(rows.map(r => ({
      job: r.jobId,
      status: r.status,
      tasks: `${r.done}/${r.tasks}`,
      coordinator: r.coordinator,
      epoch: r.epoch,
      submitted: new Date(r.submittedAt).toISOString().replace(/\.\d+Z$/, 'Z'),
      by: r.submitter,
      prompt: r.prompt.length > 50 ? r.prompt.slice(0, 49) + '…' : r.prompt
    })), ['job', 'status', 'tasks', 'coordinator', 'epoch', 'submitted', 'by', 'prompt']))
    return 0
  }
}
