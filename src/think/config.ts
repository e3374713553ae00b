import { z } from 'zod'

/** [think] section of the config. Defaults are documented in config/default.toml. */
export const thinkConfigSchema = z.object({}).strict()
export type ThinkConfig = z.infer<typeof thinkConfigSchema>
