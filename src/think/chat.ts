/**
 * The chat shapes the agent loop and the pool exchange, independent of the openai
 * package's types so a test or another transport can produce them.
 */
import type { ChatCompletionMessageParam, ChatCompletionFunctionTool } from 'openai/resources/chat/completions'

export type ChatMessage = ChatCompletionMessageParam
export type ChatTool = ChatCompletionFunctionTool

export interface ChatRequest {
  messages: ChatMessage[]
  /** omitted or empty: no tools offered (the model must answer) */
  tools?: ChatTool[]
  temperature?: number
  /** overrides the endpoint/pool model */
  model?: string
}

/** One tool call as the model wrote it; `arguments` is raw text (may be malformed). */
export interface RawToolCall {
  id: string
  name: string
  arguments: string
}

export interface ChatReply {
  content: string
  toolCalls: RawToolCall[]
  finishReason: string | null
  /** which endpoint answered */
  endpoint: string
  model: string
  ms: number
}
