import { createConnection } from 'node:net'

/**
 * The control API wire: newline-delimited JSON over `<home>/control.sock`.
 *   request   {"id": 1, "method": "peers", "params": {}}
 *   stream    {"id": 1, "event": {...}}            zero or more
 *   end       {"id": 1, "result": ...}  or  {"id": 1, "error": {"code": "...", "message": "..."}}
 */
export interface ControlRequest {
  id: string | number
  method: string
  params?: unknown
}

export type ControlResponse =
  | { id: string | number | null, event: unknown }
  | { id: string | number | null, result: unknown }
  | { id: string | number | null, error: { code: string, message: string } }

/** One line may not exceed this; a longer one is a protocol error. */
export const MAX_LINE_BYTES = 4 * 1024 * 1024

/** Splits a byte stream into lines; calls onLine per complete line, onOverflow once if a line is too long. */
export function lineSplitter (onLine: (line: string) => void, onOverflow: () => void): (chunk: Buffer) => void {
  let buffered = ''
  let overflowed = false
  return (chunk) => {
    if (overflowed) return
    buffered += chunk.toString('utf8')
    let nl: number
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl)
      buffered = buffered.slice(nl + 1)
      if (line.trim() !== '') onLine(line)
    }
    if (buffered.length > MAX_LINE_BYTES) {
      overflowed = true
      onOverflow()
    }
  }
}

/** True when something accepts connections on this Unix socket (a live peer). */
export async function answers (path: string): Promise<boolean> {
  return await new Promise((resolve) => {
    const s = createConnection(path)
    s.once('connect', () => { s.destroy(); resolve(true) })
    s.once('error', () => { resolve(false) })
  })
}
