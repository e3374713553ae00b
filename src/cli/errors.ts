/** Base of every error the CLI reports to a person: one line, no stack unless --debug. */
export class CliError extends Error {
  readonly code: string
  readonly exitCode: number

  constructor (message: string, options: { code?: string, exitCode?: number, cause?: unknown } = {}) {
    super(message, { cause: options.cause })
    this.name = new.target.name
    this.code = options.code ?? 'ERR_CLI'
    this.exitCode = options.exitCode ?? 1
  }
}

/** Wrong flags or arguments: exit code 2, like most Unix tools. */
export class UsageError extends CliError {
  constructor (message: string) {
    super(message, { code: 'ERR_USAGE', exitCode: 2 })
  }
}
