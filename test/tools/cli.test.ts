/** `swarm tools` and `swarm tool` as a user runs them: the real bin, no peer running. */
import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { NODE, REPO } from './fixtures.ts'

const home = mkdtempSync(join(tmpdir(), 'swarm-tools-cli-'))
afterAll(() => { rmSync(home, { recursive: true, force: true }) })

async function swarm (args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number, stdout: string, stderr: string }> {
  return await new Promise(resolve => {
    execFile(NODE, ['bin/swarm.mjs', ...args], { cwd: REPO, env: { ...process.env, SWARM_HOME: home, ...env }, timeout: 60_000 }, (err: any, stdout, stderr) => {
      resolve({ code: err == null ? 0 : typeof err.code === 'number' ? err.code : 1, stdout, stderr })
    })
  })
}

describe('swarm tools', () => {
  it('--json lists the catalog with descriptions and JSON schemas', async () => {
    const r = await swarm(['tools', '--json'])
    expect(r.code).toBe(0)
    const tools = JSON.parse(r.stdout)
    expect(tools.map((t: any) => t.name)).toEqual(['disk_usage', 'memory', 'system_load', 'failed_services', 'service_status', 'dns_check', 'listening_ports', 'top_processes', 'recent_errors', 'uptime', 'os_info', 'network_interfaces'])
    const status = tools.find((t: any) => t.name === 'service_status')
    expect(status.args).toMatchObject({ type: 'object', required: ['name'], additionalProperties: false })
    expect(status.timeoutMs).toBeGreaterThan(0)
    expect(tools.every((t: any) => t.description.length > 40)).toBe(true)
  })

  it('prints a table for people', async () => {
    const r = await swarm(['tools'])
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/^NAME\s+ARGS\s+ABOUT/)
    expect(r.stdout).toMatch(/top_processes\s+\[by=cpu\|memory\]/)
  })
})

describe.skipIf(process.platform !== 'linux')('swarm tool NAME', () => {
  it('disk_usage --json gives the structured result', async () => {
    const r = await swarm(['tool', 'disk_usage', '--json'])
    expect(r.code).toBe(0)
    const result = JSON.parse(r.stdout)
    expect(result).toMatchObject({ ok: true, exitCode: 0 })
    expect(result.data.mounts.find((m: any) => m.mount === '/')).toMatchObject({ usedPercent: expect.any(Number), sizeBytes: expect.any(Number) })
    expect(typeof result.ms).toBe('number')
  })

  it('--args reaches the tool; human output is a table', async () => {
    const r = await swarm(['tool', 'top_processes', '--args', '{"by":"memory","limit":3}'])
    expect(r.code).toBe(0)
    const lines = r.stdout.trim().split('\n')
    expect(lines[0]).toMatch(/^PID\s+USER\s+CPU\s+MEM\s+RSS\s+COMMAND/)
    expect(lines).toHaveLength(1 + 3 + 1) // header, 3 rows, timing line
  })

  it('config from the home applies (tools.maxItems)', async () => {
    writeFileSync(join(home, 'config.toml'), '[tools]\nmaxItems = 1\n')
    try {
      const r = await swarm(['tool', 'network_interfaces', '--json'])
      const result = JSON.parse(r.stdout)
      expect(result.data.interfaces).toHaveLength(1)
      expect(result.dataTruncated).toBe(true)
    } finally {
      rmSync(join(home, 'config.toml'))
    }
  })

  it('hostile --args exit 2 with the tool\'s code; --json still prints the result', async () => {
    const r = await swarm(['tool', 'service_status', '--args', '{"name":"$(touch /tmp/x); id"}'])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('ERR_TOOL_ARGS')
    // one line, naming the tool once
    expect(r.stderr.trim().split('\n')).toHaveLength(1)
    expect(r.stderr.match(/service_status/g)).toHaveLength(1)
    const j = await swarm(['tool', 'service_status', '--args', '{"name":"x","extra":true}', '--json'])
    expect(j.code).toBe(2)
    expect(JSON.parse(j.stdout)).toMatchObject({ ok: false, code: 'ERR_TOOL_ARGS' })
  })

  it('usage errors: unknown tool, bad JSON, no name', async () => {
    const runs = await Promise.all([['tool', 'rm_rf'], ['tool', 'memory', '--args', '{nope'], ['tool'], ['tool', 'memory', '--timeout', '5']].map(async a => await swarm(a)))
    expect(runs.map(r => r.code)).toEqual([2, 2, 2, 2])
    expect(runs.every(r => r.stderr.startsWith('swarm tool: '))).toBe(true)
  })
})
