import { z } from 'zod'

const ms = (d: number) => z.number().int().min(1).max(3_600_000).default(d)

/** [jobs] section of the config. Defaults are documented in config/default.toml. */
export const jobsConfigSchema = z.object({
  /** tasks this peer runs at once; it claims a task only with a free slot */
  maxConcurrentTasks: z.number().int().min(1).max(64).default(2),
  /** a coordinator's lease lapses when not renewed for this long */
  leaseMs: ms(3000),
  /** the coordinator renews its lease this often */
  renewMs: ms(1000),
  /** extra wait per rank position before claiming a lapsed lease */
  staggerMs: ms(1000),
  /** a worker sends a task.progress heartbeat this often */
  heartbeatMs: ms(1000),
  /** a worker silent for this long is taken as dark */
  progressTimeoutMs: ms(5000),
  /** offers nobody claimed are sent again this often */
  offerRetryMs: ms(1000),
  /** claims for a host-agnostic task are gathered this long before granting the least loaded */
  claimWindowMs: ms(200),
  /** deadline of a job submitted without --deadline, seconds */
  defaultDeadlineS: z.number().int().min(1).max(86_400).default(300),
  /** longest deadline a job may ask for, seconds */
  maxDeadlineS: z.number().int().min(1).max(604_800).default(3600),
  /** once every other task is done, how long to wait for unreachable hosts to return */
  unreachableWaitMs: ms(10_000),
  /** history kept: at most this many jobs ... */
  retentionMaxJobs: z.number().int().min(1).max(1_000_000).default(500),
  /** ... and none older than this many days */
  retentionMaxAgeDays: z.number().min(0).max(36_500).default(30),
  /** job messages accepted per second from one sender (burst the same); more are dropped */
  maxMessagesPerSecond: z.number().int().min(1).max(100_000).default(200),
  /** peerIds allowed to submit jobs; empty = any member */
  submitters: z.array(z.string().min(1)).default([]),
  /** after a membership change, wait this long before offering a digest of finished jobs */
  digestDelayMs: ms(1500),
  /** fsync every history append (off only for tests on slow disks) */
  fsync: z.boolean().default(true)
}).strict()
export type JobsConfig = z.infer<typeof jobsConfigSchema>
