/** disk_usage: what df reports, parsed, with pseudo filesystems left out and APFS roles marked. */
import type { ToolSpec } from '../tool.ts'
import type { DiskMount, DiskUsageData } from '../types.ts'
import { parseDfDarwin, parseDfInodesLinux, parseDfLinux, type InodeUsage } from '../parsers/df.ts'
import { ToolError } from '../errors.ts'
import { noArgs } from './args.ts'

/** On a host with hundreds of container mounts, the cap keeps the fullest ones (bytes or inodes). */
const fullness = (m: DiskMount) => Math.max(m.usedPercent, m.inodesUsedPercent ?? 0)
const fullestFirst = (a: DiskMount, b: DiskMount) => fullness(b) - fullness(a)

export const diskUsage: ToolSpec<typeof noArgs, DiskUsageData> = {
  name: 'disk_usage',
  description: 'Free and used space of every mounted filesystem (pseudo filesystems left out): ' +
    'device, type, mount point, size/used/available bytes and usedPercent as df computes it, ' +
    'and on Linux inode use (inodesUsedPercent: "no space left" with free bytes means inodes ran out). ' +
    'On macOS, APFS volumes sharing one container carry `container` and `role`: the sealed ' +
    'system volume "/" (role system) is read-only and does not fill; check the data volume ' +
    '"/System/Volumes/Data" (role data) for real usage. Use for "disk full", "no space left" and capacity audits.',
  args: noArgs,
  impl: {
    linux: async (_args, ctx) => {
      // exit 1: some mount was unreadable, the rest is printed
      const [bytes, inodes] = await Promise.all([
        ctx.run('df', ['-P', '-T', '-B1'], { okCodes: [0, 1] }),
        ctx.run('df', ['-P', '-i'], { okCodes: [0, 1] }).then(out => parseDfInodesLinux(out.stdout), (err: unknown) => {
          // inode counts add to the answer; without them (busybox df, no -i) the bytes still stand
          if (err instanceof ToolError && err.code !== 'ERR_TOOL_ABORTED') { ctx.note(`no inode counts: ${err.message}`); return new Map<string, InodeUsage>() }
          throw err
        })
      ])
      const mounts = parseDfLinux(bytes.stdout, ctx.config.disk.excludeTypes).map(m => ({ ...m, ...inodes.get(m.mount) }))
      return { mounts: ctx.cap(mounts, { keepFirst: fullestFirst }) }
    },
    darwin: async (_args, ctx) => {
      const df = await ctx.run('df', ['-P', '-k'], { okCodes: [0, 1] })
      const mount = await ctx.run('mount', [])
      return { mounts: ctx.cap(parseDfDarwin(df.stdout, mount.stdout, ctx.config.disk.excludeTypes), { keepFirst: fullestFirst }) }
    }
  }
}
