/**
 * Finds JSON values inside model text: fenced blocks, <tool_call> tags, or bare objects
 * and arrays among prose. Small local models wrap, prefix and suffix their JSON in every
 * way; this reads what is there without guessing at broken syntax.
 */

/** Characters the scanner may visit per text, in total. */
const SCAN_BUDGET = 2_000_000

/** Every top-level JSON object/array in the text that parses, in order of appearance. */
export function jsonValuesIn (text: string): unknown[] {
  const out: unknown[] = []
  // bounded work: a pathological reply full of unclosed brackets must not pin the CPU
  const budget = { steps: SCAN_BUDGET }
  let i = 0
  while (i < text.length && budget.steps > 0) {
    const ch = text[i]
    if (ch === '{' || ch === '[') {
      const end = matchingClose(text, i, budget)
      if (end > 0) {
        const parsed = tryParse(text.slice(i, end + 1))
        if (parsed.ok) {
          out.push(parsed.value)
          i = end + 1
          continue
        }
      }
    }
    i++
  }
  return out
}

/** Index of the bracket closing the one at `start`, honouring strings; -1 if none. */
function matchingClose (text: string, start: number, budget: { steps: number }): number {
  const stack: string[] = []
  let inString = false
  for (let i = start; i < text.length; i++) {
    if (--budget.steps <= 0) return -1
    const ch = text[i]
    if (inString) {
      if (ch === '\\') i++
      else if (ch === '"') inString = false
      continue
    }
    if (ch === '"') inString = true
    else if (ch === '{' || ch === '[') stack.push(ch === '{' ? '}' : ']')
    else if (ch === '}' || ch === ']') {
      if (stack.pop() !== ch) return -1
      if (stack.length === 0) return i
    }
  }
  return -1
}

export function tryParse (text: string): { ok: true, value: unknown } | { ok: false, error: string } {
  try {
    return { ok: true, value: JSON.parse(text) }
  } catch (err: any) {
    return { ok: false, error: String(err?.message ?? err).slice(0, 120) }
  }
}

/**
 * Tool-call arguments as an object. Accepts '' (no arguments), an object wrapped in prose
 * or fences, and double-encoded strings; anything else is an error the model can read.
 */
export function parseArguments (raw: string): { ok: true, args: Record<string, unknown> } | { ok: false, error: string } {
  const text = raw.trim()
  if (text === '' || text === 'null' || text === '{}') return { ok: true, args: {} }
  let parsed = tryParse(text)
  if (parsed.ok && typeof parsed.value === 'string') parsed = tryParse(parsed.value)
  if (!parsed.ok) {
    const inner = jsonValuesIn(text).find(isPlainObject)
    if (inner != null) return { ok: true, args: inner }
    return { ok: false, error: `arguments are not valid JSON (${parsed.error}); send one JSON object` }
  }
  if (!isPlainObject(parsed.value)) return { ok: false, error: 'arguments must be a JSON object' }
  return { ok: true, args: parsed.value }
}

export function isPlainObject (v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v != null && !Array.isArray(v)
}

/** Stable key of a call, so an identical repeat is recognised whatever the key order. */
export function callKey (tool: string, args: Record<string, unknown>): string {
  return `${tool} ${canonical(args)}`
}

function canonical (v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`
  if (isPlainObject(v)) return `{${Object.keys(v).sort().map(k => `${JSON.stringify(k)}:${canonical(v[k])}`).join(',')}}`
  return JSON.stringify(v) ?? 'null'
}
