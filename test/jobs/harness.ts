/**
 * Several simulated peers in one process: an in-memory bus (asynchronous delivery, a
 * peer can be killed or cut off), a shared membership world, scripted brains and real
 * JobsServices with real stores in temp dirs. Fast and deterministic enough to drive
 * elections, takeovers and dark workers without a network.
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Bus, BusMessage, Member, MembershipEvent, MembershipView, Presence } from '../../src/gossip/types.ts'
import { decodeMessage } from '../../src/gossip/messages-codec.ts'
import type { JobMessage, JobMessageType, MessageOf } from '../../src/gossip/messages.ts'
import type { JobReport } from '../../src/gossip/messages-report.ts'
import type { JobBrain, TaskBrain, TaskOutcome } from '../../src/think/types.ts'
import type { ToolRunner } from '../../src/tools/types.ts'
import { jobsConfigSchema, type JobsConfig } from '../../src/node/jobs/config.ts'
import { JobsService } from '../../src/node/jobs/service.ts'
import { JobStore } from '../../src/node/jobs/store.ts'
import { ed25519Signing, type ReportSigning } from '../../src/node/jobs/signature.ts'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'

export class MemNet {
  private readonly handlers = new Map<string, Map<string, Set<(m: BusMessage) => void>>>()
  readonly down = new Set<string>()
  /** drops a published message for everyone when it returns true (lossy network) */
  lose: ((from: string, data: Uint8Array) => boolean) | undefined
  /** drops a published message for one receiver when it returns true */
  loseFor: ((from: string, to: string, data: Uint8Array) => boolean) | undefined
  /** every message published, for assertions */
  readonly log: Array<{ from: string, topic: string, data: Uint8Array }> = []

  bus (self: string): Bus {
    return {
      self,
      publish: async (topic, data) => {
        if (this.down.has(self)) return 0
        this.log.push({ from: self, topic, data })
        if (this.lose?.(self, data) === true) return 0
        let n = 0
        for (const [peer, topics] of this.handlers) {
          if (peer === self || this.down.has(peer) || this.loseFor?.(self, peer, data) === true) continue
          for (const h of topics.get(topic) ?? []) { n++; setImmediate(() => { if (!this.down.has(peer)) h({ topic, from: self, data }) }) }
        }
        return n
      },
      subscribe: (topic, handler) => {
        const topics = this.handlers.get(self) ?? new Map()
        this.handlers.set(self, topics)
        const set = topics.get(topic) ?? new Set()
        topics.set(topic, set)
        set.add(handler)
        return () => { set.delete(handler) }
      }
    }
  }

  /** Injects raw bytes as if `from` had published them. */
  inject (from: string, topic: string, data: Uint8Array): void {
    for (const [peer, topics] of this.handlers) {
      if (peer === from || this.down.has(peer)) continue
      for (const h of topics.get(topic) ?? []) setImmediate(() => { h({ topic, from, data }) })
    }
  }
}

function presence (name: string, tasksRunning: number): Presence {
  return { v: 1, name, hostname: name, platform: 'linux', arch: 'x64', cpus: 2, totalMem: 1, freeMem: 1, load: [0.5, 0.5, 0.5], version: 't', tools: [], endpoints: [], tags: [], tasksRunning, ts: 0, seq: 0 }
}

/** One membership truth shared by all simulated peers (as if detection were instant). */
export class World {
  readonly members = new Map<string, { name: string, alive: boolean }>()
  /** what each member's presence says it is running */
  readonly tasksRunning = new Map<string, () => number>()
  private readonly listeners = new Map<string, Map<MembershipEvent, Set<(m: Member) => void>>>()
  /** viewer -> peers it cannot see (a membership disagreement) */
  readonly hidden = new Map<string, Set<string>>()

  private visible (viewer: string): string[] {
    return [...this.members.keys()].filter(id => this.hidden.get(viewer)?.has(id) !== true)
  }

  private member (peerId: string, viewer: string): Member {
    const m = this.members.get(peerId)!
    return { peerId, name: m.name, state: m.alive ? 'alive' : 'dead', lastSeenMs: 0, addresses: [], presence: presence(m.name, this.tasksRunning.get(peerId)?.() ?? 0), self: peerId === viewer }
  }

  set (peerId: string, name: string, alive: boolean): void {
    const before = this.members.get(peerId)?.alive
    this.members.set(peerId, { name, alive })
    const event: MembershipEvent | null = alive && before !== true ? 'member:join' : !alive && before === true ? 'member:leave' : null
    if (event == null) return
    for (const [viewer, map] of this.listeners) {
      if (viewer === peerId) continue
      for (const l of map.get(event) ?? []) l(this.member(peerId, viewer))
    }
  }

  /** `viewer` sees `peerId` come back (a partition healing): only it hears the join. */
  rejoin (viewer: string, peerId: string): void {
    for (const l of this.listeners.get(viewer)?.get('member:join') ?? []) l(this.member(peerId, viewer))
  }

  view (self: string): MembershipView {
    const map = new Map<MembershipEvent, Set<(m: Member) => void>>()
    this.listeners.set(self, map)
    return {
      self,
      list: () => this.visible(self).map(id => this.member(id, self)),
      get: id => this.visible(self).includes(id) ? this.member(id, self) : undefined,
      alive: () => this.visible(self).filter(id => this.members.get(id)!.alive).map(id => this.member(id, self)),
      on: (e, l) => { const s = map.get(e) ?? new Set(); map.set(e, s); s.add(l) },
      off: (e, l) => { map.get(e)?.delete(l) }
    }
  }
}

/**
 * Signatures for fake peerIds ('Qma'): a keyed hash anyone could compute, but that a test's
 * forged message, which carries none, lacks. The real scheme is tested with real keys
 * (Cluster.identities = 'ed25519').
 */
export function fakeSigning (self: string): ReportSigning {
  const mac = (peerId: string, payload: Uint8Array) => createHash('sha256').update(`fake-sig ${peerId} `).update(payload).digest()
  return {
    sign: payload => new Uint8Array(mac(self, payload)),
    verify: (peerId, payload, sig) => sig.byteLength === 32 && timingSafeEqual(mac(peerId, payload), sig)
  }
}

export const noTools: ToolRunner = { list: () => [], run: async () => ({ ok: true, data: null, text: '', exitCode: 0, ms: 0 }), jsonSchema: () => ({}) }

/** A task brain that takes `delayMs` and reports one finding naming the host. */
export function scriptedTaskBrain (host: string, delayMs: () => number, runs: string[], verbose: () => boolean = () => false): TaskBrain {
  return {
    runTask: async (task, { signal }) => {
      runs.push(`${host}:${task.prompt}`)
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(resolve, delayMs())
        signal?.addEventListener('abort', () => { clearTimeout(t); reject(signal.reason) }, { once: true })
      })
      const outcome: TaskOutcome = {
        answer: `checked ${host}`,
        findings: [{ severity: 'warning', title: `disk on ${host}`, detail: 'x', evidence: ['c1'], claims: [{ metric: 'disk.usedPercent', subject: '/', value: 85, unit: '%' }], verified: true, checks: [] }],
        toolCalls: [{ id: 'c1', tool: 'disk_usage', args: {}, ok: true, ms: 3, exitCode: 0, data: { mounts: [] }, digest: '/ 85%' }],
        brain: { kind: 'playbook', reason: 'configured' },
        steps: 0,
        ms: 5
      }
      if (verbose()) {
        // a chatty model: long answer, many long findings
        outcome.answer = 'a'.repeat(16_000)
        outcome.findings = Array.from({ length: 60 }, (_, i) => ({ ...outcome.findings[0], title: `finding ${i} on ${host}`, detail: 'd'.repeat(3000) }))
      }
      return outcome
    }
  }
}

/** `perHost` tasks per member, plus `extra` host-agnostic tasks. */
export function scriptedJobBrain (extra = 0, perHost = 1): JobBrain {
  return {
    decompose: async (job, members) => ({
      tasks: [
        ...members.flatMap((m, i) => Array.from({ length: perHost }, (_, k) => ({ taskId: perHost === 1 ? `t${i + 1}` : `t${i + 1}.${k + 1}`, host: m.peerId, prompt: `investigate ${m.name}` }))),
        ...Array.from({ length: extra }, (_, i) => ({ taskId: `x${i + 1}`, host: null, prompt: `extra ${i + 1}` }))
      ],
      brain: { kind: 'playbook', reason: 'configured' }
    }),
    synthesize: async (job, results) => ({
      summary: `${results.filter(r => r.state === 'done').length}/${results.length} tasks done`,
      findings: results.flatMap(r => (r.outcome?.findings ?? []).map(f => ({ ...f, host: r.host, hostName: r.hostName }))),
      brain: { kind: 'playbook', reason: 'configured' }
    })
  }
}

export const fastConfig = (over: Partial<JobsConfig> = {}): JobsConfig => jobsConfigSchema.parse({
  leaseMs: 600, renewMs: 150, staggerMs: 200, heartbeatMs: 100, progressTimeoutMs: 800, offerRetryMs: 200, claimWindowMs: 50,
  unreachableWaitMs: 300, digestDelayMs: 100, fsync: false, ...over
})

export interface SimPeer {
  id: string
  name: string
  home: string
  service: JobsService
  runs: string[]
}

export class Cluster {
  readonly net = new MemNet()
  readonly world = new World()
  readonly peers = new Map<string, SimPeer>()
  private readonly dirs: string[] = []
  taskDelayMs = 100
  /** a task's delay on one host, overriding taskDelayMs (undefined = taskDelayMs) */
  taskDelayFor: ((name: string) => number | undefined) | undefined
  verbose = false
  /** 'ed25519': each peer gets a real identity (its peerId carries its public key) and signs reports with it */
  identities: 'fake' | 'ed25519' = 'fake'
  private readonly keys = new Map<string, { id: string, signing: ReportSigning }>()

  constructor (private readonly config: JobsConfig = fastConfig(), private readonly extraTasks = 0, private readonly perHost = 1) {}

  async add (name: string, home?: string): Promise<SimPeer> {
    const { id, signing } = await this.identity(name)
    const dir = home ?? mkdtempSync(join(tmpdir(), `swarm-jobs-${name}-`))
    if (home == null) this.dirs.push(dir)
    this.net.down.delete(id)
    const runs: string[] = []
    const service = new JobsService({
      bus: this.net.bus(id),
      membership: this.world.view(id),
      store: new JobStore(dir, { fsync: false }),
      taskBrain: scriptedTaskBrain(name, () => this.taskDelayFor?.(name) ?? this.taskDelayMs, runs, () => this.verbose),
      jobBrain: scriptedJobBrain(this.extraTasks, this.perHost),
      tools: noTools,
      selfName: name,
      signing
    }, this.config)
    await service.start()
    this.world.tasksRunning.set(id, () => service.stats().tasksRunning)
    this.world.set(id, name, true)
    const peer = { id, name, home: dir, service, runs }
    this.peers.set(name, peer)
    return peer
  }

  /** How a peer signs (for a test that forges in a member's name, with its own key). */
  signingOf (name: string): ReportSigning {
    return this.keys.get(name)!.signing
  }

  /** A peer's identity, the same again when it is added back (a restart). */
  private async identity (name: string): Promise<{ id: string, signing: ReportSigning }> {
    let known = this.keys.get(name)
    if (known == null) {
      if (this.identities === 'fake') {
        known = { id: `Qm${name}`, signing: fakeSigning(`Qm${name}`) }
      } else {
        const key = await generateKeyPair('Ed25519')
        known = { id: peerIdFromPrivateKey(key).toString(), signing: ed25519Signing(key) }
      }
      this.keys.set(name, known)
    }
    return known
  }

  /** SIGKILL-like: the peer stops hearing and speaking at once, and others see it dead. */
  async kill (name: string): Promise<void> {
    const p = this.peers.get(name)!
    this.net.down.add(p.id)
    await p.service.stop()
    this.world.set(p.id, name, false)
  }

  async close (): Promise<void> {
    for (const p of this.peers.values()) await p.service.stop()
    for (const d of this.dirs) rmSync(d, { recursive: true, force: true })
  }
}

/** Submits a job on `from` and resolves with the report `from` receives. */
export async function runJob (from: SimPeer, input: { prompt: string, targets?: string[] }, timeout = 15_000): Promise<JobReport> {
  const jobId = await from.service.submit(input)
  return await new Promise<JobReport>((resolve, reject) => {
    const t = setTimeout(() => { reject(new Error(`job ${jobId} did not end`)) }, timeout)
    const check = (report: JobReport) => { if (report?.jobId === jobId) { clearTimeout(t); from.service.off('job:done', check); resolve(report) } }
    from.service.on('job:done', check)
  })
}

/** Every message of one type published on the in-memory bus so far. */
export function sent<T extends JobMessageType> (c: Cluster, type: T): Array<MessageOf<T>> {
  return c.net.log.map(e => decodeMessage(e.data)).flatMap(d => d.ok ? [d.message] : []).filter((m: JobMessage): m is MessageOf<T> => m.type === type)
}
