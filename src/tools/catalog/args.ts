/**
 * Argument pieces shared by the catalog. Everything a model sends is checked here
 * before any program sees it; names may not start with '-' so they can never be read
 * as an option.
 */
import { z } from 'zod'

export const noArgs = z.object({}).strict()

/** systemd unit or launchd label: letters, digits and @ . _ : - ; no leading dash. */
export const serviceName = z.string().min(1).max(256)
  .regex(/^[A-Za-z0-9_][A-Za-z0-9@._:\\-]*$/, 'a service name: letters, digits and @._:- (not starting with -)')
  .describe('systemd unit (e.g. nginx.service, nginx) or launchd label (e.g. com.apple.mDNSResponder)')

/** A DNS name: labels of letters, digits, '-' and '_', optional trailing dot. */
export const dnsName = z.string().min(1).max(253)
  .regex(/^(?!-)[A-Za-z0-9_-]{1,63}(\.(?!-)[A-Za-z0-9_-]{1,63})*\.?$/, 'a DNS name such as example.com')

/** A look-back window: a number and a unit s|m|h|d, at most 30 days. */
export const sinceWindow = z.string().regex(/^\d{1,6}[smhd]$/, 'a window like 30m, 1h or 2d')
  .refine(s => windowSeconds(s) <= 30 * 86_400 && windowSeconds(s) > 0, 'between 1s and 30d')
  .default('1h')
  .describe('how far back to look, e.g. 15m, 1h, 1d (max 30d)')

export function windowSeconds (since: string): number {
  const n = Number(since.slice(0, -1))
  return n * ({ s: 1, m: 60, h: 3600, d: 86_400 }[since.slice(-1)] ?? 1)
}
