/**
 * A scripted OpenAI-compatible HTTP server for tests and benchmarks.
 *
 * It speaks the part of the API the swarm uses (`POST /v1/chat/completions`, streaming
 * over SSE and not, and `GET /v1/models`) on 127.0.0.1 with a port from the kernel, so the
 * real `openai` client and the real tool-calling protocol are exercised. Each chat request
 * takes the next turn of a script (a queue, or a function of the request), and every
 * request is recorded. Turns can be answers, tool calls, or faults.
 *
 * @example
 * const llm = await startFakeOpenAI({ script: [
 *   turns.toolCalls({ name: 'disk_usage', arguments: {} }),
 *   turns.text('All good.')
 * ] })
 * process.env.OPENAI_BASE_URL = llm.url   // http://127.0.0.1:PORT/v1
 * ...
 * llm.assertDone()                        // every turn used, nothing unexpected
 * await llm.close()
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach } from 'vitest'

/** One tool call the fake model makes. `arguments` as a string is sent verbatim (malformed JSON on purpose). */
export interface FakeToolCall {
  name: string
  arguments?: Record<string, unknown> | string
  /** default: call_<n>, unique per server */
  id?: string
}

/** What the fake model does for one request. `delayMs` waits before answering. */
export type Turn =
  | { kind: 'text', content: string, delayMs?: number }
  | { kind: 'tool_calls', calls: FakeToolCall[], content?: string, delayMs?: number }
  | { kind: 'error', status: number, message?: string, retryAfterSeconds?: number, delayMs?: number }
  /** never answers; the socket stays open until the client gives up (timeout/abort) or close() */
  | { kind: 'hang' }
  /**
   * starts answering, then goes silent with the socket open (until the client gives up or
   * close()): with `stream` the SSE headers, the role chunk and the first piece of `content`;
   * without, the headers and the first half of the JSON body
   */
  | { kind: 'stall', content?: string }
  /** HTTP 200 with a body that is not a chat completion */
  | { kind: 'garbage', body: string, delayMs?: number }

/** Builders for turns, so scripts read like a conversation. */
export const turns = {
  text: (content: string, opts: { delayMs?: number } = {}): Turn => ({ kind: 'text', content, ...opts }),
  toolCalls: (...calls: FakeToolCall[]): Turn => ({ kind: 'tool_calls', calls }),
  /** tool calls with options (text alongside, delay) */
  toolCallsWith: (opts: { content?: string, delayMs?: number }, ...calls: FakeToolCall[]): Turn => ({ kind: 'tool_calls', calls, ...opts }),
  error: (status: number, opts: { message?: string, retryAfterSeconds?: number, delayMs?: number } = {}): Turn => ({ kind: 'error', status, ...opts }),
  hang: (): Turn => ({ kind: 'hang' }),
  /** a reply that starts and never finishes (a stalled stream) */
  stall: (content = 'Checking the disk'): Turn => ({ kind: 'stall', content }),
  garbage: (body = 'this is not json'): Turn => ({ kind: 'garbage', body }),
  /**
   * Tool calls written into the message text instead of `tool_calls`, the way small local
   * models often do. style 'json': a bare JSON object (or array); 'hermes': <tool_call> tags;
   * 'fenced': a ```json block.
   */
  toolCallsAsText: (style: 'json' | 'hermes' | 'fenced', ...calls: FakeToolCall[]): Turn => {
    const objs = calls.map(c => ({ name: c.name, arguments: c.arguments ?? {} }))
    const content = style === 'hermes'
      ? objs.map(o => `<tool_call>\n${JSON.stringify(o)}\n</tool_call>`).join('\n')
      : style === 'fenced'
        ? 'Let me check.\n```json\n' + JSON.stringify(objs.length === 1 ? objs[0] : objs, null, 2) + '\n```'
        : JSON.stringify(objs.length === 1 ? objs[0] : objs)
    return { kind: 'text', content }
  }
}

/** One chat request as received. */
export interface RecordedRequest {
  at: number
  path: string
  stream: boolean
  /** the parsed JSON body: model, messages, tools, ... */
  body: any
  headers: Record<string, string | string[] | undefined>
  /** the turn it got; null when the script was exhausted (answered 500) */
  turn: Turn | null
}

export interface ScriptContext {
  /** 0-based index of this chat request */
  index: number
  request: RecordedRequest
  /** messages of the request */
  messages: any[]
  /** names of the tools offered in this request ([] when none) */
  toolNames: string[]
  /** the tool messages since the last assistant message, with parsed content when JSON */
  lastToolResults: () => Array<{ toolCallId: string, content: string, json: any }>
}

export type Script = Turn[] | ((ctx: ScriptContext) => Turn | undefined)

export interface FakeOpenAIOptions {
  script?: Script
  /** model id listed by /v1/models and echoed in replies; @default 'fake-model' */
  model?: string
}

export interface FakeOpenAI {
  /** base URL for the openai client, ending in /v1 */
  url: string
  port: number
  /** every chat request, in arrival order */
  requests: RecordedRequest[]
  /** GET /v1/models calls */
  modelListRequests: number
  /** chat requests that arrived with the queue empty (answered 500) */
  unexpected: number
  /** append turns to the queue */
  push: (...turns: Turn[]) => void
  /** replace the script (queue or function) */
  setScript: (script: Script) => void
  /** turns left in the queue (0 for a function script) */
  remaining: () => number
  /** throws unless every queued turn was used and no request came unexpected */
  assertDone: () => void
  close: () => Promise<void>
}

export async function startFakeOpenAI (options: FakeOpenAIOptions = {}): Promise<FakeOpenAI> {
  const model = options.model ?? 'fake-model'
  let queue: Turn[] = []
  let fn: ((ctx: ScriptContext) => Turn | undefined) | undefined
  const setScript = (script: Script | undefined) => {
    if (typeof script === 'function') { fn = script; queue = [] } else { fn = undefined; queue = [...(script ?? [])] }
  }
  setScript(options.script)
  let callCounter = 0
  const hanging = new Set<ServerResponse>()

  const fake: FakeOpenAI = {
    url: '',
    port: 0,
    requests: [],
    modelListRequests: 0,
    unexpected: 0,
    push: (...t) => { fn = undefined; queue.push(...t) },
    setScript,
    remaining: () => queue.length,
    assertDone: () => {
      if (queue.length > 0) throw new Error(`fake-openai: ${queue.length} scripted turn(s) never used`)
      if (fake.unexpected > 0) throw new Error(`fake-openai: ${fake.unexpected} request(s) arrived after the script ran out`)
    },
    close: async () => {
      for (const res of hanging) res.destroy()
      server.closeAllConnections()
      await new Promise<void>(resolve => server.close(() => { resolve() }))
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(err => {
      if (!res.headersSent) sendJson(res, 500, { error: { message: String(err?.message ?? err), type: 'fake_error' } })
      else res.destroy()
    })
  })

  async function handle (req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '').split('?')[0]
    if (req.method === 'GET' && path === '/v1/models') {
      fake.modelListRequests++
      sendJson(res, 200, { object: 'list', data: [{ id: model, object: 'model', created: 0, owned_by: 'fake-openai' }] })
      return
    }
    if (req.method !== 'POST' || path !== '/v1/chat/completions') {
      sendJson(res, 404, { error: { message: `no route ${req.method} ${path}`, type: 'not_found' } })
      return
    }
    const raw = await readBody(req)
    let body: any
    try { body = JSON.parse(raw) } catch {
      sendJson(res, 400, { error: { message: 'body is not JSON', type: 'invalid_request_error' } })
      return
    }
    const record: RecordedRequest = { at: Date.now(), path, stream: body.stream === true, body, headers: req.headers, turn: null }
    const index = fake.requests.length
    fake.requests.push(record)
    const messages: any[] = Array.isArray(body.messages) ? body.messages : []
    const ctx: ScriptContext = {
      index,
      request: record,
      messages,
      toolNames: (body.tools ?? []).map((t: any) => t?.function?.name).filter(Boolean),
      lastToolResults: () => {
        const out: Array<{ toolCallId: string, content: string, json: any }> = []
        for (let i = messages.length - 1; i >= 0 && messages[i].role === 'tool'; i--) {
          const content = typeof messages[i].content === 'string' ? messages[i].content : JSON.stringify(messages[i].content)
          let json: any = null
          try { json = JSON.parse(content) } catch {}
          out.unshift({ toolCallId: messages[i].tool_call_id, content, json })
        }
        return out
      }
    }
    const turn = fn != null ? fn(ctx) : queue.shift()
    if (turn == null) {
      fake.unexpected++
      sendJson(res, 500, { error: { message: 'fake-openai: script exhausted', type: 'server_error' } })
      return
    }
    record.turn = turn
    if (turn.kind === 'hang' || turn.kind === 'stall') {
      hanging.add(res)
      res.on('close', () => hanging.delete(res))
      if (turn.kind === 'stall') startThenStall(res, model, turn.content ?? '', record.stream)
      return
    }
    if (turn.delayMs != null && turn.delayMs > 0) {
      const closed = await waitOrClose(res, turn.delayMs)
      if (closed) return
    }
    switch (turn.kind) {
      case 'error': {
        const headers: Record<string, string> = {}
        if (turn.retryAfterSeconds != null) headers['retry-after'] = String(turn.retryAfterSeconds)
        sendJson(res, turn.status, { error: { message: turn.message ?? `fake failure ${turn.status}`, type: 'fake_error' } }, headers)
        return
      }
      case 'garbage':
        res.writeHead(200, { 'content-type': 'application/json' })
        res.end(turn.body)
        return
      case 'text':
      case 'tool_calls': {
        const calls = turn.kind === 'tool_calls'
          ? turn.calls.map(c => ({
            id: c.id ?? `call_${++callCounter}`,
            name: c.name,
            arguments: typeof c.arguments === 'string' ? c.arguments : JSON.stringify(c.arguments ?? {})
          }))
          : []
        const content = turn.kind === 'text' ? turn.content : (turn.content ?? '')
        if (record.stream) sendStream(res, model, content, calls)
        else sendCompletion(res, model, content, calls)
      }
    }
  }

  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  fake.port = (server.address() as AddressInfo).port
  fake.url = `http://127.0.0.1:${fake.port}/v1`
  return fake
}

type WireCall = { id: string, name: string, arguments: string }

function sendCompletion (res: ServerResponse, model: string, content: string, calls: WireCall[]): void {
  sendJson(res, 200, {
    id: `chatcmpl-${Math.random().toString(36).slice(2)}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [{
      index: 0,
      message: {
        role: 'assistant',
        content: content === '' && calls.length > 0 ? null : content,
        ...(calls.length > 0 ? { tool_calls: calls.map(c => ({ id: c.id, type: 'function', function: { name: c.name, arguments: c.arguments } })) } : {})
      },
      finish_reason: calls.length > 0 ? 'tool_calls' : 'stop'
    }],
    usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 }
  })
}

/** SSE the way OpenAI streams: role first, text in pieces, tool call name then argument pieces, finish, [DONE]. */
function sendStream (res: ServerResponse, model: string, content: string, calls: WireCall[]): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' })
  const id = `chatcmpl-${Math.random().toString(36).slice(2)}`
  const created = Math.floor(Date.now() / 1000)
  const chunk = (delta: unknown, finish: string | null = null) => {
    res.write(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`)
  }
  chunk({ role: 'assistant', content: '' })
  for (const piece of pieces(content, 3)) chunk({ content: piece })
  calls.forEach((c, index) => {
    chunk({ tool_calls: [{ index, id: c.id, type: 'function', function: { name: c.name, arguments: '' } }] })
    for (const piece of pieces(c.arguments, 2)) chunk({ tool_calls: [{ index, function: { arguments: piece } }] })
  })
  chunk({}, calls.length > 0 ? 'tool_calls' : 'stop')
  res.write('data: [DONE]\n\n')
  res.end()
}

/** The opening of a reply, flushed, and then nothing more. */
function startThenStall (res: ServerResponse, model: string, content: string, stream: boolean): void {
  if (stream) {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' })
    const head = { id: 'chatcmpl-stall', object: 'chat.completion.chunk', created: Math.floor(Date.now() / 1000), model }
    res.write(`data: ${JSON.stringify({ ...head, choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] })}\n\n`)
    const first = pieces(content, 2)[0]
    if (first != null) res.write(`data: ${JSON.stringify({ ...head, choices: [{ index: 0, delta: { content: first }, finish_reason: null }] })}\n\n`)
    return
  }
  const body = JSON.stringify({ id: 'chatcmpl-stall', object: 'chat.completion', model, choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }] })
  res.writeHead(200, { 'content-type': 'application/json' })
  res.write(body.slice(0, Math.floor(body.length / 2)))
}

function pieces (text: string, n: number): string[] {
  if (text === '') return []
  const size = Math.max(1, Math.ceil(text.length / n))
  const out: string[] = []
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size))
  return out
}

function sendJson (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers })
  res.end(JSON.stringify(body))
}

async function readBody (req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const c of req) chunks.push(c as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

/** Waits ms, or resolves early (true) when the client hung up. */
async function waitOrClose (res: ServerResponse, ms: number): Promise<boolean> {
  return await new Promise<boolean>(resolve => {
    const timer = setTimeout(() => { res.off('close', onClose); resolve(false) }, ms)
    const onClose = () => { clearTimeout(timer); resolve(true) }
    res.once('close', onClose)
  })
}

/** For one test file: `fake(...)` starts a scripted server that is closed after the test that started it. */
export function fakeOpenAIPerTest (): (options?: FakeOpenAIOptions) => Promise<FakeOpenAI> {
  const servers: FakeOpenAI[] = []
  afterEach(async () => {
    await Promise.all(servers.splice(0).map(async s => { await s.close() }))
  })
  return async (options) => {
    const server = await startFakeOpenAI(options)
    servers.push(server)
    return server
  }
}
