/** Small helpers shared by the parsers. */
import { ToolParseError } from '../errors.ts'

export function lines (text: string): string[] {
  return text.split('\n').map(l => l.replace(/\r$/, '')).filter(l => l.trim().length > 0)
}

/** A non-negative integer field, or a parse error naming what was expected. */
export function int (value: string | undefined, what: string): number {
  if (value === undefined || !/^\d+$/.test(value)) throw new ToolParseError(`expected a whole number for ${what}, got '${value ?? ''}'`)
  const n = Number(value)
  if (!Number.isSafeInteger(n)) throw new ToolParseError(`${what} out of range: ${value}`)
  return n
}

export function num (value: string | undefined, what: string): number {
  if (value === undefined || !/^-?\d+(\.\d+)?$/.test(value)) throw new ToolParseError(`expected a number for ${what}, got '${value ?? ''}'`)
  return Number(value)
}

/** df's percentage: used over what a non-root user could use, rounded up. */
export function dfPercent (used: number, available: number): number {
  const total = used + available
  if (total === 0) return 0
  return Math.ceil((used * 100) / total)
}

export function round (n: number, digits = 2): number {
  const f = 10 ** digits
  return Math.round(n * f) / f
}

/** Splits off the first `n` whitespace-separated fields; the rest of the line stays intact. */
export function splitFields (line: string, n: number): { fields: string[], rest: string } | null {
  const fields: string[] = []
  let i = 0
  for (let k = 0; k < n; k++) {
    while (i < line.length && /\s/.test(line[i])) i++
    const start = i
    while (i < line.length && !/\s/.test(line[i])) i++
    if (start === i) return null
    fields.push(line.slice(start, i))
  }
  while (i < line.length && /\s/.test(line[i])) i++
  return { fields, rest: line.slice(i) }
}
