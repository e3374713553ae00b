/** disk_usage: what df reports, parsed, with pseudo filesystems left out and APFS roles marked. */
import type { ToolSpec } from '../tool.ts'
import type { DiskMount, DiskUsageData } from '../types.ts'
import { parseDfDarwin, parseDfLinux } from '../parsers/df.ts'
import { noArgs } from './args.ts'

/** On a host with hundreds of container mounts, the cap keeps the fullest ones. */
const fullestFirst = (a: DiskMount, b: DiskMount) => b.usedPercent - a.usedPercent

export const diskUsage: ToolSpec<typeof noArgs, DiskUsageData> = {
  name: 'disk_usage',
  description: 'Free and used space of every mounted filesystem (pseudo filesystems left out): ' +
    'device, type, mount point, size/used/available bytes and usedPercent as df computes it. ' +
    'On macOS, APFS volumes sharing one container carry `container` and `role`: the sealed ' +
    'system volume "/" (role system) is read-only and does not fill; check the data volume ' +
    '"/System/Volumes/Data" (role data) for real usage. Use for "disk full", "no space left" and capacity audits.',
  args: noArgs,
  impl: {
    linux: async (_args, ctx) => {
      const { stdout } = await ctx.run('df', ['-P', '-T', '-B1'], { okCodes: [0, 1] }) // 1: some mount unreadable, rest printed
      return { mounts: ctx.cap(parseDfLinux(stdout, ctx.config.disk.excludeTypes), { keepFirst: fullestFirst }) }
    },
    darwin: async (_args, ctx) => {
      const df = await ctx.run('df', ['-P', '-k'], { okCodes: [0, 1] })
      const mount = await ctx.run('mount', [])
      return { mounts: ctx.cap(parseDfDarwin(df.stdout, mount.stdout, ctx.config.disk.excludeTypes), { keepFirst: fullestFirst }) }
    }
  }
}
