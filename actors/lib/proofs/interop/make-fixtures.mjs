// Writes ../tests/fixtures/circom_vectors.json: Poseidon hashes from circomlibjs, and
// EdDSA-Poseidon keys and signatures from @zk-kit/eddsa-poseidon (cross-checked against
// circomlibjs' signPoseidon), including AI-chain transfers signed the way a JS wallet would.
// Run: npm install && node make-fixtures.mjs   (Rust tests read the committed output).
import { createRequire } from "node:module";
import { writeFileSync } from "node:fs";
import { buildPoseidon, buildEddsa } from "circomlibjs";

// zk-kit's ESM entry fails on its blakejs import under Node 20; its CommonJS entry works.
const require = createRequire(import.meta.url);
const zkkit = require("@zk-kit/eddsa-poseidon");

const poseidon = await buildPoseidon();
const eddsa = await buildEddsa();
const F = poseidon.F;
const hash = (xs) => F.toObject(poseidon(xs.map((x) => BigInt(x))));
const dec = (x) => x.toString();

// Deterministic pseudo-random field elements (xorshift), so the file is reproducible.
let state = 0x2545f4914f6cdd1dn;
const next64 = () => {
  state ^= (state << 13n) & 0xffffffffffffffffn;
  state ^= state >> 7n;
  state ^= (state << 17n) & 0xffffffffffffffffn;
  return state;
};
const P = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;
const randomField = () => ((next64() << 192n) | (next64() << 128n) | (next64() << 64n) | next64()) % P;

const poseidonVectors = [];
for (let n = 1; n <= 12; n++) {
  const small = Array.from({ length: n }, (_, i) => BigInt(i + 1));
  poseidonVectors.push({ inputs: small.map(dec), hash: dec(hash(small)) });
  const big = Array.from({ length: n }, randomField);
  poseidonVectors.push({ inputs: big.map(dec), hash: dec(hash(big)) });
}

const keyHex = (i) => Buffer.from(Array.from({ length: 32 }, (_, k) => (i * 31 + k * 7) & 0xff)).toString("hex");

const signatures = [];
for (let i = 0; i < 6; i++) {
  const sk = Buffer.from(keyHex(i), "hex");
  const msg = i === 0 ? 1234567890123456789n : randomField();
  const pub = zkkit.derivePublicKey(sk);
  const sig = zkkit.signMessage(sk, msg);
  if (!zkkit.verifySignature(msg, sig, pub)) throw new Error("zk-kit rejects its own signature");
  const c = eddsa.signPoseidon(sk, F.e(msg));
  if (F.toObject(c.R8[0]) !== BigInt(sig.R8[0]) || c.S !== BigInt(sig.S)) {
    throw new Error("circomlibjs and zk-kit disagree");
  }
  signatures.push({
    private_key: keyHex(i),
    message: dec(msg),
    public_key: pub.map((x) => dec(BigInt(x))),
    r8: sig.R8.map((x) => dec(BigInt(x))),
    s: dec(BigInt(sig.S)),
  });
}

// An AI-chain transfer signed by a JS wallet: message = Poseidon(chain_hi, chain_lo, packed,
// to.x, to.y) with packed = from | to << 32 | amount << 64 | nonce << 128 | fee << 192 |
// kind << 240 (fee below 2^48).
const chainId = "5fdd0f9e2b9e01b1bd77b8a8e8f0cde4e2c0c1dbe6fd2ef3a0f2a9b5c7d31e42";
const chainHi = BigInt("0x" + chainId.slice(0, 32));
const chainLo = BigInt("0x" + chainId.slice(32));
const transfers = [];
const sender = Buffer.from(keyHex(100), "hex");
const recipientKey = zkkit.derivePublicKey(Buffer.from(keyHex(101), "hex")).map(BigInt);
for (const [from, to, amount, fee, nonce] of [[0n, 3n, 250n, 7n, 0n], [0n, 3n, 1n, 2n, 1n]]) {
  const packed = from | (to << 32n) | (amount << 64n) | (nonce << 128n) | (fee << 192n) | (1n << 240n);
  const message = hash([chainHi, chainLo, packed, recipientKey[0], recipientKey[1]]);
  const sig = zkkit.signMessage(sender, message);
  transfers.push({
    from: Number(from), to: Number(to), amount: dec(amount), fee: dec(fee), nonce: dec(nonce),
    to_public_key: recipientKey.map(dec), message: dec(message),
    r8: sig.R8.map((x) => dec(BigInt(x))), s: dec(BigInt(sig.S)),
  });
}

const out = {
  generator: "actors/lib/proofs/interop/make-fixtures.mjs (circomlibjs 0.1.7, @zk-kit/eddsa-poseidon 1.1.0)",
  poseidon: poseidonVectors,
  signatures,
  transfer_chain_id: chainId,
  transfer_sender_private_key: keyHex(100),
  transfer_sender_public_key: zkkit.derivePublicKey(sender).map((x) => dec(BigInt(x))),
  transfers,
};
writeFileSync(new URL("../tests/fixtures/circom_vectors.json", import.meta.url), JSON.stringify(out, null, 2) + "\n");
console.log(`wrote ${poseidonVectors.length} hashes, ${signatures.length} signatures, ${transfers.length} transfers`);
