/**
 * Keeps the conversation inside a character budget. Small local servers (Ollama's default
 * context, llama.cpp with a small -c) silently drop the FRONT of an overlong prompt, which
 * is the system prompt and the task; so the oldest tool results are shortened first, never
 * the instructions and never the newest results.
 */
import type { ChatMessage } from './chat.ts'

const ELIDED = 'earlier result dropped to fit the context window; its id stays citable; call the tool again if you need the data'

export function messageChars (m: ChatMessage): number {
  let n = typeof m.content === 'string' ? m.content.length : m.content == null ? 0 : JSON.stringify(m.content).length
  if (m.role === 'assistant' && m.tool_calls != null) n += JSON.stringify(m.tool_calls).length
  return n
}

/** Shortens old tool results in place until the messages fit; returns how many were cut. */
export function fitContext (messages: ChatMessage[], budgetChars: number): number {
  let total = messages.reduce((sum, m) => sum + messageChars(m), 0)
  if (total <= budgetChars) return 0
  // results after the last assistant message are what the model is about to read: keep them
  let lastAssistant = messages.length - 1
  while (lastAssistant >= 0 && messages[lastAssistant].role !== 'assistant') lastAssistant--
  let cut = 0
  for (let i = 2; i < lastAssistant && total > budgetChars; i++) {
    const m = messages[i]
    const isToolResult = m.role === 'tool' || (m.role === 'user' && typeof m.content === 'string' && m.content.startsWith('Tool results:'))
    if (!isToolResult || typeof m.content !== 'string' || m.content.includes(ELIDED)) continue
    const ids = [...m.content.matchAll(/"id":"(t\d+)"/g)].map(x => x[1])
    const replacement = JSON.stringify({ ids, note: ELIDED })
    if (replacement.length >= m.content.length) continue
    total -= m.content.length - replacement.length
    m.content = replacement
    cut++
  }
  return cut
}
