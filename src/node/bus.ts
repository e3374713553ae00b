import type { GossipSub, Message } from '@libp2p/gossipsub'
import type { Bus, BusMessage } from '../gossip/types.ts'
import type { Logger } from './logger.ts'

/**
 * The Bus over gossipsub (StrictSign, so `from` is the verified signer). Publishing when
 * no peer has subscribed yet is not an error: it resolves 0 and the caller decides
 * whether to retry (gossipsub learns remote subscriptions 50-70 ms after a connection).
 */
export interface GossipBus extends Bus {
  /** peer ids currently subscribed to topic, as gossipsub knows them */
  subscribers: (topic: string) => string[]
  /** publishes, retrying until at least one peer received it or the signal aborts */
  publishReliably: (topic: string, data: Uint8Array, options?: { intervalMs?: number, signal?: AbortSignal }) => Promise<number>
  close: () => void
}

export function createGossipBus (pubsub: GossipSub, self: string, log: Logger): GossipBus {
  const handlers = new Map<string, Set<(m: BusMessage) => void>>()
  const onMessage = (evt: CustomEvent<Message>) => {
    const msg = evt.detail
    if (msg.type !== 'signed') return
    const from = msg.from.toString()
    if (from === self) return
    const set = handlers.get(msg.topic)
    if (set == null) return
    for (const handler of [...set]) {
      try { handler({ topic: msg.topic, from, data: msg.data }) } catch (err) { log.warn(`handler for ${msg.topic} threw`, err) }
    }
  }
  pubsub.addEventListener('message', onMessage)

  const publish = async (topic: string, data: Uint8Array): Promise<number> => {
    try {
      const result = await pubsub.publish(topic, data)
      return result.recipients.length
    } catch (err: any) {
      const text = String(err?.message ?? err)
      if (/NoPeersSubscribedToTopic|Duplicate/i.test(text) || /NoPeersSubscribedToTopic|Duplicate/i.test(String(err?.name))) return 0
      throw err
    }
  }

  return {
    self,
    publish,
    subscribe (topic, handler) {
      let set = handlers.get(topic)
      if (set == null) {
        set = new Set()
        handlers.set(topic, set)
        pubsub.subscribe(topic)
      }
      set.add(handler)
      return () => {
        const s = handlers.get(topic)
        if (s == null) return
        s.delete(handler)
        if (s.size === 0) {
          handlers.delete(topic)
          try { pubsub.unsubscribe(topic) } catch {}
        }
      }
    },
    subscribers: (topic) => pubsub.getSubscribers(topic).map(p => p.toString()),
    async publishReliably (topic, data, options = {}) {
      for (;;) {
        options.signal?.throwIfAborted()
        const n = await publish(topic, data)
        if (n > 0) return n
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, options.intervalMs ?? 100)
          options.signal?.addEventListener('abort', () => { clearTimeout(t); resolve() }, { once: true })
        })
      }
    },
    close () {
      pubsub.removeEventListener('message', onMessage)
      handlers.clear()
    }
  }
}
