/**
 * The contract between the gossip layer and the services above it (jobs, election).
 * The libp2p-backed implementation lives in src/node; tests may use an in-memory bus.
 */

/** A decoded pubsub message with the peer that signed it (StrictSign). */
export interface BusMessage {
  topic: string
  /** peerId string of the signer, as verified by gossipsub */
  from: string
  data: Uint8Array
}

/** Publish/subscribe over the swarm. */
export interface Bus {
  /** peerId of this peer */
  readonly self: string
  /** publishes bytes; resolves with the number of peers it was sent to (0 is not an error) */
  publish: (topic: string, data: Uint8Array) => Promise<number>
  /** calls handler for every message on topic from other peers; returns an unsubscribe function */
  subscribe: (topic: string, handler: (message: BusMessage) => void) => () => void
}

export type MemberState = 'alive' | 'suspect' | 'dead'

/** The inference endpoint a peer offers to the fleet. */
export interface OfferedEndpoint {
  url: string
  model?: string
}

/** The small record each peer gossips about once a second. */
export interface Presence {
  v: 1
  name: string
  hostname: string
  platform: string
  arch: string
  cpus: number
  totalMem: number
  freeMem: number
  load: [number, number, number]
  version: string
  tools: string[]
  endpoints: OfferedEndpoint[]
  tags: string[]
  tasksRunning: number
  /** sender's clock, ms since epoch */
  ts: number
  /** monotonically increasing per sender, so reordered records are ignored */
  seq: number
  /** true in the last record a peer sends before it leaves */
  leaving?: boolean
}

export interface Member {
  peerId: string
  name: string
  state: MemberState
  /** ms since this peer last heard from the member (0 for self) */
  lastSeenMs: number
  addresses: string[]
  presence: Presence
  self: boolean
  /** why a dead member is dead: it announced its leave, or went silent */
  deadReason?: 'left' | 'timeout'
}

export type MembershipEvent = 'member:join' | 'member:update' | 'member:leave'

/** The live view of who is in the swarm. */
export interface MembershipView {
  readonly self: string
  /** every known member, self included, dead ones until they are forgotten */
  list: () => Member[]
  get: (peerId: string) => Member | undefined
  /** alive members, self included */
  alive: () => Member[]
  on: (event: MembershipEvent, listener: (member: Member) => void) => void
  off: (event: MembershipEvent, listener: (member: Member) => void) => void
}
