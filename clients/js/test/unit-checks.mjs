// Checks that need no node: the client against what the Rust side produced
// (vectors/rust-signed-transfers.json from `bitai keygen` and `bitai send`, and the
// repository's circom_vectors.json, whose transfer messages a Rust test asserts), local
// signature verification, a decoder as strict as the node's, and (rpc-checks.mjs) the
// JSON-RPC client's typed errors and follow() against a stub server.

import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import {
  FIELD_MODULUS, Key, MAX_FEE, SUBGROUP_ORDER, decodeTransfer, encodeTransfer, fromHex, packPoint,
  packSignature, signTransfer, toHex, transfer, transferHash, transferMessage, unpackPoint, verifyTransfer,
} from "../src/index.mjs";
import { assert, assertEqual } from "./harness.mjs";
import { flippedBits, malleations, otherChains, predictedCode } from "./variants.mjs";
import { rpcChecks } from "./rpc-checks.mjs";

const require = createRequire(import.meta.url);
const zk = require("@zk-kit/eddsa-poseidon");

const rust = JSON.parse(readFileSync(new URL("vectors/rust-signed-transfers.json", import.meta.url), "utf8"));
const circom = JSON.parse(
  readFileSync(new URL("../../../actors/lib/proofs/tests/fixtures/circom_vectors.json", import.meta.url), "utf8"),
);

/** @param {{from: number, to: number, to_public_key: string, amount: string, fee: string, nonce: string}} v */
const fieldsOf = (v) => ({ from: v.from, to: v.to, toPublicKey: v.to_public_key, amount: v.amount, fee: v.fee, nonce: v.nonce });

/** @param {import("./harness.mjs").Checks} checks */
export async function unitChecks(checks) {
  const sender = Key.fromHex(rust.sender_private_key);

  await checks.check("unit: public keys derived as bitai keygen derives them", () => {
    assertEqual(sender.packedPublicKey, rust.sender_public_key, "sender");
    assertEqual(Key.fromHex(rust.recipient_private_key).packedPublicKey, rust.recipient_public_key, "recipient");
    const file = (/** @type {string} */ pub) => JSON.stringify({ private_key: rust.sender_private_key, public_key: pub });
    assertEqual(Key.fromKeyFile(file(rust.sender_public_key)).packedPublicKey, rust.sender_public_key, "key file");
    let mismatch = false;
    try {
      Key.fromKeyFile(file(rust.recipient_public_key));
    } catch {
      mismatch = true;
    }
    assert(mismatch, "a key file with another public key accepted");
    assertEqual(Key.fromKeyFile(sender.toKeyFile()).packedPublicKey, sender.packedPublicKey, "toKeyFile round trip");
    return "2 keys from `bitai keygen` match; key files read and written";
  });

  await checks.check("unit: devnet genesis keys derived as the devnet derives them", () => {
    for (const a of rust.devnet_accounts) {
      assertEqual(Key.devnet(a.seed, a.index).packedPublicKey, a.public_key, `seed ${a.seed} account ${a.index}`);
    }
    assert(rust.devnet_accounts.length > 0, "no devnet accounts recorded");
    return `${rust.devnet_accounts.length} accounts of a seed-1 devnet match`;
  });

  for (const [i, v] of rust.transfers.entries()) {
    await checks.check(`unit: Rust vector ${i}: signed and packed byte for byte as bitai send`, () => {
      const signed = signTransfer(fieldsOf(v), rust.chain, sender);
      assertEqual(toHex(encodeTransfer(signed)), v.tx, "to_bytes()");
      assertEqual(transferHash(signed), v.hash, "hash");
      return `${v.tx.slice(0, 16)}... hash ${v.hash.slice(0, 16)}...`;
    });
    await checks.check(`unit: Rust vector ${i}: decodes, re-encodes, and its signature verifies locally`, () => {
      const decoded = decodeTransfer(v.tx);
      assertEqual(toHex(encodeTransfer(decoded)), v.tx, "re-encoding");
      assert(verifyTransfer(decoded, rust.chain, rust.sender_public_key), "the Rust signature does not verify");
      assert(!verifyTransfer(decoded, rust.chain, rust.recipient_public_key), "verifies under another key");
      return `from ${decoded.transfer.from} to ${decoded.transfer.to} amount ${decoded.transfer.amount} fee ${decoded.transfer.fee} nonce ${decoded.transfer.nonce}`;
    });
  }

  await checks.check("unit: circom_vectors.json transfers: same messages and signatures", () => {
    const key = Key.fromHex(circom.transfer_sender_private_key);
    for (const t of circom.transfers) {
      const toPublicKey = /** @type {[bigint, bigint]} */ (t.to_public_key.map(BigInt));
      const fields = { from: t.from, to: t.to, toPublicKey, amount: t.amount, fee: t.fee, nonce: t.nonce };
      assertEqual(transferMessage(transfer(fields), circom.transfer_chain_id).toString(), t.message, "message");
      const signed = signTransfer(fields, circom.transfer_chain_id, key);
      assertEqual(signed.signature.R8[0].toString(), t.r8[0], "R8.x");
      assertEqual(signed.signature.S.toString(), t.s, "S");
    }
    return `${circom.transfers.length} transfers`;
  });

  await checks.check("unit: packing agrees with zk-kit's packPublicKey and packSignature", () => {
    const signed = signTransfer(fieldsOf(rust.transfers[0]), rust.chain, sender);
    const zkKey = zk.packPublicKey(sender.publicKey);
    assertEqual(toHex(packPoint(sender.publicKey)), toHex(leBytes(BigInt(zkKey))), "public key");
    assertEqual(toHex(packSignature(signed.signature)), toHex(zk.packSignature(signed.signature)), "signature");
    return "";
  });

  const base = signTransfer(fieldsOf(rust.transfers[0]), rust.chain, sender);
  await checks.check("unit: a signature verifies only on its chain, under its key, with S below l", () => {
    assert(verifyTransfer(base, rust.chain, sender.publicKey), "own signature refused");
    const other = "00".repeat(31) + "01";
    assert(!verifyTransfer(base, other, sender.publicKey), "verifies on another chain");
    const malleated = { ...base, signature: { ...base.signature, S: base.signature.S + SUBGROUP_ORDER } };
    assert(!verifyTransfer(malleated, rust.chain, sender.publicKey), "S + l verifies");
    assert(zk.verifySignature(transferMessage(base.transfer, rust.chain), base.signature, sender.publicKey), "zk-kit refuses it");
    return "";
  });

  await checks.check("unit: the decoder refuses what the node's refuses", () => {
    const bytes = encodeTransfer(base);
    const refusals = [
      ["127 bytes", bytes.subarray(0, 127), "length"],
      ["129 bytes", Uint8Array.from([...bytes, 0]), "length"],
      ["fee MAX_FEE + 1", with_(bytes, 48, le(MAX_FEE + 1n, 8)), "fee"],
      ["recipient key all ones", with_(bytes, 8, new Uint8Array(32).fill(0xff)), "recipient_key"],
      ["recipient key the identity", with_(bytes, 8, le(1n, 32)), "recipient_key"],
      ["recipient key (0, -1), of order two", with_(bytes, 8, packPoint([0n, FIELD_MODULUS - 1n])), "recipient_key"],
      ["S = l", with_(bytes, 96, le(SUBGROUP_ORDER, 32)), "signature"],
      ["R8 the identity", with_(bytes, 64, le(1n, 32)), "signature"],
    ];
    for (const [name, b, kind] of refusals) {
      let got = "accepted";
      try {
        decodeTransfer(/** @type {Uint8Array} */ (b));
      } catch (e) {
        got = e.kind;
      }
      assertEqual(got, kind, String(name));
    }
    assert(decodeTransfer(with_(bytes, 48, le(MAX_FEE, 8))).transfer.fee === MAX_FEE, "MAX_FEE refused");
    return `${refusals.length} malformed inputs refused with the node's reason`;
  });

  await checks.check("unit: every hostile variant is refused locally (by the decoder or the signature check)", () => {
    const fields = fieldsOf(rust.transfers[0]);
    const variants = [...malleations(base), ...otherChains(fields, rust.chain, sender), ...flippedBits(encodeTransfer(base))];
    let decoded = 0;
    for (const v of variants) {
      if (predictedCode(v.bytes) === 4010) {
        decoded++;
        assert(!verifyTransfer(decodeTransfer(v.bytes), rust.chain, sender.publicKey), `${v.name}: verifies`);
      }
    }
    return `${variants.length} variants: ${variants.length - decoded} refused by the decoder, ${decoded} decode but do not verify`;
  });

  await checks.check("unit: transfer() refuses fields the chain cannot carry", () => {
    const ok = fieldsOf(rust.transfers[0]);
    /** @type {[string, unknown][]} */
    const bad = [["fee", MAX_FEE + 1n], ["amount", 1n << 64n], ["nonce", -1n], ["from", 2 ** 32], ["to", 1.5]];
    for (const [field, value] of bad) {
      let refused = false;
      try {
        transfer({ ...ok, [field]: value });
      } catch {
        refused = true;
      }
      assert(refused, `${field} = ${value} accepted`);
    }
    let badKey = false;
    try {
      unpackPoint(fromHex("ff".repeat(32)));
    } catch {
      badKey = true;
    }
    assert(badKey, "an unpackable recipient key accepted");
    return "";
  });

  await rpcChecks(checks);
}

/** @param {bigint} v @param {number} n */
function le(v, n) {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++, v >>= 8n) out[i] = Number(v & 0xffn);
  return out;
}

/** @param {bigint} v */
function leBytes(v) {
  return le(v, 32);
}

/** @param {Uint8Array} bytes @param {number} at @param {Uint8Array} p */
function with_(bytes, at, p) {
  const out = Uint8Array.from(bytes);
  out.set(p, at);
  return out;
}
