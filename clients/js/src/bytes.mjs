// Bytes, hex and integers as the node writes them: hex without `0x` (lower-case in answers,
// either case accepted), integers little-endian in the wire form, SHA-256 for ids. Nothing
// here knows about transfers; it is the vocabulary the other modules share.

import { createHash } from "node:crypto";

/** BN254's scalar field modulus: the field Poseidon and Baby Jubjub coordinates live in. */
export const FIELD_MODULUS =
  21888242871839275222246405745257275088548364400416034343698204186575808495617n;

/** The largest value of a u32 and a u64. */
export const U32_MAX = 0xffffffffn;
export const U64_MAX = 0xffffffffffffffffn;

/**
 * Bytes from hex (no `0x`, even length, either case).
 * @param {string} hex
 * @param {number} [length] the exact byte length required
 * @returns {Uint8Array}
 */
export function fromHex(hex, length) {
  if (typeof hex !== "string" || hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) {
    throw new TypeError(`not hex: ${String(hex).slice(0, 80)}`);
  }
  if (length !== undefined && hex.length !== 2 * length) {
    throw new TypeError(`expected ${length} bytes of hex, got ${hex.length / 2}`);
  }
  return Uint8Array.from(Buffer.from(hex, "hex"));
}

/**
 * Lower-case hex of bytes.
 * @param {Uint8Array} bytes
 * @returns {string}
 */
export function toHex(bytes) {
  return Buffer.from(bytes).toString("hex");
}

/**
 * `value` as `length` little-endian bytes; throws if it does not fit.
 * @param {bigint} value
 * @param {number} length
 * @returns {Uint8Array}
 */
export function toLittleEndian(value, length) {
  if (value < 0n || value >= 1n << BigInt(8 * length)) {
    throw new RangeError(`${value} does not fit in ${length} bytes`);
  }
  const out = new Uint8Array(length);
  let v = value;
  for (let i = 0; i < length; i++) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

/**
 * The unsigned integer of little-endian bytes.
 * @param {Uint8Array} bytes
 * @returns {bigint}
 */
export function fromLittleEndian(bytes) {
  let v = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]);
  return v;
}

/**
 * SHA-256 of bytes, as hex (the node's transaction hashes and chain ids).
 * @param {Uint8Array} bytes
 * @returns {string}
 */
export function sha256Hex(bytes) {
  return createHash("sha256").update(bytes).digest("hex");
}

/**
 * A JavaScript integer or bigint as a bigint in `[0, max]`, with `what` in the error.
 * @param {number | bigint | string} value
 * @param {bigint} max
 * @param {string} what
 * @returns {bigint}
 */
export function toUint(value, max, what) {
  let v;
  if (typeof value === "bigint") v = value;
  else if (typeof value === "number" && Number.isSafeInteger(value)) v = BigInt(value);
  else if (typeof value === "string" && /^[0-9]+$/.test(value)) v = BigInt(value);
  else throw new TypeError(`${what} must be a non-negative integer (a safe number, a bigint or decimal text), got ${value}`);
  if (v < 0n || v > max) throw new RangeError(`${what} ${v} is outside 0..=${max}`);
  return v;
}
