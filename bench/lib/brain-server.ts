/**
 * A scripted brain as its own process, started inside a lab namespace with
 * `ip netns exec NS node --import tsx bench/lib/brain-server.ts '<json options>'`.
 * The fake OpenAI server only listens on 127.0.0.1 (of that namespace), so a small TCP
 * relay on the namespace's bridge address lets every peer reach it. Each request is
 * appended to a JSONL log the benchmark reads afterwards. Prints "brain ready URL".
 */
import { appendFileSync } from 'node:fs'
import { connect, createServer, type Socket } from 'node:net'
import { startFakeOpenAI } from '../../test/helpers/fake-openai.ts'
import { benchScript, type BenchScriptOptions } from './script.ts'

export interface BrainServerOptions extends BenchScriptOptions {
  /** a label for this brain in the logs (e.g. "fast") */
  label: string
  host: string
  port: number
  /** JSONL request log */
  log: string
}

/** One line of the request log. */
export type BrainLogLine = { brain: string, at: number, delayMs: number } & Record<string, unknown>

async function main (): Promise<void> {
  const o = JSON.parse(process.argv[2] ?? '{}') as BrainServerOptions
  const fake = await startFakeOpenAI({
    model: `bench-${o.label}`,
    script: benchScript(o, (info, ctx, delay) => {
      const line: BrainLogLine = { brain: o.label, at: ctx.request.at, delayMs: delay.delayMs, queuedMs: delay.queuedMs, ...info }
      try { appendFileSync(o.log, JSON.stringify(line) + '\n') } catch {}
    })
  })
  const sockets = new Set<Socket>()
  const relay = createServer((client) => {
    const upstream = connect(fake.port, '127.0.0.1')
    sockets.add(client); sockets.add(upstream)
    const close = () => { client.destroy(); upstream.destroy(); sockets.delete(client); sockets.delete(upstream) }
    client.on('error', close); upstream.on('error', close)
    client.on('close', close); upstream.on('close', close)
    // every HTTP request line with its arrival time, /v1/models included (keep-alive: many per connection)
    client.on('data', (d: Buffer) => {
      const at = Date.now()
      for (const m of d.toString('latin1').matchAll(/^(GET|POST) (\S+) HTTP\/1\.[01]\r$/gm)) {
        if (m[2].endsWith('/chat/completions')) continue // logged with its meaning by the script
        try { appendFileSync(o.log, JSON.stringify({ brain: o.label, at, delayMs: 0, kind: 'http', method: m[1], path: m[2] }) + '\n') } catch {}
      }
    })
    client.pipe(upstream).pipe(client)
  })
  await new Promise<void>((resolve, reject) => { relay.once('error', reject); relay.listen(o.port, o.host, resolve) })
  const url = `http://${o.host}:${o.port}/v1`
  process.stdout.write(`brain ready ${url}\n`)
  const stop = () => {
    for (const s of sockets) s.destroy()
    relay.close()
    void fake.close().finally(() => process.exit(0))
  }
  process.on('SIGTERM', stop)
  process.on('SIGINT', stop)
}

main().catch((err) => { process.stderr.write(`brain-server: ${err?.stack ?? err}\n`); process.exit(1) })
