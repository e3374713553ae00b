/**
 * df parsers. Linux: `df -P -T -B1` (POSIX columns plus type, byte units). macOS:
 * `df -P -k` joined with `mount` for types and flags; APFS volumes that share a
 * container are marked with the container and a role, so the sealed system volume ("/")
 * is never read for the data volume that actually fills.
 */
import { ToolParseError } from '../errors.ts'
import type { DiskMount } from '../types.ts'
import { dfPercent, int, lines, splitFields } from './util.ts'

/** Parses `df -P -T -B1`; mounts whose type is excluded are left out. */
export function parseDfLinux (text: string, excludeTypes: readonly string[] = []): DiskMount[] {
  const rows = lines(text)
  if (rows.length === 0 || !/^Filesystem\s+Type\s/.test(rows[0])) throw new ToolParseError('df: missing "Filesystem Type" header')
  const skip = new Set(excludeTypes)
  const mounts: DiskMount[] = []
  for (const row of rows.slice(1)) {
    const split = splitFields(row, 6)
    if (split === null || split.rest.length === 0) throw new ToolParseError(`df: cannot read line '${row}'`)
    const [filesystem, type, size, used, avail] = split.fields
    if (skip.has(type)) continue
    // df prints '-' for a filesystem it cannot stat (e.g. a stale NFS mount): no numbers to trust
    if (size === '-') continue
    const m = mount(filesystem, type, split.rest, int(size, 'size'), int(used, 'used'), int(avail, 'available'))
    if (m.sizeBytes === 0) continue
    mounts.push(m)
  }
  return mounts
}

export interface InodeUsage { inodesTotal: number, inodesUsed: number, inodesUsedPercent: number }

/** Parses `df -P -i` into usage by mount point; filesystems without inode counts (btrfs: '-' or 0) are left out. */
export function parseDfInodesLinux (text: string): Map<string, InodeUsage> {
  const rows = lines(text)
  if (rows.length === 0 || !/^Filesystem\s+Inodes\s+IUsed\s+IFree\s/.test(rows[0])) throw new ToolParseError('df -i: missing "Filesystem Inodes IUsed IFree" header')
  const out = new Map<string, InodeUsage>()
  for (const row of rows.slice(1)) {
    const split = splitFields(row, 5)
    if (split === null || split.rest.length === 0) throw new ToolParseError(`df -i: cannot read line '${row}'`)
    const [, total, used, free] = split.fields
    if (total === '-' || total === '0') continue
    const inodesUsed = int(used, 'IUsed')
    out.set(split.rest, { inodesTotal: int(total, 'Inodes'), inodesUsed, inodesUsedPercent: dfPercent(inodesUsed, int(free, 'IFree')) })
  }
  return out
}

function mount (filesystem: string, type: string, mountPoint: string, sizeBytes: number, usedBytes: number, availableBytes: number): DiskMount {
  return { filesystem, type, mount: mountPoint, sizeBytes, usedBytes, availableBytes, usedPercent: dfPercent(usedBytes, availableBytes) }
}

/** One line of macOS `mount`: `/dev/disk3s1s1 on / (apfs, sealed, local, read-only, journaled)`. */
export interface MacMountEntry { device: string, mount: string, type: string, flags: string[] }

export function parseMountDarwin (text: string): MacMountEntry[] {
  const out: MacMountEntry[] = []
  for (const row of lines(text)) {
    const m = /^(.+?) on (.+) \(([^()]*)\)$/.exec(row)
    if (m === null) throw new ToolParseError(`mount: cannot read line '${row}'`)
    const [type, ...flags] = m[3].split(',').map(s => s.trim())
    out.push({ device: m[1], mount: m[2], type, flags })
  }
  return out
}

/** Roles of the APFS volumes macOS mounts under /System/Volumes. */
const SYSTEM_VOLUME_ROLES: Record<string, string> = {
  '/System/Volumes/Data': 'data',
  '/System/Volumes/VM': 'vm',
  '/System/Volumes/Preboot': 'preboot',
  '/System/Volumes/Update': 'update',
  '/System/Volumes/xarts': 'xart',
  '/System/Volumes/iSCPreboot': 'preboot',
  '/System/Volumes/Hardware': 'hardware',
  '/System/Volumes/Recovery': 'recovery'
}

/** Parses macOS `df -P -k` (1024-byte blocks) and marks APFS containers and roles from `mount`. */
export function parseDfDarwin (dfText: string, mountText: string, excludeTypes: readonly string[] = []): DiskMount[] {
  const rows = lines(dfText)
  if (rows.length === 0 || !/^Filesystem\s+1024-blocks\s/.test(rows[0])) throw new ToolParseError('df: missing "Filesystem 1024-blocks" header (expected df -P -k)')
  const byMount = new Map(parseMountDarwin(mountText).map(e => [e.mount, e]))
  const skip = new Set(excludeTypes)
  const mounts: DiskMount[] = []
  for (const row of rows.slice(1)) {
    // the filesystem may contain spaces ("map auto_home"): anchor on the numeric columns
    const m = /^(.+?)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+%|-)\s+(\/.*)$/.exec(row)
    if (m === null) throw new ToolParseError(`df: cannot read line '${row}'`)
    const [, filesystem, size, used, avail, , mountPoint] = m
    const entry = byMount.get(mountPoint)
    const type = entry?.type ?? 'unknown'
    if (skip.has(type)) continue
    const d = mount(filesystem, type, mountPoint, int(size, 'size') * 1024, int(used, 'used') * 1024, int(avail, 'available') * 1024)
    if (d.sizeBytes === 0) continue
    if (type === 'apfs') {
      const container = /^\/dev\/(disk\d+)s\d+/.exec(filesystem)?.[1]
      if (container !== undefined) d.container = container
      d.role = apfsRole(mountPoint, entry?.flags ?? [])
    }
    mounts.push(d)
  }
  return mounts
}

function apfsRole (mountPoint: string, flags: string[]): string {
  if (mountPoint === '/' && (flags.includes('sealed') || flags.includes('read-only'))) return 'system'
  const known = SYSTEM_VOLUME_ROLES[mountPoint]
  if (known !== undefined) return known
  if (mountPoint === '/') return 'data' // pre-Catalina layout: one read-write root volume
  return 'volume'
}
