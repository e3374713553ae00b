/**
 * The network namespace lab: real peers on a private bridge, one Linux network namespace
 * per peer, so mDNS, TCP, pnet, noise and gossip are the real ones and nothing leaves
 * the machine. Needs root (see `labSupport()`).
 *
 *   const lab = await createLab()                  // bridge namespace, nothing else yet
 *   const a = await lab.addPeer({ name: 'a' })     // namespace + veth + home, peer started
 *   await a.peers()                                // the control API, as `swarm peers --json`
 *   await lab.cli(a, ['peers', '--json'])          // the real CLI, run inside a's namespace
 *   await a.cutLink(); await a.restoreLink()       // pull / replug the cable (bridge side)
 *   await a.kill('SIGKILL')                        // by pid, never by name
 *   await lab.destroy()                            // processes, namespaces, veths, homes
 *
 * Layout: namespace `sw<id>b` holds bridge `br0` (multicast snooping off); peer i lives in
 * `sw<id>p<i>` with `eth0` = 10.<A>.<B>.<10+i>/24 (A.B random per lab so parallel labs never
 * clash), `lo` up and a 224.0.0.0/4 route for mDNS. The bridge end of its veth is `v<id>p<i>`.
 * Each peer runs under `unshare --uts` with its own hostname and has its own home dir.
 * destroy() also runs from a process 'exit' hook, so a crashed test leaves nothing behind.
 */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { generateKey } from '@libp2p/pnet'
import { initHome } from '../../src/node/home.ts'
import { callControl } from '../../src/node/control-client.ts'
import type { PeerRow } from '../../src/node/peer.ts'

const run = promisify(execFile)
const ROOT = resolve(import.meta.dirname, '../..')
/** The Node 22 that npm installed; the system node may be too old for libp2p. */
export const NODE = process.versions.node.split('.').map(Number)[0] >= 22 ? process.execPath : join(ROOT, 'node_modules/.bin/node')
export const SWARM_BIN = join(ROOT, 'bin/swarm.mjs')

/** Whether this process can build labs; `reason` says why not (for a skip message). */
export function labSupport (): { ok: true } | { ok: false, reason: string } {
  if (process.platform !== 'linux') return { ok: false, reason: 'network namespaces need Linux' }
  if (process.getuid?.() !== 0) return { ok: false, reason: 'network namespace tests need root (run as root, or in CI)' }
  try {
    execFileSync('ip', ['-V'], { stdio: 'ignore' })
    execFileSync('unshare', ['--version'], { stdio: 'ignore' })
  } catch {
    return { ok: false, reason: 'needs `ip` (iproute2) and `unshare` (util-linux)' }
  }
  return { ok: true }
}

export interface AddPeerOptions {
  /** peer name (also its hostname); default p<i> */
  name?: string
  /** a different swarm key: 'new' makes one just for this peer */
  swarmKey?: 'lab' | 'new'
  /** extra `swarm start` flags */
  args?: string[]
  env?: Record<string, string>
  /** false: only make the namespace and home; call peer.start() later */
  start?: boolean
}

export interface CliResult { code: number | null, stdout: string, stderr: string }

export interface LabPeer {
  readonly index: number
  readonly name: string
  readonly ns: string
  readonly ip: string
  readonly home: string
  /** set once started */
  peerId: string
  pid: number | undefined
  /** wall time at spawn and when the peer printed its start line */
  spawnedAt: number
  startedAt: number
  /** stdout + stderr so far */
  logs: () => string
  start: (args?: string[]) => Promise<void>
  /** sends a signal to the peer's pid and waits for it to exit; resolves with the exit code */
  kill: (signal?: NodeJS.Signals) => Promise<number | null>
  exited: () => boolean
  cutLink: () => Promise<void>
  restoreLink: () => Promise<void>
  /** the membership view through the control socket (same data as `swarm peers --json`) */
  peers: () => Promise<PeerRow[]>
}

export interface Lab {
  readonly id: string
  readonly subnet: string
  readonly bridgeNs: string
  readonly dir: string
  readonly peers: LabPeer[]
  addPeer: (options?: AddPeerOptions) => Promise<LabPeer>
  /** runs `swarm ARGS --home <peer home>` inside the peer's namespace */
  cli: (peer: LabPeer, args: string[], options?: { env?: Record<string, string> }) => Promise<CliResult>
  /** runs a command inside a namespace */
  exec: (ns: string, argv: string[]) => Promise<string>
  /** polls until every listed observer sees `check` true (or throws after timeoutMs) */
  waitFor: <T>(fn: () => Promise<T | undefined | false>, options?: { timeoutMs?: number, intervalMs?: number }) => Promise<T>
  destroy: () => Promise<void>
}

/** What the exit hook needs to tear a lab down synchronously. */
interface LabResources { children: Map<LabPeer, ChildProcess>, namespaces: string[], dir: string }
const live = new Map<Lab, LabResources>()
let hookInstalled = false

function installExitHook (): void {
  if (hookInstalled) return
  hookInstalled = true
  // last resort: a test that crashed before afterAll must not leave namespaces behind
  process.on('exit', () => { for (const resources of live.values()) destroySync(resources) })
}

async function ip (...args: string[]): Promise<void> {
  await run('ip', args)
}

export async function createLab (): Promise<Lab> {
  const support = labSupport()
  if (!support.ok) throw new Error(support.reason)
  installExitHook()
  const id = randomBytes(2).toString('hex')
  const a = 64 + Math.floor(Math.random() * 60)
  const b = Math.floor(Math.random() * 250)
  const subnet = `10.${a}.${b}`
  const bridgeNs = `sw${id}b`
  const dir = mkdtempSync(join(tmpdir(), `swarm-lab-${id}-`))
  const peers: LabPeer[] = []
  const children = new Map<LabPeer, ChildProcess>()
  const namespaces: string[] = [bridgeNs]
  let nextIndex = 0
  const labKey = join(dir, 'lab-swarm.key')
  const keyBytes = new Uint8Array(95)
  generateKey(keyBytes)
  writeFileSync(labKey, keyBytes, { mode: 0o600 })

  const exec = async (ns: string, argv: string[]): Promise<string> => {
    const { stdout } = await run('ip', ['netns', 'exec', ns, ...argv])
    return stdout
  }

  const waitFor: Lab['waitFor'] = async (fn, options = {}) => {
    const deadline = Date.now() + (options.timeoutMs ?? 10_000)
    let lastErr: unknown
    for (;;) {
      try {
        const v = await fn()
        if (v !== undefined && v !== false) return v
      } catch (err) { lastErr = err }
      if (Date.now() > deadline) throw new Error(`lab.waitFor timed out${lastErr != null ? `: ${String(lastErr)}` : ''}`)
      await new Promise(r => setTimeout(r, options.intervalMs ?? 100))
    }
  }

  const lab: Lab = {
    id,
    subnet,
    bridgeNs,
    dir,
    peers,
    exec,
    waitFor,
    async addPeer (options = {}) {
      const index = nextIndex++
      const name = options.name ?? `p${index}`
      const ns = `sw${id}p${index}`
      const vb = `v${id}p${index}`
      const addr = `${subnet}.${10 + index}`
      namespaces.push(ns)
      await ip('netns', 'add', ns)
      await ip('-n', ns, 'link', 'set', 'lo', 'up')
      await ip('-n', bridgeNs, 'link', 'add', vb, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns)
      await ip('-n', bridgeNs, 'link', 'set', vb, 'master', 'br0')
      await ip('-n', bridgeNs, 'link', 'set', vb, 'up')
      await ip('-n', ns, 'addr', 'add', `${addr}/24`, 'dev', 'eth0')
      await ip('-n', ns, 'link', 'set', 'eth0', 'up')
      await ip('-n', ns, 'route', 'add', '224.0.0.0/4', 'dev', 'eth0')

      const home = join(dir, name)
      // 'new': initHome makes a fresh key, so this peer is outside the lab's swarm
      await initHome({ home, name, swarmKeyFile: options.swarmKey === 'new' ? undefined : labKey })

      let output = ''
      let child: ChildProcess | undefined
      let exitCode: number | null | undefined
      let exitWaiters: Array<() => void> = []
      const peer: LabPeer = {
        index,
        name,
        ns,
        ip: addr,
        home,
        peerId: '',
        pid: undefined,
        spawnedAt: 0,
        startedAt: 0,
        logs: () => output,
        exited: () => exitCode !== undefined,
        async start (args = options.args ?? []) {
          exitCode = undefined
          output = ''
          const argv = ['netns', 'exec', ns, 'unshare', '--uts', 'sh', '-c', 'hostname "$0" && exec "$@"', name,
            NODE, SWARM_BIN, 'start', '--home', home, '--listen', `/ip4/${addr}/tcp/4001`, ...args]
          peer.spawnedAt = Date.now()
          // `ip netns exec`, unshare and sh all exec in place: the pid is the peer's node process
          child = spawn('ip', argv, { env: { ...process.env, SWARM_HOME: home, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] })
          children.set(peer, child)
          peer.pid = child.pid
          child.stdout!.on('data', (d: Buffer) => { output += d.toString() })
          child.stderr!.on('data', (d: Buffer) => { output += d.toString() })
          child.on('exit', (code, signal) => {
            exitCode = code ?? (signal != null ? -1 : null)
            exitWaiters.forEach(w => { w() })
            exitWaiters = []
          })
          const deadline = Date.now() + 30_000
          for (;;) {
            const m = / peer (\S+) started as /.exec(output)
            if (m != null) { peer.peerId = m[1]; break }
            if (exitCode !== undefined) throw new Error(`peer ${name} exited (${exitCode}) before starting:\n${output}`)
            if (Date.now() > deadline) throw new Error(`peer ${name} did not start within 30 s:\n${output}`)
            await new Promise(r => setTimeout(r, 20))
          }
          peer.startedAt = Date.now()
        },
        async kill (signal = 'SIGTERM') {
          if (child == null || exitCode !== undefined) return exitCode ?? null
          const done = new Promise<void>(resolve => exitWaiters.push(resolve))
          try { process.kill(child.pid!, signal) } catch {}
          await done
          return exitCode ?? null
        },
        async cutLink () { await ip('-n', bridgeNs, 'link', 'set', vb, 'down') },
        async restoreLink () { await ip('-n', bridgeNs, 'link', 'set', vb, 'up') },
        async peers () { return await callControl<PeerRow[]>(home, 'peers') }
      }
      peers[index] = peer
      if (options.start !== false) await peer.start()
      return peer
    },
    async cli (peer, args, options = {}) {
      return await new Promise<CliResult>((resolve) => {
        const child = spawn('ip', ['netns', 'exec', peer.ns, NODE, SWARM_BIN, ...args, '--home', peer.home], {
          env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe']
        })
        let stdout = ''
        let stderr = ''
        child.stdout.on('data', (d: Buffer) => { stdout += d.toString() })
        child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
        child.on('exit', (code) => { resolve({ code, stdout, stderr }) })
      })
    },
    async destroy () {
      live.delete(lab)
      await Promise.all([...children.keys()].map(async p => await p.kill('SIGKILL')))
      children.clear()
      for (const ns of namespaces.reverse()) {
        try { await ip('netns', 'del', ns) } catch {}
      }
      namespaces.length = 0
      rmSync(dir, { recursive: true, force: true })
    }
  }
  // remembered for the exit hook before anything can fail
  live.set(lab, { children, namespaces, dir })
  try {
    await ip('netns', 'add', bridgeNs)
    await ip('-n', bridgeNs, 'link', 'set', 'lo', 'up')
    await ip('-n', bridgeNs, 'link', 'add', 'br0', 'type', 'bridge', 'mcast_snooping', '0')
    await ip('-n', bridgeNs, 'link', 'set', 'br0', 'up')
  } catch (err) {
    await lab.destroy()
    throw err
  }
  return lab
}

function destroySync ({ children, namespaces, dir }: LabResources): void {
  for (const child of children.values()) {
    if (child.exitCode == null && child.pid != null) { try { process.kill(child.pid, 'SIGKILL') } catch {} }
  }
  for (const ns of [...namespaces].reverse()) {
    try { execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' }) } catch {}
  }
  try { rmSync(dir, { recursive: true, force: true }) } catch {}
}
