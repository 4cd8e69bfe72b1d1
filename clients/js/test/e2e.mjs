// End to end against a running node: a transfer signed by this client goes final, and every
// hostile variant of it is refused with a typed JSON-RPC error. The unit checks run first.
//
//   node clients/js/test/e2e.mjs --rpc URL --chain ID [--seed N | --key FILE] [--from I]
//     [--timeout-s S] [--no-readme]
//
// (or BITAI_RPC, BITAI_CHAIN, BITAI_DEVNET_SEED, BITAI_KEY). The sender is account `--from`
// (default 0) under the key of that genesis account of a `bitai devnet` with node seed
// `--seed` (default 1), or under `--key` (a `bitai keygen` file). Nothing else may spend from
// that account meanwhile: run the devnet with --no-load. Without --chain, the node's one
// chain named "devnet" is used. Exit code 0 only if every check passed.
//
// Tampered variants are sent while the valid transfer's nonce is still the account's next,
// and the valid transfer itself (byte for byte their original) is sent right after them: so a
// variant's refusal is owed to the tampering, not to its nonce.

import { readFileSync } from "node:fs";
import { Client, ErrorCode, Key, RpcError, STAGES, decodeTransfer, encodeTransfer, signTransfer, transferHash, verifyTransfer } from "../src/index.mjs";
import { Checks, assert, assertEqual } from "./harness.mjs";
import { unitChecks } from "./unit-checks.mjs";
import { flippedBits, malleations, otherChains, predictedCode } from "./variants.mjs";

const options = parseArgs(process.argv.slice(2));
const checks = new Checks();
// A failure outside a check (the node unreachable before the first one) ends the run as one.
process.on("uncaughtException", (e) => {
  console.log(`FAIL setup: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
  checks.failed.push("setup");
  process.exit(checks.finish());
});
await unitChecks(checks);

const rpc = new Client(options.rpc);
const chain = options.chain ?? (await devnetChain(rpc));
const sender = options.keyFile ? Key.fromKeyFile(readFileSync(options.keyFile, "utf8")) : Key.devnet(options.seed, options.from);
const from = options.from;
console.log(`node ${options.rpc}, chain ${chain}, sender account ${from} (${sender.packedPublicKey})`);

/**
 * Expects `call` to fail with a JSON-RPC error whose code is one of `codes`.
 * @param {() => Promise<unknown>} call
 * @param {number[]} codes
 */
async function refused(call, codes) {
  let result;
  try {
    result = await call();
  } catch (e) {
    if (!(e instanceof RpcError)) throw new Error(`not a JSON-RPC error: ${e}`);
    assert(codes.includes(e.code), `code ${e.code} (${e.rpcMessage}), expected ${codes.join(" or ")}`);
    assert(e.rpcMessage.length > 0, "an empty error message");
    return `${e.code} "${e.rpcMessage}"`;
  }
  throw new Error(`accepted (answer ${JSON.stringify(result)}), expected error ${codes.join(" or ")}`);
}

await checks.check("node: the sender's key is the account's key on chain", async () => {
  const account = await rpc.getAccount(chain, from);
  assert(account !== null, `account ${from} does not exist`);
  assertEqual(account.public_key, sender.packedPublicKey, "public_key");
  return `account ${from} balance ${account.balance} nonce ${account.nonce}`;
});

const before = await rpc.getAccount(chain, from);
const nonce = await rpc.getNonce(chain, from);
const recipient = Key.random();
const to = await emptySlot(rpc, chain);
const fields = { from, to, toPublicKey: recipient.publicKey, amount: 1234n, fee: 2n, nonce };
const valid = signTransfer(fields, chain, sender);
const validBytes = encodeTransfer(valid);
const send = (/** @type {Uint8Array} */ bytes) => rpc.sendTransaction(chain, bytes);
console.log(`valid transfer: ${from} -> ${to} (a new account), amount 1234, fee 2, nonce ${nonce}, hash ${transferHash(valid)}`);

for (const v of otherChains(fields, chain, sender)) {
  await checks.check(`refused: ${v.name}`, () => refused(() => send(v.bytes), [ErrorCode.SEQUENCER_REJECTED]));
}
for (const v of [...malleations(valid), ...flippedBits(validBytes)]) {
  const code = predictedCode(v.bytes);
  if (code === 4010) assert(!verifyTransfer(decodeTransfer(v.bytes), chain, sender.publicKey), `${v.name} verifies`);
  await checks.check(`refused: ${v.name}`, () => refused(() => send(v.bytes), [code]));
}
const wellSigned = (/** @type {object} */ change) => encodeTransfer(signTransfer({ ...fields, ...change }, chain, sender));
for (const [name, change] of [
  ["nonce too high (next + 1)", { nonce: nonce + 1 }],
  ["nonce far too high (next + 1000)", { nonce: nonce + 1000 }],
  ["fee 0, below the sequencer's minimum", { fee: 0n }],
  ["amount above the balance", { amount: BigInt(before.balance) }],
  ["recipient key not the stored one (an existing account)", { to: (await rpc.getAccount(chain, from + 1)) ? from + 1 : from }],
]) {
  await checks.check(`refused: ${name}`, () => refused(() => send(wellSigned(change)), [ErrorCode.SEQUENCER_REJECTED]));
}
await checks.check("refused: a chain the node does not have", () =>
  refused(() => rpc.sendTransaction("ab".repeat(32), signTransfer(fields, "ab".repeat(32), sender)), [ErrorCode.NOT_FOUND]));
await checks.check("nothing refused moved the account's nonce", async () => {
  assertEqual(await rpc.getNonce(chain, from), nonce, "nonce");
  return `still ${nonce}`;
});

let hash = null;
await checks.check("accepted: the valid transfer, its hash the SHA-256 of the client's bytes", async () => {
  hash = await send(validBytes);
  assertEqual(hash, transferHash(validBytes), "hash");
  return hash;
});
await checks.check("refused: nonce reused (the accepted nonce, another amount)", () =>
  refused(() => send(wellSigned({ amount: 4321n })), [ErrorCode.SEQUENCER_REJECTED]));
await checks.check("resubmitted: the same bytes are answered as known", () => resubmission(validBytes, hash));

await checks.check("follow: the transfer goes final", async () => {
  assert(hash !== null, "not accepted");
  const seen = [];
  const status = await rpc.follow(hash, { timeoutMs: options.timeoutMs, onStage: (s) => seen.push(s.stage) });
  assertEqual(status.stage, "final", "stage");
  assertEqual(status.chain, chain, "chain");
  assert(Number.isInteger(status.block_number) && status.block_number >= 1, `block_number ${status.block_number}`);
  assert(Number.isInteger(status.bitcoin_height), `bitcoin_height ${status.bitcoin_height}`);
  assert(/^[0-9a-f]{64}$/.test(status.bitcoin_txid ?? ""), `bitcoin_txid ${status.bitcoin_txid}`);
  return `stages seen ${seen.join(" -> ")}; L2 block ${status.block_number}, Bitcoin ${status.bitcoin_txid.slice(0, 16)}... at ${status.bitcoin_height}`;
});
await checks.check("final: the block lists the transfer, the accounts moved by amount and fee", async () => {
  const status = await rpc.getTransactionStatus(hash);
  const block = await rpc.getBlock(chain, status.block_number);
  assert(block?.txs.includes(hash), `block ${status.block_number} does not list ${hash}`);
  const created = await rpc.getAccount(chain, to);
  assertEqual(created?.public_key, recipient.packedPublicKey, "recipient key");
  assertEqual(created?.balance, 1234, "recipient balance");
  const after = await rpc.getAccount(chain, from);
  assertEqual(after.balance, before.balance - 1234 - 2, "sender balance");
  assertEqual(after.nonce, nonce + 1, "sender nonce");
  return `account ${to} created with 1234; account ${from} paid 1236, nonce ${after.nonce}`;
});
await checks.check("resubmitted after final: answered as known, not applied twice", async () => {
  const said = await resubmission(validBytes, hash);
  assertEqual(await rpc.getNonce(chain, from), nonce + 1, "nonce");
  return said;
});
if (options.readme) {
  await checks.check("README: the ten-line transfer runs and goes final", () => readmeTransfer());
}
process.exit(checks.finish());

/**
 * The node's answer to bytes it already has. The node answered success with the same hash;
 * it is changing to error 4009 "already known" with data {hash, stage}. Either is accepted,
 * and the answer is printed.
 * @param {Uint8Array} bytes
 * @param {string | null} expected
 */
async function resubmission(bytes, expected) {
  try {
    const again = await send(bytes);
    assertEqual(again, expected, "hash");
    return `success with the same hash (the idempotent answer)`;
  } catch (e) {
    if (!(e instanceof RpcError)) throw e;
    assertEqual(e.code, ErrorCode.ALREADY_KNOWN, `code (${e.rpcMessage})`);
    assertEqual(e.data?.hash, expected, "data.hash");
    assert(STAGES.includes(e.data?.stage), `data.stage ${e.data?.stage}`);
    return `error 4009 "${e.rpcMessage}", stage ${e.data.stage}`;
  }
}

/** Runs the README's ten-line block with the client's own path and this node and chain. */
async function readmeTransfer() {
  const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
  const block = /```js ten-lines\n([\s\S]*?)```/.exec(readme)?.[1];
  assert(block, "no ```js ten-lines block in README.md");
  const lines = block.trimEnd().split("\n");
  assert(lines.length <= 10, `${lines.length} lines`);
  const src = new URL("../src/index.mjs", import.meta.url).href;
  const code = block.replace('"@bitai/client"', JSON.stringify(src));
  const env = { BITAI_RPC: options.rpc, BITAI_CHAIN: chain };
  const { execFileSync } = await import("node:child_process");
  const out = execFileSync(process.execPath, ["--input-type=module", "-e", code], {
    env: { ...process.env, ...env },
    encoding: "utf8",
    timeout: options.timeoutMs + 30_000,
  });
  assert(/\bfinal\b/.test(out), `output: ${out}`);
  return `${lines.length} lines; printed: ${out.trim().split("\n").join(" | ")}`;
}

/** The node's chain named "devnet" (the one `bitai devnet` creates). */
async function devnetChain(/** @type {Client} */ client) {
  const chains = (await client.listChains()).filter((c) => c.name === "devnet" && c.sequencer !== null);
  if (chains.length !== 1) throw new Error(`--chain not given and ${chains.length} chains named devnet`);
  return chains[0].id;
}

/** An empty account slot: a random index above the genesis accounts. */
async function emptySlot(/** @type {Client} */ client, /** @type {string} */ chainId) {
  for (;;) {
    const index = 1000 + Math.floor(Math.random() * 1_000_000);
    if ((await client.getAccount(chainId, index)) === null) return index;
  }
}

/** @param {string[]} argv */
function parseArgs(argv) {
  const env = process.env;
  const o = {
    rpc: env.BITAI_RPC ?? "http://127.0.0.1:9180",
    chain: env.BITAI_CHAIN,
    seed: BigInt(env.BITAI_DEVNET_SEED ?? "1"),
    keyFile: env.BITAI_KEY,
    from: 0,
    timeoutMs: 120_000,
    readme: true,
  };
  for (let i = 0; i < argv.length; i++) {
    const value = () => {
      const v = argv[++i];
      if (v === undefined) usage(`${argv[i - 1]} needs a value`);
      return v;
    };
    switch (argv[i]) {
      case "--rpc": o.rpc = value(); break;
      case "--chain": o.chain = value(); break;
      case "--seed": o.seed = BigInt(value()); break;
      case "--key": o.keyFile = value(); break;
      case "--from": o.from = Number(value()); break;
      case "--timeout-s": o.timeoutMs = 1000 * Number(value()); break;
      case "--no-readme": o.readme = false; break;
      default: usage(`unknown argument ${argv[i]}`);
    }
  }
  return o;
}

/** @param {string} why */
function usage(why) {
  console.error(`${why}\nusage: node e2e.mjs --rpc URL [--chain ID] [--seed N | --key FILE] [--from I] [--timeout-s S] [--no-readme]`);
  process.exit(2);
}
