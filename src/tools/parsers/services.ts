/**
 * Service manager parsers. systemd: `systemctl list-units --failed --plain --no-legend`
 * and `systemctl show -p ...`. launchd: `launchctl list` (PID, last exit status, label)
 * and `launchctl list LABEL` (a NeXTSTEP-style dictionary).
 */
import { ToolParseError } from '../errors.ts'
import type { FailedServicesData } from '../types.ts'
import { lines, splitFields } from './util.ts'

type Failed = FailedServicesData['failed']

/** `UNIT LOAD ACTIVE SUB DESCRIPTION` rows; a leading status bullet is tolerated. */
export function parseSystemctlFailed (text: string): Failed {
  const out: Failed = []
  for (const raw of lines(text)) {
    const row = raw.replace(/^\s*[●*×]\s*/, '')
    const split = splitFields(row, 4)
    if (split === null) throw new ToolParseError(`systemctl: cannot read line '${raw}'`)
    const [name, load, active, sub] = split.fields
    if (!/\.[a-z]+$/.test(name)) throw new ToolParseError(`systemctl: '${name}' is not a unit name`)
    const entry: Failed[number] = { name, state: active === sub ? active : `${active} (${sub})` }
    if (load !== 'loaded') entry.state = `${entry.state}, ${load}`
    if (split.rest.length > 0) entry.description = split.rest
    out.push(entry)
  }
  return out
}

/** `systemctl show` output: one Key=Value per line. */
export function parseKeyValues (text: string): Map<string, string> {
  const out = new Map<string, string>()
  for (const row of lines(text)) {
    const i = row.indexOf('=')
    if (i > 0) out.set(row.slice(0, i), row.slice(i + 1))
  }
  return out
}

/**
 * `launchctl list`: "PID\tStatus\tLabel". A job with no PID and a non-zero last exit
 * status has failed; a negative status is the signal that killed it.
 */
export function parseLaunchctlList (text: string): Failed {
  const rows = lines(text)
  if (rows.length === 0 || !/^PID\s+Status\s+Label/.test(rows[0])) throw new ToolParseError('launchctl list: missing "PID Status Label" header')
  const out: Failed = []
  for (const row of rows.slice(1)) {
    const f = row.trim().split(/\s+/)
    if (f.length < 3) throw new ToolParseError(`launchctl list: cannot read line '${row}'`)
    const [pid, status, label] = f
    if (pid !== '-' || status === '0' || status === '-') continue
    const code = Number(status)
    if (!Number.isInteger(code)) throw new ToolParseError(`launchctl list: bad status '${status}'`)
    out.push({ name: label, state: code < 0 ? `killed by signal ${-code}` : `exited ${code}` })
  }
  return out
}

/** `launchctl list LABEL`: `"Key" = value;` lines inside braces. */
export function parseLaunchctlJob (text: string): Map<string, string> {
  const out = new Map<string, string>()
  for (const row of lines(text)) {
    const m = /^\s*"([^"]+)"\s*=\s*(.*?);\s*$/.exec(row)
    if (m !== null) out.set(m[1], m[2].replace(/^"(.*)"$/, '$1'))
  }
  if (out.size === 0) throw new ToolParseError('launchctl list LABEL: no keys')
  return out
}
