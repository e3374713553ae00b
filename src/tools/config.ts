import { z } from 'zod'

/** [tools] section of the config. Defaults are documented in config/default.toml. */
export const toolsConfigSchema = z.object({}).strict()
export type ToolsConfig = z.infer<typeof toolsConfigSchema>
