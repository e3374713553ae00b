/** Tuning numbers of the think layer; each is also a config default (see config.ts). */

/** Model turns an agent may take; on the last one no tools are offered. */
export const DEFAULT_MAX_STEPS = 8
/** Per-request timeout to one endpoint. Local models on small boxes are slow. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 120_000
/**
 * The whole of one model turn, retries on other endpoints included: a hung endpoint costs
 * at most this before the playbook takes over, not requestTimeoutMs per attempt.
 */
export const DEFAULT_TURN_BUDGET_MS = 180_000
/**
 * A streamed reply (stream = true) that sends nothing for this long is abandoned. Counted
 * from the response headers: some servers send them before the prompt is read, so it must
 * cover prompt processing on a slow box.
 */
export const DEFAULT_STREAM_IDLE_TIMEOUT_MS = 60_000
/** Routing scores within this fraction of each other are a tie, broken round-robin. */
export const ROUTING_TIE_TOLERANCE = 0.1
/** Attempts of one chat request across endpoints before giving up. */
export const DEFAULT_MAX_ATTEMPTS = 3
/** Consecutive failures after which an endpoint cools down. */
export const DEFAULT_FAILURES_BEFORE_COOLDOWN = 2
/** How long a failing endpoint is left alone. */
export const DEFAULT_COOLDOWN_MS = 30_000
/** Longest Retry-After (429) we honour as a cooldown. */
export const MAX_RETRY_AFTER_MS = 120_000
/** Characters of one tool result shown to the model; the rest is cut with a note. */
export const DEFAULT_MAX_TOOL_RESULT_CHARS = 6_000
/** Characters of conversation (besides tool definitions) sent per turn; old tool results are cut first. */
export const DEFAULT_MAX_CONTEXT_CHARS = 24_000
/** Tool calls of one model turn run at the same time. */
export const DEFAULT_MAX_PARALLEL_TOOLS = 4
/** Weight of the newest sample in an endpoint's latency average. */
export const LATENCY_EWMA_WEIGHT = 0.3
/** Longest answer text kept in an outcome. */
export const MAX_ANSWER_CHARS = 20_000
/** Bytes of structured tool data kept in a ToolCallRecord (what results carry). */
export const MAX_RECORD_DATA_CHARS = 64_000
