/** failed_services, service_status, recent_errors: what the service manager and the logs say. */
import { z } from 'zod'
import type { ToolContext, ToolSpec } from '../tool.ts'
import type { FailedServicesData, RecentErrorsData, ServiceStatusData } from '../types.ts'
import { parseKeyValues, parseLaunchctlJob, parseLaunchctlList, parseSystemctlFailed } from '../parsers/services.ts'
import { parseJournalJson, parseLogNdjson, type ParsedLog } from '../parsers/logs.ts'
import { lines } from '../parsers/util.ts'
import { ProgramFailedError, ProgramMissingError } from '../errors.ts'
import { noArgs, serviceName, sinceWindow, windowSeconds } from './args.ts'

/** sd_booted(): systemd is the service manager exactly when this directory exists. */
const SYSTEMD_MARK = '/run/systemd/system'
/** One log message kept at most this long; a stack dump should not crowd out the rest. */
const MAX_MESSAGE_CHARS = 500
/** `log show` over an hour of a busy Mac can take a while. */
const MAC_LOG_TIMEOUT_MS = 30_000

function hasSystemd (ctx: ToolContext): boolean {
  if (ctx.exists(SYSTEMD_MARK)) return true
  ctx.note(`no service manager: ${SYSTEMD_MARK} is absent (systemd is not PID 1)`)
  return false
}

/**
 * `launchctl list LABEL` gives LastExitStatus as a raw wait status (exit 78 -> 19968):
 * the exit code sits in bits 8-15, a terminating signal in the low 7 bits. Returns the
 * exit code, or minus the signal like `launchctl list` does.
 */
export function decodeWaitStatus (raw: number): number {
  if (!Number.isInteger(raw) || raw === 0) return 0
  if (raw < 0) return raw
  const signal = raw & 0x7f
  return signal !== 0 ? -signal : (raw >> 8) & 0xff
}

/** The state is the answer; log lines are a bonus that must not sink it (no journal access, no `log`). */
async function logsOrNone (ctx: ToolContext, read: () => Promise<string[]>): Promise<string[]> {
  try {
    return await read()
  } catch (err) {
    if (!(err instanceof ProgramMissingError || err instanceof ProgramFailedError)) throw err
    ctx.note(`log lines unavailable: ${err.message}`)
    return []
  }
}

const clip = (s: string) => s.length > MAX_MESSAGE_CHARS ? `${s.slice(0, MAX_MESSAGE_CHARS)}…` : s

export const failedServices: ToolSpec<typeof noArgs, FailedServicesData> = {
  name: 'failed_services',
  description: 'The service manager (systemd, launchd or none) and every unit/job in a failed state with that state. manager "none" means no service manager runs here (e.g. a container): a result, not an error.',
  args: noArgs,
  impl: {
    linux: async (_args, ctx) => {
      if (!hasSystemd(ctx)) return { manager: 'none', failed: [] }
      const { stdout } = await ctx.run('systemctl', ['list-units', '--failed', '--all', '--plain', '--no-legend', '--no-pager'])
      return { manager: 'systemd', failed: ctx.cap(parseSystemctlFailed(stdout)) }
    },
    darwin: async (_args, ctx) => {
      const { stdout } = await ctx.run('launchctl', ['list'])
      return { manager: 'launchd', failed: ctx.cap(parseLaunchctlList(stdout)) }
    }
  }
}

const statusArgs = z.object({ name: serviceName }).strict()

export const serviceStatus: ToolSpec<typeof statusArgs, ServiceStatusData> = {
  name: 'service_status',
  description: 'One service\'s state (active/inactive/failed, sub-state, main pid) and its most recent log lines. Give a systemd unit (nginx or nginx.service) or a launchd label.',
  args: statusArgs,
  timeoutMs: MAC_LOG_TIMEOUT_MS,
  impl: {
    linux: async ({ name }, ctx) => {
      if (!hasSystemd(ctx)) return { manager: 'none', name, found: false, state: 'unknown', logLines: [] }
      const show = await ctx.run('systemctl', ['show', '--no-pager', '-p', 'LoadState,ActiveState,SubState,MainPID,Id', '--', name])
      const kv = parseKeyValues(show.stdout)
      const found = kv.has('LoadState') && kv.get('LoadState') !== 'not-found'
      const data: ServiceStatusData = { manager: 'systemd', name: kv.get('Id') ?? name, found, state: found ? kv.get('ActiveState') ?? 'unknown' : 'not-found', logLines: [] }
      const sub = kv.get('SubState')
      if (found && sub !== undefined) data.subState = sub
      const pid = Number(kv.get('MainPID'))
      if (Number.isInteger(pid) && pid > 0) data.pid = pid
      if (found && ctx.config.serviceLogLines > 0) {
        data.logLines = await logsOrNone(ctx, async () => {
          const log = await ctx.run('journalctl', ['--no-pager', '-q', '-o', 'short-iso', '-n', String(ctx.config.serviceLogLines), '-u', name])
          return lines(log.stdout).map(clip)
        })
      }
      return data
    },
    darwin: async ({ name }, ctx) => {
      // launchctl exits 113 (older macOS: 1) for a label it does not know
      const job = await ctx.run('launchctl', ['list', name], { okCodes: [0, 1, 113] })
      if (job.exitCode !== 0) return { manager: 'launchd', name, found: false, state: 'not-found', logLines: [] }
      const kv = parseLaunchctlJob(job.stdout)
      const pid = Number(kv.get('PID'))
      const status = decodeWaitStatus(Number(kv.get('LastExitStatus') ?? '0'))
      const data: ServiceStatusData = {
        manager: 'launchd',
        name: kv.get('Label') ?? name,
        found: true,
        state: Number.isInteger(pid) && pid > 0 ? 'running' : status !== 0 ? 'failed' : 'inactive',
        logLines: []
      }
      if (Number.isInteger(pid) && pid > 0) data.pid = pid
      if (status !== 0) data.subState = status < 0 ? `killed by signal ${-status}` : `last exit ${status}`
      if (ctx.config.serviceLogLines > 0) {
        // the name passed the schema (no quotes or spaces), so it cannot change the predicate
        const proc = name.split('.').pop() ?? name
        data.logLines = await logsOrNone(ctx, async () => {
          const log = await ctx.run('log', ['show', '--last', '1h', '--style', 'ndjson', '--predicate', `subsystem == "${name}" OR process == "${proc}"`])
          return parseLogNdjson(log.stdout).entries.slice(-ctx.config.serviceLogLines).map(e => clip(`${e.time} ${e.message}`))
        })
      }
      return data
    }
  }
}

/** Keeps the newest entries (oldest first), each message clipped; unreadable lines are counted. */
function newest (since: string, log: ParsedLog, ctx: ToolContext): RecentErrorsData {
  const kept = ctx.cap(log.entries.map((e, i) => ({ ...e, message: clip(e.message), i })), { max: ctx.config.maxLogEntries, keepFirst: (a, b) => b.i - a.i })
  const data: RecentErrorsData = { since, count: kept.length, entries: kept.map(({ i: _i, ...e }) => e) }
  if (log.dropped > 0) {
    data.dropped = log.dropped
    ctx.note(`${log.dropped} log lines could not be read and were skipped`)
  }
  return data
}

const errorsArgs = z.object({ since: sinceWindow }).strict()

export const recentErrors: ToolSpec<typeof errorsArgs, RecentErrorsData> = {
  name: 'recent_errors',
  description: 'Log messages of priority error or worse from the system journal (Linux) or unified log (macOS) within a recent window, newest last, with the unit/process that logged them.',
  args: errorsArgs,
  timeoutMs: MAC_LOG_TIMEOUT_MS,
  impl: {
    linux: async ({ since }, ctx) => {
      const from = Math.floor(Date.now() / 1000) - windowSeconds(since)
      // -n: the newest N; one more than kept tells that there were more
      const { stdout } = await ctx.run('journalctl', ['--no-pager', '-q', '-p', 'err', '--since', `@${from}`, '-o', 'json', '-n', String(ctx.config.maxLogEntries + 1)])
      return newest(since, parseJournalJson(stdout), ctx)
    },
    darwin: async ({ since }, ctx) => {
      const minutes = Math.max(1, Math.ceil(windowSeconds(since) / 60))
      const { stdout } = await ctx.run('log', ['show', '--last', `${minutes}m`, '--style', 'ndjson', '--predicate', 'messageType == "error" OR messageType == "fault"'])
      return newest(since, parseLogNdjson(stdout), ctx)
    }
  }
}
