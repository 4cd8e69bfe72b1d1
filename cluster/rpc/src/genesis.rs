//! The genesis of a new AI chain as `bitai_createChain` carries it: the tree depth, the block
//! size and the funded accounts. The node rebuilds the state from it and accepts the chain
//! only if the root equals the `CreateChain`'s `genesis_state_root`, so the genesis a
//! sequencer starts from is exactly the one the chain registered on Bitcoin.

use super::hexser;
use bitai_chain::babyjubjub::pack_point;
use bitai_chain::eddsa::PrivateKey;
use bitai_chain::stf::State;
use bitai_messages::da::{GenesisAccount, GenesisData};
use bitai_protocol::{encode_tx, BitaiTx, ChainId, ChainLimits, CreateChain, Hash32};
use serde::{Deserialize, Serialize};

/// Largest proof a chain made here accepts, in bytes (a gnark Groth16 proof is well under).
pub const MAX_PROOF_BYTES: u32 = 1024;
use std::collections::BTreeSet;

/// Most accounts a genesis may fund. The server rebuilds the genesis tree on its runtime to
/// check the root (about 16 Poseidon hashes per account), so this bounds that work too.
pub const MAX_GENESIS_ACCOUNTS: usize = 1024;

/// The tree depth `bitai chain create` uses (4^16 = 2^32 accounts).
pub const DEFAULT_TREE_DEPTH: u32 = 16;

/// One funded account at genesis.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisAccountSpec {
    /// Its index in the account tree.
    pub index: u32,
    /// Packed Baby Jubjub public key (`bitai_chain::babyjubjub::pack_point`), 64 hex digits.
    #[serde(with = "hexser::bytes32")]
    pub public_key: [u8; 32],
    /// Starting balance.
    pub balance: u64,
}

/// A chain's genesis state, as JSON.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisSpec {
    /// Levels of the arity-four account tree (1..=31; 16 holds 2^32 accounts).
    pub tree_depth: u32,
    /// Transactions per L2 block; must equal the `CreateChain`'s `max_block_txs`.
    pub max_block_txs: u32,
    /// Proof-of-Compute op slots per L2 block (0: the chain takes no ops). Default 0.
    #[serde(default)]
    pub max_block_ops: u32,
    /// The chain's Proof-of-Compute parameters (windows, stakes). Default: the defaults.
    #[serde(default)]
    pub poc: bitai_chain::poc::PocParams,
    /// The funded accounts (distinct indices, at most [`MAX_GENESIS_ACCOUNTS`]).
    pub accounts: Vec<GenesisAccountSpec>,
}

/// Why a genesis spec is unusable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum GenesisSpecError {
    /// The depth is outside 1..=31.
    #[error("tree depth {0} is outside 1..={max}", max = bitai_chain::smt::MAX_DEPTH)]
    BadDepth(u32),
    /// Blocks of no transactions.
    #[error("max_block_txs must be at least 1")]
    ZeroBlockTxs,
    /// Too many accounts.
    #[error("{0} accounts, the most is {MAX_GENESIS_ACCOUNTS}")]
    TooManyAccounts(usize),
    /// An index appears twice.
    #[error("account index {0} appears twice")]
    DuplicateIndex(u32),
    /// A key is not a valid packed subgroup point.
    #[error("account {index}: public key: {reason}")]
    BadKey {
        /// The account.
        index: u32,
        /// Why.
        reason: String,
    },
    /// The state transition function refused the accounts (an index beyond the tree).
    #[error("genesis state: {0}")]
    State(String),
}

impl GenesisSpec {
    /// Checks the spec (block size, account count, distinct indices) and builds the genesis
    /// state through the DA genesis blob's own rules ([`GenesisData::state`]), so a spec the
    /// server accepts is one the node's sequencer and DA accept.
    pub fn state(&self) -> Result<State, GenesisSpecError> {
        if self.tree_depth == 0 || self.tree_depth as usize > bitai_chain::smt::MAX_DEPTH {
            return Err(GenesisSpecError::BadDepth(self.tree_depth));
        }
        if self.max_block_txs == 0 {
            return Err(GenesisSpecError::ZeroBlockTxs);
        }
        if self.accounts.len() > MAX_GENESIS_ACCOUNTS {
            return Err(GenesisSpecError::TooManyAccounts(self.accounts.len()));
        }
        let mut seen = BTreeSet::new();
        for a in &self.accounts {
            if !seen.insert(a.index) {
                return Err(GenesisSpecError::DuplicateIndex(a.index));
            }
        }
        self.to_genesis_data(ChainId::default())
            .state()
            .map_err(|e| match e {
                bitai_messages::da::GenesisError::BadKey { index, reason } => {
                    GenesisSpecError::BadKey { index, reason }
                }
                other => GenesisSpecError::State(other.to_string()),
            })
    }

    /// The DA genesis blob of chain `chain_id` with these accounts (sorted by index, as the
    /// blob requires).
    pub fn to_genesis_data(&self, chain_id: ChainId) -> GenesisData {
        let mut accounts: Vec<GenesisAccount> = self
            .accounts
            .iter()
            .map(|a| GenesisAccount {
                index: a.index,
                public_key: a.public_key,
                balance: a.balance,
            })
            .collect();
        accounts.sort_by_key(|a| a.index);
        GenesisData {
            chain_id,
            tree_depth: self.tree_depth,
            max_block_txs: self.max_block_txs,
            max_block_ops: self.max_block_ops,
            poc: self.poc,
            accounts,
        }
    }

    /// The genesis state root (what `CreateChain::genesis_state_root` must be).
    pub fn root(&self) -> Result<Hash32, GenesisSpecError> {
        Ok(self.state()?.root_hash())
    }
}

/// The genesis and the encoded `CreateChain` of a chain whose creator holds `supply`.
pub fn build_chain(
    key: &PrivateKey,
    name: &str,
    supply: u64,
    max_block_txs: u32,
    proof_system: bitai_protocol::ProofSystem,
    verifying_key: Vec<u8>,
    salt: u64,
) -> Result<(GenesisSpec, CreateChain, Vec<u8>), String> {
    let genesis = GenesisSpec {
        tree_depth: DEFAULT_TREE_DEPTH,
        max_block_txs,
        max_block_ops: 0,
        poc: bitai_chain::poc::PocParams::DEFAULT,
        accounts: vec![GenesisAccountSpec {
            index: 0,
            public_key: pack_point(&key.public_key()),
            balance: supply,
        }],
    };
    build_chain_from(genesis, name, proof_system, verifying_key, salt)
}

/// The `CreateChain` (and its encoding) naming `genesis`'s root, for a genesis built by the
/// caller (several accounts, op slots, Proof-of-Compute parameters).
pub fn build_chain_from(
    genesis: GenesisSpec,
    name: &str,
    proof_system: bitai_protocol::ProofSystem,
    verifying_key: Vec<u8>,
    salt: u64,
) -> Result<(GenesisSpec, CreateChain, Vec<u8>), String> {
    let max_block_txs = genesis.max_block_txs;
    let root = genesis.root().map_err(|e| format!("genesis: {e}"))?;
    let create = CreateChain {
        name: name.to_owned(),
        proof_system,
        verifying_key,
        genesis_state_root: root,
        limits: ChainLimits {
            max_block_txs,
            max_proof_bytes: MAX_PROOF_BYTES,
        },
        salt,
    };
    let bytes = encode_tx(&BitaiTx::CreateChain(create.clone()))
        .map_err(|e| format!("CreateChain: {e}"))?;
    Ok((genesis, create, bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use bitai_chain::babyjubjub::pack_point;
    use bitai_chain::eddsa::PrivateKey;
    use bitai_chain::stf::Account;

    fn key(seed: u8) -> [u8; 32] {
        pack_point(&PrivateKey([seed; 32]).public_key())
    }

    fn spec(accounts: Vec<GenesisAccountSpec>) -> GenesisSpec {
        GenesisSpec {
            tree_depth: 4,
            max_block_txs: 4,
            max_block_ops: 0,
            poc: Default::default(),
            accounts,
        }
    }

    #[test]
    fn root_matches_state_genesis_and_depends_on_balances() {
        let a = GenesisAccountSpec {
            index: 0,
            public_key: key(1),
            balance: 1000,
        };
        let s = spec(vec![a.clone()]);
        let direct = State::genesis(
            4,
            [(
                0,
                Account {
                    public_key: PrivateKey([1; 32]).public_key(),
                    balance: 1000,
                    nonce: 0,
                },
            )],
        )
        .expect("valid genesis");
        assert_eq!(s.root().expect("valid"), direct.root_hash());
        let richer = spec(vec![GenesisAccountSpec { balance: 1001, ..a }]);
        assert_ne!(richer.root().expect("valid"), direct.root_hash());
    }

    proptest::proptest! {
        #[test]
        fn any_spec_is_a_state_or_a_typed_error(
            tree_depth in 0u32..40,
            max_block_txs in 0u32..3,
            accounts in proptest::collection::vec(
                (0u32..300, proptest::prelude::any::<[u8; 32]>(), proptest::prelude::any::<u64>(), 0u8..3),
                0..4,
            ),
        ) {
            let accounts = accounts
                .into_iter()
                .map(|(index, raw, balance, kind)| GenesisAccountSpec {
                    index,
                    // A third each: arbitrary bytes, a real key, a real key reused.
                    public_key: match kind {
                        0 => raw,
                        1 => key(raw[0]),
                        _ => key(1),
                    },
                    balance,
                })
                .collect();
            let _ = GenesisSpec { tree_depth, max_block_txs, max_block_ops: 0, poc: Default::default(), accounts }.state();
        }
    }

    #[test]
    fn bad_specs_are_typed_errors() {
        let a = GenesisAccountSpec {
            index: 3,
            public_key: key(2),
            balance: 1,
        };
        let mut s = spec(vec![a.clone(), a.clone()]);
        assert_eq!(s.state().err(), Some(GenesisSpecError::DuplicateIndex(3)));
        s.accounts.pop();
        s.tree_depth = 0;
        assert_eq!(s.state().err(), Some(GenesisSpecError::BadDepth(0)));
        s.tree_depth = 1;
        s.accounts[0].index = 4; // a depth-1 tree has 4 leaves
        assert!(matches!(s.state(), Err(GenesisSpecError::State(_))));
        s.accounts[0].index = 0;
        s.accounts[0].public_key = [0xff; 32];
        assert!(matches!(s.state(), Err(GenesisSpecError::BadKey { .. })));
        s.accounts[0].public_key = key(2);
        s.max_block_txs = 0;
        assert_eq!(s.state().err(), Some(GenesisSpecError::ZeroBlockTxs));
    }
}
