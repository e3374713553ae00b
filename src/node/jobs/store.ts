/**
 * The job history on disk: one append-only JSON-lines file per job under <home>/jobs/.
 * Each record is one line written with a single write and fsync'd, so a crash can at
 * worst leave a partial last line; the reader skips lines that do not parse and the
 * writer starts a fresh line after a partial one, so a torn record never breaks reading.
 * Lines are checked against the wire schema when read back: a line that parses but is
 * not a job message (bit rot, an older version) is skipped like a torn one, since the
 * replay trusts what it reads.
 */
import { mkdir, open, readdir, readFile, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { jobMessageSchema, type JobMessage } from '../../gossip/messages.ts'
import { JobStoreError } from './errors.ts'

export interface StoredEntry {
  /** local clock when it was accepted */
  at: number
  /** peerId that signed the message */
  from: string
  msg: JobMessage
}

export interface StoredJob {
  jobId: string
  entries: StoredEntry[]
  /** lines that did not parse (a torn write) */
  skipped: number
  mtimeMs: number
}

export interface RetentionOptions {
  maxJobs: number
  maxAgeMs: number
}

const FILE_RE = /^([A-Za-z0-9._:-]+)\.jsonl$/

export class JobStore {
  readonly dir: string
  /** per-file write chains, so appends to one job never interleave */
  private readonly chains = new Map<string, Promise<void>>()
  /** files we already checked end on a newline in this process */
  private readonly checked = new Set<string>()

  constructor (home: string, private readonly options: { fsync?: boolean } = {}) {
    this.dir = join(home, 'jobs')
  }

  private file (jobId: string): string {
    if (!/^[A-Za-z0-9._:-]+$/.test(jobId) || jobId.startsWith('.')) throw new JobStoreError(`bad job id ${JSON.stringify(jobId)}`)
    return join(this.dir, `${jobId}.jsonl`)
  }

  /** Appends one entry durably; appends to the same job are applied in call order. */
  async append (jobId: string, entry: StoredEntry): Promise<void> {
    const path = this.file(jobId)
    const line = JSON.stringify(entry) + '\n'
    await this.chain(jobId, async () => { await this.write(path, line) })
  }

  /** Removes one job's history, after its pending appends. */
  async remove (jobId: string): Promise<void> {
    const path = this.file(jobId)
    await this.chain(jobId, async () => {
      await rm(path, { force: true })
      this.checked.delete(path)
    })
  }

  /** Runs fn after every earlier operation on this job's file; flush() waits for it. */
  private async chain (jobId: string, fn: () => Promise<void>): Promise<void> {
    const prev = this.chains.get(jobId) ?? Promise.resolve()
    const next = prev.then(fn)
    const settled = next.catch(() => {})
    this.chains.set(jobId, settled)
    void settled.then(() => { if (this.chains.get(jobId) === settled) this.chains.delete(jobId) })
    await next
  }

  private async write (path: string, line: string): Promise<void> {
    await mkdir(this.dir, { recursive: true })
    const fh = await open(path, 'a+')
    let created = false
    try {
      if (!this.checked.has(path)) {
        // a crash may have left a partial last line: end it so our record starts clean
        const { size } = await fh.stat()
        if (size > 0) {
          const last = Buffer.alloc(1)
          await fh.read(last, 0, 1, size - 1)
          if (last[0] !== 0x0a) line = '\n' + line
        }
        created = size === 0
        this.checked.add(path)
      }
      await fh.write(line)
      if (this.options.fsync !== false) await fh.datasync()
    } finally {
      await fh.close()
    }
    // a new file's name lives in the directory: sync it too, or a crash can lose the whole file
    if (created && this.options.fsync !== false) await this.syncDir()
  }

  private async syncDir (): Promise<void> {
    const dh = await open(this.dir, 'r')
    try {
      await dh.sync()
    } finally {
      await dh.close()
    }
  }

  /** Waits for every pending append (used before shutdown and in tests). */
  async flush (): Promise<void> {
    await Promise.all([...this.chains.values()])
  }

  async read (jobId: string): Promise<StoredJob | null> {
    const path = this.file(jobId)
    let text: string
    let mtimeMs: number
    try {
      text = await readFile(path, 'utf8')
      mtimeMs = (await stat(path)).mtimeMs
    } catch (err: any) {
      if (err?.code === 'ENOENT') return null
      throw new JobStoreError(`cannot read ${path}: ${err?.message}`, { cause: err })
    }
    const entries: StoredEntry[] = []
    let skipped = 0
    for (const raw of text.split('\n')) {
      if (raw.trim() === '') continue
      try {
        const entry = JSON.parse(raw) as StoredEntry
        if (typeof entry?.at !== 'number' || typeof entry.from !== 'string') throw new Error('not an entry')
        const msg = jobMessageSchema.safeParse(entry.msg)
        if (!msg.success) throw new Error('not a job message')
        entries.push({ at: entry.at, from: entry.from, msg: msg.data })
      } catch {
        skipped++
      }
    }
    return { jobId, entries, skipped, mtimeMs }
  }

  /** jobIds on disk, oldest first (by last write). */
  async list (): Promise<Array<{ jobId: string, mtimeMs: number }>> {
    let names: string[]
    try {
      names = await readdir(this.dir)
    } catch (err: any) {
      if (err?.code === 'ENOENT') return []
      throw new JobStoreError(`cannot list ${this.dir}: ${err?.message}`, { cause: err })
    }
    const out: Array<{ jobId: string, mtimeMs: number }> = []
    for (const name of names) {
      const m = FILE_RE.exec(name)
      if (m == null) continue
      try {
        out.push({ jobId: m[1], mtimeMs: (await stat(join(this.dir, name))).mtimeMs })
      } catch {}
    }
    return out.sort((a, b) => a.mtimeMs - b.mtimeMs)
  }

  /** Removes jobs beyond the retention limits; `keep` are never removed (running jobs). Returns removed ids. */
  async prune (retention: RetentionOptions, keep: Set<string>, now = Date.now()): Promise<string[]> {
    const all = await this.list()
    const removed: string[] = []
    let excess = all.length - retention.maxJobs
    for (const { jobId, mtimeMs } of all) {
      if (keep.has(jobId)) continue
      const tooOld = now - mtimeMs > retention.maxAgeMs
      if (excess > 0 || tooOld) {
        await rm(this.file(jobId), { force: true })
        this.checked.delete(this.file(jobId))
        removed.push(jobId)
        excess--
      }
    }
    return removed
  }
}
