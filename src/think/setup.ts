/**
 * One call that turns config + environment + flags into ready brains, so `swarm ask` and
 * `swarm start` wire them the same way.
 */
import { resolveBrainChoice, type BrainChoice, type BrainFlags } from './brain-choice.ts'
import type { ThinkConfig } from './config.ts'
import { defaultThinkConfig } from './config.ts'
import { createInferencePool, type InferencePool } from './pool.ts'
import { createTaskBrain } from './agent.ts'
import { createJobBrain } from './job-brain.ts'
import { playbookBrain } from './playbook/brain.ts'
import type { JobBrain, TaskBrain } from './types.ts'
import { thinkLogger, type Logger } from './logger.ts'

export interface Brains {
  choice: BrainChoice
  /** empty when the playbook was chosen; peers' endpoints may still be added (auto mode) */
  pool: InferencePool
  task: TaskBrain
  job: JobBrain
  /** one line for people: which brain and why */
  describe: () => string
}

export function createBrains (input: { config?: ThinkConfig, env?: Record<string, string | undefined>, flags?: BrainFlags, logger?: Logger } = {}): Brains {
  const config = input.config ?? defaultThinkConfig()
  const choice = resolveBrainChoice({ config, env: input.env ?? {}, flags: input.flags })
  const logger = input.logger ?? thinkLogger('swarm:think', input.env)
  const pool = createInferencePool({
    endpoints: choice.kind === 'model' ? choice.endpoints : [],
    model: choice.kind === 'model' ? choice.model : undefined,
    requestTimeoutMs: config.requestTimeoutMs,
    turnBudgetMs: config.turnBudgetMs,
    streamIdleTimeoutMs: config.streamIdleTimeoutMs,
    maxAttempts: config.maxAttempts,
    failuresBeforeCooldown: config.failuresBeforeCooldown,
    cooldownMs: config.cooldownMs,
    stream: config.stream,
    // a peer readies its endpoints while idle, so a job's first turns do not pay for it
    warm: true,
    // a playbook chosen on purpose stays the playbook, whatever peers offer
    usePeerEndpoints: config.usePeerEndpoints && !(choice.kind === 'playbook' && choice.reason === 'configured'),
    logger
  })
  const forcedPlaybook = choice.kind === 'playbook' && choice.reason === 'configured'
  const task = forcedPlaybook
    ? playbookBrain({ config: config.playbook, reason: 'configured', maxParallelTools: config.maxParallelTools })
    : createTaskBrain({ pool, config, logger })
  const job = createJobBrain({ pool: forcedPlaybook ? null : pool, config, logger })
  return {
    choice,
    pool,
    task,
    job,
    describe: () => {
      if (forcedPlaybook) return 'playbook (chosen)'
      const eps = pool.stats()
      if (eps.length === 0) return 'playbook (no inference endpoint configured)'
      return `model ${eps.map(e => `${e.model ?? '(first listed)'} at ${e.url} [${e.source}]`).join(', ')}; playbook if none answers`
    }
  }
}
