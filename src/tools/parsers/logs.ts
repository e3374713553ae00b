/** Log parsers: `journalctl -o json` (one object per line) and macOS `log show --style ndjson`. */
import type { RecentErrorsData } from '../types.ts'
import { lines } from './util.ts'

type Entry = RecentErrorsData['entries'][number]

export interface ParsedLog { entries: Entry[], dropped: number }

/** journal MESSAGE is a string, or an array of bytes when it is not valid UTF-8. */
function journalMessage (value: unknown): string | undefined {
  if (typeof value === 'string') return value
  if (Array.isArray(value) && value.every(b => Number.isInteger(b))) return Buffer.from(value as number[]).toString('utf8')
  return undefined
}

export function parseJournalJson (text: string): ParsedLog {
  const entries: Entry[] = []
  let dropped = 0
  for (const row of lines(text)) {
    let obj: Record<string, unknown>
    try { obj = JSON.parse(row) } catch { dropped++; continue }
    const message = journalMessage(obj?.MESSAGE)
    const micros = Number(obj?.__REALTIME_TIMESTAMP)
    if (message === undefined || !Number.isFinite(micros)) { dropped++; continue }
    const entry: Entry = { time: new Date(Math.floor(micros / 1000)).toISOString(), message }
    const unit = obj._SYSTEMD_UNIT ?? obj.SYSLOG_IDENTIFIER ?? obj._COMM
    if (typeof unit === 'string') entry.unit = unit
    entries.push(entry)
  }
  return { entries, dropped }
}

/** `log show --style ndjson`: objects with timestamp, messageType, process path, eventMessage. */
export function parseLogNdjson (text: string): ParsedLog {
  const entries: Entry[] = []
  let dropped = 0
  for (const row of lines(text)) {
    if (!row.startsWith('{')) continue // e.g. the "Filtering the log data using ..." banner
    let obj: Record<string, unknown>
    try { obj = JSON.parse(row) } catch { dropped++; continue }
    if (typeof obj?.eventMessage !== 'string' || typeof obj.timestamp !== 'string') { dropped++; continue }
    // "2026-11-23 21:40:12.345678+0100" -> ISO
    const t = new Date(obj.timestamp.replace(' ', 'T').replace(/([+-]\d\d)(\d\d)$/, '$1:$2'))
    const entry: Entry = { time: Number.isNaN(t.getTime()) ? obj.timestamp : t.toISOString(), message: obj.eventMessage }
    const proc = typeof obj.processImagePath === 'string' ? obj.processImagePath.split('/').pop() : undefined
    const unit = typeof obj.subsystem === 'string' && obj.subsystem.length > 0 ? `${proc ?? '?'} (${obj.subsystem})` : proc
    if (unit !== undefined && unit.length > 0) entry.unit = unit
    entries.push(entry)
  }
  return { entries, dropped }
}
