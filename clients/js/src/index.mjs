// bitai's JavaScript client: keys (keys.mjs), transfers signed with @zk-kit/eddsa-poseidon and
// packed as the node's `SignedTransfer::to_bytes()` (transfer.mjs), a JSON-RPC client with
// typed errors (rpc.mjs) and follow(), which waits for a transaction to go final (follow.mjs).

export { FIELD_MODULUS, fromHex, toHex, sha256Hex } from "./bytes.mjs";
export { BASE8, SUBGROUP_ORDER, PointError, packPoint, unpackPoint, checkPoint, inSubgroup } from "./point.mjs";
export { Key } from "./keys.mjs";
export {
  KIND_TRANSFER,
  MAX_FEE,
  SIGNED_TRANSFER_BYTES,
  TransferCodecError,
  chainHalves,
  decodeTransfer,
  encodeTransfer,
  packSignature,
  packedWord,
  signTransfer,
  toPoint,
  transfer,
  transferHash,
  transferHex,
  transferMessage,
  verifyTransfer,
} from "./transfer.mjs";
export { Client, ErrorCode, HttpError, ProtocolError, RpcError } from "./rpc.mjs";
export { FollowTimeoutError, STAGES, TransactionRejectedError, follow } from "./follow.mjs";
