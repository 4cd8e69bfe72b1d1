// A small JSON-RPC 2.0 client over `fetch` for the node's API (docs/rpc.md). Every failure
// is typed: the node's JSON-RPC errors are RpcError (code, message, data: the code is for
// programs, the message for people), HTTP failures without a JSON-RPC error are HttpError,
// answers that are not JSON-RPC at all are ProtocolError. Numbers are parsed as JSON numbers:
// values above 2^53 (none of the devnet's) would lose precision.

import { transferHex } from "./transfer.mjs";
import { follow } from "./follow.mjs";

/** The error codes of docs/rpc.md, by name. */
export const ErrorCode = Object.freeze({
  PARSE_ERROR: -32700,
  INVALID_REQUEST: -32600,
  METHOD_NOT_FOUND: -32601,
  INVALID_PARAMS: -32602,
  INTERNAL_ERROR: -32603,
  REQUEST_TOO_BIG: -32007,
  RESPONSE_TOO_BIG: -32008,
  BATCH_TOO_BIG: -32010,
  NOT_FOUND: 4004,
  ALREADY_KNOWN: 4009,
  SEQUENCER_REJECTED: 4010,
  MEMPOOL_REJECTED: 4011,
  BUSY: 4029,
  UNAVAILABLE: 4503,
});

/** The node answered with a JSON-RPC error object. */
export class RpcError extends Error {
  /**
   * @param {string} method
   * @param {number} code
   * @param {string} message
   * @param {any} data the error's `data`, if any
   */
  constructor(method, code, message, data) {
    super(`${method}: ${message} (JSON-RPC error ${code})`);
    this.name = "RpcError";
    this.method = method;
    this.code = code;
    this.rpcMessage = message;
    this.data = data;
  }
}

/** HTTP failed (status not 2xx) without a JSON-RPC error in the body, or no answer at all. */
export class HttpError extends Error {
  /**
   * @param {string} method
   * @param {number | null} status null when no HTTP answer came (refused, timed out)
   * @param {string} detail
   */
  constructor(method, status, detail) {
    super(`${method}: ${status === null ? "no answer" : `HTTP ${status}`}: ${detail}`);
    this.name = "HttpError";
    this.method = method;
    this.status = status;
  }
}

/** The answer is not a JSON-RPC response to our request. */
export class ProtocolError extends Error {
  /**
   * @param {string} method
   * @param {string} detail
   */
  constructor(method, detail) {
    super(`${method}: not a JSON-RPC answer: ${detail}`);
    this.name = "ProtocolError";
    this.method = method;
  }
}

/** A client of one node's JSON-RPC endpoint. */
export class Client {
  /**
   * @param {string} url e.g. http://127.0.0.1:9180
   * @param {{timeoutMs?: number, fetch?: typeof fetch}} [options] per-request timeout (10 s)
   */
  constructor(url, { timeoutMs = 10_000, fetch: fetchImpl = globalThis.fetch } = {}) {
    this.url = url;
    this.timeoutMs = timeoutMs;
    this.fetch = fetchImpl;
    this.nextId = 1;
  }

  /**
   * Calls `method` with named `params`; resolves with `result` or throws a typed error.
   * @param {string} method
   * @param {object} [params]
   * @returns {Promise<any>}
   */
  async call(method, params) {
    const id = this.nextId++;
    const body = JSON.stringify({ jsonrpc: "2.0", id, method, ...(params === undefined ? {} : { params }) });
    let response;
    try {
      response = await this.fetch(this.url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (e) {
      throw new HttpError(method, null, e instanceof Error ? `${e.name}: ${/** @type {any} */ (e).cause?.message ?? e.message}` : String(e));
    }
    const text = await response.text();
    let answer;
    try {
      answer = JSON.parse(text);
    } catch {
      if (!response.ok) throw new HttpError(method, response.status, text.slice(0, 200));
      throw new ProtocolError(method, `body is not JSON: ${text.slice(0, 200)}`);
    }
    if (answer !== null && typeof answer === "object" && answer.error !== undefined) {
      const { code, message, data } = answer.error ?? {};
      if (!Number.isInteger(code) || typeof message !== "string") {
        throw new ProtocolError(method, `malformed error object: ${text.slice(0, 200)}`);
      }
      throw new RpcError(method, code, message, data);
    }
    if (!response.ok) throw new HttpError(method, response.status, text.slice(0, 200));
    if (answer === null || typeof answer !== "object" || answer.jsonrpc !== "2.0" || !("result" in answer)) {
      throw new ProtocolError(method, text.slice(0, 200));
    }
    if (answer.id !== id) throw new ProtocolError(method, `answer id ${JSON.stringify(answer.id)}, request id ${id}`);
    return answer.result;
  }

  /**
   * Hands a signed transfer to the chain's sequencer; resolves with its hash once persisted.
   * @param {string} chain chain id
   * @param {import("./transfer.mjs").SignedTransfer | Uint8Array | string} tx a signed transfer, its bytes or their hex
   * @returns {Promise<string>}
   */
  sendTransaction(chain, tx) {
    return this.call("bitai_sendTransaction", { chain, tx: typeof tx === "string" ? tx : transferHex(tx) });
  }

  /**
   * `{hash, chain, stage, block_number, bitcoin_txid, bitcoin_height, reason}`.
   * @param {string} hash
   */
  getTransactionStatus(hash) {
    return this.call("bitai_getTransactionStatus", { hash });
  }

  /**
   * The nonce the account's next transfer must carry, counting its pending ones (null: empty slot).
   * @param {string} chain
   * @param {number} account
   * @returns {Promise<number | null>}
   */
  getNonce(chain, account) {
    return this.call("bitai_getNonce", { chain, account });
  }

  /**
   * `{index, public_key, balance, nonce}` at the sequencer's head, or null for an empty slot.
   * @param {string} chain
   * @param {number} index
   */
  getAccount(chain, index) {
    return this.call("bitai_getAccount", { chain, index });
  }

  /** @param {string} chain */
  getChain(chain) {
    return this.call("bitai_getChain", { chain });
  }

  listChains() {
    return this.call("bitai_listChains");
  }

  /**
   * @param {string} chain
   * @param {number} number
   */
  getBlock(chain, number) {
    return this.call("bitai_getBlock", { chain, number });
  }

  /**
   * Polls the transaction's status until it reaches `until` (default final); see follow().
   * @param {string} hash
   * @param {Parameters<typeof follow>[2]} [options]
   */
  follow(hash, options) {
    return follow(this, hash, options);
  }
}
