import { describe, expect, it } from 'vitest'
import { normaliseBaseUrl, resolveBrainChoice } from '../../src/think/brain-choice.ts'
import { defaultThinkConfig, thinkConfigSchema } from '../../src/think/config.ts'
import { createBrains } from '../../src/think/setup.ts'

const config = (over: Record<string, unknown> = {}) => thinkConfigSchema.parse(over)

describe('resolveBrainChoice', () => {
  it('is the playbook with nothing configured', () => {
    expect(resolveBrainChoice({ config: config(), env: {} })).toEqual({ kind: 'playbook', reason: 'no-endpoint' })
  })

  it('honours OPENAI_BASE_URL, OPENAI_API_KEY and SWARM_MODEL', () => {
    const c = resolveBrainChoice({ config: config(), env: { OPENAI_BASE_URL: 'http://gpu:11434/v1/', OPENAI_API_KEY: 'k', SWARM_MODEL: 'qwen' } })
    expect(c).toEqual({ kind: 'model', endpoints: [{ url: 'http://gpu:11434/v1', apiKey: 'k', source: 'env' }], model: 'qwen' })
  })

  it('adds the environment endpoint to configured ones, without duplicates', () => {
    const cfg = config({ endpoints: [{ url: 'http://a:8000/v1', model: 'm-a' }, { url: 'http://b:8000' }], model: 'cfg-model' })
    const c = resolveBrainChoice({ config: cfg, env: { OPENAI_BASE_URL: 'http://b:8000/v1' } })
    expect(c.kind === 'model' && c.endpoints.map(e => [e.url, e.model, e.source])).toEqual([['http://a:8000/v1', 'm-a', 'config'], ['http://b:8000/v1', undefined, 'config']])
    expect(c.kind === 'model' && c.model).toBe('cfg-model')
  })

  it('lets flags win: --brain URL replaces endpoints, --model beats SWARM_MODEL, --brain playbook beats all', () => {
    const cfg = config({ endpoints: [{ url: 'http://a:8000/v1' }] })
    const env = { OPENAI_BASE_URL: 'http://b/v1', SWARM_MODEL: 'env' }
    expect(resolveBrainChoice({ config: cfg, env, flags: { brain: 'c:9000', model: 'flag' } }))
      .toEqual({ kind: 'model', endpoints: [{ url: 'http://c:9000/v1', apiKey: undefined, source: 'flag' }], model: 'flag' })
    expect(resolveBrainChoice({ config: cfg, env, flags: { brain: 'playbook' } })).toEqual({ kind: 'playbook', reason: 'configured' })
    expect(resolveBrainChoice({ config: config({ brain: 'playbook' }), env })).toEqual({ kind: 'playbook', reason: 'configured' })
    expect(resolveBrainChoice({ config: config({ brain: 'playbook' }), env, flags: { brain: 'auto' } }).kind).toBe('model')
  })

  it('rejects what is not a URL', () => {
    expect(() => resolveBrainChoice({ config: config(), flags: { brain: 'ftp://x' } })).toThrow(expect.objectContaining({ name: 'BrainChoiceError', code: 'ERR_BRAIN_CHOICE' }))
    expect(normaliseBaseUrl('https://api.example.com/openai/v1/')).toBe('https://api.example.com/openai/v1')
  })

  it('has full defaults, and rejects unknown keys', () => {
    expect(defaultThinkConfig()).toMatchObject({ brain: 'auto', maxSteps: 8, playbook: { diskCriticalPercent: 90 } })
    expect(thinkConfigSchema.safeParse({ bogus: 1 }).success).toBe(false)
    expect(thinkConfigSchema.safeParse({ endpoints: [{ url: 'not a url' }] }).success).toBe(false)
  })

  it('wires brains that say what they are', () => {
    expect(createBrains({ env: {} }).describe()).toMatch(/no inference endpoint/)
    const b = createBrains({ env: { OPENAI_BASE_URL: 'http://127.0.0.1:9/v1', SWARM_MODEL: 'm' } })
    expect(b.describe()).toMatch(/model m at http:\/\/127\.0\.0\.1:9\/v1 \[env\]/)
    const forced = createBrains({ env: { OPENAI_BASE_URL: 'http://127.0.0.1:9/v1' }, flags: { brain: 'playbook' } })
    forced.pool.setPeerEndpoints('p', [{ url: 'http://127.0.0.1:9/v1' }])
    expect(forced.pool.size()).toBe(0)
  })
})
