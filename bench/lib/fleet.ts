/**
 * A benchmark fleet: real peers in a network-namespace lab (test/helpers/netlab.ts) and
 * scripted brains as separate processes, either in a namespace of their own (every peer
 * is configured with it, like the field's one inference box) or beside a peer that
 * offers it to the swarm (`--offer-brain`). Jobs are run with the real CLI inside the
 * submitter's namespace, and the job log is read back from the peers' homes.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { createLab, NODE, type Lab, type LabPeer } from '../../test/helpers/netlab.ts'
import type { JobReport } from '../../src/gossip/messages-report.ts'
import type { StoredEntry } from '../../src/node/jobs/store.ts'
import type { BrainLogLine, BrainServerOptions } from './brain-server.ts'
import type { BenchScriptOptions } from './script.ts'

export class NotConvergedError extends Error {
  readonly code = 'ERR_NOT_CONVERGED'
  constructor (message: string) { super(message); this.name = new.target.name }
}

const BRAIN_ENTRY = resolve(import.meta.dirname, 'brain-server.ts')
const BRAIN_PORT = 8000

export interface BrainSpec {
  label: string
  turnMs: number
  /** turns it works on at once, later ones queue; 0 or undefined: no limit */
  parallel?: number
  /** index of the box that offers this brain; undefined: its own namespace, set on every box */
  offeredBy?: number
}

export interface FleetOptions extends Omit<BenchScriptOptions, 'turnMs'> {
  boxes: number
  brains: BrainSpec[]
  /** extra environment for every peer (SWARM_CONFIG__... overrides) */
  env?: Record<string, string>
  /** peers started at once */
  startBatch?: number
}

export interface Brain {
  spec: BrainSpec
  url: string
  pid: number | undefined
  kill: () => Promise<void>
}

export interface JobRun {
  report: JobReport
  /** CLI exit code (0 completed, 3 partial, 1 failed) */
  code: number | null
  /** wall time of the CLI process, spawn to exit */
  cliMs: number
  stderr: string
}

export interface Fleet {
  lab: Lab
  boxes: LabPeer[]
  brains: Brain[]
  /** starts one more box (churn); it thinks with the fleet's configured brain */
  addBox: (name: string) => Promise<LabPeer>
  /** waits until every running box sees `expected` alive members; resolves with the ms it took */
  waitConverged: (expected: number, timeoutMs?: number) => Promise<number>
  runJob: (prompt: string, options?: { from?: LabPeer, deadlineS?: number }) => Promise<JobRun>
  /** the job log as stored in one peer's home */
  jobLog: (peer: LabPeer, jobId: string) => StoredEntry[]
  brainLog: () => BrainLogLine[]
  destroy: () => Promise<void>
}

function startBrain (lab: Lab, ns: string, host: string, spec: BrainSpec, script: Omit<BenchScriptOptions, 'turnMs'>, log: string): Promise<Brain> {
  const options: BrainServerOptions = { ...script, turnMs: spec.turnMs, parallel: spec.parallel ?? 0, label: spec.label, host, port: BRAIN_PORT, log }
  const child: ChildProcess = spawn('ip', ['netns', 'exec', ns, NODE, '--import', 'tsx', BRAIN_ENTRY, JSON.stringify(options)], {
    stdio: ['ignore', 'pipe', 'pipe'], cwd: resolve(import.meta.dirname, '../..')
  })
  let out = ''
  let exited = false
  const exit = new Promise<void>(r => child.on('exit', () => { exited = true; r() }))
  child.stdout!.on('data', (d: Buffer) => { out += d.toString() })
  child.stderr!.on('data', (d: Buffer) => { out += d.toString() })
  const brain: Brain = {
    spec,
    url: `http://${host}:${BRAIN_PORT}/v1`,
    pid: child.pid,
    kill: async () => {
      if (exited) return
      try { process.kill(child.pid!, 'SIGKILL') } catch {}
      await exit
    }
  }
  liveBrains.add(brain)
  return lab.waitFor(async () => {
    if (exited) throw new Error(`brain ${spec.label} exited: ${out}`)
    return out.includes('brain ready') ? brain : undefined
  }, { timeoutMs: 20_000, intervalMs: 50 })
}

const liveBrains = new Set<Brain>()
process.on('exit', () => { for (const b of liveBrains) { try { if (b.pid != null) process.kill(b.pid, 'SIGKILL') } catch {} } })

export async function startFleet (o: FleetOptions): Promise<Fleet> {
  const lab = await createLab()
  const brains: Brain[] = []
  const brainLogFile = join(lab.dir, 'brain-requests.jsonl')
  const script = { tasksPerHost: o.tasksPerHost, toolCalls: o.toolCalls, defaultToolCalls: o.defaultToolCalls, callsPerTurn: o.callsPerTurn }
  const fleet: Fleet = {
    lab,
    boxes: [],
    brains,
    addBox: async (name) => { const peer = await addBox(name); fleet.boxes.push(peer); return peer },
    waitConverged: async (expected, timeoutMs = 60_000) => {
      const t0 = Date.now()
      let seen: number[] = []
      try {
        await lab.waitFor(async () => {
          const running = fleet.boxes.filter(b => !b.exited())
          const views = await Promise.all(running.map(async b => await b.peers()))
          seen = views.map(rows => rows.filter(r => r.state === 'alive').length)
          return seen.every(n => n === expected)
        }, { timeoutMs, intervalMs: Math.max(100, fleet.boxes.length * 10) })
      } catch {
        const min = seen.length > 0 ? Math.min(...seen) : 0
        throw new NotConvergedError(`membership did not converge within ${timeoutMs / 1000} s: peers saw ${min}-${Math.max(0, ...seen)} of ${expected} alive`)
      }
      return Date.now() - t0
    },
    runJob: async (prompt, options = {}) => {
      const from = options.from ?? fleet.boxes[0]
      const t0 = Date.now()
      const r = await lab.cli(from, ['run', prompt, '--json', '--deadline', String(options.deadlineS ?? 300)])
      const cliMs = Date.now() - t0
      let report: JobReport
      try {
        report = JSON.parse(r.stdout)
      } catch {
        throw new Error(`swarm run printed no JSON report (exit ${r.code}):\n${r.stdout.slice(0, 2000)}\n${r.stderr.slice(-2000)}`)
      }
      return { report, code: r.code, cliMs, stderr: r.stderr }
    },
    jobLog: (peer, jobId) => {
      const text = readFileSync(join(peer.home, 'jobs', `${jobId}.jsonl`), 'utf8')
      return text.split('\n').filter(l => l.trim() !== '').flatMap(l => { try { return [JSON.parse(l) as StoredEntry] } catch { return [] } })
    },
    brainLog: () => {
      try {
        return readFileSync(brainLogFile, 'utf8').split('\n').filter(l => l !== '').map(l => JSON.parse(l) as BrainLogLine)
      } catch { return [] }
    },
    destroy: async () => {
      await Promise.all(brains.map(async b => { await b.kill(); liveBrains.delete(b) }))
      await lab.destroy()
    }
  }

  const configured: string[] = []
  const addBox = async (name: string, offer?: BrainSpec): Promise<LabPeer> => {
    const env = { OPENAI_BASE_URL: configured.join(','), ...o.env }
    const peer = await lab.addPeer({ name, env, start: false })
    const args: string[] = []
    if (offer != null) {
      const brain = await startBrain(lab, peer.ns, peer.ip, offer, script, brainLogFile)
      brains.push(brain)
      args.push('--offer-brain', brain.url, '--offer-model', `bench-${offer.label}`)
    }
    await peer.start(args)
    return peer
  }

  try {
    // brains of their own come first: every box is configured with them
    for (const spec of o.brains.filter(b => b.offeredBy == null)) {
      const host = await lab.addPeer({ name: `brain-${spec.label}`, start: false })
      const brain = await startBrain(lab, host.ns, host.ip, spec, script, brainLogFile)
      brains.push(brain)
      configured.push(brain.url)
    }
    if (configured.length > 1) throw new Error('one configured brain at most (OPENAI_BASE_URL takes one URL); offer the others from boxes')
    const batch = Math.max(1, o.startBatch ?? 3)
    const names = Array.from({ length: o.boxes }, (_, i) => `box${i + 1}`)
    for (let i = 0; i < names.length; i += batch) {
      // boxes keep their index order whatever order they finish starting in
      const started = await Promise.all(names.slice(i, i + batch).map(async (name, j) => await addBox(name, o.brains.find(b => b.offeredBy === i + j))))
      fleet.boxes.push(...started)
    }
  } catch (err) {
    await fleet.destroy()
    throw err
  }
  return fleet
}
