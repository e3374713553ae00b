/**
 * Loggers per component, quiet by default. DEBUG=swarm:think (or swarm:*, or the exact
 * component name) turns one on; output goes to stderr so it never mixes with --json.
 * Prompts and tool output are never logged here, only their sizes.
 */
export interface Logger {
  debug: (message: string) => void
  warn: (message: string) => void
}

export const silentLogger: Logger = { debug: () => {}, warn: () => {} }

export function thinkLogger (component: string, env: Record<string, string | undefined> = process.env): Logger {
  const patterns = (env.DEBUG ?? '').split(',').map(s => s.trim()).filter(Boolean)
  const on = patterns.some(p => p === component || p === '*' || (p.endsWith('*') && component.startsWith(p.slice(0, -1))) || component.startsWith(p + ':'))
  if (!on) return silentLogger
  const write = (level: string, message: string) => { process.stderr.write(`${new Date().toISOString()} ${component} ${level} ${message}\n`) }
  return { debug: m => { write('debug', m) }, warn: m => { write('warn', m) } }
}
