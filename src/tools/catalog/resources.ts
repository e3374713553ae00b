/** memory, system_load, uptime, top_processes: what the box is doing with its CPU and RAM. */
import { cpus } from 'node:os'
import { z } from 'zod'
import type { ToolSpec } from '../tool.ts'
import type { MemoryData, SystemLoadData, TopProcessesData, UptimeData } from '../types.ts'
import { ToolParseError } from '../errors.ts'
import { memoryFromDarwin, memoryFromMeminfo } from '../parsers/memory.ts'
import { parseLoadavg, systemLoad, uptimeFromBoottime, uptimeFromProc } from '../parsers/load.ts'
import { parsePs, topProcesses as pickTop } from '../parsers/system.ts'
import { int } from '../parsers/util.ts'
import { noArgs } from './args.ts'
import { orFallback, processesFromProc } from './linux-fallback.ts'

export const memory: ToolSpec<typeof noArgs, MemoryData> = {
  name: 'memory',
  description: 'Physical memory total and available (what can be used without swapping), used percent, and swap total/used. Use for "out of memory", slowness and swapping.',
  args: noArgs,
  impl: {
    linux: async (_args, ctx) => memoryFromMeminfo(await ctx.read('/proc/meminfo')),
    darwin: async (_args, ctx) => {
      const size = await ctx.run('sysctl', ['-n', 'hw.memsize'])
      const vm = await ctx.run('vm_stat', [])
      const swap = await ctx.run('sysctl', ['vm.swapusage'])
      return memoryFromDarwin(size.stdout, vm.stdout, swap.stdout)
    }
  }
}

export const systemLoadTool: ToolSpec<typeof noArgs, SystemLoadData> = {
  name: 'system_load',
  description: 'Load averages over 1, 5 and 15 minutes, the number of logical CPUs and load per core (above ~1.0 per core means work is queueing). Use for "the box is slow" or overload checks.',
  args: noArgs,
  impl: {
    linux: async (_args, ctx) => {
      const loads = parseLoadavg(await ctx.read('/proc/loadavg'))
      const n = cpus().length
      ctx.note(`cpus: ${n}`)
      return systemLoad(loads, n)
    },
    darwin: async (_args, ctx) => {
      const { stdout } = await ctx.run('sysctl', ['-n', 'vm.loadavg', 'hw.logicalcpu'])
      const [load, ncpu] = stdout.trim().split('\n')
      if (ncpu === undefined) throw new ToolParseError('sysctl: expected vm.loadavg and hw.logicalcpu')
      return systemLoad(parseLoadavg(load), int(ncpu.trim(), 'hw.logicalcpu'))
    }
  }
}

export const uptime: ToolSpec<typeof noArgs, UptimeData> = {
  name: 'uptime',
  description: 'Seconds since boot and the boot time (ISO 8601). Use to spot an unexpected reboot.',
  args: noArgs,
  impl: {
    linux: async (_args, ctx) => {
      const up = uptimeFromProc(await ctx.read('/proc/uptime'))
      // the kernel's own boot time (whole seconds) does not drift between readings as now - uptime does
      try {
        const btime = /^btime (\d+)$/m.exec(await ctx.read('/proc/stat', { quiet: true }))?.[1]
        if (btime !== undefined) { up.bootTime = new Date(Number(btime) * 1000).toISOString(); ctx.note(`btime ${btime}`) }
      } catch { /* keep the estimate */ }
      return up
    },
    darwin: async (_args, ctx) => uptimeFromBoottime((await ctx.run('sysctl', ['-n', 'kern.boottime'])).stdout)
  }
}

const topArgs = z.object({
  by: z.enum(['cpu', 'memory']).default('cpu').describe('order by CPU percent or by resident memory'),
  limit: z.number().int().min(1).max(50).default(10).describe('how many processes, 1-50')
}).strict()

/** ps flags shared by Linux procps and BSD ps: every process, no header, comm last. */
const PS_ARGS = ['-A', '-o', 'pid=,user=,%cpu=,%mem=,rss=,comm=']

export const topProcesses: ToolSpec<typeof topArgs, TopProcessesData> = {
  name: 'top_processes',
  description: 'The processes using the most CPU or memory: pid, user, command, cpuPercent (ps: averaged over the process lifetime), memPercent and resident bytes. Use to find what is eating the machine.',
  args: topArgs,
  impl: {
    linux: async (args, ctx) => {
      const procs = await orFallback(ctx, async () => parsePs((await ctx.run('ps', PS_ARGS)).stdout), async () => await processesFromProc(ctx))
      return { by: args.by, processes: pickTop(procs, args.by, args.limit) }
    },
    darwin: async (args, ctx) => {
      // -c: the executable name instead of its full path
      const { stdout } = await ctx.run('ps', ['-c', ...PS_ARGS])
      return { by: args.by, processes: pickTop(parsePs(stdout), args.by, args.limit) }
    }
  }
}
