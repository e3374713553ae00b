/**
 * Talks to one OpenAI-compatible endpoint through the `openai` client: one chat completion,
 * streaming or not, turned into a ChatReply. Knows nothing of routing or retries (the pool
 * does those), so the client's own retries are off.
 */
import OpenAI, { APIError, APIConnectionTimeoutError, APIUserAbortError } from 'openai'
import type { ChatCompletionChunk } from 'openai/resources/chat/completions'
import type { ChatReply, ChatRequest, RawToolCall } from './chat.ts'
import { AbortedError, EndpointRequestError } from './errors.ts'
import { MAX_RETRY_AFTER_MS } from './constants.ts'

export interface EndpointClientInit {
  url: string
  apiKey?: string
  /** the model to ask for; undefined = the first model the endpoint lists */
  model?: string
}

export interface CompleteOptions {
  timeoutMs: number
  stream: boolean
  /** with stream: give up on a reply that sends nothing for this long; 0 or absent = never */
  streamIdleTimeoutMs?: number
  signal?: AbortSignal
}

export class EndpointClient {
  readonly url: string
  private readonly client: OpenAI
  private model: string | undefined
  private modelLookup: Promise<string> | undefined

  constructor (init: EndpointClientInit) {
    this.url = init.url
    this.model = init.model
    // maxRetries 0: the pool retries on another endpoint instead of hammering this one
    this.client = new OpenAI({ baseURL: init.url, apiKey: init.apiKey ?? 'none', maxRetries: 0 })
  }

  /** the model last used or configured (for stats); undefined until resolved */
  get modelName (): string | undefined { return this.model }

  async complete (request: ChatRequest, options: CompleteOptions): Promise<ChatReply> {
    const started = performance.now()
    const timeout = AbortSignal.timeout(options.timeoutMs)
    // aborted by the idle watchdog of a streamed reply
    const idle = new AbortController()
    const signal = AbortSignal.any([timeout, idle.signal, ...(options.signal != null ? [options.signal] : [])])
    try {
      const model = request.model ?? await this.resolveModel(signal, options.timeoutMs)
      const body = {
        model,
        messages: request.messages,
        ...(request.tools != null && request.tools.length > 0 ? { tools: request.tools } : {}),
        ...(request.temperature != null ? { temperature: request.temperature } : {})
      }
      const reqOptions = { signal, timeout: options.timeoutMs + 1000, maxRetries: 0 }
      const reply = options.stream
        ? await this.completeStreaming(body, reqOptions, idle, options.streamIdleTimeoutMs ?? 0)
        : await this.completeOnce(body, reqOptions)
      return { ...reply, endpoint: this.url, model, ms: performance.now() - started }
    } catch (err) {
      throw this.classify(err, options.signal, timeout, idle.signal)
    }
  }

  private async completeOnce (body: any, reqOptions: any): Promise<Omit<ChatReply, 'endpoint' | 'model' | 'ms'>> {
    const completion = await this.client.chat.completions.create({ ...body, stream: false }, reqOptions)
    const choice = completion?.choices?.[0]
    if (choice?.message == null) throw new EndpointRequestError('reply has no choices', { code: 'ERR_BAD_REPLY' })
    const toolCalls: RawToolCall[] = []
    for (const [i, call] of (choice.message.tool_calls ?? []).entries()) {
      if (call.type !== 'function') continue
      toolCalls.push({ id: call.id ?? '', name: call.function?.name ?? '', arguments: argumentsText(call.function?.arguments, i) })
    }
    return { content: choice.message.content ?? '', toolCalls, finishReason: choice.finish_reason ?? null }
  }

  /**
   * Streams and reassembles: text deltas concatenated, tool call deltas merged by index.
   * A watchdog aborts a reply that goes silent for idleMs (from the headers on).
   */
  private async completeStreaming (body: any, reqOptions: { signal: AbortSignal }, idle: AbortController, idleMs: number): Promise<Omit<ChatReply, 'endpoint' | 'model' | 'ms'>> {
    const stream = await this.client.chat.completions.create({ ...body, stream: true }, reqOptions)
    let content = ''
    let finishReason: string | null = null
    const calls = new Map<number, RawToolCall>()
    let watchdog: NodeJS.Timeout | undefined
    const rearm = () => {
      if (idleMs <= 0) return
      clearTimeout(watchdog)
      watchdog = setTimeout(() => { idle.abort(new EndpointRequestError(`stream sent nothing for ${idleMs} ms`, { code: 'ERR_STREAM_IDLE' })) }, idleMs)
    }
    rearm()
    try {
      for await (const chunk of stream as unknown as AsyncIterable<ChatCompletionChunk>) {
        rearm()
        mergeChunk(chunk)
      }
    } finally {
      clearTimeout(watchdog)
    }
    // the openai stream ends quietly when its signal aborts: a cut-off reply is no reply
    if (reqOptions.signal.aborted) throw reqOptions.signal.reason
    const toolCalls = [...calls.entries()].sort((a, b) => a[0] - b[0]).map(([, c]) => c)
    return { content, toolCalls, finishReason }

    function mergeChunk (chunk: ChatCompletionChunk): void {
      const choice = chunk.choices?.[0]
      if (choice == null) return
      if (typeof choice.delta?.content === 'string') content += choice.delta.content
      for (const delta of choice.delta?.tool_calls ?? []) {
        const index = delta.index ?? calls.size
        const call = calls.get(index) ?? { id: '', name: '', arguments: '' }
        if (delta.id != null && delta.id !== '') call.id = delta.id
        if (delta.function?.name != null) call.name += delta.function.name
        if (delta.function?.arguments != null) call.arguments += delta.function.arguments
        calls.set(index, call)
      }
      if (choice.finish_reason != null) finishReason = choice.finish_reason
    }
  }

  /**
   * Endpoints configured with only a URL (e.g. a fresh Ollama) serve whatever they list
   * first. One lookup per endpoint: tasks that start together share it, and a failed one
   * is forgotten so the next request asks again.
   */
  private async resolveModel (signal: AbortSignal, timeoutMs: number): Promise<string> {
    if (this.model != null) return this.model
    this.modelLookup ??= this.lookupModel(timeoutMs).finally(() => { this.modelLookup = undefined })
    const lookup = this.modelLookup
    // the shared lookup must not die with one caller: each caller stops waiting on its own signal
    return await new Promise<string>((resolve, reject) => {
      const onAbort = () => { reject(signal.reason) }
      if (signal.aborted) { onAbort(); return }
      signal.addEventListener('abort', onAbort, { once: true })
      lookup.then(resolve, reject).finally(() => { signal.removeEventListener('abort', onAbort) })
    })
  }

  /**
   * Readies the endpoint before the first task needs it: the model lookup (when no model
   * is configured) and the HTTP client's first request happen now, off the job's critical
   * path, instead of inside every peer's first model turn. Failures are ignored here: the
   * real request reports them, and counts them, when it comes.
   */
  warm (timeoutMs: number): void {
    if (this.model != null || this.modelLookup != null) return
    this.modelLookup = this.lookupModel(timeoutMs).finally(() => { this.modelLookup = undefined })
    this.modelLookup.catch(() => {})
  }

  private async lookupModel (timeoutMs: number): Promise<string> {
    const page = await this.client.models.list({ signal: AbortSignal.timeout(timeoutMs + 1000), timeout: timeoutMs + 1000, maxRetries: 0 })
    const first = page.data?.[0]?.id
    if (first == null) throw new EndpointRequestError('endpoint lists no models; set [think] model or --model', { code: 'ERR_NO_MODEL' })
    this.model = first
    return first
  }

  private classify (err: unknown, caller: AbortSignal | undefined, timeout: AbortSignal, idle: AbortSignal): Error {
    if (caller?.aborted === true) return new AbortedError(err)
    if (idle.aborted) return idle.reason as EndpointRequestError
    if (err instanceof EndpointRequestError) return err
    if (timeout.aborted || err instanceof APIConnectionTimeoutError) {
      return new EndpointRequestError('request timed out', { code: 'ERR_TIMEOUT', cause: err })
    }
    if (err instanceof APIUserAbortError) return new EndpointRequestError('request aborted', { code: 'ERR_TIMEOUT', cause: err })
    if (err instanceof APIError && err.status != null) {
      return new EndpointRequestError(`HTTP ${err.status}`, {
        code: err.status === 429 ? 'ERR_RATE_LIMITED' : 'ERR_HTTP',
        status: err.status,
        retryAfterMs: retryAfterMs(err.headers),
        cause: err
      })
    }
    const message = err instanceof Error ? err.message : String(err)
    return new EndpointRequestError(message.slice(0, 200), { code: 'ERR_CONNECTION', cause: err })
  }
}

/** Some servers send arguments as an object instead of a JSON string. */
function argumentsText (args: unknown, _index: number): string {
  if (typeof args === 'string') return args
  if (args == null) return ''
  return JSON.stringify(args)
}

function retryAfterMs (headers: Headers | undefined): number | undefined {
  const raw = headers?.get?.('retry-after')
  if (raw == null) return undefined
  const seconds = Number(raw)
  if (Number.isFinite(seconds)) return Math.min(Math.max(0, seconds * 1000), MAX_RETRY_AFTER_MS)
  const date = Date.parse(raw)
  return Number.isFinite(date) ? Math.min(Math.max(0, date - Date.now()), MAX_RETRY_AFTER_MS) : undefined
}
