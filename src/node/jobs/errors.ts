import { NodeError } from '../errors.ts'

/** Errors of the jobs service (NodeErrors, so the control API answers them as one line). */
export class JobsError extends NodeError {
  constructor (message: string, options: { code?: string, cause?: unknown } = {}) {
    super(message, { code: options.code ?? 'ERR_JOBS', cause: options.cause })
  }
}

/** The job store could not read or write <home>/jobs. */
export class JobStoreError extends JobsError {
  constructor (message: string, options: { cause?: unknown } = {}) {
    super(message, { code: 'ERR_JOB_STORE', cause: options.cause })
  }
}

/** A submitted job was rejected before it started (bad prompt, unknown target...). */
export class JobRejectedError extends JobsError {
  constructor (message: string, code = 'ERR_JOB_REJECTED') {
    super(message, { code })
  }
}

/** No such job in this peer's history. */
export class JobNotFoundError extends JobsError {
  constructor (jobId: string) {
    super(`no job ${jobId} in this peer's history`, { code: 'ERR_JOB_NOT_FOUND' })
  }
}
