/**
 * Loggers per component (`swarm:dialer`), quiet by default: only warnings and errors
 * reach stderr unless SWARM_LOG=info|debug (or `swarm start --verbose`).
 */
export type LogLevel = 'error' | 'warn' | 'info' | 'debug'
const ORDER: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3 }

export interface Logger {
  error: (msg: string, ...args: unknown[]) => void
  warn: (msg: string, ...args: unknown[]) => void
  info: (msg: string, ...args: unknown[]) => void
  debug: (msg: string, ...args: unknown[]) => void
  forComponent: (name: string) => Logger
}

export interface LoggerInit {
  level?: LogLevel
  sink?: (line: string) => void
}

export function createLogger (component: string, init: LoggerInit = {}): Logger {
  const level = init.level ?? parseLevel(process.env.SWARM_LOG) ?? 'warn'
  const sink = init.sink ?? ((line: string) => { process.stderr.write(line + '\n') })
  const at = (l: LogLevel) => (msg: string, ...args: unknown[]) => {
    if (ORDER[l] > ORDER[level]) return
    const extra = args.map(a => a instanceof Error ? `${a.name}: ${a.message}` : typeof a === 'string' ? a : safeJson(a)).join(' ')
    sink(`${new Date().toISOString()} ${l} ${component} ${msg}${extra === '' ? '' : ' ' + extra}`)
  }
  return {
    error: at('error'),
    warn: at('warn'),
    info: at('info'),
    debug: at('debug'),
    forComponent: (name) => createLogger(name, { level, sink })
  }
}

export function parseLevel (v: string | undefined): LogLevel | undefined {
  return v != null && v in ORDER ? v as LogLevel : undefined
}

function safeJson (v: unknown): string {
  try { return JSON.stringify(v) } catch { return String(v) }
}
