/**
 * /proc/net/{tcp,tcp6,udp,udp6}: the kernel's socket tables, read when `ss` is not
 * installed (slim containers). Addresses are hex, each 32-bit word in host (little-endian)
 * order; no process names here, only sockets.
 */
import { ToolParseError } from '../errors.ts'
import type { ListeningPortsData } from '../types.ts'

type Port = ListeningPortsData['ports'][number]

/** TCP_LISTEN in the kernel's state numbering. */
const TCP_LISTEN = '0A'
/** TCP_CLOSE: how an unconnected (bound) UDP socket shows. */
const UDP_UNCONNECTED = '07'

function wordLE (hex: string): number[] {
  return [hex.slice(6, 8), hex.slice(4, 6), hex.slice(2, 4), hex.slice(0, 2)].map(b => Number.parseInt(b, 16))
}

/** "0100007F" -> 127.0.0.1; 32 hex digits -> an IPv6 address in short form. */
export function procNetAddress (hex: string): string {
  if (hex.length === 8) return wordLE(hex).join('.')
  if (hex.length !== 32) throw new ToolParseError(`/proc/net: bad address '${hex}'`)
  const bytes = [0, 8, 16, 24].flatMap(i => wordLE(hex.slice(i, i + 8)))
  if (bytes.slice(0, 10).every(b => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff) return `::ffff:${bytes.slice(12).join('.')}`
  const groups = Array.from({ length: 8 }, (_, i) => ((bytes[2 * i] << 8) | bytes[2 * i + 1]).toString(16))
  // the longest run of zero groups becomes '::'
  let best = { at: -1, len: 0 }
  for (let i = 0; i < 8;) {
    if (groups[i] !== '0') { i++; continue }
    let j = i
    while (j < 8 && groups[j] === '0') j++
    if (j - i > best.len && j - i > 1) best = { at: i, len: j - i }
    i = j
  }
  if (best.at < 0) return groups.join(':')
  return `${groups.slice(0, best.at).join(':')}::${groups.slice(best.at + best.len).join(':')}`
}

export function parseProcNet (text: string, proto: 'tcp' | 'udp'): Port[] {
  const rows = text.split('\n').map(l => l.trim()).filter(l => l.length > 0)
  if (rows.length === 0 || !rows[0].startsWith('sl')) throw new ToolParseError('/proc/net: missing header')
  const out: Port[] = []
  for (const row of rows.slice(1)) {
    const f = row.split(/\s+/)
    const [local, remote, state] = [f[1], f[2], f[3]]
    if (local === undefined || remote === undefined || state === undefined) throw new ToolParseError(`/proc/net: cannot read line '${row}'`)
    const wanted = proto === 'tcp' ? state === TCP_LISTEN : state === UDP_UNCONNECTED && /:0000$/.test(remote)
    if (!wanted) continue
    const [addr, port] = local.split(':')
    const address = procNetAddress(addr)
    // as ss prints it: the IPv6 wildcard (dual-stack) is '*'
    out.push({ proto, address: address === '::' ? '*' : address, port: Number.parseInt(port, 16) })
  }
  return out
}
