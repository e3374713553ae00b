/**
 * What each tool costs on this machine: every tool run N times (default 10, `--runs N`)
 * one after another, printing median, min and max wall time and the size of the result
 * as it would be gossiped. dns_check reads an empty resolver list here so the benchmark
 * sends no query off this machine (it measures the system lookup of "localhost").
 *   npm run bench -- tools [--runs=20]
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { defaultToolsConfig, localToolRunner } from '../src/tools/index.ts'

// bin/bench.mjs passes flags through; a flag's value must be joined with '=' there
const { values } = parseArgs({ options: { runs: { type: 'string', default: '10' } }, strict: false })
const runs = Math.max(1, Math.floor(Number(values.runs)) || 10)

const dir = mkdtempSync(join(tmpdir(), 'swarm-bench-tools-'))
const resolvConf = join(dir, 'resolv.conf')
writeFileSync(resolvConf, '# no nameservers: the benchmark stays on this machine\n')
const config = defaultToolsConfig()
config.dns = { ...config.dns, resolvConf, names: ['localhost'] }
const runner = localToolRunner(config)

const ARGS: Record<string, unknown> = {
  service_status: { name: 'ssh' },
  top_processes: { by: 'cpu', limit: 10 },
  recent_errors: { since: '1h' }
}

const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2 }
const rows: string[][] = [['tool', 'median ms', 'min ms', 'max ms', 'ok', 'result bytes']]
try {
  for (const tool of runner.list()) {
    const times: number[] = []
    let ok = 0
    let bytes = 0
    await runner.run(tool.name, ARGS[tool.name] ?? {}) // warm-up: module and page cache
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now()
      const r = await runner.run(tool.name, ARGS[tool.name] ?? {})
      times.push(performance.now() - t0)
      if (r.ok) ok++
      bytes = Buffer.byteLength(JSON.stringify(r))
    }
    rows.push([tool.name, median(times).toFixed(1), Math.min(...times).toFixed(1), Math.max(...times).toFixed(1), `${ok}/${runs}`, String(bytes)])
  }
} finally {
  rmSync(dir, { recursive: true, force: true })
}
const widths = rows[0].map((_, i) => Math.max(...rows.map(r => r[i].length)))
process.stdout.write(`${runs} runs per tool on ${process.platform}/${process.arch}, node ${process.version}\n`)
for (const r of rows) process.stdout.write(r.map((c, i) => i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i])).join('  ') + '\n')
