import { mkdtempSync, writeFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { parse } from 'smol-toml'
import { readFileSync } from 'node:fs'
import { configSchema, envLayer, loadConfig, DEFAULTS_FILE } from '../../src/node/config.ts'

const dirs: string[] = []
function home (toml?: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'swarm-cfg-'))
  dirs.push(dir)
  if (toml != null) writeFileSync(join(dir, 'config.toml'), toml)
  return dir
}
afterEach(() => { dirs.splice(0).forEach(d => { rmSync(d, { recursive: true, force: true }) }) })

function thrown (fn: () => unknown): any {
  try { fn() } catch (err) { return err }
  throw new Error('did not throw')
}

describe('config', () => {
  it('gives full defaults from an empty input', () => {
    const c = configSchema.parse({})
    expect(c.presence.intervalMs).toBe(1000)
    expect(c.membership.deadAfterMs).toBeLessThanOrEqual(5000)
    expect(c.discovery.mdns).toBe(true)
    expect(c.peer.listen).toEqual(['/ip4/0.0.0.0/tcp/0'])
  })

  it('documents every peer key in config/default.toml with the schema default', () => {
    const shipped = parse(readFileSync(DEFAULTS_FILE, 'utf8')) as any
    const defaults = configSchema.parse({}) as any
    for (const section of ['peer', 'discovery', 'presence', 'membership', 'connection', 'gossip', 'offer']) {
      expect(shipped[section], section).toEqual(defaults[section])
    }
  })

  it('layers defaults < home config < env < flags', () => {
    const h = home('[peer]\nname = "from-file"\ntags = ["a"]\n[membership]\ndeadAfterMs = 4500\n')
    expect(loadConfig({ home: h }).peer.name).toBe('from-file')
    const env = { SWARM_NAME: 'from-env', SWARM_CONFIG__MEMBERSHIP__DEADAFTERMS: '4800', SWARM_CONFIG__peer__tags: '["x", "y"]' }
    const c = loadConfig({ home: h, env })
    expect(c.peer.name).toBe('from-env')
    expect(c.peer.tags).toEqual(['x', 'y'])
    expect(c.membership.deadAfterMs).toBe(4800)
    expect(loadConfig({ home: h, env, overrides: { peer: { name: 'from-flag', tags: undefined } } }).peer.name).toBe('from-flag')
  })

  it('reads comma lists and booleans from named env vars', () => {
    expect(envLayer({ SWARM_BOOTSTRAP: '/ip4/10.0.0.1/tcp/1, /ip4/10.0.0.2/tcp/1', SWARM_MDNS: 'false' })).toEqual({
      peer: { bootstrap: ['/ip4/10.0.0.1/tcp/1', '/ip4/10.0.0.2/tcp/1'] },
      discovery: { mdns: false }
    })
  })

  it('names the key path of a bad value', () => {
    const cases: Array<[string, string]> = [
      ['[membership]\ndeadAfterMs = "soon"\n', 'membership.deadAfterMs'],
      ['[peer]\nlisten = ["tcp/4001"]\n', 'peer.listen.0'],
      ['[peer]\nnmae = "typo"\n', 'peer.nmae'],
      ['[offer]\nbrainUrl = "not a url"\n', 'offer.brainUrl'],
      ['[membership]\nsuspectAfterMs = 5000\ndeadAfterMs = 4000\n', 'membership.deadAfterMs']
    ]
    for (const [toml, path] of cases) {
      const err = thrown(() => loadConfig({ home: home(toml) }))
      expect(err.name).toBe('ConfigError')
      expect(err.code).toBe('ERR_CONFIG')
      expect(err.path).toBe(path)
    }
    const env = thrown(() => loadConfig({ env: { SWARM_CONFIG__PRESENCE__INTERVALMS: '-1' } }))
    expect(env.path).toBe('presence.intervalMs')
  })

  it('reports malformed TOML as a ConfigError', () => {
    const err = thrown(() => loadConfig({ home: home('[peer\nname = ') }))
    expect(err.name).toBe('ConfigError')
    expect(err.message.split('\n')).toHaveLength(1)
  })
})
