/**
 * Per-sender token buckets for incoming job messages, so one misbehaving member cannot
 * flood every peer's log and coordinator. A sender gets `perSecond` tokens a second, up
 * to a burst of the same size; a message without a token is dropped and counted.
 */
export class SenderRateLimit {
  private readonly buckets = new Map<string, { tokens: number, at: number }>()

  constructor (private readonly perSecond: number, private readonly now: () => number) {}

  allow (sender: string): boolean {
    const now = this.now()
    let b = this.buckets.get(sender)
    if (b == null) {
      if (this.buckets.size > 10_000) this.forgetIdle(now)
      b = { tokens: this.perSecond, at: now }
      this.buckets.set(sender, b)
    }
    b.tokens = Math.min(this.perSecond, b.tokens + (now - b.at) * this.perSecond / 1000)
    b.at = now
    if (b.tokens < 1) return false
    b.tokens -= 1
    return true
  }

  private forgetIdle (now: number): void {
    for (const [k, b] of this.buckets) if (now - b.at > 60_000) this.buckets.delete(k)
  }
}
