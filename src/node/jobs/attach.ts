/**
 * Attaches the jobs service to a running Peer: brains and tools from the peer's config,
 * the store in its home, tasksRunning in its presence, the shared brain (endpoints that
 * peers offer in presence go into our inference pool and leave it when they go dark),
 * and the job control methods. `swarm start` calls this once.
 */
import type { Member } from '../../gossip/types.ts'
import { createBrains, normaliseBaseUrl, verifyFindings, type Brains, type BrainFlags } from '../../think/index.ts'
import { localToolRunner } from '../../tools/index.ts'
import type { ToolRunner } from '../../tools/types.ts'
import type { Peer } from '../peer.ts'
import { registerJobMethods } from './control.ts'
import { JobsService } from './service.ts'
import { ed25519Signing } from './signature.ts'
import { JobStore } from './store.ts'

/** (peer, url) pairs remembered as warned about; bounded since presence is untrusted. */
const MAX_WARNED_OFFERS = 1024

export interface AttachJobsOptions {
  /** brain flags of `swarm start` (--brain, --model) */
  flags?: BrainFlags
  env?: NodeJS.ProcessEnv
  /** injected in tests */
  brains?: Brains
  tools?: ToolRunner
}

export async function attachJobs (peer: Peer, options: AttachJobsOptions = {}): Promise<JobsService> {
  const log = peer.logger.forComponent('swarm:jobs')
  const env = options.env ?? process.env
  // think's warnings (an endpoint cooling down, a task falling back to the playbook) are
  // what a sysadmin needs to see on the peer's stderr; its debug lines follow SWARM_LOG
  const thinkLog = peer.logger.forComponent('swarm:think')
  const brains = options.brains ?? createBrains({
    config: peer.config.think, env, flags: options.flags, logger: { debug: m => { thinkLog.debug(m) }, warn: m => { thinkLog.warn(m) } }
  })
  const tools = options.tools ?? localToolRunner(peer.config.tools)
  const config = peer.config.jobs
  let announced = 0
  const service = new JobsService({
    bus: peer.bus,
    membership: peer.membership,
    store: new JobStore(peer.home, { fsync: config.fsync }),
    taskBrain: brains.task,
    jobBrain: brains.job,
    tools,
    selfName: peer.name,
    signing: ed25519Signing(peer.privateKey),
    verify: verifyFindings,
    onLoad: (n) => { if (n !== announced) { announced = n; peer.presence.announce() } },
    log: line => { log.info(line) }
  }, config)
  const stopContribution = peer.presence.contribute(() => ({ tasksRunning: service.stats().tasksRunning }))

  // the shared brain: what each member offers in presence, while it is alive
  const offer = (m: Member) => { if (m.state !== 'dead') brains.pool.setPeerEndpoints(m.peerId, usableOffers(m)) }
  // presence is untrusted and repeats: an invalid URL is warned about once per (peer, url), not at every change
  const warned = new Set<string>()
  const usableOffers = (m: Member) => m.presence.endpoints.filter(ep => {
    try {
      normaliseBaseUrl(ep.url)
      return true
    } catch (err: any) {
      const key = `${m.peerId} ${ep.url}`
      if (!warned.has(key)) {
        if (warned.size >= MAX_WARNED_OFFERS) warned.delete(warned.values().next().value!)
        warned.add(key)
        log.warn(`ignoring the brain ${JSON.stringify(ep.url.slice(0, 200))} offered by ${m.name} (${m.peerId}): ${String(err?.message ?? err).replace(/\s+/g, ' ').slice(0, 300)}`)
      }
      return false
    }
  })
  const gone = (m: Member) => { brains.pool.removePeer(m.peerId) }
  const onUpdate = (m: Member) => { if (m.state === 'dead') gone(m); else offer(m) }
  for (const m of peer.membership.list()) offer(m)
  peer.membership.on('member:join', offer)
  peer.membership.on('member:update', onUpdate)
  peer.membership.on('member:leave', gone)

  await service.start()
  registerJobMethods(peer.control, service, peer.membership, {
    graceMs: config.leaseMs * 3 + config.unreachableWaitMs + 10_000,
    pool: brains.pool,
    describeBrain: brains.describe
  })
  log.info(`jobs attached (brain: ${brains.describe()})`)
  peer.onStop(async () => {
    peer.membership.off('member:join', offer)
    peer.membership.off('member:update', onUpdate)
    peer.membership.off('member:leave', gone)
    stopContribution()
    await service.stop()
  })
  return service
}
