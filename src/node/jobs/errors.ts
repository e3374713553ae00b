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

/** A job id prefix that names several jobs; `candidates` are their ids, newest first. */
export class JobAmbiguousError extends JobsError {
  readonly candidates: string[]
  constructor (prefix: string, candidates: Array<{ jobId: string, status: string, prompt: string }>) {
    const shown = candidates.slice(0, 8).map(c => `${c.jobId} (${c.status}, "${oneLine(c.prompt, 30)}")`)
    const more = candidates.length > shown.length ? ` and ${candidates.length - shown.length} more` : ''
    super(`'${oneLine(prefix, 40)}' is ambiguous: it matches ${candidates.length} jobs: ${shown.join(', ')}${more}`, { code: 'ERR_JOB_AMBIGUOUS' })
    this.candidates = candidates.map(c => c.jobId)
  }
}

/** A prompt inside a one-line error: no newlines, bounded. */
function oneLine (text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim()
  return flat.length > max ? flat.slice(0, max - 1) + '…' : flat
}
