import { createLibp2p, type Libp2p } from 'libp2p'
import { tcp } from '@libp2p/tcp'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import { ping } from '@libp2p/ping'
import { mdns } from '@libp2p/mdns'
import { gossipsub, type GossipSub } from '@libp2p/gossipsub'
import { preSharedKey } from '@libp2p/pnet'
import type { PeerDiscovery, PrivateKey } from '@libp2p/interface'
import type { Config } from './config.ts'
import { ListenError } from './errors.ts'
import { linkMonitor, type LinkMonitor } from './link-monitor.ts'

/** The services every swarm node runs; mdns is absent with discovery.mdns = false. */
export type SwarmServices = {
  identify: ReturnType<ReturnType<typeof identify>>
  ping: ReturnType<ReturnType<typeof ping>>
  pubsub: GossipSub
  /** pings every connection at the muxer level; replaces libp2p's stream-per-ping monitor */
  linkMonitor: LinkMonitor
  mdns?: PeerDiscovery
}

export type SwarmLibp2p = Libp2p<SwarmServices>

export interface CreateNodeInit {
  privateKey: PrivateKey
  swarmKey: Uint8Array
  config: Config
}

/** Assembles libp2p: tcp, pnet, noise, yamux, identify, ping, link monitor, gossipsub (StrictSign), mdns. */
export async function createNode (init: CreateNodeInit): Promise<SwarmLibp2p> {
  const { config } = init
  const services: Record<string, any> = {
    identify: identify(),
    // still answers /ipfs/ping: peers of earlier versions probe their connections with it
    ping: ping(),
    linkMonitor: linkMonitor({ intervalMs: config.connection.pingIntervalMs, timeoutMs: config.connection.pingTimeoutMs }),
    pubsub: gossipsub({
      globalSignaturePolicy: 'StrictSign',
      emitSelf: false,
      // our own records go to every subscribed peer, not only the mesh: presence must reach all
      floodPublish: true,
      fallbackToFloodsub: false,
      // On a LAN every peer is connected to every other, so the flood above already delivers
      // each message; the mesh only carries it to peers whose direct link broke. A small D keeps
      // that repair path (about 2D mesh links each) without every peer re-sending every message
      // to everyone. Dhi stays high so a bootstrap peer that others reach only through it (no
      // mDNS) keeps up to 12 of them in its mesh, as it did with D = 6.
      D: config.gossip.meshSize,
      Dlo: Math.max(2, config.gossip.meshSize - 2),
      Dhi: Math.max(12, config.gossip.meshSize * 2),
      Dout: Math.min(2, Math.floor(config.gossip.meshSize / 2), Math.max(2, config.gossip.meshSize - 2) - 1),
      Dlazy: config.gossip.lazyPeers,
      // Each message reaches a peer several times (flood publish + mesh). Without a fast id
      // gossipsub checks the ed25519 signature of every copy before its seen-cache lookup:
      // 18% of CPU in the field bench's fan-out burst. The cache is filled only after a
      // copy's signature checked out, so a forged copy cannot shadow the real message.
      fastMsgIdFn: fastMessageId
    })
  }
  if (config.discovery.mdns) services.mdns = mdns({ interval: config.discovery.mdnsIntervalMs })
  try {
    const node = await createLibp2p({
      privateKey: init.privateKey,
      addresses: { listen: config.peer.listen },
      transports: [tcp()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      connectionProtector: preSharedKey({ psk: init.swarmKey }),
      // the link monitor service does this job with one frame each way instead of a stream per ping
      connectionMonitor: { enabled: false },
      connectionManager: {
        maxConnections: config.connection.maxConnections,
        dialTimeout: config.discovery.dialTimeoutMs
      },
      services
    })
    return node as unknown as SwarmLibp2p
  } catch (err: any) {
    throw listenError(err, config.peer.listen)
  }
}

/** Turns libp2p's listen failures into one line naming the address. */
export function listenError (err: any, listen: string[]): Error {
  const text = `${err?.name ?? ''} ${err?.message ?? ''} ${err?.code ?? ''} ${err?.errors?.map((e: any) => e?.message + ' ' + e?.code).join(' ') ?? ''}`
  if (/EADDRINUSE|address already in use/i.test(text)) return new ListenError(`cannot listen on ${listen.join(', ')}: address already in use`, { cause: err })
  if (/EADDRNOTAVAIL|EACCES|NoValidAddresses|listen/i.test(text)) return new ListenError(`cannot listen on ${listen.join(', ')}: ${(err?.message ?? String(err)).split('\n')[0]}`, { cause: err })
  return err
}

/** from + seqno: the id StrictSign messages already have, read without hashing or verifying. */
function fastMessageId (msg: { from?: Uint8Array, seqno?: Uint8Array }): string {
  const part = (b?: Uint8Array) => b == null ? '' : Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64')
  return `${part(msg.from)}.${part(msg.seqno)}`
}
