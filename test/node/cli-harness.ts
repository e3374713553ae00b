import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, expect } from 'vitest'
import { NODE, SWARM_BIN } from '../helpers/netlab.ts'

// The CLI as a user runs it: a real process, real files, one-line errors.
// Peers here listen on 127.0.0.1 with mDNS off (never mDNS in the root namespace).

export interface Result { code: number | null, stdout: string, stderr: string }

/** A temp root for one test file's homes, and the processes it started; both gone after the file. */
export function cliHarness (prefix: string) {
  const root = mkdtempSync(join(tmpdir(), prefix))
  const started: ChildProcess[] = []
  afterAll(() => {
    for (const c of started) if (c.exitCode == null && c.pid != null) { try { process.kill(c.pid, 'SIGKILL') } catch {} }
    rmSync(root, { recursive: true, force: true })
  })

  async function swarm (args: string[], env: Record<string, string> = {}): Promise<Result> {
    return await new Promise((resolve) => {
      const child = spawn(NODE, [SWARM_BIN, ...args], { env: { ...process.env, SWARM_HOME: join(root, 'unused'), ...env } })
      let stdout = ''
      let stderr = ''
      child.stdout.on('data', (d: Buffer) => { stdout += d.toString() })
      child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
      child.on('exit', (code) => { resolve({ code, stdout, stderr }) })
    })
  }

  /** `swarm start` on loopback with mDNS off (env on top of ours); output() is stdout and stderr together */
  function startPeer (home: string, args: string[] = [], env: Record<string, string> = {}): { child: ChildProcess, output: () => string } {
    const child = spawn(NODE, [SWARM_BIN, 'start', '--home', home, '--no-mdns', '--listen', '/ip4/127.0.0.1/tcp/0', ...args], { env: { ...process.env, ...env } })
    started.push(child)
    let out = ''
    child.stdout!.on('data', (d: Buffer) => { out += d.toString() })
    child.stderr!.on('data', (d: Buffer) => { out += d.toString() })
    return { child, output: () => out }
  }

  return { root, started, swarm, startPeer }
}

/** a failure a person reads: non-zero, exactly one line on stderr, no stack */
export function expectOneLineError (r: Result, mentions: string): void {
  expect(r.code, r.stderr).not.toBe(0)
  const lines = r.stderr.trim().split('\n')
  expect(lines, r.stderr).toHaveLength(1)
  expect(r.stderr).not.toMatch(/\n\s+at /)
  expect(lines[0]).toContain(mentions)
}

export async function exited (child: ChildProcess): Promise<number | null> {
  if (child.exitCode != null) return child.exitCode
  return await new Promise(resolve => child.once('exit', (code) => { resolve(code) }))
}
