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
  flags: `  JOBID        a job id from swarm jobs, or a prefix of it that names one job
  --json       the report as one JSON object (see docs/report.md)
  --home DIR   the home of the running peer to ask (default $SWARM_HOME, else ~/.swarm)`,
  async run (argv, io) {
    const { values, positionals } = parseFlags(argv, { home: { type: 'string' }, json: { type: 'boolean' } }, true)
    if (positionals.length !== 1) throw new UsageError('expected one job id (see swarm jobs)')
    let report: JobReport
    try {
      report = await callControl<JobReport>(resolveHome(values.home, io.env), 'job.show', { jobId: positionals[0] })
    } catch (err) {
      // a prefix naming several jobs lists them in the one line, so the next try can be exact
      if (err instanceof ControlCallError && (err.code === 'ERR_JOB_NOT_FOUND' || err.code === 'ERR_JOB_AMBIGUOUS')) throw new CliError(err.message, { code: err.code, exitCode: 1 })
      throw err
    }
    io.stdout(values.json === true ? json(report) : renderReport(report))
    return 0
  }
}
