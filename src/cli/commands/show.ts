import type { Command } from '../command.ts'
import { parseFlags } from '../command.ts'
import { CliError, UsageError } from '../errors.ts'
import { json } from '../format.ts'
import { resolveHome } from '../../node/home.ts'
import { callControl } from '../../node/control-client.ts'
import { ControlCallError } from '../../node/errors.ts'
import type { JobReport } from '../../gossip/messages-report.ts'
import { renderReport } from '../../node/jobs/render.ts'

/** `swarm show JOBID`: a job's report from this peer's history (the report so far if running). */
export const command: Command = {
  summary: 'print a job\'s report (a unique prefix of the id is enough)',
  usage: 'show JOBID [--json] [--home DIR]',
  async run (argv, io) {
    const { values, positionals } = parseFlags(argv, { home: { type: 'string' }, json: { type: 'boolean' } }, true)
    if (positionals.length !== 1) throw new UsageError('expected one job id (see swarm jobs)')
    let report: JobReport
    try {
      report = await callControl<JobReport>(resolveHome(values.home, io.env), 'job.show', { jobId: positionals[0] })
    } catch (err) {
      if (err instanceof ControlCallError && err.code === 'ERR_JOB_NOT_FOUND') throw new CliError(err.message, { code: err.code, exitCode: 1 })
      throw err
    }
    io.stdout(values.json === true ? json(report) : renderReport(report))
    return 0
  }
}
