/**
 * Checks every claim of every finding against the structured data of the tool calls it
 * cites. A claim that disagrees is marked false with what the evidence says; nothing is
 * dropped. Seen in the field: an agent reported 90% disk on a host at 12%.
 */
import type { Claim, ClaimCheck, Finding, ToolCallRecord, VerifiedFinding } from './types.ts'
import { findMetric, type MetricSpec } from './metrics.ts'

export function verifyFindings (findings: Finding[], toolCalls: ToolCallRecord[]): VerifiedFinding[] {
  const byId = new Map(toolCalls.map(c => [c.id, c]))
  return findings.map(finding => {
    const evidenceIds = Array.isArray(finding.evidence) ? finding.evidence : []
    const cited = evidenceIds.map(id => byId.get(id)).filter((c): c is ToolCallRecord => c != null)
    const unknownEvidence = evidenceIds.filter(id => !byId.has(id))
    const checks = (finding.claims ?? []).map(claim => checkClaim(claim, cited, toolCalls))
    const verdicts = checks.map(c => c.verified)
    const verified = verdicts.includes(false) ? false : verdicts.includes(true) ? true : null
    return { ...finding, verified, checks, ...(unknownEvidence.length > 0 ? { unknownEvidence } : {}) }
  })
}

/**
 * One claim. Prefers the cited calls; a claim whose citation misses the relevant tool is
 * still checked against any call of that tool (and says so), because a wrong number with a
 * sloppy citation must not pass as unverifiable.
 */
export function checkClaim (claim: Claim, cited: ToolCallRecord[], all: ToolCallRecord[]): ClaimCheck {
  const spec = findMetric(String(claim.metric ?? ''))
  if (spec == null) return { claim, verified: null, note: `unknown metric ${String(claim.metric)}` }
  const usable = (c: ToolCallRecord) => c.ok && c.data != null && spec.tools.includes(c.tool)
  let candidates = cited.filter(usable)
  let uncited = false
  if (candidates.length === 0) {
    candidates = all.filter(usable)
    uncited = true
  }
  if (candidates.length === 0) return { claim, verified: null, note: `no evidence from ${spec.tools.join(' or ')}` }

  // newest first: the latest reading of the subject is the one that counts
  let lastNote = ''
  for (const call of [...candidates].reverse()) {
    const obs = safeRead(spec, call, claim.subject)
    if (!obs.found) { lastNote = obs.note; continue }
    const note = uncited ? `checked against ${call.id}, which the finding does not cite` : undefined
    return compare(spec, claim, obs.value, call.id, note)
  }
  return { claim, verified: null, source: candidates.at(-1)?.id, note: lastNote }
}

function safeRead (spec: MetricSpec, call: ToolCallRecord, subject: string | undefined) {
  try {
    return spec.read(call.data, subject == null || subject === '' ? undefined : String(subject), call.tool)
  } catch {
    return { found: false as const, note: 'evidence has an unexpected shape' }
  }
}

function compare (spec: MetricSpec, claim: Claim, observed: number | string | boolean, source: string, note?: string): ClaimCheck {
  const base = { claim, source, ...(note != null ? { note } : {}) }
  if (spec.kind === 'boolean') {
    const claimed = toBoolean(claim.value)
    if (claimed == null) return { ...base, verified: null, observed, note: 'claimed value is not true/false' }
    return { ...base, verified: claimed === observed, observed }
  }
  if (spec.kind === 'string') {
    const norm = (v: unknown) => String(v).trim().toLowerCase()
    return { ...base, verified: norm(claim.value) === norm(observed), observed }
  }
  const claimed = toNumber(claim.value, claim.unit, spec.unit)
  const obs = Number(observed)
  const shown = round(obs)
  if (claimed == null) return { ...base, verified: null, observed: shown, note: 'claimed value is not a number' }
  const tol = Math.max(spec.tolerance?.abs ?? 0, (spec.tolerance?.rel ?? 0) * Math.abs(obs))
  return { ...base, verified: Math.abs(claimed - obs) <= tol + 1e-9, observed: shown }
}

function round (n: number): number {
  return Math.abs(n) >= 100 ? Math.round(n) : Math.round(n * 100) / 100
}

function toBoolean (v: unknown): boolean | null {
  if (typeof v === 'boolean') return v
  const s = String(v).trim().toLowerCase()
  if (['true', 'yes', '1', 'failed', 'up', 'listening'].includes(s)) return true
  if (['false', 'no', '0', 'ok', 'down'].includes(s)) return false
  return null
}

const BYTE_UNITS: Record<string, number> = {
  b: 1, byte: 1, bytes: 1,
  k: 1024, kb: 1000, kib: 1024,
  m: 1024 ** 2, mb: 1000 ** 2, mib: 1024 ** 2,
  g: 1024 ** 3, gb: 1000 ** 3, gib: 1024 ** 3,
  t: 1024 ** 4, tb: 1000 ** 4, tib: 1024 ** 4
}

/** "90", "90%", 90; bytes also "12.5 GiB" or unit 'GB'; percent also 0.9 with unit 'ratio'. */
export function toNumber (value: unknown, unit: string | undefined, want: MetricSpec['unit']): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? scale(value, unit, want) : null
  if (typeof value !== 'string') return null
  const m = /^\s*(-?\d+(?:\.\d+)?)\s*([a-z%]*)\s*$/i.exec(value.replace(/,/g, ''))
  if (m == null) return null
  return scale(Number(m[1]), m[2] !== '' ? m[2] : unit, want)
}

function scale (n: number, unit: string | undefined, want: MetricSpec['unit']): number {
  const u = (unit ?? '').trim().toLowerCase()
  if (want === 'bytes' && BYTE_UNITS[u] != null) return n * BYTE_UNITS[u]
  if (want === 'percent' && u === 'ratio') return n * 100
  if (want === 'seconds') {
    if (u === 'ms') return n / 1000
    if (u === 'min' || u === 'minutes') return n * 60
    if (u === 'h' || u === 'hours') return n * 3600
    if (u === 'd' || u === 'days') return n * 86400
  }
  return n
}
