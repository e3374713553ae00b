/** dns_check, listening_ports, network_interfaces. */
import { z } from 'zod'
import type { ToolContext, ToolSpec } from '../tool.ts'
import type { DnsAnswer, DnsCheckData, ListeningPortsData, NetworkInterfacesData } from '../types.ts'
import { parseSystemLookup, queryServer, SYSTEM_LOOKUP_SCRIPT } from '../dns.ts'
import { parseIfconfig, parseIpAddrJson, parseLsof, parseResolvConf, parseScutilDns, parseSs, uniquePorts } from '../parsers/net.ts'
import { parseProcNet } from '../parsers/procnet.ts'
import { dnsName, noArgs } from './args.ts'
import { interfacesFromSys, orFallback } from './linux-fallback.ts'

const dnsArgs = z.object({
  names: z.array(dnsName).min(1).max(10).optional()
    .describe('names to resolve; default: the names configured for this fleet')
}).strict()

/** Time for the lookup child to start and report after its deadline before it is killed. */
const CHILD_GRACE_MS = 1500

/** Resolvers asked directly, at most; resolv.conf itself honours only three. */
const MAX_SERVERS = 5

async function checkNames (names: string[], resolvers: string[], ctx: ToolContext): Promise<DnsCheckData> {
  // both ways for every name at once: the slowest answer, not the sum, bounds the run
  const timeout = Math.min(ctx.config.dns.timeoutMs, ctx.remainingMs())
  // the child reports at its own deadline; it is killed only if it cannot even do that
  const system = ctx.run(process.execPath, [SYSTEM_LOOKUP_SCRIPT, String(timeout), ...names], { timeoutMs: timeout + CHILD_GRACE_MS, partial: true })
    .then(out => parseSystemLookup(out.stdout, names, timeout))
  const direct = Promise.all(names.map(async name => await Promise.all(resolvers.map(async s => await queryServer(name, s, timeout)))))
  const [bySystem, byServer] = await Promise.all([system, direct])
  const results = names.map((name, i) => ({ name, system: bySystem.get(name) as DnsAnswer, servers: byServer[i] }))
  for (const r of results) {
    ctx.note(`${r.name}: system ${r.system.ok ? r.system.addresses.join(',') : r.system.error} (${r.system.ms} ms)` +
      r.servers.map(s => `; @${s.server} ${s.ok ? s.addresses.join(',') : s.error} (${s.ms} ms)`).join(''))
  }
  return { resolvers, names: results }
}

export const dnsCheck: ToolSpec<typeof dnsArgs, DnsCheckData> = {
  name: 'dns_check',
  description: 'Resolves names through the system resolver and directly through each configured nameserver, with timings and error codes (NXDOMAIN, SERVFAIL, TIMEOUT, ECONNREFUSED). Every server failing means the resolver is down; NXDOMAIN everywhere means the name is missing.',
  args: dnsArgs,
  impl: {
    linux: async ({ names }, ctx) => {
      const resolvers = parseResolvConf(await ctx.read(ctx.config.dns.resolvConf)).slice(0, MAX_SERVERS)
      return await checkNames(names ?? ctx.config.dns.names, resolvers, ctx)
    },
    darwin: async ({ names }, ctx) => {
      const resolvers = parseScutilDns((await ctx.run('scutil', ['--dns'])).stdout).slice(0, MAX_SERVERS)
      return await checkNames(names ?? ctx.config.dns.names, resolvers, ctx)
    }
  }
}

export const listeningPorts: ToolSpec<typeof noArgs, ListeningPortsData> = {
  name: 'listening_ports',
  description: 'TCP ports in LISTEN state and bound UDP ports: protocol, local address (* or 0.0.0.0/:: = all interfaces), port and, when visible, the owning process and pid. Use to check whether a service is actually listening.',
  args: noArgs,
  impl: {
    linux: async (_args, ctx) => ({
      ports: ctx.cap(uniquePorts(await orFallback(ctx, async () => parseSs((await ctx.run('ss', ['-H', '-l', '-t', '-u', '-n', '-p'])).stdout), async () => {
        // the kernel's tables, without process names
        const ports: ListeningPortsData['ports'] = []
        for (const [file, proto] of [['tcp', 'tcp'], ['tcp6', 'tcp'], ['udp', 'udp'], ['udp6', 'udp']] as const) {
          let text: string
          try { text = await ctx.read(`/proc/net/${file}`) } catch { continue } // no IPv6 in this kernel
          ports.push(...parseProcNet(text, proto))
        }
        return ports
      })))
    }),
    darwin: async (_args, ctx) => {
      // lsof exits 1 when nothing matches
      const tcp = await ctx.run('lsof', ['-nP', '-iTCP', '-sTCP:LISTEN'], { okCodes: [0, 1] })
      const udp = await ctx.run('lsof', ['-nP', '-iUDP'], { okCodes: [0, 1] })
      return { ports: ctx.cap(uniquePorts([...parseLsof(tcp.stdout), ...parseLsof(udp.stdout)])) }
    }
  }
}

export const networkInterfaces: ToolSpec<typeof noArgs, NetworkInterfacesData> = {
  name: 'network_interfaces',
  description: 'Network interfaces with up/down state, MAC, MTU and IPv4/IPv6 addresses in CIDR form. Use for "no network", wrong address or MTU problems.',
  args: noArgs,
  impl: {
    linux: async (_args, ctx) => ({
      interfaces: ctx.cap(await orFallback(ctx, async () => parseIpAddrJson((await ctx.run('ip', ['-j', 'addr', 'show'])).stdout), async () => await interfacesFromSys(ctx)))
    }),
    darwin: async (_args, ctx) => ({ interfaces: ctx.cap(parseIfconfig((await ctx.run('ifconfig', ['-a'])).stdout)) })
  }
}
