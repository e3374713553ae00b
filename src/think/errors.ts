/**
 * Errors of the think layer. Tests and callers switch on `name` / `code`, never on text.
 */
export class ThinkError extends Error {
  readonly code: string

  constructor (message: string, options: { code?: string, cause?: unknown } = {}) {
    super(message, { cause: options.cause })
    this.name = new.target.name
    this.code = options.code ?? 'ERR_THINK'
  }
}

/** The pool has no endpoint at all (none configured, none advertised). */
export class NoEndpointError extends ThinkError {
  constructor (message = 'no inference endpoint configured') {
    super(message, { code: 'ERR_NO_ENDPOINT' })
  }
}

/** Every attempt of one request failed, or every endpoint is cooling down. */
export class EndpointsExhaustedError extends ThinkError {
  readonly attempts: Array<{ url: string, error: string }>

  constructor (attempts: Array<{ url: string, error: string }>, cause?: unknown) {
    const last = attempts.at(-1)
    super(attempts.length === 0
      ? 'every inference endpoint is cooling down'
      : `inference failed on ${attempts.length} attempt(s); last: ${last?.url}: ${last?.error}`, { code: 'ERR_ENDPOINTS_EXHAUSTED', cause })
    this.attempts = attempts
  }
}

/** One request to one endpoint failed (HTTP status, timeout, connection, bad reply). */
export class EndpointRequestError extends ThinkError {
  readonly status?: number
  readonly retryAfterMs?: number

  constructor (message: string, options: { code?: string, status?: number, retryAfterMs?: number, cause?: unknown } = {}) {
    super(message, { code: options.code ?? 'ERR_ENDPOINT_REQUEST', cause: options.cause })
    this.status = options.status
    this.retryAfterMs = options.retryAfterMs
  }
}

/** The caller's AbortSignal fired. */
export class AbortedError extends ThinkError {
  constructor (cause?: unknown) {
    super('the operation was aborted', { code: 'ERR_ABORTED', cause })
  }
}

/** A --brain / config value that cannot be used. */
export class BrainChoiceError extends ThinkError {
  constructor (message: string) {
    super(message, { code: 'ERR_BRAIN_CHOICE' })
  }
}

/** A plan returned by a model that failed validation. */
export class InvalidPlanError extends ThinkError {
  constructor (message: string, cause?: unknown) {
    super(message, { code: 'ERR_INVALID_PLAN', cause })
  }
}
