// Following a transaction through its stages (docs/rpc.md): unknown, pending, in_l2_block,
// proven, inscribed, verified, final, or rejected. follow() polls bitai_getTransactionStatus
// until the stage asked for (or a later one) is reached, reports each new stage, and fails
// with a typed error when the transaction is rejected or the time runs out. A busy node or a
// failed poll is retried until the deadline; any other JSON-RPC error ends the wait.

/** The stages in order; `rejected` is apart. */
export const STAGES = Object.freeze(["unknown", "pending", "in_l2_block", "proven", "inscribed", "verified", "final"]);

/** The transaction was rejected (its status carries the reason). */
export class TransactionRejectedError extends Error {
  /** @param {any} status */
  constructor(status) {
    super(`transaction ${status.hash} rejected: ${status.reason ?? "no reason given"}`);
    this.name = "TransactionRejectedError";
    this.status = status;
  }
}

/** The stage was not reached in time. */
export class FollowTimeoutError extends Error {
  /**
   * @param {string} hash
   * @param {string} until
   * @param {number} timeoutMs
   * @param {any} lastStatus
   */
  constructor(hash, until, timeoutMs, lastStatus) {
    super(`transaction ${hash} not ${until} after ${timeoutMs} ms (last stage: ${lastStatus?.stage ?? "none read"})`);
    this.name = "FollowTimeoutError";
    this.hash = hash;
    this.until = until;
    this.lastStatus = lastStatus;
  }
}

const sleep = (/** @type {number} */ ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Polls until `hash` reaches `until`; resolves with that status.
 * @param {{getTransactionStatus(hash: string): Promise<any>}} client
 * @param {string} hash
 * @param {{until?: string, timeoutMs?: number, intervalMs?: number,
 *   onStage?: (status: any) => void}} [options] defaults: final, 300 s, 250 ms
 */
export async function follow(client, hash, { until = "final", timeoutMs = 300_000, intervalMs = 250, onStage } = {}) {
  const target = STAGES.indexOf(until);
  if (target < 1) throw new RangeError(`follow() waits for a stage from pending to final, not ${until}`);
  const deadline = Date.now() + timeoutMs;
  let last = null;
  for (;;) {
    let status = null;
    try {
      status = await client.getTransactionStatus(hash);
    } catch (e) {
      if (!retryable(e)) throw e;
    }
    if (status !== null) {
      if (last === null || status.stage !== last.stage) onStage?.(status);
      last = status;
      if (status.stage === "rejected") throw new TransactionRejectedError(status);
      if (STAGES.indexOf(status.stage) >= target) return status;
    }
    if (Date.now() >= deadline) throw new FollowTimeoutError(hash, until, timeoutMs, last);
    await sleep(Math.min(intervalMs, Math.max(0, deadline - Date.now())));
  }
}

/** A failed poll worth repeating: no HTTP answer, HTTP 429/5xx, or the node busy (4029). */
function retryable(/** @type {any} */ e) {
  if (e?.name === "HttpError") return e.status === null || e.status === 429 || e.status >= 500;
  return e?.name === "RpcError" && e.code === 4029;
}
