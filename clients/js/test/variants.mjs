// Hostile variants of one valid signed transfer: the same bytes with the signature malleated,
// signed for another chain id, or with bits flipped. The node must refuse each with a typed
// JSON-RPC error, and which one is predicted here: bytes the strict decoder refuses get
// -32602 (invalid params, `SignedTransfer::from_bytes` failed); bytes that decode but whose
// signature is not the sender's get 4010 (rejected by the sequencer).

import { FIELD_MODULUS, SUBGROUP_ORDER, decodeTransfer, encodeTransfer, packPoint, sha256Hex, signTransfer } from "../src/index.mjs";
import { addPoint } from "@zk-kit/baby-jubjub";

/** The point of order two: adding it leaves the curve's prime-order subgroup. */
const ORDER_TWO = /** @type {[bigint, bigint]} */ ([0n, FIELD_MODULUS - 1n]);

/**
 * What the node should answer for `bytes`: -32602 if they do not decode, else 4010.
 * @param {Uint8Array} bytes
 */
export function predictedCode(bytes) {
  try {
    decodeTransfer(bytes);
    return 4010;
  } catch (e) {
    if (e?.name === "TransferCodecError") return -32602;
    throw e;
  }
}

/**
 * @param {Uint8Array} bytes
 * @param {number} byte
 * @param {number} bit
 */
function flip(bytes, byte, bit) {
  const out = Uint8Array.from(bytes);
  out[byte] ^= 1 << bit;
  return out;
}

/**
 * @param {Uint8Array} bytes
 * @param {number} at
 * @param {Uint8Array} patch
 */
function patch(bytes, at, patch) {
  const out = Uint8Array.from(bytes);
  out.set(patch, at);
  return out;
}

/** The 32 bytes of `value` little-endian, which must fit. */
function le32(/** @type {bigint} */ value) {
  const out = new Uint8Array(32);
  let v = value;
  for (let i = 0; i < 32; i++, v >>= 8n) out[i] = Number(v & 0xffn);
  if (v !== 0n) throw new RangeError("does not fit 32 bytes");
  return out;
}

/** A point from zk-kit's answer (bigints or numeric text). */
function point(/** @type {any[]} */ p) {
  return /** @type {[bigint, bigint]} */ ([BigInt(p[0]), BigInt(p[1])]);
}

/** A packed point with y + p in place of y (the same point, a second encoding). */
function nonCanonical(/** @type {[bigint, bigint]} */ point) {
  const out = le32(point[1] + FIELD_MODULUS);
  if (out[31] & 0x80) throw new RangeError("y + p reaches the sign bit");
  out[31] |= packPoint(point)[31] & 0x80;
  return out;
}

/**
 * The signature malleations: each keeps the transfer and alters only its signature.
 * @param {import("../src/transfer.mjs").SignedTransfer} signed
 * @returns {{name: string, bytes: Uint8Array}[]}
 */
export function malleations(signed) {
  const bytes = encodeTransfer(signed);
  const { R8, S } = signed.signature;
  const key = signed.transfer.toPublicKey;
  let k = 1n;
  while (S + (k + 1n) * SUBGROUP_ORDER < 1n << 256n) k++;
  return [
    { name: "S replaced by S + l", bytes: patch(bytes, 96, le32(S + SUBGROUP_ORDER)) },
    { name: `S replaced by S + ${k}·l (the largest multiple that fits 32 bytes)`, bytes: patch(bytes, 96, le32(S + k * SUBGROUP_ORDER)) },
    { name: "S replaced by l - S", bytes: patch(bytes, 96, le32(SUBGROUP_ORDER - S)) },
    { name: "R8 negated (its sign bit flipped)", bytes: patch(bytes, 64, packPoint([(FIELD_MODULUS - R8[0]) % FIELD_MODULUS, R8[1]])) },
    { name: "R8 plus the point of order two", bytes: patch(bytes, 64, packPoint(point(addPoint(R8, ORDER_TWO)))) },
    { name: "R8 encoded with y + p (same point, non-canonical)", bytes: patch(bytes, 64, nonCanonical(R8)) },
    { name: "recipient key plus the point of order two", bytes: patch(bytes, 8, packPoint(point(addPoint(key, ORDER_TWO)))) },
    { name: "recipient key encoded with y + p", bytes: patch(bytes, 8, nonCanonical(key)) },
  ];
}

/**
 * The same transfer signed for other chain ids than `chainId`.
 * @param {Parameters<typeof signTransfer>[0]} fields
 * @param {string} chainId
 * @param {import("../src/keys.mjs").Key} key
 */
export function otherChains(fields, chainId, key) {
  const lastBit = chainId.slice(0, 63) + (parseInt(chainId[63], 16) ^ 1).toString(16);
  return [
    { name: "signed for another chain id", chain: sha256Hex(new TextEncoder().encode("another chain")) },
    { name: "signed for the chain id with its last bit flipped", chain: lastBit },
    { name: "signed for the chain id with its halves swapped", chain: chainId.slice(32) + chainId.slice(0, 32) },
  ].map(({ name, chain }) => ({ name, bytes: encodeTransfer(signTransfer(fields, chain, key)) }));
}

/** Bit positions flipped in the 128 bytes, by field: [byte, bit, field]. */
export const FLIPS = /** @type {const} */ ([
  [0, 0, "from"],
  [4, 0, "to (recipient index)"],
  [8, 0, "recipient key, low bit of y"],
  [39, 7, "recipient key, sign bit"],
  [40, 0, "amount, low bit"],
  [47, 7, "amount, top bit"],
  [48, 0, "fee, low bit"],
  [55, 7, "fee, top bit (over the 48-bit maximum)"],
  [56, 0, "nonce, low bit"],
  [64, 0, "signature R8, low bit of y"],
  [80, 5, "signature R8, a middle bit of y"],
  [96, 0, "signature S, low bit"],
  [120, 3, "signature S, a middle bit"],
  [127, 7, "signature S, top bit"],
]);

/**
 * `bytes` with one bit flipped at each of FLIPS.
 * @param {Uint8Array} bytes
 */
export function flippedBits(bytes) {
  return FLIPS.map(([byte, bit, field]) => ({ name: `bit ${bit} of byte ${byte} flipped (${field})`, bytes: flip(bytes, byte, bit) }));
}
