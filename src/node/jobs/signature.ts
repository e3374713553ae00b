/**
 * Signed job reports. The coordinator signs the report it publishes (job.result) with its
 * libp2p identity key; the signature travels with the report in every relayed job.report
 * and is stored with it, and a receiver checks it against the coordinator's peerId (an
 * ed25519 peerId carries its public key) before taking the report from anyone. Gossip's
 * own signature names only the relayer, so without this any member could relay a report
 * of its own making in another peer's name.
 *
 * What is signed: a canonical encoding of jobId, epoch, the coordinator's peerId and a
 * SHA-256 digest of the report as every peer parses it (keys sorted, schema-stripped), so
 * the bytes on the wire may differ in key order or unknown fields and still verify.
 */
import { createHash, createPrivateKey, createPublicKey, sign as edSign, verify as edVerify, type KeyObject } from 'node:crypto'
import type { PrivateKey } from '@libp2p/interface'
import { peerIdFromPrivateKey, peerIdFromString } from '@libp2p/peer-id'
import { reportSchema, type JobReport } from '../../gossip/messages-report.ts'
import { JobsError } from './errors.ts'

/** Signs as this peer, and checks another peer's signature. Injected (tests use fakes). */
export interface ReportSigning {
  /** signature of payload by this peer's identity key */
  sign: (payload: Uint8Array) => Uint8Array
  /** whether sig is peerId's signature of payload; false for a peerId that carries no usable key */
  verify: (peerId: string, payload: Uint8Array, sig: Uint8Array) => boolean
}

/** Domain and version of the signed payload: a signature made for anything else never matches. */
const DOMAIN = 'swarm/job-report/1'
const encoder = new TextEncoder()

/** JSON with object keys sorted at every depth; undefined members left out, as JSON does. */
export function canonicalJson (value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null'
  if (Array.isArray(value)) return `[${value.map(v => v === undefined ? 'null' : canonicalJson(v)).join(',')}]`
  const keys = Object.keys(value).filter(k => (value as Record<string, unknown>)[k] !== undefined).sort()
  return `{${keys.map(k => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`).join(',')}}`
}

/** The bytes a coordinator signs for `report` (already parsed by reportSchema). */
export function reportPayload (report: JobReport): Uint8Array {
  const digest = createHash('sha256').update(canonicalJson(report)).digest('hex')
  // a JSON array: unambiguous whatever characters a field holds
  return encoder.encode(JSON.stringify([DOMAIN, report.jobId, report.epoch, report.coordinator?.peerId ?? '', digest]))
}

/** The signature of a report this peer coordinated, for job.result (base64). */
export function signReport (signing: ReportSigning, report: JobReport): string {
  // sign what receivers will parse: the schema strips fields it does not know (a report
  // it rejects is signed as it is: receivers drop it as bad-schema before any signature)
  const parsed = reportSchema.safeParse(report)
  return Buffer.from(signing.sign(reportPayload(parsed.success ? parsed.data : report))).toString('base64')
}

/** Whether `sig` is the signature of `report` by the coordinator it names. */
export function reportSignatureValid (signing: ReportSigning, report: JobReport, sig: string | undefined): boolean {
  const coordinator = report.coordinator?.peerId
  if (sig == null || coordinator == null || coordinator === '') return false
  try {
    return signing.verify(coordinator, reportPayload(report), Buffer.from(sig, 'base64'))
  } catch {
    return false
  }
}

/** Public keys of peers already seen, by peerId (bounded: peerIds on the wire are untrusted). */
const MAX_CACHED_KEYS = 1024

/** Signing with a libp2p ed25519 identity; verifying against ed25519 peerIds. */
export function ed25519Signing (privateKey: PrivateKey): ReportSigning {
  if (privateKey.type !== 'Ed25519') throw new JobsError(`report signing needs an Ed25519 identity, not ${privateKey.type}`, { code: 'ERR_IDENTITY_TYPE' })
  const self = peerIdFromPrivateKey(privateKey).toString()
  const seed = privateKey.raw.subarray(0, 32)
  const pub = privateKey.publicKey.raw
  const own = createPrivateKey({ key: { kty: 'OKP', crv: 'Ed25519', d: b64url(seed), x: b64url(pub) }, format: 'jwk' })
  const keys = new Map<string, KeyObject | null>([[self, createPublicKey(own)]])
  const keyOf = (peerId: string): KeyObject | null => {
    if (keys.has(peerId)) return keys.get(peerId)!
    let key: KeyObject | null = null
    try {
      const pk = peerIdFromString(peerId).publicKey
      if (pk?.type === 'Ed25519') key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: b64url(pk.raw) }, format: 'jwk' })
    } catch {}
    if (keys.size >= MAX_CACHED_KEYS) keys.delete(keys.keys().next().value!)
    keys.set(peerId, key)
    return key
  }
  return {
    // node's ed25519 is synchronous; the receive path decides on a message in one go
    sign: payload => new Uint8Array(edSign(null, payload, own)),
    verify: (peerId, payload, sig) => {
      const key = keyOf(peerId)
      return key != null && sig.byteLength === 64 && edVerify(null, payload, key, sig)
    }
  }
}

function b64url (bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64url')
}
