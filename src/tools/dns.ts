/**
 * The DNS readings behind dns_check, done in Node so no DNS client program is needed:
 * the system resolver (getaddrinfo, which also reads /etc/hosts and nsswitch) and a
 * direct query to one nameserver (c-ares, one try, a timeout). Telling the two apart
 * is the point: "resolver down" is an error on every server, "name missing" is NXDOMAIN.
 */
import { promises as dns } from 'node:dns'
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
  ECANCELLED: 'CANCELLED'
}

function errorCode (err: any): string {
  const code = String(err?.code ?? 'ERROR')
  return CODES[code] ?? code
}

const elapsed = (t0: number) => Math.round((performance.now() - t0) * 10) / 10

/** getaddrinfo for IPv4 and IPv6, bounded by a timeout (getaddrinfo itself cannot be cancelled). */
export async function lookupSystem (name: string, timeoutMs: number): Promise<DnsAnswer> {
  const t0 = performance.now()
  let timer: NodeJS.Timeout | undefined
  try {
    const res = await Promise.race([
      dns.lookup(name, { all: true, verbatim: true }),
      new Promise<never>((_r, reject) => { timer = setTimeout(() => { reject(Object.assign(new Error('timeout'), { code: 'ETIMEOUT' })) }, timeoutMs) })
    ])
    const addresses = [...new Set(res.map(a => a.address))]
    return { ok: addresses.length > 0, addresses, ms: elapsed(t0) }
  } catch (err) {
    return { ok: false, addresses: [], ms: elapsed(t0), error: errorCode(err) }
  } finally {
    clearTimeout(timer)
  }
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
