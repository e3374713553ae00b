import { z } from 'zod'
import type { Presence } from './types.ts'

/** The gossip topic presence records travel on; versioned so a wire change can coexist. */
export const PRESENCE_TOPIC = 'swarm/presence/1'

/** Upper bound on an encoded record; anything larger is dropped unread. */
export const MAX_PRESENCE_BYTES = 16 * 1024

const short = z.string().max(256)

/** Wire schema of a presence record: everything a remote peer tells us is checked here. */
export const presenceSchema = z.object({
  v: z.literal(1),
  name: z.string().max(64),
  hostname: short,
  platform: z.string().max(32),
  arch: z.string().max(32),
  cpus: z.number().int().nonnegative().max(1_000_000),
  totalMem: z.number().nonnegative(),
  freeMem: z.number().nonnegative(),
  load: z.tuple([z.number(), z.number(), z.number()]),
  version: z.string().max(64),
  tools: z.array(z.string().max(64)).max(256),
  endpoints: z.array(z.object({ url: z.string().max(2048), model: z.string().max(256).optional() })).max(16),
  tags: z.array(z.string().max(64)).max(32),
  tasksRunning: z.number().int().nonnegative(),
  ts: z.number(),
  seq: z.number().int().nonnegative(),
  leaving: z.boolean().optional()
})

export type PresenceDecodeResult =
  | { ok: true, presence: Presence }
  | { ok: false, reason: 'too-large' | 'not-json' | 'invalid', detail?: string }

export function encodePresence (presence: Presence): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(presence))
}

/** Never throws: bad records come back as a reason so the caller can count the drop. */
export function decodePresence (data: Uint8Array): PresenceDecodeResult {
  if (data.byteLength > MAX_PRESENCE_BYTES) return { ok: false, reason: 'too-large' }
  let value: unknown
  try {
    value = JSON.parse(new TextDecoder().decode(data))
  } catch {
    return { ok: false, reason: 'not-json' }
  }
  const parsed = presenceSchema.safeParse(value)
  if (!parsed.success) return { ok: false, reason: 'invalid', detail: parsed.error.issues[0]?.path.join('.') }
  return { ok: true, presence: parsed.data as Presence }
}
