/**
 * Network parsers: listening sockets (`ss -Hltnup` on Linux, `lsof -nP` on macOS),
 * interfaces (`ip -j addr`, `ifconfig`) and resolver configuration (/etc/resolv.conf,
 * `scutil --dns`).
 */
import { isIP } from 'node:net'
import { ToolParseError } from '../errors.ts'
import type { ListeningPortsData, NetworkInterfacesData } from '../types.ts'
import { int, lines } from './util.ts'

type Port = ListeningPortsData['ports'][number]
type Iface = NetworkInterfacesData['interfaces'][number]

/** "127.0.0.1:53", "[::1]:631", "*:5353", "127.0.0.53%lo:53" -> address and port. */
export function splitHostPort (value: string): { address: string, port: number } {
  const i = value.lastIndexOf(':')
  if (i <= 0) throw new ToolParseError(`not an address:port '${value}'`)
  let address = value.slice(0, i).replace(/^\[(.*)\]$/, '$1')
  address = address.replace(/%[\w.-]+$/, '') // interface scope: 127.0.0.53%lo
  return { address: address === '' ? '*' : address, port: int(value.slice(i + 1), 'port') }
}

/** `ss -Hltnup`: Netid State Recv-Q Send-Q Local Peer [users:(("name",pid=N,fd=M))]. */
export function parseSs (text: string): Port[] {
  const out: Port[] = []
  for (const row of lines(text)) {
    const f = row.trim().split(/\s+/)
    if (f.length < 6 || (f[0] !== 'tcp' && f[0] !== 'udp')) throw new ToolParseError(`ss: cannot read line '${row}'`)
    const { address, port } = splitHostPort(f[4])
    const p: Port = { proto: f[0], address, port }
    const users = /users:\(\("((?:[^"\\]|\\.)*)",pid=(\d+)/.exec(row)
    if (users !== null) { p.process = users[1]; p.pid = Number(users[2]) }
    out.push(p)
  }
  return out
}

/** `lsof -nP -iTCP -sTCP:LISTEN` / `lsof -nP -iUDP`: COMMAND PID USER FD TYPE DEVICE SIZE/OFF NODE NAME. */
export function parseLsof (text: string): Port[] {
  const rows = lines(text)
  if (rows.length === 0) return [] // lsof prints nothing (and exits 1) when no socket matches
  if (!/^COMMAND\s+PID\s/.test(rows[0])) throw new ToolParseError('lsof: missing "COMMAND PID" header')
  const out: Port[] = []
  for (const row of rows.slice(1)) {
    const m = /^(\S+)\s+(\d+)\s.*\s(TCP|UDP)\s+(\S+)(?:\s+\((\w+)\))?\s*$/.exec(row)
    if (m === null) throw new ToolParseError(`lsof: cannot read line '${row}'`)
    const [, command, pid, proto, name, state] = m
    if (proto === 'TCP' && state !== undefined && state !== 'LISTEN') continue
    if (name.includes('->') || name.endsWith(':*')) continue // connected, or bound to no port yet
    const { address, port } = splitHostPort(name)
    out.push({ proto: proto === 'TCP' ? 'tcp' : 'udp', address, port, process: command.replace(/\\x20/g, ' '), pid: Number(pid) })
  }
  return out
}

/** Drops the same socket seen twice (lsof lists one line per process holding it). */
export function uniquePorts (ports: Port[]): Port[] {
  const seen = new Set<string>()
  return ports.filter(p => {
    const key = `${p.proto} ${p.address} ${p.port} ${p.pid ?? ''}`
    if (seen.has(key)) return false
    seen.add(key)
    return true
  }).sort((a, b) => a.port - b.port || cmp(a.proto, b.proto) || cmp(a.address, b.address))
}

/** Code-point order, the same in every locale. */
function cmp (a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

/** `ip -j addr` JSON. */
export function parseIpAddrJson (text: string): Iface[] {
  let raw: unknown
  try { raw = JSON.parse(text) } catch (err) { throw new ToolParseError('ip -j addr: not JSON', err) }
  if (!Array.isArray(raw)) throw new ToolParseError('ip -j addr: expected an array')
  return raw.map((l: any): Iface => {
    if (typeof l?.ifname !== 'string') throw new ToolParseError('ip -j addr: interface without ifname')
    const flags: string[] = Array.isArray(l.flags) ? l.flags : []
    const iface: Iface = {
      name: l.ifname,
      up: flags.includes('UP'),
      addresses: (Array.isArray(l.addr_info) ? l.addr_info : [])
        .filter((a: any) => (a?.family === 'inet' || a?.family === 'inet6') && typeof a.local === 'string')
        .map((a: any) => ({ family: a.family === 'inet' ? 'ipv4' : 'ipv6', address: a.local, cidr: `${a.local}/${a.prefixlen}` }))
    }
    if (typeof l.address === 'string' && l.link_type !== 'loopback' && l.link_type !== 'none') iface.mac = l.address
    if (typeof l.mtu === 'number') iface.mtu = l.mtu
    return iface
  })
}

/** netmask 0xffffff00 -> 24 */
function hexMaskBits (hex: string): number {
  let n = Number.parseInt(hex, 16)
  let bits = 0
  while (n !== 0) { bits += n & 1; n >>>= 1 }
  return bits
}

/** macOS `ifconfig`: a block per interface, "name: flags=8863<UP,...> mtu 1500" then indented lines. */
export function parseIfconfig (text: string): Iface[] {
  const out: Iface[] = []
  let cur: Iface | undefined
  for (const row of text.split('\n')) {
    if (row.trim().length === 0) continue
    const head = /^([\w.-]+): flags=\w+<([^>]*)>(?:.*\smtu (\d+))?/.exec(row)
    if (head !== null) {
      cur = { name: head[1], up: head[2].split(',').includes('UP'), addresses: [] }
      if (head[3] !== undefined) cur.mtu = Number(head[3])
      out.push(cur)
      continue
    }
    if (cur === undefined) throw new ToolParseError(`ifconfig: line before any interface '${row}'`)
    const line = row.trim()
    let m: RegExpExecArray | null
    if ((m = /^ether ([0-9a-f:]{17})/.exec(line)) !== null) cur.mac = m[1]
    else if ((m = /^inet (\S+) netmask (0x[0-9a-f]+)/.exec(line)) !== null) {
      cur.addresses.push({ family: 'ipv4', address: m[1], cidr: `${m[1]}/${hexMaskBits(m[2])}` })
    } else if ((m = /^inet6 (\S+) prefixlen (\d+)/.exec(line)) !== null) {
      const address = m[1].replace(/%.*$/, '')
      cur.addresses.push({ family: 'ipv6', address, cidr: `${address}/${m[2]}` })
    }
  }
  return out
}

/** `nameserver` lines of resolv.conf, in order; IPv6 scope ids kept out. */
export function parseResolvConf (text: string): string[] {
  const out: string[] = []
  for (const row of lines(text)) {
    const m = /^\s*nameserver\s+(\S+)/.exec(row)
    if (m === null) continue
    const server = m[1].replace(/%.*$/, '')
    if (isIP(server) !== 0 && !out.includes(server)) out.push(server)
  }
  return out
}

/**
 * `scutil --dns`: the default resolvers are the unscoped ones without a `domain`
 * (domain-specific ones, e.g. "local" for mDNS, answer only their own zone).
 */
export function parseScutilDns (text: string): string[] {
  const unscoped = text.split(/^DNS configuration \(for scoped queries\)/m)[0]
  const out: string[] = []
  for (const block of unscoped.split(/^resolver #\d+/m).slice(1)) {
    if (/^\s*domain\s*:/m.test(block)) continue
    for (const m of block.matchAll(/^\s*nameserver\[\d+\]\s*:\s*(\S+)/gm)) {
      const server = m[1].replace(/%.*$/, '')
      if (isIP(server) !== 0 && !out.includes(server)) out.push(server)
    }
  }
  return out
}
