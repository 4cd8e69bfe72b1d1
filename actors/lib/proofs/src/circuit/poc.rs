//! The Proof-of-Compute op slots of the block circuit. After the transfer slots, a block
//! has `max_ops` op slots; each re-checks one op of any of the eight kinds (or is a no-op
//! that passes every root through) against all four parts of the state root: the account
//! tree, the object tree (neurons, models, requests), the active-neuron list and the
//! counters. The rules are those of `stf::poc::rules` (see [`bitai_chain::poc`] for the life of
//! a request):
//!
//! - the kind is eight one-hot bits; `signed = real - settle`; the signed message
//!   `Poseidon(chain_hi, chain_lo, packed, data0, data1)` rebuilds `packed` from
//!   range-checked fields (the transfer layout, kind tag at bit 240) and its EdDSA signature
//!   is checked under the stored key of the touched account when `signed`;
//! - one account touch: the signer (or a settlement's payee), nonce + 1 when signed, balance
//!   `+ credit - debit` (credit: the stake of a withdrawal, a settlement's share or refund;
//!   debit: the fee, a registration's stake, a request's escrow), both steps range-checked
//!   to 64 bits, so overdrafts and overflows have no witness;
//! - two object touches (positions `region * 4^depth + key`, key range-checked to
//!   `2 * depth` bits) whose leaves are built from the allocated record fields; a read writes
//!   back the same leaf; three list touches (leaf `account + 1`, 0 empty);
//! - windows as 66-bit comparisons with the block number (a public input, range-checked);
//!   the draw `seed = Poseidon(prev_root, request_id)`, decomposed canonically, `seed mod 2^64
//!   = q * n + start` with `start < n`, seats `(start + j) mod n`, `n >= 3`;
//! - settlement: who agrees, the quorum, `share * agreeing + remainder = escrow` with
//!   `remainder < agreeing`, the slash `min(stake, slash_amount)` of a seat outside the quorum
//!   (or that never revealed, without one), the settled flag and `settle_due`; a seat whose
//!   neuron withdrew (no record) is paid but never slashed.
//!
//! Two native checks are not in the circuit, by design:
//! - **payload hashes**: a request's input bytes must hash (SHA-256) to the signed `data`, and
//!   a reveal's output bytes must have the revealed digest. The payloads go to DA, and the DA
//!   commitment is a public input of the proof, so the bytes a verifier can fetch are bound
//!   to the proof; the check that they hash right is the state transition's (and any
//!   verifier's, re-run over the DA bytes);
//! - **unused fields are zero** (e.g. `target` of a registration, `data[1]` of a commit): they
//!   change nothing in the state and are signed as they are, so the circuit does not care.
//!
//! The object positions also assume the state's invariants, which the state transition keeps:
//! a new model or request id's position is empty, slots below `n` of the active list are
//! filled and a bonded neuron is in it, and values written to the trees are 64-bit.
//!
//! - [`values`]: the witness values of a slot.
//! - [`slot`]: the slot itself, with one `enforce_<kind>` function per kind, each named
//!   after the state transition's `apply_<kind>` that it re-checks; [`kinds`], [`records`],
//!   [`rules`], [`touch`] and [`gadgets`] its parts.

pub mod gadgets;
pub mod kinds;
pub mod records;
pub mod rules;
pub mod slot;
pub mod touch;
pub mod values;

pub use slot::{synthesize_op, BlockVars, PartsVar};
pub use values::{ListSlotValues, ObjectSlotValues, OpValues};

#[cfg(test)]
mod tests;
