/**
 * The one way the catalog runs a program: a fixed program and an argument array through
 * execa (never a shell), a C locale so numbers parse the same everywhere, no stdin, a
 * timeout that kills, a read cap, and the caller's AbortSignal. Never throws.
 */
import { execa } from 'execa'

export interface ExecOptions {
  timeoutMs: number
  /** bytes read from stdout before the program is stopped */
  maxReadBytes: number
  signal?: AbortSignal
}

/** How a run ended, as a tagged union the tools switch on. */
export type ExecOutcome =
  | { state: 'exited', exitCode: number | null, stdout: string, stderr: string, ms: number, truncated: boolean }
  | { state: 'missing', program: string, ms: number }
  | { state: 'timeout', stdout: string, stderr: string, ms: number }
  | { state: 'aborted', ms: number }
  | { state: 'killed', signal: string, stdout: string, stderr: string, ms: number }
  | { state: 'failed', message: string, ms: number }

/** Locale and pager settings that keep output machine-readable and the run non-interactive. */
const ENV = { LC_ALL: 'C', LANG: 'C', PAGER: 'cat', SYSTEMD_PAGER: '', SYSTEMD_COLORS: '0', NO_COLOR: '1' }

/** Grace before SIGKILL follows SIGTERM for a program past its timeout. */
const FORCE_KILL_AFTER_MS = 500

export async function runProgram (program: string, args: readonly string[], options: ExecOptions): Promise<ExecOutcome> {
  const started = performance.now()
  const ms = () => Math.round((performance.now() - started) * 10) / 10
  if (options.signal?.aborted === true) return { state: 'aborted', ms: 0 }
  try {
    const r = await execa(program, [...args], {
      reject: false,
      shell: false,
      stdin: 'ignore',
      env: ENV,
      extendEnv: true,
      timeout: options.timeoutMs,
      forceKillAfterDelay: FORCE_KILL_AFTER_MS,
      cancelSignal: options.signal,
      maxBuffer: { stdout: options.maxReadBytes, stderr: 64 * 1024 },
      stripFinalNewline: false,
      windowsHide: true
    })
    const stdout = typeof r.stdout === 'string' ? r.stdout : ''
    const stderr = typeof r.stderr === 'string' ? r.stderr : ''
    if (r.timedOut) return { state: 'timeout', stdout, stderr, ms: ms() }
    if (r.isCanceled || isAborted(options.signal)) return { state: 'aborted', ms: ms() }
    const code = (r as { code?: string }).code
    if (code === 'ENOENT') return { state: 'missing', program, ms: ms() }
    if (code === 'EACCES') return { state: 'failed', message: `'${program}' is not executable`, ms: ms() }
    // past the read cap execa stops the program: keep what was read and say so
    if (r.isMaxBuffer) return { state: 'exited', exitCode: r.exitCode ?? null, stdout, stderr, ms: ms(), truncated: true }
    if (typeof r.exitCode === 'number') return { state: 'exited', exitCode: r.exitCode, stdout, stderr, ms: ms(), truncated: false }
    if (r.signal != null) return { state: 'killed', signal: r.signal, stdout, stderr, ms: ms() }
    return { state: 'failed', message: r.shortMessage ?? 'program did not run', ms: ms() }
  } catch (err: any) {
    return { state: 'failed', message: String(err?.shortMessage ?? err?.message ?? err), ms: ms() }
  }
}

// a function so the compiler does not assume the signal is unchanged across the await
function isAborted (signal?: AbortSignal): boolean {
  return signal?.aborted === true
}
