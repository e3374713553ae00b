/**
 * The DNS readings behind dns_check, done with Node so no DNS client program is needed:
 * the system resolver (getaddrinfo, which also reads /etc/hosts and nsswitch) and a
 * direct query to one nameserver (c-ares, one try, a timeout). Telling the two apart
 * is the point: "resolver down" is an error on every server, "name missing" is NXDOMAIN.
 */
import { promises as dns } from 'node:dns'
import { fileURLToPath } from 'node:url'
import type { DnsAnswer } from './types.ts'

const CODES: Record<string, string> = {
  ENOTFOUND: 'NXDOMAIN',
  ENODATA: 'NODATA',
  ESERVFAIL: 'SERVFAIL',
  EREFUSED: 'REFUSED',
  ETIMEOUT: 'TIMEOUT',
  ECONNREFUSED: 'ECONNREFUSED',
  // getaddrinfo's "temporary failure": every server timed out, refused or said SERVFAIL
  EAI_AGAIN: 'TEMPFAIL',
  EAI_NONAME: 'NXDOMAIN',
  EAI_NODATA: 'NODATA',
  EBADRESP: 'BADRESP',
  ECANCELLED: 'CANCELLED',
  TIMEOUT: 'TIMEOUT'
}

function errorCode (err: any): string {
  const code = String(err?.code ?? 'ERROR')
  return CODES[code] ?? code
}

const elapsed = (t0: number) => Math.round((performance.now() - t0) * 10) / 10

/**
 * The system resolver (getaddrinfo) is asked from a child process: a call stuck on a
 * dead resolver cannot be cancelled, would hold one of libuv's few threads (shared with
 * file reads) for timeout x attempts x servers, and would keep a CLI process from
 * exiting. A child can simply be killed. See ./bin/system-lookup.mjs.
 */
export const SYSTEM_LOOKUP_SCRIPT = fileURLToPath(new URL('./bin/system-lookup.mjs', import.meta.url))

/** Reads the child's JSON lines; a name it never reported (killed first) is a TIMEOUT. */
export function parseSystemLookup (stdout: string, names: readonly string[], timeoutMs: number): Map<string, DnsAnswer> {
  const out = new Map<string, DnsAnswer>()
  for (const row of stdout.split('\n')) {
    if (!row.startsWith('{')) continue
    let line: any
    try { line = JSON.parse(row) } catch { continue }
    if (typeof line?.name !== 'string' || !names.includes(line.name) || out.has(line.name)) continue
    const addresses = Array.isArray(line.addresses) ? line.addresses.filter((a: unknown) => typeof a === 'string') : []
    const answer: DnsAnswer = { ok: line.ok === true && addresses.length > 0, addresses, ms: Number(line.ms) || 0 }
    if (!answer.ok) answer.error = errorCode({ code: line.code ?? 'NODATA' })
    out.set(line.name, answer)
  }
  for (const name of names) if (!out.has(name)) out.set(name, { ok: false, addresses: [], ms: timeoutMs, error: 'TIMEOUT' })
  return out
}

/**
 * Asks one nameserver directly for A and AAAA. A name with only one of them is fine; the
 * error reported is the A query's unless AAAA says more (e.g. A NODATA, AAAA TIMEOUT).
 * `server` is an IP, optionally with a port ("127.0.0.1:5353", "[::1]:53").
 */
export async function queryServer (name: string, server: string, timeoutMs: number): Promise<DnsAnswer & { server: string }> {
  const t0 = performance.now()
  const resolver = new dns.Resolver({ timeout: timeoutMs, tries: 1 })
  try {
    resolver.setServers([server])
  } catch (err) {
    return { server, ok: false, addresses: [], ms: 0, error: errorCode(err) }
  }
  const [a, aaaa] = await Promise.allSettled([resolver.resolve4(name), resolver.resolve6(name)])
  const addresses = [
    ...(a.status === 'fulfilled' ? a.value : []),
    ...(aaaa.status === 'fulfilled' ? aaaa.value : [])
  ]
  const answer: DnsAnswer & { server: string } = { server, ok: addresses.length > 0, addresses, ms: elapsed(t0) }
  if (!answer.ok) {
    const e4 = a.status === 'rejected' ? errorCode(a.reason) : 'NODATA'
    const e6 = aaaa.status === 'rejected' ? errorCode(aaaa.reason) : 'NODATA'
    answer.error = e4 === 'NODATA' ? e6 : e4
  }
  resolver.cancel()
  return answer
}
