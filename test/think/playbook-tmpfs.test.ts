/**
 * The playbook finds a real condition on this machine: a small tmpfs, mounted inside a
 * mount namespace this test makes and filled to ~95%, is reported as critical with
 * verified evidence; a clean one gives no disk finding. The namespace dies with the
 * process, so nothing leaks into the machine's mounts; the temp dirs are removed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { execa } from 'execa'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const ROOT = new URL('../../', import.meta.url).pathname
const NODE = join(ROOT, 'node_modules/.bin/node')
const isRoot = process.getuid?.() === 0
const ci = process.env.CI === 'true'
if (!isRoot && !ci) console.warn('playbook-tmpfs: skipped, needs root (unshare --mount, mount -t tmpfs)')

let work: string
beforeAll(() => { work = mkdtempSync(join(tmpdir(), 'swarm-tmpfs-')) })
afterAll(() => { rmSync(work, { recursive: true, force: true }) })

/** `swarm ask --brain playbook --json` inside a fresh mount namespace with a 4 MiB tmpfs at dir, `fillKiB` written to it. */
async function askInNamespace (dir: string, fillKiB: number) {
  const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: work, SWARM_HOME: join(work, 'home'), MNT: dir, FILL: String(fillKiB / 64), NODE, SWARM: join(ROOT, 'bin/swarm.mjs') }
  const script = 'set -e; mount -t tmpfs -o size=4m swarmtest "$MNT"; ' +
    'if [ "$FILL" != 0 ]; then dd if=/dev/zero of="$MNT/fill" bs=64k count="$FILL" status=none; fi; ' +
    'exec "$NODE" "$SWARM" ask --brain playbook --json "is any disk filling up?"'
  // --net too: the playbook's dns_check must not reach the machine's real nameservers
  return await execa('unshare', ['--mount', '--net', '--propagation', 'private', 'sh', '-c', script], { env, extendEnv: false, reject: false, cwd: ROOT, timeout: 60_000 })
}

describe.skipIf(!isRoot && !ci)('playbook on a real filled tmpfs (mount namespace)', () => {
  it('reports a 95% full tmpfs as critical, verified by the disk_usage evidence', async () => {
    const dir = mkdtempSync(join(work, 'full-'))
    const r = await askInNamespace(dir, 3904) // 3904 of 4096 KiB = 95.3%
    expect(r.exitCode, r.stderr).toBe(0)
    const out = JSON.parse(r.stdout)
    expect(out.brain).toEqual({ kind: 'playbook', reason: 'configured' })
    const disk = out.toolCalls.find((c: any) => c.tool === 'disk_usage')
    const mount = disk.data.mounts.find((m: any) => m.mount === dir)
    expect(mount, 'the tmpfs is in disk_usage').toBeDefined()
    expect(mount.usedPercent).toBeGreaterThanOrEqual(95)
    const findings = out.findings.filter((f: any) => f.claims.some((c: any) => c.subject === dir))
    expect(findings).toHaveLength(1)
    expect(findings[0]).toMatchObject({ severity: 'critical', verified: true, evidence: [disk.id] })
    expect(findings[0].checks[0]).toMatchObject({ verified: true, observed: mount.usedPercent, source: disk.id })
  })

  it('gives no disk finding for a clean tmpfs', async () => {
    const dir = mkdtempSync(join(work, 'clean-'))
    const r = await askInNamespace(dir, 0)
    expect(r.exitCode, r.stderr).toBe(0)
    const out = JSON.parse(r.stdout)
    const disk = out.toolCalls.find((c: any) => c.tool === 'disk_usage')
    expect(disk.data.mounts.find((m: any) => m.mount === dir)).toMatchObject({ type: 'tmpfs', usedPercent: 0 })
    expect(out.findings.filter((f: any) => JSON.stringify(f).includes(dir))).toEqual([])
  })
})
