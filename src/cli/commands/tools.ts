import type { Command } from '../command.ts'
import { parseFlags } from '../command.ts'
import { json, table } from '../format.ts'
import { localToolRunner } from '../../tools/index.ts'
import { loadToolsConfig } from './tool.ts'

export const command: Command = {
  summary: 'list the diagnostic tools this machine can run (no peer needed)',
  usage: 'tools [--json] [--home DIR]',
  flags: `  --home DIR   read [tools] settings from this home's config.toml
  --json       one JSON array with each tool's description and argument schema`,
  async run (argv, io) {
    const { values } = parseFlags(argv, { json: { type: 'boolean' }, home: { type: 'string' } })
    const runner = localToolRunner(loadToolsConfig(values.home, io))
    const tools = runner.list()
    if (values.json === true) {
      io.stdout(json(tools.map(t => ({
        name: t.name,
        description: t.description,
        platforms: t.platforms,
        timeoutMs: t.timeoutMs,
        maxOutputBytes: t.maxOutputBytes,
        args: runner.jsonSchema(t.name)
      }))))
      return 0
    }
    io.stdout(table(tools.map(t => ({
      name: t.name,
      args: argSummary(runner.jsonSchema(t.name)),
      about: firstSentence(t.description)
    })), ['name', 'args', 'about']))
    return 0
  }
}

function argSummary (schema: Record<string, unknown>): string {
  const props = Object.entries((schema.properties ?? {}) as Record<string, Record<string, unknown>>)
  const required = new Set((schema.required ?? []) as string[])
  if (props.length === 0) return '-'
  return props.map(([k, p]) => {
    const v = Array.isArray(p.enum) ? p.enum.join('|') : String(p.type ?? 'value')
    return required.has(k) ? `${k}=${v}` : `[${k}=${v}]`
  }).join(' ')
}

function firstSentence (text: string): string {
  const s = text.split(/(?<=\.)\s/)[0]
  return s.length > 90 ? `${s.slice(0, 89)}…` : s
}
