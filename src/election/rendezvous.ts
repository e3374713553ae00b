/**
 * Rendezvous (highest random weight) hashing: every peer ranks the same candidates for
 * a job in the same order without talking, and removing one candidate leaves the order
 * of the others unchanged, so the next-ranked peer is the natural successor.
 */
import { createHash } from 'node:crypto'

/** The weight of peerId for jobId: the first 8 bytes of sha256(jobId, peerId) as a bigint. */
export function rendezvousScore (jobId: string, peerId: string): bigint {
  const digest = createHash('sha256').update(jobId).update('\n').update(peerId).digest()
  return digest.readBigUInt64BE(0)
}

/** peerIds ordered best first; ties (practically impossible) broken by peerId. */
export function rankPeers (jobId: string, peerIds: Iterable<string>): string[] {
  const scored = [...new Set(peerIds)].map(id => ({ id, score: rendezvousScore(jobId, id) }))
  scored.sort((a, b) => a.score === b.score ? (a.id < b.id ? -1 : 1) : (a.score > b.score ? -1 : 1))
  return scored.map(s => s.id)
}

/** True when a outranks b for jobId (used to settle two claims with the same epoch). */
export function outranks (jobId: string, a: string, b: string): boolean {
  return rankPeers(jobId, [a, b])[0] === a
}

/**
 * The member that takes over `holder`'s lease first: the best-ranked of `alive` once the
 * holder is left out (null when nobody else is alive). While a holder is heard renewing,
 * it is the only other member the election lets claim: the one that, cut off from the
 * holder, sees the lease lapse and claims at once.
 */
export function successorOf (jobId: string, holder: string, alive: Iterable<string>): string | null {
  return rankPeers(jobId, [...alive].filter(id => id !== holder))[0] ?? null
}
