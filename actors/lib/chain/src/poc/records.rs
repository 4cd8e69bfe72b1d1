//! What the state keeps for Proof-of-Compute, and how each record becomes a tree leaf.
//!
//! Records live in the **object tree**, an arity-four Poseidon tree one level deeper than
//! the account tree: position `kind * 4^depth + key`, so each kind has an account tree's
//! worth of keys. Neuron records are keyed by the neuron's account, models by model id,
//! requests by request id (ids count up from 0). An empty position is the leaf 0. The
//! **active list** (the neurons requests are drawn from) is a separate tree of
//! [`super::NEURON_LIST_DEPTH`] levels whose leaf `i` is `account + 1` of the `i`-th active
//! neuron, 0 when empty. Three counters (active neurons, models, requests) are packed into
//! one field element `n | models << 32 | requests << 64`. The chain's state root is
//! `Poseidon(account_root, object_root, list_root, counters)`.
//!
//! Leaves (each a Poseidon hash led by a kind tag, so no record of one kind is another's):
//! - neuron: `Poseidon(1, stake, unlock_at, rewards, slashed)`;
//! - model: `Poseidon(2, hash_hi, hash_lo, size | owner << 32)`;
//! - request: `Poseidon(3, requester | model << 32 | flags << 64, input_hi, input_lo,
//!   escrow | created << 64, a0 | a1 << 32 | a2 << 64, c0, c1, c2, r0, r1, r2)`.

use super::{ASSIGNEES, QUORUM, SETTLE_PARTS};
use crate::field::{split_hash, Fr};
use crate::poseidon::poseidon;
use crate::tx::AccountIndex;
use ark_ff::AdditiveGroup;
use bitai_protocol::Hash32;

/// Object-tree kind of neuron records.
pub const OBJECT_NEURON: u64 = 0;
/// Object-tree kind of models.
pub const OBJECT_MODEL: u64 = 1;
/// Object-tree kind of requests.
pub const OBJECT_REQUEST: u64 = 2;

/// Leaf tag of a neuron record.
pub const TAG_NEURON: u64 = 1;
/// Leaf tag of a model.
pub const TAG_MODEL: u64 = 2;
/// Leaf tag of a request.
pub const TAG_REQUEST: u64 = 3;

/// The object-tree position of `key` of `kind` in a state whose account tree has `depth`
/// levels.
pub fn object_index(depth: usize, kind: u64, key: u32) -> u64 {
    (kind << (2 * depth)) | u64::from(key)
}

/// `lo + mid * 2^32 + hi * 2^64` as a field element (the packing of the leaves; callers
/// keep `lo` and `mid` below 2^32, so it is `lo | mid << 32 | hi << 64`).
pub fn pack3(lo: u64, mid: u64, hi: u64) -> Fr {
    Fr::from(lo) + Fr::from(mid) * Fr::from(1u64 << 32) + Fr::from(hi) * two_pow_64()
}

fn two_pow_64() -> Fr {
    Fr::from(1u64 << 32) * Fr::from(1u64 << 32)
}

/// A registered neuron (keyed by its account).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NeuronRecord {
    /// Stake locked, after slashing.
    pub stake: u64,
    /// 0 while bonded (in the active list); else the first block it may withdraw.
    pub unlock_at: u64,
    /// Fees earned so far (paid into the account's balance as earned).
    pub rewards: u64,
    /// Stake slashed (burned) so far.
    pub slashed: u64,
}

impl NeuronRecord {
    /// The record's leaf.
    pub fn leaf(&self) -> Fr {
        poseidon(&[
            Fr::from(TAG_NEURON),
            Fr::from(self.stake),
            Fr::from(self.unlock_at),
            Fr::from(self.rewards),
            Fr::from(self.slashed),
        ])
    }
}

/// A deployed model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ModelRecord {
    /// Its content hash (SHA-256 of the canonical model bytes; their DA commitment too).
    pub hash: Hash32,
    /// Its size in bytes.
    pub size: u32,
    /// The account that deployed it.
    pub owner: AccountIndex,
}

impl ModelRecord {
    /// The record's leaf.
    pub fn leaf(&self) -> Fr {
        let [hi, lo] = split_hash(&self.hash);
        poseidon(&[
            Fr::from(TAG_MODEL),
            hi,
            lo,
            pack3(u64::from(self.size), u64::from(self.owner), 0),
        ])
    }
}

/// Request flag: seat `j` committed (bit `j`).
pub const FLAG_COMMITTED: u16 = 1;
/// Request flag: seat `j` revealed (bit `3 + j`).
pub const FLAG_REVEALED: u16 = 1 << 3;
/// Request flag: part `p` settled (bit `6 + p`).
pub const FLAG_SETTLED: u16 = 1 << 6;

/// An inference request and its progress.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RequestRecord {
    /// Who asked (and is refunded).
    pub requester: AccountIndex,
    /// The model id.
    pub model: u32,
    /// SHA-256 of the input bytes.
    pub input: Hash32,
    /// Fee held until settlement.
    pub escrow: u64,
    /// The block that created the request.
    pub created: u64,
    /// The assigned neurons' accounts, by seat.
    pub assignees: [AccountIndex; ASSIGNEES],
    /// Commitments by seat (0 until committed).
    pub commits: [Fr; ASSIGNEES],
    /// Revealed results by seat (0 until revealed).
    pub results: [Fr; ASSIGNEES],
    /// Committed, revealed and settled bits (see the `FLAG_*` constants).
    pub flags: u16,
}

impl RequestRecord {
    /// The record's leaf.
    pub fn leaf(&self) -> Fr {
        let [i_hi, i_lo] = split_hash(&self.input);
        let a = self.assignees.map(u64::from);
        poseidon(&[
            Fr::from(TAG_REQUEST),
            pack3(
                u64::from(self.requester),
                u64::from(self.model),
                u64::from(self.flags),
            ),
            i_hi,
            i_lo,
            Fr::from(self.escrow) + Fr::from(self.created) * two_pow_64(),
            pack3(a[0], a[1], a[2]),
            self.commits[0],
            self.commits[1],
            self.commits[2],
            self.results[0],
            self.results[1],
            self.results[2],
        ])
    }

    /// Whether seat `j` has committed.
    pub fn committed(&self, j: usize) -> bool {
        self.flags & (FLAG_COMMITTED << j) != 0
    }

    /// Whether seat `j` has revealed.
    pub fn revealed(&self, j: usize) -> bool {
        self.flags & (FLAG_REVEALED << j) != 0
    }

    /// Whether part `p` is settled.
    pub fn settled(&self, p: u8) -> bool {
        self.flags & (FLAG_SETTLED << p) != 0
    }

    /// Whether every part is settled.
    pub fn fully_settled(&self) -> bool {
        (0..SETTLE_PARTS).all(|p| self.settled(p))
    }

    /// The seat of `account`, if assigned.
    pub fn seat_of(&self, account: AccountIndex) -> Option<usize> {
        self.assignees.iter().position(|a| *a == account)
    }

    /// Last block at which a commitment is accepted.
    pub fn commit_deadline(&self, params: &super::PocParams) -> u64 {
        self.created + params.commit_window_blocks
    }

    /// Last block at which a reveal is accepted.
    pub fn reveal_deadline(&self, params: &super::PocParams) -> u64 {
        self.commit_deadline(params) + params.reveal_window_blocks
    }

    /// Whether every seat has committed.
    pub fn all_committed(&self) -> bool {
        (0..ASSIGNEES).all(|j| self.committed(j))
    }

    /// Whether reveals are open at block `b` (the commit phase is over).
    pub fn reveals_open(&self, params: &super::PocParams, b: u64) -> bool {
        (self.all_committed() || b > self.commit_deadline(params))
            && b <= self.reveal_deadline(params)
    }

    /// Whether settlement may run at block `b`: after the reveal window, or once the commit
    /// phase is over and every committed seat has revealed.
    pub fn settle_due(&self, params: &super::PocParams, b: u64) -> bool {
        let commit_over = self.all_committed() || b > self.commit_deadline(params);
        let all_revealed = (0..ASSIGNEES).all(|j| !self.committed(j) || self.revealed(j));
        b > self.reveal_deadline(params) || (commit_over && all_revealed)
    }

    /// Who agreed, what each is paid and what the requester gets back, from the reveals so
    /// far (final once settlement is due: no reveal is accepted after that).
    pub fn outcome(&self) -> Outcome {
        let pair = |i: usize, j: usize| {
            self.revealed(i) && self.revealed(j) && self.results[i] == self.results[j]
        };
        let agree = [
            pair(0, 1) || pair(0, 2),
            pair(0, 1) || pair(1, 2),
            pair(0, 2) || pair(1, 2),
        ];
        let agreeing = agree.iter().filter(|a| **a).count() as u64;
        let quorum = agreeing as usize >= QUORUM;
        let (share, refund) = if quorum {
            (self.escrow / agreeing, self.escrow % agreeing)
        } else {
            (0, self.escrow)
        };
        let result = agree.iter().position(|a| *a).map(|j| self.results[j]);
        Outcome {
            agree,
            quorum,
            share,
            refund,
            result,
        }
    }
}

/// How a request settles.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// Seats whose revealed result another revealed seat shares.
    pub agree: [bool; ASSIGNEES],
    /// Whether at least [`QUORUM`] seats agree.
    pub quorum: bool,
    /// Paid to each agreeing seat.
    pub share: u64,
    /// Paid back to the requester.
    pub refund: u64,
    /// The agreed result digest, if any.
    pub result: Option<Fr>,
}

impl Outcome {
    /// Whether seat `j` of `request` is slashed: with a quorum every seat outside it; without
    /// one, the seats that never revealed.
    pub fn slashed(&self, request: &RequestRecord, j: usize) -> bool {
        !self.agree[j] && (self.quorum || !request.revealed(j))
    }
}

/// The value at an object-tree position.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(clippy::large_enum_variant)] // Requests dominate the tree; boxing them buys nothing.
pub enum ObjectValue {
    /// Nothing there (leaf 0).
    Empty,
    /// A neuron record.
    Neuron(NeuronRecord),
    /// A model.
    Model(ModelRecord),
    /// A request.
    Request(RequestRecord),
}

impl ObjectValue {
    /// The leaf.
    pub fn leaf(&self) -> Fr {
        match self {
            ObjectValue::Empty => Fr::ZERO,
            ObjectValue::Neuron(r) => r.leaf(),
            ObjectValue::Model(r) => r.leaf(),
            ObjectValue::Request(r) => r.leaf(),
        }
    }
}

/// Why stored bytes are not an [`ObjectValue`].
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum RecordCodecError {
    /// Unknown tag or wrong length for the tag.
    #[error("record of {len} bytes with tag {tag} is not a record")]
    Shape {
        /// The tag byte.
        tag: u8,
        /// The length.
        len: usize,
    },
    /// A commitment or result is not a canonical field element.
    #[error("record holds a non-canonical field element")]
    Field,
}

const NEURON_BYTES: usize = 1 + 4 * 8;
const MODEL_BYTES: usize = 1 + 32 + 4 + 4;
const REQUEST_BYTES: usize = 1 + 4 + 4 + 32 + 8 + 8 + 3 * 4 + 6 * 32 + 2;

impl ObjectValue {
    /// A byte form for storage: a tag (the leaf tag, 0 for empty) and the fields in order,
    /// integers little-endian, field elements as canonical big-endian words.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        match self {
            ObjectValue::Empty => out.push(0),
            ObjectValue::Neuron(n) => {
                out.push(TAG_NEURON as u8);
                for v in [n.stake, n.unlock_at, n.rewards, n.slashed] {
                    out.extend_from_slice(&v.to_le_bytes());
                }
            }
            ObjectValue::Model(m) => {
                out.push(TAG_MODEL as u8);
                out.extend_from_slice(m.hash.as_bytes());
                out.extend_from_slice(&m.size.to_le_bytes());
                out.extend_from_slice(&m.owner.to_le_bytes());
            }
            ObjectValue::Request(r) => {
                out.push(TAG_REQUEST as u8);
                out.extend_from_slice(&r.requester.to_le_bytes());
                out.extend_from_slice(&r.model.to_le_bytes());
                out.extend_from_slice(r.input.as_bytes());
                out.extend_from_slice(&r.escrow.to_le_bytes());
                out.extend_from_slice(&r.created.to_le_bytes());
                for a in r.assignees {
                    out.extend_from_slice(&a.to_le_bytes());
                }
                for x in r.commits.iter().chain(&r.results) {
                    out.extend_from_slice(&crate::field::fr_to_be_bytes(x));
                }
                out.extend_from_slice(&r.flags.to_le_bytes());
            }
        }
        out
    }

    /// Reads [`ObjectValue::to_bytes`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, RecordCodecError> {
        let tag = bytes.first().copied().unwrap_or(u8::MAX);
        let shape = RecordCodecError::Shape {
            tag,
            len: bytes.len(),
        };
        let mut at = 1;
        let mut take = |n: usize| {
            let s = &bytes[at..at + n];
            at += n;
            s
        };
        let u64_ = |s: &[u8]| u64::from_le_bytes(s.try_into().expect("8 bytes"));
        let u32_ = |s: &[u8]| u32::from_le_bytes(s.try_into().expect("4 bytes"));
        match (u64::from(tag), bytes.len()) {
            (0, 1) => Ok(ObjectValue::Empty),
            (TAG_NEURON, NEURON_BYTES) => Ok(ObjectValue::Neuron(NeuronRecord {
                stake: u64_(take(8)),
                unlock_at: u64_(take(8)),
                rewards: u64_(take(8)),
                slashed: u64_(take(8)),
            })),
            (TAG_MODEL, MODEL_BYTES) => Ok(ObjectValue::Model(ModelRecord {
                hash: Hash32(take(32).try_into().expect("32 bytes")),
                size: u32_(take(4)),
                owner: u32_(take(4)),
            })),
            (TAG_REQUEST, REQUEST_BYTES) => {
                let requester = u32_(take(4));
                let model = u32_(take(4));
                let input = Hash32(take(32).try_into().expect("32 bytes"));
                let escrow = u64_(take(8));
                let created = u64_(take(8));
                let assignees = [u32_(take(4)), u32_(take(4)), u32_(take(4))];
                let mut fields = [Fr::ZERO; 6];
                for f in &mut fields {
                    *f = crate::field::fr_from_be_bytes(&take(32).try_into().expect("32 bytes"))
                        .map_err(|_| RecordCodecError::Field)?;
                }
                let flags = u16::from_le_bytes(take(2).try_into().expect("2 bytes"));
                Ok(ObjectValue::Request(RequestRecord {
                    requester,
                    model,
                    input,
                    escrow,
                    created,
                    assignees,
                    commits: [fields[0], fields[1], fields[2]],
                    results: [fields[3], fields[4], fields[5]],
                    flags,
                }))
            }
            _ => Err(shape),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn records_round_trip() {
        let values = [
            ObjectValue::Empty,
            ObjectValue::Neuron(NeuronRecord {
                stake: 1,
                unlock_at: 2,
                rewards: 3,
                slashed: 4,
            }),
            ObjectValue::Model(ModelRecord {
                hash: Hash32::sha256(b"m"),
                size: 9,
                owner: 7,
            }),
            ObjectValue::Request(RequestRecord {
                requester: 1,
                model: 2,
                input: Hash32::sha256(b"i"),
                escrow: 3,
                created: 4,
                assignees: [5, 6, 7],
                commits: [Fr::from(8u64), Fr::from(9u64), Fr::ZERO],
                results: [Fr::ZERO, Fr::from(10u64), Fr::from(11u64)],
                flags: 0x3ff,
            }),
        ];
        for v in values {
            assert_eq!(ObjectValue::from_bytes(&v.to_bytes()), Ok(v));
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1_000))]
        #[test]
        fn stored_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            if let Ok(v) = ObjectValue::from_bytes(&bytes) {
                prop_assert_eq!(v.to_bytes(), bytes);
            }
        }
    }
}
