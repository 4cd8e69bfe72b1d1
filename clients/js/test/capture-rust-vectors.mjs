// Rewrites vectors/rust-signed-transfers.json: transfers signed and packed by the Rust side,
// so the unit checks compare the client with it byte for byte. Keys come from `bitai keygen`
// (their public keys derived by Rust); each transfer is signed by `bitai send` (Rust's
// `Transfer::sign` and `SignedTransfer::to_bytes`), which posts it to a stub JSON-RPC server
// here that records the `tx` bytes and answers their SHA-256 (`bitai send` checks that hash
// against its own `SignedTransfer::hash` and prints it). With --devnet RPC CHAIN it also
// records the public keys a running `bitai devnet` (node seed 1) stores for accounts 0..3.
//
//   node clients/js/test/capture-rust-vectors.mjs --bitai target/release/bitai [--devnet URL CHAIN]

import { createServer } from "node:http";
import { createHash } from "node:crypto";
import { execFileSync, execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const args = process.argv.slice(2);
const flag = (name, n = 1) => {
  const i = args.indexOf(name);
  return i < 0 ? undefined : args.slice(i + 1, i + 1 + n);
};
const bitai = flag("--bitai")?.[0] ?? "bitai";
const devnet = flag("--devnet", 2);
const version = execFileSync(bitai, ["--version"], { encoding: "utf8" }).trim();

const dir = mkdtempSync(join(tmpdir(), "bitai-vectors-"));
const keygen = (name) => {
  execFileSync(bitai, ["keygen", "--out", join(dir, name)], { encoding: "utf8", stdio: "pipe" });
  return JSON.parse(readFileSync(join(dir, name), "utf8"));
};
const sender = keygen("sender.key");
const recipient = keygen("recipient.key");

let captured = null;
const server = createServer((req, res) => {
  let body = "";
  req.on("data", (c) => (body += c));
  req.on("end", () => {
    const call = JSON.parse(body);
    if (call.method !== "bitai_sendTransaction") throw new Error(`unexpected call ${call.method}`);
    captured = call.params;
    const hash = createHash("sha256").update(Buffer.from(call.params.tx, "hex")).digest("hex");
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify({ jsonrpc: "2.0", id: call.id, result: hash }));
  });
});
await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
const url = `http://127.0.0.1:${server.address().port}`;

const chain = "5fdd0f9e2b9e01b1bd77b8a8e8f0cde4e2c0c1dbe6fd2ef3a0f2a9b5c7d31e42";
const cases = [
  { from: 0, to: 1, amount: "250", fee: "1", nonce: "0" },
  { from: 0x01020304, to: 0x0a0b0c0d, amount: "81985529216486895", fee: "7", nonce: "1311768467294899695" },
  { from: 4294967295, to: 4294967295, amount: "18446744073709551615", fee: "281474976710655", nonce: "18446744073709551615" },
];
const transfers = [];
for (const c of cases) {
  captured = null;
  const printed = await new Promise((resolve, reject) =>
    execFile(bitai, ["send", "--rpc", url, "--chain", chain, "--key", join(dir, "sender.key"),
      "--from", String(c.from), "--to", String(c.to), "--to-key", recipient.public_key,
      "--amount", c.amount, "--fee", c.fee, "--nonce", c.nonce],
      { encoding: "utf8" }, (e, out, err) => (e ? reject(new Error(`${e.message}\n${err}`)) : resolve(out.trim()))));
  if (captured?.chain !== chain) throw new Error("bitai send did not post the transfer");
  transfers.push({ ...c, to_public_key: recipient.public_key, tx: captured.tx, hash: printed });
}
server.close();
rmSync(dir, { recursive: true });

const devnetAccounts = [];
if (devnet) {
  const [rpc, devnetChain] = devnet;
  for (let index = 0; index < 4; index++) {
    const r = await fetch(rpc, { method: "POST", headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "bitai_getAccount", params: { chain: devnetChain, index } }) });
    devnetAccounts.push({ seed: 1, index, public_key: (await r.json()).result.public_key });
  }
}

const out = {
  generator: `clients/js/test/capture-rust-vectors.mjs with ${version}: keys from \`bitai keygen\`, transfers from \`bitai send --nonce\` posted to a stub`,
  chain,
  sender_private_key: sender.private_key,
  sender_public_key: sender.public_key,
  recipient_private_key: recipient.private_key,
  recipient_public_key: recipient.public_key,
  transfers,
  devnet_accounts: devnetAccounts,
};
const path = new URL("vectors/rust-signed-transfers.json", import.meta.url);
writeFileSync(path, JSON.stringify(out, null, 2) + "\n");
console.log(`wrote ${transfers.length} transfers and ${devnetAccounts.length} devnet accounts to ${path.pathname}`);
