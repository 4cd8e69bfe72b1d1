// Keys and the account identity the chain knows. A private key is 32 bytes, hashed with
// BLAKE-512 into the secret scalar as circomlibjs and @zk-kit/eddsa-poseidon do; its public
// key is a Baby Jubjub point; the chain stores an account as an index and that point, packed
// (64 hex digits, what `bitai keygen` prints and `bitai_getAccount` answers). Key files are
// `bitai keygen`'s JSON. The devnet's genesis accounts have keys drawn from the node seed.

import { createRequire } from "node:module";
import { createHash, randomBytes } from "node:crypto";
import { fromHex, toHex, toLittleEndian } from "./bytes.mjs";
import { packPoint } from "./point.mjs";

// zk-kit's ESM entry fails under Node 20 (it imports a named export from blakejs, a CommonJS
// module); its CommonJS entry works.
const require = createRequire(import.meta.url);
/** @type {typeof import("@zk-kit/eddsa-poseidon")} */
export const zkEddsa = require("@zk-kit/eddsa-poseidon");

/** A signing key: the private bytes, the public point and its packed hex. */
export class Key {
  /** @param {Uint8Array} privateKey 32 bytes */
  constructor(privateKey) {
    if (!(privateKey instanceof Uint8Array) || privateKey.length !== 32) {
      throw new TypeError("a private key is 32 bytes");
    }
    /** @type {Uint8Array} */
    this.privateKey = Uint8Array.from(privateKey);
    const [x, y] = zkEddsa.derivePublicKey(Buffer.from(this.privateKey));
    /** @type {[bigint, bigint]} the public key A = (s >> 3) * Base8 */
    this.publicKey = [BigInt(x), BigInt(y)];
    /** @type {string} the packed public key, 64 hex digits: the account's key on chain */
    this.packedPublicKey = toHex(packPoint(this.publicKey));
  }

  /** @param {string} hex 64 hex digits */
  static fromHex(hex) {
    return new Key(fromHex(hex, 32));
  }

  /** A fresh key from the operating system's randomness. */
  static random() {
    return new Key(Uint8Array.from(randomBytes(32)));
  }

  /**
   * The key of genesis account `index` of `bitai devnet`'s own chain under node seed `seed`
   * (`[node] seed`, 1 in configs/devnet.toml): SHA-256("bitai/devnet-account/v1/" ||
   * seed as u64 LE || index as u32 LE), as `bitai_node::pipeline::loadgen::account_keys`.
   * Devnet keys are public knowledge: never hold value under them.
   * @param {number | bigint} seed
   * @param {number} index
   */
  static devnet(seed, index) {
    const h = createHash("sha256");
    h.update("bitai/devnet-account/v1/");
    h.update(toLittleEndian(BigInt(seed), 8));
    h.update(toLittleEndian(BigInt(index), 4));
    return new Key(Uint8Array.from(h.digest()));
  }

  /**
   * A key from the text of a `bitai keygen` key file; refuses a file whose public key is not
   * its private key's.
   * @param {string} text
   */
  static fromKeyFile(text) {
    const json = JSON.parse(text);
    const key = Key.fromHex(json.private_key);
    if (typeof json.public_key !== "string" || json.public_key.toLowerCase() !== key.packedPublicKey) {
      throw new Error("the key file's public_key is not its private key's");
    }
    return key;
  }

  /** The text of a key file as `bitai keygen` writes it. */
  toKeyFile() {
    return JSON.stringify({ private_key: toHex(this.privateKey), public_key: this.packedPublicKey }, null, 2) + "\n";
  }
}
