import { z } from 'zod'

/** [jobs] section of the config. Defaults are documented in config/default.toml. */
export const jobsConfigSchema = z.object({}).strict()
export type JobsConfig = z.infer<typeof jobsConfigSchema>
