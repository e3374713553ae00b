/**
 * Safety of the catalog: model-supplied arguments are rejected by the schema or reach a
 * program as literal data, never a shell; a hung program is killed at its timeout; a
 * flood of output is capped; nothing throws into the caller.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it, vi } from 'vitest'
import { z } from 'zod'
import { localToolRunner } from '../../src/tools/index.ts'
import { defaultToolsConfig } from '../../src/tools/config.ts'
import { runProgram, type ExecOutcome } from '../../src/tools/exec.ts'
import { defineTool, machineComponents, type ToolComponents } from '../../src/tools/tool.ts'
import { FIXTURES, NODE } from './fixtures.ts'

const BIN = `${FIXTURES}bin/`
const dir = mkdtempSync(join(tmpdir(), 'swarm-tools-safety-'))
const sentinel = join(dir, 'pwned')
afterAll(() => { rmSync(dir, { recursive: true, force: true }) })

const HOSTILE = [
  `x; touch ${sentinel}`,
  `$(touch ${sentinel})`,
  `\`touch ${sentinel}\``,
  `x\ntouch ${sentinel}`,
  `x && touch ${sentinel}`,
  `x | tee ${sentinel}`,
  `x > ${sentinel}`,
  '*',
  '/etc/*',
  '--help',
  '-p',
  '"quoted"',
  'a'.repeat(100_000)
]

/** A runner whose exec records every program call and runs nothing. */
function recordingRunner () {
  const calls: string[][] = []
  const exec: ToolComponents['exec'] = async (program, args): Promise<ExecOutcome> => {
    calls.push([program, ...args])
    return { state: 'exited', exitCode: 0, stdout: '', stderr: '', ms: 0, truncated: false }
  }
  return { calls, runner: localToolRunner(defaultToolsConfig(), { platform: 'linux', exec, exists: () => true }) }
}

describe('hostile arguments are rejected by the schema before anything runs', () => {
  const { calls, runner } = recordingRunner()

  it.each(HOSTILE.map(h => [h.slice(0, 30).replace(/\n/g, '\\n'), h]))('service_status name %s', async (_label, payload) => {
    const r = await runner.run('service_status', { name: payload })
    expect(r).toMatchObject({ ok: false, code: 'ERR_TOOL_ARGS', data: null })
  })

  it('in every string argument of the catalog', async () => {
    for (const payload of HOSTILE) {
      expect((await runner.run('dns_check', { names: [payload] })).code).toBe('ERR_TOOL_ARGS')
      expect((await runner.run('recent_errors', { since: payload })).code).toBe('ERR_TOOL_ARGS')
      expect((await runner.run('top_processes', { by: payload })).code).toBe('ERR_TOOL_ARGS')
    }
    expect(calls).toEqual([])
    expect(existsSync(sentinel)).toBe(false)
  })

  it('unknown fields, wrong types, out-of-range numbers, too many names, non-JSON strings', async () => {
    for (const [name, args] of [
      ['disk_usage', { path: '/' }],
      ['service_status', { name: 'ssh', extra: 1 }],
      ['service_status', {}],
      ['service_status', { name: 42 }],
      ['top_processes', { limit: 1e9 }],
      ['top_processes', { limit: 2.5 }],
      ['dns_check', { names: Array.from({ length: 11 }, (_, i) => `n${i}.test`) }],
      ['recent_errors', { since: '999d' }],
      ['memory', '{not json'],
      ['memory', [1, 2]]
    ] as Array<[string, unknown]>) {
      const r = await runner.run(name, args)
      expect(r, `${name} ${JSON.stringify(args).slice(0, 80)}`).toMatchObject({ ok: false, code: 'ERR_TOOL_ARGS' })
      expect(r.error?.length).toBeLessThan(500)
    }
    expect(calls).toEqual([])
  })

  it('accepts a JSON string of arguments, as some models send them', async () => {
    const r = await runner.run('service_status', '{"name":"nginx.service"}')
    expect(r.ok).toBe(true)
    expect(calls.at(-1)?.slice(-2)).toEqual(['--', 'nginx.service'])
  })

  it('an unknown tool is a result with a code, and jsonSchema names it', async () => {
    expect(await runner.run('rm_rf', {})).toMatchObject({ ok: false, code: 'ERR_TOOL_UNKNOWN' })
    expect(() => runner.jsonSchema('rm_rf')).toThrow(expect.objectContaining({ name: 'UnknownToolError', code: 'ERR_TOOL_UNKNOWN' }))
  })
})

describe('programs get literal arguments, no shell', () => {
  it('metacharacters, newlines, globs and a 100 kB string arrive byte for byte and run nothing', async () => {
    const out = await runProgram(NODE, [`${BIN}echo-args.mjs`, ...HOSTILE], { timeoutMs: 10_000, maxReadBytes: 1 << 20 })
    expect(out.state).toBe('exited')
    if (out.state !== 'exited') return
    expect(JSON.parse(out.stdout)).toEqual(HOSTILE)
    expect(existsSync(sentinel)).toBe(false)
  })

  it('a catalog tool passes a validated name as one argument after --', async () => {
    const seen: string[][] = []
    const echo: ToolComponents['exec'] = async (program, args, options) => {
      const out = await runProgram(NODE, [`${BIN}echo-args.mjs`, program, ...args], options)
      if (out.state === 'exited') seen.push(JSON.parse(out.stdout))
      return out.state === 'exited' ? { ...out, stdout: 'LoadState=not-found\n' } : out
    }
    const runner = localToolRunner(defaultToolsConfig(), { platform: 'linux', exec: echo, exists: () => true })
    const r = await runner.run('service_status', { name: 'getty@tty1.service' })
    expect(r).toMatchObject({ ok: true, data: { found: false } })
    expect(seen[0]).toEqual(['systemctl', 'show', '--no-pager', '-p', 'LoadState,ActiveState,SubState,MainPID,Id', '--', 'getty@tty1.service'])
  })
})

describe('timeouts, caps, aborts and failures', () => {
  const config = { ...defaultToolsConfig(), timeoutMs: 400, maxTextBytes: 4096, maxReadBytes: 256 * 1024 }
  const testTool = (impl: (args: any, ctx: any) => Promise<unknown>, components: Partial<ToolComponents> = {}) =>
    defineTool({ name: 'test_tool', description: 'test', args: z.object({}).strict(), impl: { linux: impl } }, config, { ...machineComponents('linux'), ...components })

  it('a hung program that ignores SIGTERM is killed at the timeout', async () => {
    const out = await runProgram(NODE, [`${BIN}hang.mjs`], { timeoutMs: 500, maxReadBytes: 1024 })
    expect(out.state).toBe('timeout')
    expect(out.ms).toBeLessThan(5_000)
    const pid = Number(out.state === 'timeout' ? out.stdout.trim() : NaN)
    expect(pid).toBeGreaterThan(0)
    await vi.waitFor(() => { expect(() => process.kill(pid, 0)).toThrow() }, { timeout: 5_000 })
  })

  it('through a tool: ok false, ERR_TOOL_TIMEOUT, back soon after the limit', async () => {
    const tool = testTool(async (_a, ctx) => await ctx.run(NODE, [`${BIN}hang.mjs`]))
    const r = await tool.run({})
    expect(r).toMatchObject({ ok: false, data: null, code: 'ERR_TOOL_TIMEOUT' })
    expect(r.ms).toBeGreaterThanOrEqual(350)
    expect(r.ms).toBeLessThan(3_000)
  })

  it('a reading that is not a program (a stuck file read) is bounded too', async () => {
    const tool = testTool(async () => await new Promise(() => {}))
    expect(await tool.run({})).toMatchObject({ ok: false, code: 'ERR_TOOL_TIMEOUT' })
  })

  it('a flood of output is stopped at the read cap and the text at the text cap', async () => {
    const out = await runProgram(NODE, [`${BIN}flood.mjs`], { timeoutMs: 10_000, maxReadBytes: 1 << 20 })
    expect(out).toMatchObject({ state: 'exited', truncated: true })
    if (out.state === 'exited') expect(out.stdout.length).toBeLessThanOrEqual(1 << 20)
    const tool = testTool(async (_a, ctx) => { const o = await ctx.run(NODE, [`${BIN}flood.mjs`]); return { lines: o.stdout.split('\n').length } })
    const r = await tool.run({})
    expect(r.ok).toBe(true)
    expect(r.truncated).toBe(true)
    expect(Buffer.byteLength(r.text)).toBeLessThanOrEqual(4096)
    expect((r.data as { lines: number }).lines).toBeGreaterThan(1000)
  })

  it('lists are cut at maxItems and flagged', async () => {
    const tool = defineTool({ name: 't', description: 't', args: z.object({}).strict(), impl: { linux: async (_a, ctx) => ctx.cap(Array.from({ length: 500 }, (_, i) => i)) } }, { ...config, maxItems: 200 }, machineComponents('linux'))
    const r = await tool.run({})
    expect((r.data as number[]).length).toBe(200)
    expect(r.dataTruncated).toBe(true)
  })

  it('the caller\'s AbortSignal stops the program', async () => {
    const tool = defineTool({ name: 't', description: 't', args: z.object({}).strict(), impl: { linux: async (_a, ctx) => await ctx.run(NODE, [`${BIN}hang.mjs`]) } }, { ...config, timeoutMs: 30_000 }, machineComponents('linux'))
    const ac = new AbortController()
    setTimeout(() => { ac.abort() }, 200)
    const r = await tool.run({}, { signal: ac.signal })
    expect(r).toMatchObject({ ok: false, code: 'ERR_TOOL_ABORTED' })
    expect(r.ms).toBeLessThan(5_000)
  })

  it('a missing program, a failing program and a throwing parser are results, not exceptions', async () => {
    expect(await testTool(async (_a, ctx) => await ctx.run('swarm-no-such-program-xyz', [])).run({})).toMatchObject({ ok: false, code: 'ERR_PROGRAM_MISSING' })
    const failing = await testTool(async (_a, ctx) => await ctx.run('false', [])).run({})
    expect(failing).toMatchObject({ ok: false, code: 'ERR_PROGRAM_FAILED', exitCode: 1 })
    expect(await testTool(async () => { throw new TypeError('x is undefined') }).run({})).toMatchObject({ ok: false, code: 'ERR_TOOL_PARSE' })
    expect(await defineTool({ name: 't', description: 't', args: z.object({}), impl: { darwin: async () => 1 } }, config, machineComponents('linux')).run({})).toMatchObject({ ok: false, code: 'ERR_TOOL_PLATFORM' })
  })
})
