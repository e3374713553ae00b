/**
 * How a catalog entry is written: a spec with one implementation per platform, each a
 * plain async function that reads through a ToolContext and returns parsed data (or
 * throws a ToolError). defineTool wraps it into the never-throwing ToolDefinition.
 */
import { existsSync } from 'node:fs'
import { readdir, readFile } from 'node:fs/promises'
import type { z } from 'zod'
import type { ToolsConfig } from './config.ts'
import { runProgram, type ExecOptions, type ExecOutcome } from './exec.ts'
import {
  ToolArgsError,
  ToolReadError,
  ProgramFailedError, ProgramMissingError, ToolAbortedError, ToolError, ToolParseError, ToolTimeoutError,
  UnsupportedPlatformError
} from './errors.ts'
import type { Platform, ToolDefinition, ToolResult, ToolRunOptions } from './types.ts'

/** What the catalog needs from the machine; tests replace these with fixtures. */
export interface ToolComponents {
  platform: Platform
  exec: (program: string, args: readonly string[], options: ExecOptions) => Promise<ExecOutcome>
  readFile: (path: string) => Promise<string>
  exists: (path: string) => boolean
  listDir: (path: string) => Promise<string[]>
}

export const machineComponents = (platform: Platform): ToolComponents => ({
  platform,
  exec: runProgram,
  readFile: async (path) => await readFile(path, 'utf8'),
  exists: (path) => existsSync(path),
  listDir: async (path) => await readdir(path)
})

export interface ProgramOutput {
  stdout: string
  stderr: string
  exitCode: number | null
  /** only with `partial`: 'timeout' or the signal that ended it; stdout is what it printed before */
  killed?: string
}

export interface RunOptions {
  /** exit codes that are not a failure @default [0] */
  okCodes?: number[]
  /** a shorter limit than what is left of the tool's timeout */
  timeoutMs?: number
  /**
   * for programs that stream results: if killed (at the timeout, or by a signal it sent
   * itself), return what it printed instead of failing
   */
  partial?: boolean
}

/** Handed to an implementation for one run: reads go through it so text and caps are kept. */
export interface ToolContext {
  config: ToolsConfig
  signal?: AbortSignal
  /** runs a program; throws ProgramMissing/Timeout/Aborted/Failed for runs that did not finish */
  run: (program: string, args: readonly string[], opts?: RunOptions) => Promise<ProgramOutput>
  /** reads a (proc) file; its content becomes part of the raw text unless quiet */
  read: (path: string, opts?: { quiet?: boolean }) => Promise<string>
  /** names in a directory (e.g. /proc) */
  list: (path: string) => Promise<string[]>
  /**
   * caps a list at `max` (default config.maxItems) and remembers that it did; with
   * `keepFirst`, the items that sort first under it are the ones kept (order preserved)
   */
  cap: <T>(items: T[], options?: { max?: number, keepFirst?: (a: T, b: T) => number }) => T[]
  /** adds a line to the raw text (for readings that come from Node, not a program) */
  note: (text: string) => void
  /** whether a path exists (e.g. /run/systemd/system tells systemd is PID 1) */
  exists: (path: string) => boolean
  /** ms left before the tool's timeout */
  remainingMs: () => number
}

export interface ToolSpec<A extends z.ZodType, T> {
  name: string
  description: string
  args: A
  /** @default config.timeoutMs */
  timeoutMs?: number
  impl: Partial<Record<Platform, (args: z.infer<A>, ctx: ToolContext) => Promise<T>>>
}

/** Cuts text to at most `max` bytes of UTF-8 without splitting a character. */
export function capText (text: string, max: number): { text: string, truncated: boolean } {
  const buf = Buffer.from(text, 'utf8')
  if (buf.length <= max) return { text, truncated: false }
  let end = max
  while (end > 0 && (buf[end] & 0xc0) === 0x80) end--
  return { text: buf.subarray(0, end).toString('utf8'), truncated: true }
}

export function defineTool<A extends z.ZodType, T> (spec: ToolSpec<A, T>, config: ToolsConfig, components: ToolComponents): ToolDefinition<A, T> {
  const timeoutMs = spec.timeoutMs ?? config.timeoutMs
  const platforms = (Object.keys(spec.impl) as Platform[])
  return {
    name: spec.name,
    description: spec.description,
    args: spec.args,
    platforms,
    timeoutMs,
    maxOutputBytes: config.maxTextBytes,
    run: async (args, options: ToolRunOptions = {}) => {
      const parsed = spec.args.safeParse(args ?? {})
      if (!parsed.success) {
        const err = new ToolArgsError(`${spec.name}: ${describeIssues(parsed.error)}`)
        return { ok: false, data: null, text: '', exitCode: null, ms: 0, error: err.message, code: err.code }
      }
      return await runTool(spec, parsed.data, options, timeoutMs, config, components)
    }
  }
}

async function runTool<A extends z.ZodType, T> (spec: ToolSpec<A, T>, args: z.infer<A>, options: ToolRunOptions, timeoutMs: number, config: ToolsConfig, components: ToolComponents): Promise<ToolResult<T>> {
  const started = performance.now()
  const deadline = Date.now() + timeoutMs
  const parts: string[] = []
  let readTruncated = false
  let dataTruncated = false
  let exitCode: number | null = null
  const ctx: ToolContext = {
    config,
    signal: options.signal,
    remainingMs: () => Math.max(1, deadline - Date.now()),
    note: (text) => { parts.push(text) },
    exists: (path) => components.exists(path),
    cap: (items, opts = {}) => {
      const max = Math.min(opts.max ?? config.maxItems, config.maxItems)
      if (items.length <= max) return items
      dataTruncated = true
      if (opts.keepFirst === undefined) return items.slice(0, max)
      const keep = new Set(items.map((item, i) => ({ item, i })).sort((a, b) => opts.keepFirst!(a.item, b.item) || a.i - b.i).slice(0, max).map(x => x.i))
      return items.filter((_, i) => keep.has(i))
    },
    read: async (path, opts = {}) => {
      try {
        const content = await components.readFile(path)
        if (opts.quiet !== true) parts.push(`== ${path}\n${content}`)
        return content
      } catch (err: any) {
        throw new ToolReadError(path, err)
      }
    },
    list: async (path) => {
      try {
        return await components.listDir(path)
      } catch (err: any) {
        throw new ToolReadError(path, err)
      }
    },
    run: async (program, argv, opts = {}) => {
      const remaining = deadline - Date.now()
      if (remaining <= 0) throw new ToolTimeoutError(program, timeoutMs)
      const limit = Math.min(remaining, opts.timeoutMs ?? remaining)
      const out = await components.exec(program, argv, { timeoutMs: limit, maxReadBytes: config.maxReadBytes, signal: options.signal })
      switch (out.state) {
        case 'missing': throw new ProgramMissingError(program)
        case 'timeout':
        case 'killed': {
          const how = out.state === 'timeout' ? 'timeout' : out.signal
          if (opts.partial === true) {
            parts.push(`$ ${[program, ...argv].join(' ')}\n${out.stdout}[killed: ${how}]`)
            return { stdout: out.stdout, stderr: out.stderr, exitCode: null, killed: how }
          }
          if (out.state === 'timeout') throw new ToolTimeoutError(program, limit)
          throw new ProgramFailedError(`'${program}' was killed by ${out.signal}`)
        }
        case 'aborted': throw new ToolAbortedError()
        case 'failed': throw new ProgramFailedError(out.message)
        case 'exited': {
          exitCode = out.exitCode
          readTruncated ||= out.truncated
          parts.push(`$ ${[program, ...argv].join(' ')}\n${out.stdout}${out.stderr.length > 0 ? `[stderr] ${out.stderr}` : ''}`)
          const okCodes = opts.okCodes ?? [0]
          if (!out.truncated && (out.exitCode == null || !okCodes.includes(out.exitCode))) {
            const why = firstLine(out.stderr) ?? firstLine(out.stdout) ?? 'no output'
            throw new ProgramFailedError(`'${program}' exited with ${out.exitCode}: ${why}`)
          }
          return { stdout: out.stdout, stderr: out.stderr, exitCode: out.exitCode }
        }
      }
    }
  }
  const finish = (partial: Pick<ToolResult<T>, 'ok' | 'data' | 'error' | 'code'>): ToolResult<T> => {
    const capped = capText(parts.join('\n'), config.maxTextBytes)
    const result: ToolResult<T> = {
      ...partial,
      text: capped.text,
      exitCode,
      ms: Math.round((performance.now() - started) * 10) / 10
    }
    if (capped.truncated || readTruncated) result.truncated = true
    if (dataTruncated) result.dataTruncated = true
    if (partial.error === undefined) { delete result.error; delete result.code }
    return result
  }
  const impl = spec.impl[components.platform]
  if (impl === undefined) {
    const err = new UnsupportedPlatformError(spec.name, components.platform)
    return finish({ ok: false, data: null, error: err.message, code: err.code })
  }
  try {
    const data = await withDeadline(impl(args, ctx), timeoutMs, spec.name, options.signal)
    return finish({ ok: true, data })
  } catch (err: any) {
    const e = err instanceof ToolError ? err : new ToolParseError(`${spec.name}: ${err?.message ?? String(err)}`, err)
    return finish({ ok: false, data: null, error: e.message, code: e.code })
  }
}

/** Longest validation message passed back (a model reads it to fix its call). */
const MAX_ARGS_ERROR_CHARS = 400

export function describeIssues (error: z.ZodError): string {
  const text = error.issues.map(i => `${i.path.length > 0 ? i.path.join('.') : 'arguments'}: ${i.message}`).join('; ')
  return text.length > MAX_ARGS_ERROR_CHARS ? `${text.slice(0, MAX_ARGS_ERROR_CHARS)}…` : text
}

function firstLine (text: string): string | undefined {
  const line = text.split('\n').map(l => l.trim()).find(l => l.length > 0)
  return line === undefined ? undefined : line.slice(0, 200)
}

/** Bounds readings that are not a program (DNS, files on a hung NFS mount) by the tool's timeout too. */
async function withDeadline<T> (work: Promise<T>, ms: number, name: string, signal?: AbortSignal): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  let onAbort: (() => void) | undefined
  try {
    return await Promise.race([
      work,
      new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => { reject(new ToolTimeoutError(name, ms)) }, ms + 250)
        onAbort = () => { reject(new ToolAbortedError()) }
        signal?.addEventListener('abort', onAbort, { once: true })
      })
    ])
  } finally {
    clearTimeout(timer)
    if (onAbort !== undefined) signal?.removeEventListener('abort', onAbort)
  }
}
