/** os_info: what this box is. */
import { arch, hostname, release } from 'node:os'
import type { ToolSpec } from '../tool.ts'
import type { OsInfoData } from '../types.ts'
import { parseOsRelease, parseSwVers } from '../parsers/system.ts'
import { noArgs } from './args.ts'

export const osInfo: ToolSpec<typeof noArgs, OsInfoData> = {
  name: 'os_info',
  description: 'Operating system, distribution and version, kernel release, CPU architecture and hostname. Use to tailor advice to the platform.',
  args: noArgs,
  impl: {
    linux: async (_args, ctx) => {
      const data: OsInfoData = { platform: 'linux', release: release(), kernel: `Linux ${release()}`, arch: arch(), hostname: hostname() }
      let text: string | undefined
      try { text = await ctx.read('/etc/os-release') } catch { /* minimal images may lack it; the rest still stands */ }
      if (text !== undefined) {
        const kv = parseOsRelease(text)
        const distro = kv.get('PRETTY_NAME') ?? kv.get('NAME')
        if (distro !== undefined) data.distro = distro
        const version = kv.get('VERSION_ID')
        if (version !== undefined) data.release = version
      }
      return data
    },
    darwin: async (_args, ctx) => {
      const v = parseSwVers((await ctx.run('sw_vers', [])).stdout)
      return { platform: 'darwin', release: v.version, distro: `${v.name} ${v.version}${v.build !== undefined ? ` (${v.build})` : ''}`, kernel: `Darwin ${release()}`, arch: arch(), hostname: hostname() }
    }
  }
}
