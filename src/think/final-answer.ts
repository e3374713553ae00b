/**
 * Reads the agent's final message: prose for people, then a JSON object with findings in
 * the fixed structure. A model that cannot produce the structure keeps its text answer and
 * gets no findings invented for it; malformed items are left out and counted.
 */
import { z } from 'zod'
import type { Finding } from './types.ts'
import { jsonValuesIn } from './json-scan.ts'

const claimSchema = z.object({
  metric: z.string().min(1).max(100),
  subject: z.union([z.string(), z.number()]).transform(String).optional().nullable().transform(v => v ?? undefined),
  value: z.union([z.number(), z.string().max(200), z.boolean()]),
  unit: z.string().max(20).optional().nullable().transform(v => v ?? undefined)
})

const findingSchema = z.object({
  severity: z.string().transform(s => s.trim().toLowerCase()).pipe(z.enum(['critical', 'warning', 'info'])),
  title: z.string().min(1).max(300),
  detail: z.string().max(4000).default(''),
  evidence: z.array(z.union([z.string(), z.number()]).transform(String)).max(50).default([]),
  claims: z.array(claimSchema).max(50).default([])
})

export interface FinalAnswer {
  answer: string
  findings: Finding[]
  /** items that looked like findings but did not fit the structure */
  rejected: number
  /** true when a findings object was found at all */
  structured: boolean
}

export function readFinalAnswer (content: string): FinalAnswer {
  const values = jsonValuesIn(content)
  const report = [...values].reverse().find((v): v is Record<string, unknown> =>
    typeof v === 'object' && v != null && !Array.isArray(v) && Array.isArray((v as any).findings))
  if (report == null) return { answer: content.trim(), findings: [], rejected: 0, structured: false }

  const findings: Finding[] = []
  let rejected = 0
  for (const item of report.findings as unknown[]) {
    const parsed = findingSchema.safeParse(item)
    if (parsed.success) findings.push(parsed.data as Finding)
    else rejected++
  }
  const prose = stripReport(content).trim()
  const summary = typeof report.answer === 'string' ? report.answer : typeof report.summary === 'string' ? report.summary : ''
  return { answer: prose !== '' ? prose : summary, findings, rejected, structured: true }
}

/** The prose without the JSON report (fenced or bare), so people do not read it twice. */
function stripReport (content: string): string {
  const fenced = content.replace(/```(?:json)?\s*[{[][\s\S]*?```/gi, block => /"findings"\s*:/.test(block) ? '' : block)
  if (fenced !== content) return fenced
  const at = content.search(/\{\s*"(?:answer|summary|findings)"\s*:/)
  return at >= 0 ? content.slice(0, at) : content
}
