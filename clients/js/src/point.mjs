// Baby Jubjub points as the chain reads them. Packing is circomlib's (y little-endian, the
// top bit set when x is "negative", above (p - 1) / 2). Unpacking is as strict as the node's
// decoder (`bitai_chain::babyjubjub::unpack_point`): a canonical y, a point on the curve, in
// the prime-order subgroup and not the identity, so every point has exactly one encoding.
// zk-kit's own `unpackPoint` accepts y = p and ignores the sign rule; it is used here only to
// find a square root.

import { Base8, inCurve, mulPointEscalar, subOrder, unpackPoint as zkUnpack } from "@zk-kit/baby-jubjub";
import { FIELD_MODULUS, fromLittleEndian, toLittleEndian } from "./bytes.mjs";

/** The order l of the prime-order subgroup (signatures' S must be below it). */
export const SUBGROUP_ORDER = subOrder;

/** The generator circomlib signs with. */
export const BASE8 = /** @type {[bigint, bigint]} */ ([BigInt(Base8[0]), BigInt(Base8[1])]);

/** Why 32 bytes are not an acceptable point. */
export class PointError extends Error {
  /** @param {string} reason */
  constructor(reason) {
    super(reason);
    this.name = "PointError";
  }
}

const HALF = (FIELD_MODULUS - 1n) / 2n;

/**
 * circomlib's packing of a point.
 * @param {[bigint, bigint]} point
 * @returns {Uint8Array} 32 bytes
 */
export function packPoint(point) {
  const out = toLittleEndian(point[1], 32);
  if (point[0] > HALF) out[31] |= 0x80;
  return out;
}

/**
 * Whether `point` is in the prime-order subgroup (l * P is the identity).
 * @param {[bigint, bigint]} point
 */
export function inSubgroup(point) {
  const q = mulPointEscalar(point, SUBGROUP_ORDER);
  return q[0] === 0n && q[1] === 1n;
}

/**
 * Checks what the node checks of a point from outside: on the curve, in the subgroup, not
 * the identity. Returns the point.
 * @param {[bigint, bigint]} point
 * @returns {[bigint, bigint]}
 */
export function checkPoint(point) {
  if (!inCurve(point)) throw new PointError("point is not on the curve");
  if (point[0] === 0n && point[1] === 1n) throw new PointError("point is the identity");
  if (!inSubgroup(point)) throw new PointError("point is not in the prime-order subgroup");
  return point;
}

/**
 * Unpacks 32 bytes as the node does, refusing anything but the one encoding of an acceptable
 * point.
 * @param {Uint8Array} bytes
 * @returns {[bigint, bigint]}
 */
export function unpackPoint(bytes) {
  if (bytes.length !== 32) throw new PointError(`a packed point has 32 bytes, not ${bytes.length}`);
  const negative = (bytes[31] & 0x80) !== 0;
  const yBytes = Uint8Array.from(bytes);
  yBytes[31] &= 0x7f;
  const y = fromLittleEndian(yBytes);
  if (y >= FIELD_MODULUS) throw new PointError("y is not a canonical field element");
  const root = zkUnpack(y);
  if (root === null) throw new PointError("no point has this y");
  let x = BigInt(root[0]);
  if (x > HALF !== negative) x = (FIELD_MODULUS - x) % FIELD_MODULUS;
  if (x === 0n && negative) throw new PointError("x is zero but the sign bit is set");
  return checkPoint([x, y]);
}
