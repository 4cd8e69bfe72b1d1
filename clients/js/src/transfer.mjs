// Transfers: building, signing, the 128-byte wire form and the transfer's id, byte for byte
// as `bitai_chain::tx` (`Transfer::message`, `SignedTransfer::to_bytes`, `from_bytes`,
// `hash`). The signed message is one five-input Poseidon over the chain id's two 128-bit
// halves (so a signature is worthless on another chain), a word packing the small fields
// (`from | to << 32 | amount << 64 | nonce << 128 | fee << 192 | kind << 240`) and the
// recipient key's coordinates. Wire layout (little-endian integers): from u32, to u32,
// recipient key packed (32), amount u64, fee u64, nonce u64, signature (packed R8, S).

import { poseidon5 } from "poseidon-lite";
import { U32_MAX, U64_MAX, fromHex, fromLittleEndian, sha256Hex, toHex, toLittleEndian, toUint } from "./bytes.mjs";
import { zkEddsa } from "./keys.mjs";
import { PointError, SUBGROUP_ORDER, checkPoint, packPoint, unpackPoint } from "./point.mjs";

/** Length of an encoded signed transfer. */
export const SIGNED_TRANSFER_BYTES = 128;
/** The kind tag of a transfer in the packed message word. */
export const KIND_TRANSFER = 1n;
/** The largest fee: 2^48 - 1 (the fee has 48 bits in the signed word). */
export const MAX_FEE = (1n << 48n) - 1n;

/**
 * @typedef {object} Transfer
 * @property {number} from sender's account index (u32)
 * @property {number} to recipient's account index (u32)
 * @property {[bigint, bigint]} toPublicKey recipient's key: the stored one, or the new account's
 * @property {bigint} amount
 * @property {bigint} fee burned, at most MAX_FEE
 * @property {bigint} nonce the sender's nonce before this transfer
 *
 * @typedef {object} Signature
 * @property {[bigint, bigint]} R8
 * @property {bigint} S
 *
 * @typedef {object} SignedTransfer
 * @property {Transfer} transfer
 * @property {Signature} signature
 */

/** Why bytes are not an encoded signed transfer (the node answers -32602 for them). */
export class TransferCodecError extends Error {
  /**
   * @param {"length" | "fee" | "recipient_key" | "signature"} kind
   * @param {string} message
   */
  constructor(kind, message) {
    super(message);
    this.name = "TransferCodecError";
    this.kind = kind;
  }
}

/**
 * A recipient key from a point, 32 packed bytes or their 64 hex digits (checked).
 * @param {[bigint, bigint] | Uint8Array | string} key
 * @returns {[bigint, bigint]}
 */
export function toPoint(key) {
  if (typeof key === "string") return unpackPoint(fromHex(key, 32));
  if (key instanceof Uint8Array) return unpackPoint(key);
  if (Array.isArray(key) && key.length === 2) return checkPoint([BigInt(key[0]), BigInt(key[1])]);
  throw new TypeError("a public key is a point [x, y], 32 packed bytes or 64 hex digits");
}

/**
 * A transfer with every field checked: indices u32, amount and nonce u64, fee at most
 * MAX_FEE (a wallet refuses to sign more: only the low 48 bits would be signed), a valid
 * recipient key.
 * @param {{from: number, to: number, toPublicKey: [bigint, bigint] | Uint8Array | string,
 *   amount: number | bigint | string, fee: number | bigint | string, nonce: number | bigint | string}} fields
 * @returns {Transfer}
 */
export function transfer({ from, to, toPublicKey, amount, fee, nonce }) {
  return {
    from: Number(toUint(from, U32_MAX, "from")),
    to: Number(toUint(to, U32_MAX, "to")),
    toPublicKey: toPoint(toPublicKey),
    amount: toUint(amount, U64_MAX, "amount"),
    fee: toUint(fee, MAX_FEE, "fee"),
    nonce: toUint(nonce, U64_MAX, "nonce"),
  };
}

/**
 * The packed word: from | to << 32 | amount << 64 | nonce << 128 | fee << 192 | kind << 240.
 * @param {Transfer} t
 */
export function packedWord(t) {
  return (
    BigInt(t.from) |
    (BigInt(t.to) << 32n) |
    (t.amount << 64n) |
    (t.nonce << 128n) |
    ((t.fee & MAX_FEE) << 192n) |
    (KIND_TRANSFER << 240n)
  );
}

/**
 * A chain id's two halves as field elements: its first and last 16 bytes, big-endian.
 * @param {string} chainId 64 hex digits
 * @returns {[bigint, bigint]}
 */
export function chainHalves(chainId) {
  fromHex(chainId, 32);
  return [BigInt("0x" + chainId.slice(0, 32)), BigInt("0x" + chainId.slice(32))];
}

/**
 * The field element the sender signs on chain `chainId`.
 * @param {Transfer} t
 * @param {string} chainId
 */
export function transferMessage(t, chainId) {
  const [hi, lo] = chainHalves(chainId);
  return poseidon5([hi, lo, packedWord(t), t.toPublicKey[0], t.toPublicKey[1]]);
}

/**
 * Builds and signs a transfer for `chainId` with EdDSA-Poseidon (@zk-kit/eddsa-poseidon).
 * @param {Parameters<typeof transfer>[0]} fields
 * @param {string} chainId 64 hex digits
 * @param {Uint8Array | import("./keys.mjs").Key} key the sender's private key (or Key)
 * @returns {SignedTransfer}
 */
export function signTransfer(fields, chainId, key) {
  const t = transfer(fields);
  const privateKey = key instanceof Uint8Array ? key : key.privateKey;
  const sig = zkEddsa.signMessage(Buffer.from(privateKey), transferMessage(t, chainId));
  return { transfer: t, signature: { R8: [BigInt(sig.R8[0]), BigInt(sig.R8[1])], S: BigInt(sig.S) } };
}

/**
 * circomlib's packed signature: packed R8, then S little-endian (64 bytes).
 * @param {Signature} sig
 */
export function packSignature(sig) {
  const out = new Uint8Array(64);
  out.set(packPoint(sig.R8), 0);
  out.set(toLittleEndian(sig.S, 32), 32);
  return out;
}

/**
 * `SignedTransfer::to_bytes()`: the 128-byte wire form.
 * @param {SignedTransfer} signed
 * @returns {Uint8Array}
 */
export function encodeTransfer(signed) {
  const t = signed.transfer;
  const out = new Uint8Array(SIGNED_TRANSFER_BYTES);
  out.set(toLittleEndian(BigInt(t.from), 4), 0);
  out.set(toLittleEndian(BigInt(t.to), 4), 4);
  out.set(packPoint(t.toPublicKey), 8);
  out.set(toLittleEndian(t.amount, 8), 40);
  out.set(toLittleEndian(t.fee, 8), 48);
  out.set(toLittleEndian(t.nonce, 8), 56);
  out.set(packSignature(signed.signature), 64);
  return out;
}

/**
 * `SignedTransfer::from_bytes`: accepts only the canonical encoding of a well-formed transfer
 * (exact length, fee at most MAX_FEE, recipient key and R8 acceptable points, S below l),
 * checked in the node's order. Does not verify the signature (see verifyTransfer).
 * @param {Uint8Array | string} input bytes or their hex
 * @returns {SignedTransfer}
 */
export function decodeTransfer(input) {
  const bytes = typeof input === "string" ? fromHex(input) : input;
  if (bytes.length !== SIGNED_TRANSFER_BYTES) {
    throw new TransferCodecError("length", `signed transfer has ${bytes.length} bytes, expected ${SIGNED_TRANSFER_BYTES}`);
  }
  const fee = fromLittleEndian(bytes.subarray(48, 56));
  if (fee > MAX_FEE) throw new TransferCodecError("fee", `fee ${fee} exceeds the largest fee ${MAX_FEE}`);
  const toPublicKey = wrap("recipient_key", () => unpackPoint(bytes.subarray(8, 40)));
  const R8 = wrap("signature", () => unpackPoint(bytes.subarray(64, 96)));
  const S = fromLittleEndian(bytes.subarray(96, 128));
  if (S >= SUBGROUP_ORDER) {
    throw new TransferCodecError("signature", "signature scalar is not below the subgroup order");
  }
  return {
    transfer: {
      from: Number(fromLittleEndian(bytes.subarray(0, 4))),
      to: Number(fromLittleEndian(bytes.subarray(4, 8))),
      toPublicKey,
      amount: fromLittleEndian(bytes.subarray(40, 48)),
      fee,
      nonce: fromLittleEndian(bytes.subarray(56, 64)),
    },
    signature: { R8, S },
  };
}

/**
 * @template T
 * @param {"recipient_key" | "signature"} kind
 * @param {() => T} f
 * @returns {T}
 */
function wrap(kind, f) {
  try {
    return f();
  } catch (e) {
    if (e instanceof PointError) throw new TransferCodecError(kind, `${kind.replace("_", " ")}: ${e.message}`);
    throw e;
  }
}

/**
 * The transfer's id: SHA-256 of its wire bytes, as hex.
 * @param {SignedTransfer | Uint8Array} signed
 */
export function transferHash(signed) {
  return sha256Hex(signed instanceof Uint8Array ? signed : encodeTransfer(signed));
}

/**
 * Whether the signature is the sender's on `chainId`, as strictly as the node checks it:
 * the key and R8 acceptable points, S below l, then `S * Base8 == R8 + 8 * hm * A`.
 * @param {SignedTransfer} signed
 * @param {string} chainId
 * @param {[bigint, bigint] | Uint8Array | string} senderPublicKey
 */
export function verifyTransfer(signed, chainId, senderPublicKey) {
  let key;
  try {
    key = toPoint(senderPublicKey);
    checkPoint(signed.signature.R8);
  } catch (e) {
    if (e instanceof PointError) return false;
    throw e;
  }
  if (signed.signature.S >= SUBGROUP_ORDER) return false;
  return zkEddsa.verifySignature(transferMessage(signed.transfer, chainId), signed.signature, key);
}

/** @param {SignedTransfer | Uint8Array} signed */
export function transferHex(signed) {
  return toHex(signed instanceof Uint8Array ? signed : encodeTransfer(signed));
}
