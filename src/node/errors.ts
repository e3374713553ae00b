/** Base of every error the peer layer throws; the CLI prints `message` as one line. */
export class NodeError extends Error {
  readonly code: string

  constructor (message: string, options: { code?: string, cause?: unknown } = {}) {
    super(message, { cause: options.cause })
    this.name = new.target.name
    this.code = options.code ?? 'ERR_NODE'
  }
}

/** A config value failed validation; `path` names the key, e.g. `membership.deadAfterMs`. */
export class ConfigError extends NodeError {
  readonly path: string
  constructor (path: string, message: string, options: { cause?: unknown } = {}) {
    super(path === '' ? message : `config ${path}: ${message}`, { code: 'ERR_CONFIG', ...options })
    this.path = path
  }
}

/** The home directory is missing pieces, unwritable, or holds unreadable keys. */
export class HomeError extends NodeError {
  constructor (message: string, code: 'ERR_HOME_UNWRITABLE' | 'ERR_NO_IDENTITY' | 'ERR_BAD_IDENTITY' | 'ERR_NO_SWARM_KEY' | 'ERR_BAD_SWARM_KEY' | 'ERR_IDENTITY_EXISTS' | 'ERR_HOME_PATH_TOO_LONG', options: { cause?: unknown } = {}) {
    super(message, { code, ...options })
  }
}

/** libp2p could not listen on a configured address (port in use, bad address). */
export class ListenError extends NodeError {
  constructor (message: string, options: { cause?: unknown } = {}) {
    super(message, { code: 'ERR_LISTEN', ...options })
  }
}

/** Another peer already serves this home (its control socket answers). */
export class AlreadyRunningError extends NodeError {
  constructor (home: string) {
    super(`a peer is already running in ${home}`, { code: 'ERR_ALREADY_RUNNING' })
  }
}

/** No peer answers on the home's control socket. */
export class NoPeerRunningError extends NodeError {
  readonly home: string
  constructor (home: string, options: { cause?: unknown } = {}) {
    super(`no peer is running in ${home}; start one with \`swarm start --home ${home}\``, { code: 'ERR_NO_PEER', ...options })
    this.home = home
  }
}

/** The control server answered a call with an error. */
export class ControlCallError extends NodeError {
  constructor (message: string, code: string) {
    super(message, { code })
  }
}
