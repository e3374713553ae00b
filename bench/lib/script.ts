/**
 * The scripted model the benchmarks think with. One function answers all three kinds
 * of request the swarm makes, told apart by their system prompt:
 * - plan (the coordinator's decompose): `tasksPerHost` tasks per member, host-bound;
 * - agent turns (a worker's task): the host's share of tool calls, `callsPerTurn` per
 *   turn, then a final answer with an empty findings block;
 * - summary (the coordinator's synthesize): one plain sentence.
 * Every turn waits `turnMs` first, as a model would. Hosts and tasks are read from the
 * context line the worker sends ("host NAME, job J, task T"), so one server serves a fleet.
 */
import type { ScriptContext, Turn } from '../../test/helpers/fake-openai.ts'

export interface BenchScriptOptions {
  /** model latency of every turn, ms */
  turnMs: number
  /** tasks the plan gives each member */
  tasksPerHost: number
  /** tool calls per host name over all its tasks (the field run: 16/4/11/18/22/11) */
  toolCalls: Record<string, number>
  /** tool calls of a host not in `toolCalls`, over all its tasks */
  defaultToolCalls: number
  /** tool calls the model makes in one turn */
  callsPerTurn: number
  /** turns the brain works on at once, later ones queue (a real server's parallel slots); 0: no limit */
  parallel?: number
}

/** What a request was, for the request log the benchmark reads back. */
export type RequestKind =
  | { kind: 'plan', members: number, tasks: number }
  | { kind: 'agent', host: string, jobId: string, taskId: string, turn: number, calls: number, final: boolean }
  | { kind: 'summary' }
  | { kind: 'unknown' }

/** Cheap read-only tools of the catalog, in the order a task calls them (no repeats up to 8). */
export const BENCH_TOOLS = ['system_load', 'memory', 'disk_usage', 'uptime', 'os_info', 'network_interfaces', 'listening_ports', 'top_processes']

/** The field run's tool calls per box, box1..box6. */
export const FIELD_TOOL_CALLS = [16, 4, 11, 18, 22, 11]

/** Splits a host's tool calls over its tasks as evenly as possible (task k is 1-based). */
export function callsForTask (total: number, tasks: number, k: number): number {
  const base = Math.floor(total / tasks)
  return base + (k <= total % tasks ? 1 : 0)
}

const CONTEXT_RE = /host (\S+), job (\S+), task (\S+)/
const TASK_RE = /bench task (\d+)\/(\d+)/

function text (m: any): string {
  if (typeof m?.content === 'string') return m.content
  if (Array.isArray(m?.content)) return m.content.map((p: any) => p?.text ?? '').join('')
  return ''
}

/** Classifies a request and decides the turn (without the delay). */
export function decide (messages: any[], o: BenchScriptOptions, toolsOffered = true): { turn: Turn, info: RequestKind } {
  const system = text(messages.find(m => m?.role === 'system'))
  const user = messages.filter(m => m?.role === 'user').map(text).join('\n')
  const delay = { delayMs: o.turnMs }
  if (system.startsWith('You plan diagnostic work')) {
    const members = parseMembers(user)
    const tasks = members.flatMap(m => Array.from({ length: o.tasksPerHost }, (_, i) => ({
      host: m.peerId, prompt: `bench task ${i + 1}/${o.tasksPerHost} on ${m.name}: check load, memory and disks`
    })))
    return { turn: { kind: 'text', content: JSON.stringify({ tasks }), ...delay }, info: { kind: 'plan', members: members.length, tasks: tasks.length } }
  }
  if (system.startsWith('You write the summary')) {
    return { turn: { kind: 'text', content: 'Benchmark run: every host checked; nothing notable.', ...delay }, info: { kind: 'summary' } }
  }
  const ctx = CONTEXT_RE.exec(user)
  if (ctx == null) return { turn: { kind: 'text', content: 'Nothing to do.\n```json\n{"findings": []}\n```', ...delay }, info: { kind: 'unknown' } }
  const [, host, jobId, taskId] = ctx
  const t = TASK_RE.exec(user)
  const k = t != null ? Number(t[1]) : 1
  const n = t != null ? Number(t[2]) : 1
  const planned = callsForTask(o.toolCalls[host] ?? o.defaultToolCalls, n, k)
  const assistants = messages.filter(m => m?.role === 'assistant')
  const made = assistants.reduce((sum, m) => sum + (Array.isArray(m.tool_calls) ? m.tool_calls.length : 0), 0)
  const turn = assistants.length
  // no tools offered means the agent's step limit: answer now
  if (made < planned && toolsOffered) {
    const count = Math.min(o.callsPerTurn, planned - made)
    const calls = Array.from({ length: count }, (_, i) => ({ name: BENCH_TOOLS[(made + i) % BENCH_TOOLS.length], arguments: {} }))
    return { turn: { kind: 'tool_calls', calls, ...delay }, info: { kind: 'agent', host, jobId, taskId, turn, calls: count, final: false } }
  }
  const answer = `Checked ${made} thing(s) on ${host}; all within normal ranges.\n\`\`\`json\n{"findings": []}\n\`\`\``
  return { turn: { kind: 'text', content: answer, ...delay }, info: { kind: 'agent', host, jobId, taskId, turn, calls: 0, final: true } }
}

function parseMembers (user: string): Array<{ peerId: string, name: string }> {
  const i = user.indexOf('Members:')
  if (i === -1) return []
  try {
    const list = JSON.parse(user.slice(i + 'Members:'.length).trim())
    return Array.isArray(list) ? list.filter((m: any) => typeof m?.peerId === 'string').map((m: any) => ({ peerId: m.peerId, name: String(m.name ?? m.peerId) })) : []
  } catch {
    return []
  }
}

/**
 * Delays of a server with `parallel` slots: a turn starts when a slot frees and takes
 * `turnMs`; returns the delay to answer after and the part of it spent queueing.
 */
export function slotQueue (parallel: number, turnMs: number): (now: number) => { delayMs: number, queuedMs: number } {
  const freeAt: number[] = new Array(Math.max(0, parallel)).fill(0)
  return (now) => {
    if (freeAt.length === 0) return { delayMs: turnMs, queuedMs: 0 }
    let i = 0
    for (let j = 1; j < freeAt.length; j++) if (freeAt[j] < freeAt[i]) i = j
    const start = Math.max(now, freeAt[i])
    freeAt[i] = start + turnMs
    return { delayMs: start + turnMs - now, queuedMs: start - now }
  }
}

/** A fake-openai script function; `onRequest` sees every classified request and its delay. */
export function benchScript (o: BenchScriptOptions, onRequest?: (info: RequestKind, ctx: ScriptContext, delay: { delayMs: number, queuedMs: number }) => void): (ctx: ScriptContext) => Turn {
  const queue = slotQueue(o.parallel ?? 0, o.turnMs)
  return (ctx) => {
    const { turn, info } = decide(ctx.messages, o, ctx.toolNames.length > 0)
    const delay = queue(ctx.request.at)
    onRequest?.(info, ctx, delay)
    return { ...turn, delayMs: delay.delayMs } as Turn
  }
}
