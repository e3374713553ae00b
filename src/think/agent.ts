/**
 * The agent loop: think (model picks tools) -> act (run them here) -> think ... -> answer,
 * under a named step limit; the last step offers no tools so the model must answer. When no
 * endpoint exists or none answers, the playbook brain does the task and the outcome says so.
 */
import type { ChatMessage, ChatTool, RawToolCall } from './chat.ts'
import type { ThinkConfig } from './config.ts'
import { defaultThinkConfig } from './config.ts'
import { AbortedError, EndpointsExhaustedError, NoEndpointError } from './errors.ts'
import type { InferencePool } from './pool.ts'
import type { AgentEvent, BrainInfo, RunTaskOptions, TaskBrain, TaskInput, TaskOutcome } from './types.ts'
import { runPlaybook } from './playbook/brain.ts'
import { EMPTY_REPLY_PROMPT, LAST_STEP_PROMPT, systemPrompt, taskPrompt, textResultsPrompt } from './prompts.ts'
import { textToolCalls } from './text-tool-calls.ts'
import { newToolStepState, runToolStep } from './tool-step.ts'
import { readFinalAnswer } from './final-answer.ts'
import { verifyFindings } from './verify.ts'
import { rankFindings } from './rank.ts'
import { MAX_ANSWER_CHARS } from './constants.ts'
import { fitContext } from './context.ts'
import { silentLogger, type Logger } from './logger.ts'

export interface TaskBrainComponents {
  pool: InferencePool
  config?: ThinkConfig
  logger?: Logger
}

/** Where the loop stands; the loop switches on `type` and stops at the step limit. */
type Next =
  | { type: 'think' }
  | { type: 'act', calls: RawToolCall[], asText: boolean }
  | { type: 'answer', content: string }
  | { type: 'stop', content: string, error: string }

export function stripReasoning (content: string): string {
  return content.replace(/<think>[\s\S]*?(<\/think>|$)/g, '').trim()
}

export function createTaskBrain (components: TaskBrainComponents): TaskBrain {
  const config = components.config ?? defaultThinkConfig()
  const log = components.logger ?? silentLogger
  const playbookOpts = { config: config.playbook, maxParallelTools: config.maxParallelTools }

  async function runTask (task: TaskInput, run: RunTaskOptions): Promise<TaskOutcome> {
    const started = performance.now()
    if (components.pool.size() === 0) return await runPlaybook(task, run, { ...playbookOpts, reason: 'no-endpoint', startedAt: started })

    const emit = (e: AgentEvent) => { try { run.onEvent?.(e) } catch {} }
    const catalog = run.tools.list()
    const known = new Set(catalog.map(t => t.name))
    const tools: ChatTool[] = catalog.map(t => ({
      type: 'function',
      function: { name: t.name, description: t.description, parameters: run.tools.jsonSchema(t.name) }
    }))
    const messages: ChatMessage[] = [
      { role: 'system', content: systemPrompt() },
      { role: 'user', content: taskPrompt(task.prompt, task.context) }
    ]
    const state = newToolStepState()
    let brain: BrainInfo | undefined
    let steps = 0
    let nudged = false
    let next: Next = { type: 'think' }

    const finish = (content: string, error?: string): TaskOutcome => {
      const final = readFinalAnswer(content)
      const findings = final.findings.map(f => ({ ...f, evidence: f.evidence.map(id => state.idMap.get(id) ?? id) }))
      if (final.rejected > 0) log.debug(`${final.rejected} finding(s) did not fit the structure`)
      const answer = final.answer.slice(0, MAX_ANSWER_CHARS)
      emit({ type: 'answer', text: answer })
      return {
        answer,
        findings: rankFindings(verifyFindings(findings, state.records)),
        toolCalls: state.records,
        brain: brain ?? { kind: 'model', endpoint: '', model: '' },
        steps,
        ms: Math.round(performance.now() - started),
        ...(error != null ? { error } : {})
      }
    }

    while (true) {
      switch (next.type) {
        case 'think': {
          if (run.signal?.aborted === true) return finish('', 'aborted')
          steps++
          const last = steps >= config.maxSteps
          if (last) messages.push({ role: 'user', content: LAST_STEP_PROMPT })
          emit({ type: 'thinking', step: steps })
          const cut = fitContext(messages, config.maxContextChars)
          if (cut > 0) log.debug(`shortened ${cut} old tool result(s) to fit maxContextChars`)
          let reply
          try {
            reply = await components.pool.chat({ messages, tools: last ? undefined : tools, temperature: config.temperature }, { signal: run.signal })
          } catch (err: any) {
            if (err instanceof AbortedError) return finish('', 'aborted')
            if (err instanceof EndpointsExhaustedError || err instanceof NoEndpointError) {
              const reason = `no inference endpoint answered (${err.message})`
              log.warn(`falling back to the playbook: ${reason}`)
              emit({ type: 'fallback', reason })
              return await runPlaybook(task, run, {
                ...playbookOpts,
                reason: 'fallback',
                prior: state.records,
                note: steps > 1 ? `The model stopped answering after ${steps - 1} step(s).` : undefined,
                startedAt: started
              })
            }
            throw err
          }
          brain = { kind: 'model', endpoint: reply.endpoint, model: reply.model }
          // reasoning models (qwen3, deepseek-r1) think aloud in <think> tags: not part of the answer
          reply = { ...reply, content: stripReasoning(reply.content) }
          let calls = reply.toolCalls.filter(c => c.name !== '')
          let asText = false
          if (calls.length === 0 && !last) {
            calls = textToolCalls(reply.content, known)
            asText = calls.length > 0
          }
          if (calls.length > 0 && last) next = { type: 'stop', content: reply.content, error: `step limit (${config.maxSteps}) reached while the model still called tools` }
          else if (calls.length > 0) {
            messages.push(asText
              ? { role: 'assistant', content: reply.content }
              : { role: 'assistant', content: reply.content === '' ? null : reply.content, tool_calls: calls.map(c => ({ id: c.id, type: 'function' as const, function: { name: c.name, arguments: c.arguments } })) })
            next = { type: 'act', calls, asText }
          } else if (reply.content.trim() === '' && !nudged && !last) {
            nudged = true
            messages.push({ role: 'assistant', content: '' }, { role: 'user', content: EMPTY_REPLY_PROMPT })
            next = { type: 'think' }
          } else next = { type: 'answer', content: reply.content }
          break
        }
        case 'act': {
          const results = await runToolStep(next.calls, state, {
            tools: run.tools,
            maxParallel: config.maxParallelTools,
            maxResultChars: config.maxToolResultChars,
            signal: run.signal,
            onEvent: emit
          })
          if (next.asText) {
            messages.push({ role: 'user', content: textResultsPrompt(results.map(r => r.content)) })
          } else {
            // the assistant message must carry the ids the tool messages answer
            const assistant = messages.at(-1) as any
            assistant.tool_calls = assistant.tool_calls.map((tc: any, i: number) => ({ ...tc, id: results[i].callId }))
            for (const r of results) messages.push({ role: 'tool', tool_call_id: r.callId, content: r.content })
          }
          next = { type: 'think' }
          break
        }
        case 'answer':
          return finish(next.content)
        case 'stop':
          return finish(next.content, next.error)
      }
    }
  }

  return { runTask }
}
