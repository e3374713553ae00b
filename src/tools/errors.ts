/**
 * Errors of the tools layer. A tool never throws into its caller: these classes name
 * what went wrong, and the runner turns them into `ok: false` results carrying `code`.
 */
export class ToolError extends Error {
  readonly code: string

  constructor (message: string, options: { code?: string, cause?: unknown } = {}) {
    super(message, { cause: options.cause })
    this.name = new.target.name
    this.code = options.code ?? 'ERR_TOOL'
  }
}

/** No tool by that name in this machine's catalog. */
export class UnknownToolError extends ToolError {
  constructor (name: string) { super(`no tool named '${name}' on this platform`, { code: 'ERR_TOOL_UNKNOWN' }) }
}

/** The arguments did not match the tool's schema (a model's mistake, not a crash). */
export class ToolArgsError extends ToolError {
  constructor (message: string, cause?: unknown) { super(message, { code: 'ERR_TOOL_ARGS', cause }) }
}

/** The program the tool needs is not installed here. */
export class ProgramMissingError extends ToolError {
  constructor (program: string) { super(`program '${program}' not found on this machine`, { code: 'ERR_PROGRAM_MISSING' }) }
}

/** The program ran past its timeout and was killed. */
export class ToolTimeoutError extends ToolError {
  constructor (program: string, ms: number) { super(`'${program}' timed out after ${ms} ms and was killed`, { code: 'ERR_TOOL_TIMEOUT' }) }
}

/** The caller aborted the run. */
export class ToolAbortedError extends ToolError {
  constructor () { super('tool run aborted', { code: 'ERR_TOOL_ABORTED' }) }
}

/** The program failed (non-zero exit, killed by a signal, output past the read cap). */
export class ProgramFailedError extends ToolError {
  constructor (message: string) { super(message, { code: 'ERR_PROGRAM_FAILED' }) }
}

/** A file or directory the tool reads (/proc, /sys, resolv.conf) could not be read. */
export class ToolReadError extends ToolError {
  constructor (path: string, cause: any) { super(`cannot read ${path}: ${cause?.code ?? cause?.message ?? cause}`, { code: 'ERR_TOOL_READ', cause }) }
}

/** The output did not have the shape the parser expects: better no data than wrong data. */
export class ToolParseError extends ToolError {
  constructor (message: string, cause?: unknown) { super(message, { code: 'ERR_TOOL_PARSE', cause }) }
}

/** The tool has no implementation for this platform. */
export class UnsupportedPlatformError extends ToolError {
  constructor (tool: string, platform: string) { super(`tool '${tool}' has no implementation for ${platform}`, { code: 'ERR_TOOL_PLATFORM' }) }
}
