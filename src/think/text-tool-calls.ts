/**
 * Tool calls a model wrote as text instead of `tool_calls`, common with small local models:
 * Hermes/Qwen `<tool_call>{...}</tool_call>`, Mistral `[TOOL_CALLS] [...]`, Llama
 * `<|python_tag|>{...}`, fenced ```json blocks, or bare JSON. Only objects naming a tool
 * of the catalog count, so ordinary JSON in an answer is never mistaken for a call.
 */
import type { RawToolCall } from './chat.ts'
import { isPlainObject, jsonValuesIn } from './json-scan.ts'

export function textToolCalls (content: string, known: Set<string>): RawToolCall[] {
  if (!/[{[]/.test(content)) return []
  const calls: RawToolCall[] = []
  for (const value of jsonValuesIn(content)) {
    const items = Array.isArray(value) ? value : [value]
    for (const item of items) {
      const call = asCall(item, known)
      if (call != null) calls.push({ id: '', ...call })
    }
  }
  return calls
}

function asCall (v: unknown, known: Set<string>): { name: string, arguments: string } | null {
  if (!isPlainObject(v)) return null
  // {"type":"function","function":{"name":..,"arguments":..}} as in the API itself
  if (isPlainObject(v.function)) return asCall(v.function, known)
  const name = [v.name, v.tool, v.tool_name, v.function].find(x => typeof x === 'string') as string | undefined
  if (name == null || !known.has(name)) return null
  const args = v.arguments ?? v.parameters ?? v.args ?? v.input ?? {}
  return { name, arguments: typeof args === 'string' ? args : JSON.stringify(args) }
}
