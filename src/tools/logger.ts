/**
 * The tools layer's logger, quiet by default. The peer passes its own (same shape as
 * src/node's Logger); standalone, DEBUG=swarm:tools (or swarm:*) or SWARM_LOG=debug
 * turns it on. Only names, codes and timings are logged, never tool output.
 */
export interface ToolLogger {
  debug: (message: string) => void
}

export const silentToolLogger: ToolLogger = { debug: () => {} }

export function envToolLogger (env: Record<string, string | undefined> = process.env): ToolLogger {
  const component = 'swarm:tools'
  const patterns = (env.DEBUG ?? '').split(',').map(s => s.trim()).filter(Boolean)
  const on = env.SWARM_LOG === 'debug' || patterns.some(p => p === component || p === '*' || (p.endsWith('*') && component.startsWith(p.slice(0, -1))))
  if (!on) return silentToolLogger
  return { debug: (m) => { process.stderr.write(`${new Date().toISOString()} debug ${component} ${m}\n`) } }
}
