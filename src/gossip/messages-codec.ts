/**
 * Encode and decode job messages. Decoding never throws: a message that is too big,
 * not JSON, of another protocol version or not matching its schema is reported with a
 * reason so the caller can count the drop and move on.
 */
import { jobMessageSchema, PROTOCOL_VERSION, type JobMessage, type JobMessageType, type OutgoingMessage } from './messages.ts'

/** Most message types are small; these limits keep gossip cheap and bounded. */
export const MAX_MESSAGE_BYTES = 64 * 1024
/** Reports carry every task's findings, so they may be bigger (gossipsub drops > ~4 MiB). */
export const MAX_REPORT_BYTES = 1024 * 1024

const LIMITS: Partial<Record<JobMessageType, number>> = {
  // a plan lists every task's prompt; a fleet of hundreds needs room
  'job.plan': MAX_REPORT_BYTES,
  'job.result': MAX_REPORT_BYTES,
  'job.report': MAX_REPORT_BYTES
}

export function maxBytesOf (type: JobMessageType): number {
  return LIMITS[type] ?? MAX_MESSAGE_BYTES
}

export type DropReason =
  | 'too-large' | 'bad-json' | 'bad-version' | 'bad-schema'
  | 'stale-epoch' | 'not-coordinator' | 'not-sender' | 'not-host' | 'not-granted'
  | 'unknown-job' | 'unknown-task' | 'not-allowed' | 'rate-limited'
  /** a relayed report whose submission differs from the one in the job log */
  | 'log-mismatch'
  /** a digest or fetch asking for more reports than its sender may have relayed (catch-up cap) */
  | 'relay-capped'
  /** a claim above the job's epoch, while its coordinator holds a live lease, from a member other than its successor */
  | 'not-successor'
  /** a claim raising the job's epoch by more than a run of missed takeovers could */
  | 'epoch-jump'
  /** a claim on a job with no live lease from a member whose rank's turn has not come */
  | 'out-of-turn'
  /** a coordinator message for a job that has ended, from a peer that did not lead it */
  | 'job-ended'
  /** a job.result or relayed job.report without a valid signature of the coordinator it names */
  | 'bad-signature'

export type Decoded =
  | { ok: true, message: JobMessage, bytes: number }
  | { ok: false, reason: DropReason, detail: string }

const encoder = new TextEncoder()
const decoder = new TextDecoder('utf-8', { fatal: true })

/** Serializes a message, filling in v and ts; throws if it exceeds its type's limit. */
export function encodeMessage (message: OutgoingMessage, now = Date.now()): Uint8Array {
  const full = { ...message, v: PROTOCOL_VERSION, ts: message.ts ?? now }
  const bytes = encoder.encode(JSON.stringify(full))
  const limit = maxBytesOf(message.type)
  if (bytes.byteLength > limit) throw new MessageTooLargeError(message.type, bytes.byteLength, limit)
  return bytes
}

export function decodeMessage (data: Uint8Array): Decoded {
  if (data.byteLength > MAX_REPORT_BYTES) return { ok: false, reason: 'too-large', detail: `${data.byteLength} bytes` }
  let raw: unknown
  try {
    raw = JSON.parse(decoder.decode(data))
  } catch {
    return { ok: false, reason: 'bad-json', detail: 'not UTF-8 JSON' }
  }
  if (raw == null || typeof raw !== 'object') return { ok: false, reason: 'bad-json', detail: 'not an object' }
  const v = (raw as { v?: unknown }).v
  if (v !== PROTOCOL_VERSION) return { ok: false, reason: 'bad-version', detail: `v=${String(v)}` }
  const parsed = jobMessageSchema.safeParse(raw)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    return { ok: false, reason: 'bad-schema', detail: `${issue?.path.join('.') ?? ''}: ${issue?.code ?? ''}` }
  }
  const limit = maxBytesOf(parsed.data.type)
  if (data.byteLength > limit) return { ok: false, reason: 'too-large', detail: `${parsed.data.type} ${data.byteLength} > ${limit}` }
  return { ok: true, message: parsed.data, bytes: data.byteLength }
}

/** Counts dropped messages per reason; readable through `jobs.stats`. */
export class DropCounter {
  private readonly counts = new Map<DropReason, number>()
  total = 0

  count (reason: DropReason): void {
    this.counts.set(reason, (this.counts.get(reason) ?? 0) + 1)
    this.total++
  }

  get (reason: DropReason): number {
    return this.counts.get(reason) ?? 0
  }

  snapshot (): Record<string, number> {
    return Object.fromEntries([...this.counts.entries()].sort())
  }
}

export class MessageTooLargeError extends Error {
  readonly code = 'ERR_MESSAGE_TOO_LARGE'
  constructor (type: string, bytes: number, limit: number) {
    super(`${type} message is ${bytes} bytes, over the ${limit} byte limit`)
    this.name = new.target.name
  }
}
