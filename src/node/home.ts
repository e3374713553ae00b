import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync, accessSync, constants as fsc } from 'node:fs'
import { homedir } from 'node:os'
import { join, resolve } from 'node:path'
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { generateKey } from '@libp2p/pnet'
import type { PrivateKey } from '@libp2p/interface'
import { AlreadyRunningError, HomeError } from './errors.ts'
import { answers } from './control-protocol.ts'

/**
 * A peer's home: its identity, the swarm key it was enrolled with, its config and the
 * control socket. Everything a box needs to rejoin after a reboot lives here.
 */
export const IDENTITY_FILE = 'identity.key'
export const SWARM_KEY_FILE = 'swarm.key'
export const CONFIG_FILE = 'config.toml'
export const CONTROL_SOCKET = 'control.sock'

/** A Unix socket path is at most this many bytes (sun_path less its NUL): 107 on Linux, 103 on macOS. */
const MAX_SOCKET_PATH_BYTES = process.platform === 'darwin' ? 103 : 107

/**
 * The home's control socket. A longer path would be silently cut short by the kernel
 * interface, so the peer would listen somewhere else and the CLI would never find it.
 */
export function controlSocketPath (home: string): string {
  const path = join(home, CONTROL_SOCKET)
  const bytes = Buffer.byteLength(path)
  if (bytes > MAX_SOCKET_PATH_BYTES) {
    throw new HomeError(`home path too long for its control socket ${path} (${bytes} > ${MAX_SOCKET_PATH_BYTES} bytes); use a shorter --home or SWARM_HOME`, 'ERR_HOME_PATH_TOO_LONG')
  }
  return path
}

/** --home, else $SWARM_HOME, else ~/.swarm */
export function resolveHome (flag: string | undefined, env: NodeJS.ProcessEnv): string {
  const dir = flag ?? env.SWARM_HOME ?? join(homedir(), '.swarm')
  return resolve(dir)
}

export interface InitHomeOptions {
  home: string
  /** copy this swarm key (joining an existing swarm) instead of creating a new one */
  swarmKeyFile?: string
  name?: string
  /** replace an existing identity (an existing valid swarm key is kept) */
  force?: boolean
}

export interface InitHomeResult {
  home: string
  peerId: string
  createdSwarmKey: boolean
  wroteConfig: boolean
  /** true when only the swarm key changed (`--swarm-key` on an existing home) */
  keptIdentity?: boolean
}

/**
 * Creates (or with force, recreates) a home. Refuses to replace an identity without force;
 * with only a swarm key given, an existing home takes that key and keeps its identity.
 */
export async function initHome (options: InitHomeOptions): Promise<InitHomeResult> {
  const { home } = options
  // refuse now rather than let `swarm start` fail on it later
  controlSocketPath(home)
  try {
    mkdirSync(home, { recursive: true, mode: 0o700 })
    accessSync(home, fsc.W_OK)
  } catch (err: any) {
    throw new HomeError(`cannot write to home ${home}: ${err?.code ?? err?.message}`, 'ERR_HOME_UNWRITABLE', { cause: err })
  }
  const identityPath = join(home, IDENTITY_FILE)
  // joining a swarm after a plain `swarm init` needs a new key, not a new identity
  const rekeyOnly = existsSync(identityPath) && options.force !== true && options.swarmKeyFile != null
  if (existsSync(identityPath) && options.force !== true && !rekeyOnly) {
    throw new HomeError(`${identityPath} already exists; use --force to replace this peer's identity`, 'ERR_IDENTITY_EXISTS')
  }
  // the running peer would keep the old identity or key until its restart, then silently change
  const socket = controlSocketPath(home)
  if (existsSync(socket) && await answers(socket)) throw new AlreadyRunningError(home)
  let swarmKey: Uint8Array | undefined
  if (options.swarmKeyFile != null) {
    // validate before writing anything so a bad key leaves the home as it was
    swarmKey = readSwarmKeyFile(resolve(options.swarmKeyFile))
  }
  if (rekeyOnly) {
    const identity = loadIdentity(home)
    const swarmKeyPath = join(home, SWARM_KEY_FILE)
    if (resolve(options.swarmKeyFile!) !== swarmKeyPath) writeSecret(swarmKeyPath, swarmKey!)
    return { home, peerId: peerIdFromPrivateKey(identity).toString(), createdSwarmKey: false, wroteConfig: false, keptIdentity: true }
  }
  const swarmKeyPath = join(home, SWARM_KEY_FILE)
  // --force replaces the identity only: a new swarm key would silently cut this box off
  // its fleet. A key already here is kept when valid; a corrupt one needs --force.
  let keepSwarmKey = false
  if (swarmKey == null && existsSync(swarmKeyPath)) {
    try {
      readSwarmKeyFile(swarmKeyPath)
      keepSwarmKey = true
    } catch (err) {
      if (options.force !== true) throw new HomeError(`${swarmKeyPath} is not a valid swarm key; copy the fleet's key with --swarm-key FILE, or use --force to start a new swarm`, 'ERR_BAD_SWARM_KEY', { cause: err })
    }
  }
  const key = await generateKeyPair('Ed25519')
  let createdSwarmKey = false
  writeSecret(identityPath, privateKeyToProtobuf(key))
  if (swarmKey != null) {
    if (resolve(options.swarmKeyFile!) !== swarmKeyPath) writeSecret(swarmKeyPath, swarmKey)
  } else if (!keepSwarmKey) {
    const bytes = new Uint8Array(95)
    generateKey(bytes)
    writeSecret(swarmKeyPath, bytes)
    createdSwarmKey = true
  }
  const configPath = join(home, CONFIG_FILE)
  let wroteConfig = false
  if (!existsSync(configPath) || (options.force === true && options.name != null)) {
    writeFileSync(configPath, configTemplate(options.name), { mode: 0o644 })
    wroteConfig = true
  }
  return { home, peerId: peerIdFromPrivateKey(key).toString(), createdSwarmKey, wroteConfig }
}

function writeSecret (path: string, bytes: Uint8Array): void {
  try {
    writeFileSync(path, bytes, { mode: 0o600 })
    chmodSync(path, 0o600)
  } catch (err: any) {
    throw new HomeError(`cannot write ${path}: ${err?.code ?? err?.message}`, 'ERR_HOME_UNWRITABLE', { cause: err })
  }
}

/** Loads the persistent identity; a missing or corrupt file is a one-line HomeError. */
export function loadIdentity (home: string): PrivateKey {
  const path = join(home, IDENTITY_FILE)
  let bytes: Uint8Array
  try {
    bytes = readFileSync(path)
  } catch (err: any) {
    if (err?.code === 'ENOENT') throw new HomeError(`no identity in ${home}; run \`swarm init --home ${home}\` first`, 'ERR_NO_IDENTITY', { cause: err })
    throw new HomeError(`cannot read ${path}: ${err?.code ?? err?.message}`, 'ERR_BAD_IDENTITY', { cause: err })
  }
  try {
    return privateKeyFromProtobuf(bytes)
  } catch (err) {
    throw new HomeError(`${path} is corrupt (not a libp2p private key); restore it or run \`swarm init --force\``, 'ERR_BAD_IDENTITY', { cause: err })
  }
}

/** Loads the swarm key of this home. */
export function loadSwarmKey (home: string): Uint8Array {
  const path = join(home, SWARM_KEY_FILE)
  if (!existsSync(path)) throw new HomeError(`no swarm key in ${home}; run \`swarm init --home ${home}\` (with --swarm-key FILE to join an existing swarm)`, 'ERR_NO_SWARM_KEY')
  return readSwarmKeyFile(path)
}

const PSK_PATTERN = /^\/key\/swarm\/psk\/1\.0\.0\/\r?\n\/base16\/\r?\n([0-9a-fA-F]{64})\s*$/

/** Reads and checks a pnet swarm key file (the /key/swarm/psk/1.0.0/ base16 format). */
export function readSwarmKeyFile (path: string): Uint8Array {
  let bytes: Buffer
  try {
    bytes = readFileSync(path)
  } catch (err: any) {
    throw new HomeError(`cannot read swarm key ${path}: ${err?.code ?? err?.message}`, err?.code === 'ENOENT' ? 'ERR_NO_SWARM_KEY' : 'ERR_BAD_SWARM_KEY', { cause: err })
  }
  const match = PSK_PATTERN.exec(bytes.toString('utf8'))
  if (match == null) throw new HomeError(`${path} is not a swarm key (expected /key/swarm/psk/1.0.0/, /base16/, 64 hex digits)`, 'ERR_BAD_SWARM_KEY')
  // pnet wants the canonical form, without trailing whitespace
  return new TextEncoder().encode(`/key/swarm/psk/1.0.0/\n/base16/\n${match[1]}`)
}

function configTemplate (name: string | undefined): string {
  const nameLine = name != null ? `name = ${JSON.stringify(name)}` : '# name = "web-01"            # shown in `swarm peers`; default: the hostname'
  return `# This peer's config. Keys left out take the shipped defaults, documented in the
# swarm checkout's config/default.toml. Environment variables (SWARM_NAME,
# SWARM_CONFIG__<section>__<key>=value) and flags override this file.

[peer]
${nameLine}
# tags = ["rack-3", "gpu"]       # free-form labels gossiped in presence
# listen = ["/ip4/0.0.0.0/tcp/4001"]
# bootstrap = ["/ip4/10.0.0.5/tcp/4001"]   # for networks without multicast

# [discovery]
# mdns = true

# [offer]
# brainUrl = "http://127.0.0.1:11434/v1"   # serve this box's model to the fleet
# brainModel = "qwen2.5:7b"
`
}
