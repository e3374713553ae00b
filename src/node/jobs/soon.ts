/**
 * `fn` once, as soon as the current event is handled, however many times it is asked for
 * before then: an event that makes a timer-driven check due runs it now, not a tick later.
 */
export function coalescedSoon (fn: () => void): () => void {
  let pending = false
  return () => {
    if (pending) return
    pending = true
    setImmediate(() => {
      pending = false
      fn()
    })
  }
}
