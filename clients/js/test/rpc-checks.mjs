// The JSON-RPC client and follow() against a stub server in this process (no node): each
// kind of failure comes back as its typed error, and follow() walks the stages, stops at a
// rejection and times out.

import { createServer } from "node:http";
import { Client, FollowTimeoutError, HttpError, ProtocolError, RpcError, TransactionRejectedError, follow } from "../src/index.mjs";
import { assert, assertEqual } from "./harness.mjs";

/**
 * A server whose answer to each request is `reply(call)`: [status, content type, body].
 * @param {(call: any) => [number, string, string]} reply
 * @returns {Promise<{url: string, close: () => void}>}
 */
async function stub(reply) {
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      const [status, type, text] = reply(JSON.parse(body));
      res.writeHead(status, { "content-type": type });
      res.end(text);
    });
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(undefined)));
  const address = /** @type {import("node:net").AddressInfo} */ (server.address());
  return { url: `http://127.0.0.1:${address.port}`, close: () => server.close() };
}

/**
 * The error `f` throws (fails if it resolves).
 * @param {() => Promise<unknown>} f
 */
async function thrown(f) {
  try {
    await f();
  } catch (e) {
    return e;
  }
  throw new Error("resolved, expected an error");
}

const json = (/** @type {unknown} */ v) => JSON.stringify(v);

/** @param {import("./harness.mjs").Checks} checks */
export async function rpcChecks(checks) {
  await checks.check("unit: every failure of a call is a typed error", async () => {
    const server = await stub((call) => {
      const error = (/** @type {number} */ code, /** @type {string} */ message, /** @type {unknown} */ data) =>
        json({ jsonrpc: "2.0", id: call.id, error: { code, message, data } });
      switch (call.params?.case) {
        case "rpc": return [200, "application/json", error(4009, "already known", { hash: "ab", stage: "pending" })];
        case "413": return [413, "application/json", error(-32007, "request too big")];
        case "429": return [429, "text/plain", "too many requests"];
        case "html": return [200, "text/html", "<html></html>"];
        case "id": return [200, "application/json", json({ jsonrpc: "2.0", id: call.id + 1, result: 1 })];
        case "shape": return [200, "application/json", json({ jsonrpc: "2.0", id: call.id, error: { code: "x" } })];
        default: return [200, "application/json", json({ jsonrpc: "2.0", id: call.id, result: { ok: true } })];
      }
    });
    try {
      const client = new Client(server.url);
      const call = (/** @type {string} */ c) => client.call("m", { case: c });
      assertEqual((await call("ok")).ok, true, "result");
      const rpc = await thrown(() => call("rpc"));
      assert(rpc instanceof RpcError && rpc.code === 4009 && rpc.data.stage === "pending", `rpc: ${rpc}`);
      const big = await thrown(() => call("413"));
      assert(big instanceof RpcError && big.code === -32007, `413: ${big}`);
      const busy = await thrown(() => call("429"));
      assert(busy instanceof HttpError && busy.status === 429, `429: ${busy}`);
      for (const c of ["html", "id", "shape"]) {
        const e = await thrown(() => call(c));
        assert(e instanceof ProtocolError, `${c}: ${e}`);
      }
    } finally {
      server.close();
    }
    const closed = await stub(() => [200, "application/json", "{}"]);
    closed.close();
    const none = await thrown(() => new Client(closed.url, { timeoutMs: 2000 }).call("m"));
    assert(none instanceof HttpError && none.status === null, `no server: ${none}`);
    return "RpcError (with code and data), HttpError (429, no answer), ProtocolError (not JSON, wrong id, bad error)";
  });

  await checks.check("unit: follow() reports each stage, stops at rejected, times out", async () => {
    const scripts = {
      walk: ["pending", "pending", "in_l2_block", "proven", "inscribed", "verified", "final"],
      rejected: ["pending", "rejected"],
      stuck: ["pending"],
    };
    /** @type {Record<string, number>} */
    const polls = {};
    const server = await stub((call) => {
      const hash = call.params.hash;
      const script = scripts[/** @type {keyof typeof scripts} */ (hash)];
      const n = (polls[hash] = (polls[hash] ?? 0) + 1);
      const stage = script[Math.min(n, script.length) - 1];
      const status = { hash, stage, reason: stage === "rejected" ? "bad signature" : null };
      return [200, "application/json", json({ jsonrpc: "2.0", id: call.id, result: status })];
    });
    try {
      const client = new Client(server.url);
      const seen = [];
      const last = await follow(client, "walk", { intervalMs: 1, onStage: (s) => seen.push(s.stage) });
      assertEqual(last.stage, "final", "stage");
      assertEqual(seen.join(","), "pending,in_l2_block,proven,inscribed,verified,final", "stages reported");
      const verified = await client.follow("walk", { until: "verified", intervalMs: 1 });
      assertEqual(verified.stage, "final", "a later stage ends the wait");
      const rejected = await thrown(() => follow(client, "rejected", { intervalMs: 1 }));
      assert(rejected instanceof TransactionRejectedError && rejected.status.reason === "bad signature", `${rejected}`);
      const stuck = await thrown(() => follow(client, "stuck", { intervalMs: 5, timeoutMs: 100 }));
      assert(stuck instanceof FollowTimeoutError && stuck.lastStatus.stage === "pending", `${stuck}`);
    } finally {
      server.close();
    }
    return "pending -> ... -> final; rejected; a 100 ms timeout at pending";
  });
}
