/** Errors of the election module. */
export class ElectionError extends Error {
  readonly code: string

  constructor (message: string, options: { code?: string, cause?: unknown } = {}) {
    super(message, { cause: options.cause })
    this.name = new.target.name
    this.code = options.code ?? 'ERR_ELECTION'
  }
}
