/**
 * One "act" step of the agent loop: the tool calls of one model turn, run locally (in
 * parallel, bounded), each turned into a record and a message the model can read. Unknown
 * tools and bad arguments become readable errors; an identical repeat is answered from
 * the earlier result without running the tool again.
 */
import type { ToolRunner } from '../tools/types.ts'
import type { RawToolCall } from './chat.ts'
import type { AgentEvent, ToolCallRecord } from './types.ts'
import { callKey, parseArguments } from './json-scan.ts'
import { runToolCall } from './tool-records.ts'

export interface ToolStepState {
  /** our ids are t1, t2, ...; this counts them */
  counter: number
  /** model's call id -> our id (models cite either) */
  idMap: Map<string, string>
  /** callKey -> the first record of that call */
  cache: Map<string, ToolCallRecord>
  records: ToolCallRecord[]
}

export function newToolStepState (): ToolStepState {
  return { counter: 0, idMap: new Map(), cache: new Map(), records: [] }
}

export interface ToolStepResult {
  /** the model's call id (generated when it gave none) */
  callId: string
  record: ToolCallRecord
  /** what the model reads back */
  content: string
}

export async function runToolStep (
  calls: RawToolCall[],
  state: ToolStepState,
  deps: { tools: ToolRunner, maxParallel: number, maxResultChars: number, signal?: AbortSignal, onEvent?: (e: AgentEvent) => void }
): Promise<ToolStepResult[]> {
  const known = new Set(deps.tools.list().map(t => t.name))
  // ids are given in call order before anything runs, so results and citations line up
  const planned = calls.map(call => {
    const id = `t${++state.counter}`
    const callId = call.id !== '' && !state.idMap.has(call.id) ? call.id : `call_${id}`
    state.idMap.set(callId, id)
    return { call, id, callId }
  })
  const results: ToolStepResult[] = new Array(planned.length)
  let cursor = 0
  const worker = async () => {
    while (cursor < planned.length) {
      const i = cursor++
      results[i] = await runOne(planned[i], state, known, deps)
    }
  }
  await Promise.all(Array.from({ length: Math.min(deps.maxParallel, planned.length) }, worker))
  for (const r of results) state.records.push(r.record)
  return results
}

async function runOne (
  p: { call: RawToolCall, id: string, callId: string },
  state: ToolStepState,
  known: Set<string>,
  deps: { tools: ToolRunner, maxResultChars: number, signal?: AbortSignal, onEvent?: (e: AgentEvent) => void }
): Promise<ToolStepResult> {
  const { call, id, callId } = p
  const refused = (error: string, args: Record<string, unknown> = {}): ToolStepResult => {
    const record: ToolCallRecord = { id, tool: call.name, args, ok: false, ms: 0, exitCode: null, error, data: null, digest: `refused: ${error}`.slice(0, 160) }
    deps.onEvent?.({ type: 'tool:start', id, tool: call.name, args })
    deps.onEvent?.({ type: 'tool:end', record })
    return { callId, record, content: JSON.stringify({ id, tool: call.name, ok: false, error }) }
  }
  if (!known.has(call.name)) {
    return refused(`unknown tool "${call.name}"; available tools: ${[...known].join(', ')}`)
  }
  const parsed = parseArguments(call.arguments)
  if (!parsed.ok) return refused(parsed.error, { raw: call.arguments.slice(0, 500) })
  const args = parsed.args

  const key = callKey(call.name, args)
  const earlier = state.cache.get(key)
  if (earlier != null) {
    const record: ToolCallRecord = { ...earlier, id, cached: true, ms: 0 }
    deps.onEvent?.({ type: 'tool:start', id, tool: call.name, args })
    deps.onEvent?.({ type: 'tool:end', record })
    return { callId, record, content: formatResult(record, '', deps.maxResultChars, `identical to ${earlier.id}; same result, not run again`) }
  }
  const { record, text } = await runToolCall(deps.tools, { id, tool: call.name, args }, deps)
  // failed runs are not cached: a retry after a transient failure is legitimate
  if (record.ok) state.cache.set(key, record)
  return { callId, record, content: formatResult(record, text, deps.maxResultChars) }
}

/**
 * The tool result as the model sees it: id, ok, structured data (or error and raw text).
 * Cut at maxChars with a note saying so, since small context windows drop the front of
 * the prompt silently.
 */
export function formatResult (record: ToolCallRecord, text: string, maxChars: number, note?: string): string {
  const body: Record<string, unknown> = { id: record.id, tool: record.tool, ok: record.ok }
  if (note != null) body.note = note
  if (record.ok) body.data = record.data
  else {
    body.error = record.error ?? 'failed'
    if (text !== '') body.output = text.slice(0, 2000)
  }
  const json = JSON.stringify(body)
  if (json.length <= maxChars) return json
  return `${json.slice(0, maxChars)}\n[truncated: showing ${maxChars} of ${json.length} characters; call the tool with narrower arguments if you need the rest]`
}
