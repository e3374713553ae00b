/** The tools layer: local, read-only diagnostics with structured results. */
export { localToolRunner, toolNames, openAiTools, currentPlatform, type LocalToolRunner, type ToolStats } from './runner.ts'
export { toolsConfigSchema, defaultToolsConfig, type ToolsConfig } from './config.ts'
export type { ToolComponents } from './tool.ts'
export { silentToolLogger, type ToolLogger } from './logger.ts'
export * from './errors.ts'
export type * from './types.ts'
