import type { Severity, VerifiedFinding } from './types.ts'

const SEVERITY_ORDER: Record<Severity, number> = { critical: 0, warning: 1, info: 2 }
/** verified first, then unchecked, then claims the evidence contradicts */
const VERIFIED_ORDER = (v: boolean | null) => v === true ? 0 : v === null ? 1 : 2

/** Critical first; within a severity, verified before unverified; stable otherwise. */
export function rankFindings<T extends VerifiedFinding> (findings: T[]): T[] {
  return findings
    .map((f, i) => ({ f, i }))
    .sort((a, b) =>
      (SEVERITY_ORDER[a.f.severity] ?? 3) - (SEVERITY_ORDER[b.f.severity] ?? 3) ||
      VERIFIED_ORDER(a.f.verified) - VERIFIED_ORDER(b.f.verified) ||
      a.i - b.i)
    .map(x => x.f)
}

export function countBySeverity (findings: Array<{ severity: Severity }>): Record<Severity, number> {
  const out: Record<Severity, number> = { critical: 0, warning: 0, info: 0 }
  for (const f of findings) if (out[f.severity] != null) out[f.severity]++
  return out
}
