#!/usr/bin/env node
// `npm run bench [-- NAME...]`: runs every benchmark under bench/ (each NAME.bench.ts),
// or the named ones, one after another, each in its own process.
import { readdirSync } from 'node:fs'
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const dir = fileURLToPath(new URL('../bench/', import.meta.url))
const all = readdirSync(dir).filter(f => f.endsWith('.bench.ts')).map(f => f.slice(0, -'.bench.ts'.length)).sort()
// names come first; everything from the first flag on goes to each scenario (`--runs 3`)
const args = process.argv.slice(2)
const firstFlag = args.findIndex(a => a.startsWith('-'))
const names = firstFlag === -1 ? args : args.slice(0, firstFlag)
const flags = firstFlag === -1 ? [] : args.slice(firstFlag)
const unknown = names.filter(n => !all.includes(n))
if (unknown.length > 0) {
  process.stderr.write(`bench: no scenario named ${unknown.join(', ')} (have: ${all.join(', ')})\n`)
  process.exit(2)
}
let failed = 0
for (const name of names.length > 0 ? names : all) {
  process.stdout.write(`\n== bench ${name} ==\n`)
  const r = spawnSync(process.execPath, ['--import', 'tsx', `${dir}${name}.bench.ts`, ...flags], { stdio: 'inherit' })
  if (r.status !== 0) failed++
}
process.exit(failed > 0 ? 1 : 0)
