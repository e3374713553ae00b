// The system resolver's answer for each name (getaddrinfo: hosts file, nsswitch, the
// configured nameservers), run as its own process by dns_check: a getaddrinfo stuck on a
// dead resolver cannot be cancelled, but this process can be killed.
// usage: system-lookup.mjs TIMEOUT_MS NAME... ; prints one JSON line per name:
//   {"name":..., "ok":bool, "addresses":[...], "ms":n, "code"?: "ENOTFOUND" | "EAI_AGAIN" | "TIMEOUT" ...}
// Plain JavaScript so it starts without a TypeScript loader.
process.env.UV_THREADPOOL_SIZE = '16' // one thread per name (at most 10), set before first use
const { lookup } = await import('node:dns/promises')
const { writeSync } = await import('node:fs')

const [timeoutArg, ...names] = process.argv.slice(2)
const timeoutMs = Number(timeoutArg)
const pending = new Set(names)
// synchronous, so nothing is lost when this process ends itself below
const print = (line) => { writeSync(1, JSON.stringify(line) + '\n') }

await Promise.race([
  Promise.all(names.map(async (name) => {
    const t0 = performance.now()
    const ms = () => Math.round((performance.now() - t0) * 10) / 10
    try {
      const res = await lookup(name, { all: true, verbatim: true })
      const addresses = [...new Set(res.map(a => a.address))]
      if (pending.delete(name)) print({ name, ok: addresses.length > 0, addresses, ms: ms() })
    } catch (err) {
      if (pending.delete(name)) print({ name, ok: false, addresses: [], ms: ms(), code: String(err?.code ?? 'ERROR') })
    }
  })),
  new Promise(resolve => setTimeout(resolve, timeoutMs).unref())
])
const stuck = pending.size > 0
for (const name of pending) print({ name, ok: false, addresses: [], ms: timeoutMs, code: 'TIMEOUT' })
print({ done: true })
// a normal exit would wait for the stuck getaddrinfo threads (seconds); all is said
if (stuck) process.kill(process.pid, 'SIGKILL')
