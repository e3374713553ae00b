/** Renders rows as an aligned text table for people; scripts use --json instead. */
export function table (rows: Array<Record<string, unknown>>, columns: string[]): string {
  const cells = rows.map(row => columns.map(c => formatCell(row[c])))
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map(r => r[i].length)))
  const line = (values: string[]) => values.map((v, i) => v.padEnd(widths[i])).join('  ').trimEnd()
  return [line(columns.map(c => c.toUpperCase())), ...cells.map(line)].join('\n') + '\n'
}

function formatCell (value: unknown): string {
  if (value == null) return '-'
  if (Array.isArray(value)) return value.map(formatCell).join(',')
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : value.toFixed(2)
  return String(value)
}

/** Pretty JSON with a trailing newline, the one format for --json. */
export function json (value: unknown): string {
  return JSON.stringify(value, null, 2) + '\n'
}

export { formatBytes } from '../units.ts'

export function formatMs (ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`
}
