/**
 * localToolRunner: the catalog for this machine behind the ToolRunner contract. Raw
 * arguments (a model's JSON) are validated by each tool's zod schema before anything
 * runs; every failure comes back as an `ok: false` result with a `code`.
 */
import { z } from 'zod'
import { CATALOG } from './catalog.ts'
import { defaultToolsConfig, type ToolsConfig } from './config.ts'
import { ToolArgsError, ToolError, UnknownToolError } from './errors.ts'
import { defineTool, machineComponents, type ToolComponents } from './tool.ts'
import { envToolLogger, type ToolLogger } from './logger.ts'
import type { Platform, ToolDefinition, ToolResult, ToolRunner, ToolRunOptions } from './types.ts'

export function currentPlatform (): Platform | undefined {
  return process.platform === 'linux' || process.platform === 'darwin' ? process.platform : undefined
}

/** Every tool name of the catalog, whatever the platform. */
export function toolNames (): string[] {
  return CATALOG.map(t => t.name)
}

function failure (err: ToolError, ms = 0): ToolResult {
  return { ok: false, data: null, text: '', exitCode: null, ms, error: err.message, code: err.code }
}

/** Models send an object, a JSON string of one, or nothing for a tool without arguments. */
function normalizeArgs (raw: unknown): unknown {
  if (raw == null || raw === '') return {}
  if (typeof raw === 'string') {
    try { return JSON.parse(raw) } catch (err) { throw new ToolArgsError('arguments are not valid JSON', err) }
  }
  return raw
}

/** Counters of what the runner did, for the peer's status: every failure is counted by code. */
export interface ToolStats {
  runs: number
  ok: number
  /** failed runs by error code, e.g. { ERR_TOOL_ARGS: 2, ERR_TOOL_TIMEOUT: 1 } */
  failed: Record<string, number>
  byTool: Record<string, { runs: number, failed: number, totalMs: number }>
}

export interface LocalToolRunner extends ToolRunner {
  stats: () => ToolStats
}

export function localToolRunner (config: ToolsConfig = defaultToolsConfig(), components: Partial<ToolComponents> & { logger?: ToolLogger } = {}): LocalToolRunner {
  const log = components.logger ?? envToolLogger()
  const platform = components.platform ?? currentPlatform()
  const comps: ToolComponents | undefined = platform === undefined ? undefined : { ...machineComponents(platform), ...components, platform }
  const tools: ToolDefinition[] = comps === undefined
    ? []
    : CATALOG.filter(spec => spec.impl[comps.platform] !== undefined).map(spec => defineTool(spec, config, comps))
  const byName = new Map(tools.map(t => [t.name, t]))
  const schemas = new Map<string, Record<string, unknown>>()
  const stats: ToolStats = { runs: 0, ok: 0, failed: {}, byTool: {} }
  const count = (name: string, r: ToolResult): ToolResult => {
    log.debug(`${byName.has(name) ? name : '(unknown tool)'} ${r.ok ? 'ok' : r.code ?? 'failed'} ${r.ms} ms${r.truncated === true ? ' text-truncated' : ''}${r.dataTruncated === true ? ' data-truncated' : ''}`)
    stats.runs++
    if (r.ok) stats.ok++
    else stats.failed[r.code ?? 'ERR_TOOL'] = (stats.failed[r.code ?? 'ERR_TOOL'] ?? 0) + 1
    // unknown names are counted above only: a model inventing names must not grow this map
    if (byName.has(name)) {
      const t = (stats.byTool[name] ??= { runs: 0, failed: 0, totalMs: 0 })
      t.runs++
      if (!r.ok) t.failed++
      t.totalMs = Math.round((t.totalMs + r.ms) * 10) / 10
    }
    return r
  }

  return {
    list: () => [...tools],

    run: async (name: string, rawArgs: unknown, options: ToolRunOptions = {}): Promise<ToolResult> => {
      try {
        const tool = byName.get(name)
        if (tool === undefined) return count(name, failure(new UnknownToolError(String(name).slice(0, 64))))
        // the definition validates against its schema before anything runs
        return count(name, await tool.run(normalizeArgs(rawArgs), options))
      } catch (err: any) {
        // defineTool already catches; this is the last guard for the "never throws" promise
        return count(name, failure(err instanceof ToolError ? err : new ToolError(String(err?.message ?? err))))
      }
    },

    stats: () => structuredClone(stats),

    jsonSchema: (name: string): Record<string, unknown> => {
      const tool = byName.get(name)
      if (tool === undefined) throw new UnknownToolError(name)
      // converted once per runner (every task's first model turn asks for all of them); a copy
      // goes out so a caller cannot change what the next task gets
      let schema = schemas.get(name)
      if (schema === undefined) {
        // 'input': fields with defaults are optional for the caller
        schema = z.toJSONSchema(tool.args, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>
        delete schema.$schema
        schemas.set(name, schema)
      }
      return structuredClone(schema)
    }
  }
}

/** The catalog as OpenAI chat-completions `tools` entries. */
export function openAiTools (runner: ToolRunner): Array<{ type: 'function', function: { name: string, description: string, parameters: Record<string, unknown> } }> {
  return runner.list().map(t => ({ type: 'function', function: { name: t.name, description: t.description, parameters: runner.jsonSchema(t.name) } }))
}
