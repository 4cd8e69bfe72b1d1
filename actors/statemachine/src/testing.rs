//! Test fixtures shared by the state machine's and the mempool's tests (feature `testing`):
//! a real devnet Groth16 chain whose blocks of one transfer each are proved by our prover, a
//! `SimulationOnly` chain with cheap simulation proofs, and real Bitcoin block hashes and
//! txids for the indexer events that carry them.
//!
//! The devnet key is made once per process (a few seconds); proving a one-transfer block
//! takes about a second.

use bitai_chain::eddsa::PrivateKey;
use bitai_chain::field::{fr_to_hash, Fr};
use bitai_chain::stf::{Account, Block, State};
use bitai_chain::tx::Transfer;
use bitai_messages::indexer::{ConnectedBlock, IndexedTx};
use bitai_proofs::circuit::{BlockCircuit, CircuitConfig, PublicInputs};
use bitai_proofs::groth16::Groth16Keys;
use bitai_proofs::verifier::{simulation_proof, SIMULATION_VK};
use bitai_protocol::{
    BitaiTx, ChainId, ChainLimits, CreateChain, Hash32, ProofSystem, SubmitProof,
};
use bitcoin::absolute::LockTime;
use bitcoin::block::{Header, Version};
use bitcoin::hashes::Hash;
use bitcoin::transaction::Version as TxVersion;
use bitcoin::{
    Amount, BlockHash, CompactTarget, ScriptBuf, Transaction, TxMerkleNode, TxOut, Txid,
};
use rand::SeedableRng;
use std::sync::OnceLock;

/// The circuit shape of the fixture chains: 4 accounts, 1 transfer per block.
pub const CONFIG: CircuitConfig = CircuitConfig::new(2, 1);

fn keys() -> &'static Groth16Keys {
    static KEYS: OnceLock<Groth16Keys> = OnceLock::new();
    KEYS.get_or_init(|| {
        Groth16Keys::devnet(
            BlockCircuit::blank(CONFIG).expect("fixture shape"),
            b"bitai-statemachine fixture",
        )
        .expect("devnet setup")
    })
}

/// A registered chain and valid proofs of its first blocks.
#[derive(Clone, Debug)]
pub struct FixtureChain {
    /// The registration.
    pub create: CreateChain,
    /// Its id.
    pub id: ChainId,
    /// `proofs[i]` proves block `i + 1`.
    pub proofs: Vec<SubmitProof>,
}

/// A chain with a real Groth16 key.
pub type Groth16Chain = FixtureChain;

/// A Groth16 chain (salt `salt`) with `blocks` proved blocks of one transfer each.
pub fn groth16_chain(blocks: usize, salt: u64) -> FixtureChain {
    let keys = keys();
    let sender = PrivateKey([7; 32]);
    let mut state = State::genesis(
        CONFIG.depth,
        [(
            0u32,
            Account {
                public_key: sender.public_key(),
                balance: 1_000_000,
                nonce: 0,
            },
        )],
    )
    .expect("genesis");
    let create = CreateChain {
        name: format!("fixture-{salt}"),
        proof_system: ProofSystem::Groth16Bn254,
        verifying_key: bitai_proofs::gnark::write_vk(keys.vk()),
        genesis_state_root: state.root_hash(),
        limits: ChainLimits {
            max_block_txs: CONFIG.max_txs as u32,
            max_proof_bytes: 1024,
        },
        salt,
    };
    let id = create.chain_id();
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(salt);
    let mut proofs = Vec::with_capacity(blocks);
    for n in 1..=blocks as u64 {
        let tx = transfer(n - 1).sign(&id, &sender);
        let block = Block {
            chain_id: id,
            number: n,
            da_commitment: Hash32::sha256(&n.to_be_bytes()),
            txs: vec![tx],
            ops: vec![],
        };
        let prev = state.root_hash();
        let witness = state
            .apply_block(&block, CONFIG.max_txs, 0)
            .expect("valid block");
        let circuit = BlockCircuit::new(CONFIG, &witness).expect("fits");
        let (proof, _) = keys.prove(circuit, &mut rng).expect("prove");
        proofs.push(SubmitProof {
            chain_id: id,
            block_number: n,
            prev_state_root: prev,
            new_state_root: state.root_hash(),
            da_commitment: block.da_commitment,
            proof: bitai_proofs::gnark::write_proof(&proof),
        });
    }
    FixtureChain { create, id, proofs }
}

/// A `SimulationOnly` chain (salt `salt`) with `blocks` blocks whose roots are made up (valid
/// field elements) and whose proofs are simulation proofs: cheap, and proving nothing.
pub fn simulation_chain(blocks: usize, salt: u64) -> FixtureChain {
    let root = |n: u64| Fr::from(salt.wrapping_mul(1_000_003).wrapping_add(n));
    let create = CreateChain {
        name: format!("simulated-{salt}"),
        proof_system: ProofSystem::SimulationOnly,
        verifying_key: SIMULATION_VK.to_vec(),
        genesis_state_root: fr_to_hash(&root(0)),
        limits: ChainLimits {
            max_block_txs: 64,
            max_proof_bytes: 64,
        },
        salt,
    };
    let id = create.chain_id();
    let proofs = (1..=blocks as u64)
        .map(|n| {
            let public = PublicInputs {
                chain_id: id,
                block_number: n,
                prev_root: root(n - 1),
                new_root: root(n),
                da_commitment: Hash32::sha256(&n.to_be_bytes()),
            };
            SubmitProof {
                chain_id: id,
                block_number: n,
                prev_state_root: fr_to_hash(&public.prev_root),
                new_state_root: fr_to_hash(&public.new_root),
                da_commitment: public.da_commitment,
                proof: simulation_proof(&public),
            }
        })
        .collect();
    FixtureChain { create, id, proofs }
}

/// The transfer of fixture block `nonce + 1`: 1 unit from account 0 to account 1.
fn transfer(nonce: u64) -> Transfer {
    Transfer {
        from: 0,
        to: 1,
        to_public_key: PrivateKey([9; 32]).public_key(),
        amount: 1,
        fee: 1,
        nonce,
    }
}

/// A real transaction id: of a one-output transaction whose OP_RETURN names `tag`.
pub fn txid(tag: &[u8]) -> Txid {
    let mut script = vec![0x6a, tag.len().min(75) as u8];
    script.extend_from_slice(&tag[..tag.len().min(75)]);
    Transaction {
        version: TxVersion::TWO,
        lock_time: LockTime::ZERO,
        input: vec![],
        output: vec![TxOut {
            value: Amount::ZERO,
            script_pubkey: ScriptBuf::from_bytes(script),
        }],
    }
    .compute_txid()
}

/// A connected block at `height` on `prev` carrying `txs`; `fork` tells siblings apart.
pub fn connected_block(height: u64, prev: BlockHash, fork: u32, txs: &[BitaiTx]) -> ConnectedBlock {
    let bitai_txs: Vec<IndexedTx> = txs
        .iter()
        .enumerate()
        .map(|(i, tx)| IndexedTx {
            txid: txid(
                &[
                    &height.to_be_bytes()[..],
                    &fork.to_be_bytes(),
                    &(i as u32).to_be_bytes(),
                ]
                .concat(),
            ),
            tx_index: i as u32 + 1,
            input: 0,
            offset: 0,
            sender: None,
            tx: tx.clone(),
        })
        .collect();
    let merkle = bitai_txs
        .iter()
        .fold(Hash32::sha256(&fork.to_be_bytes()), |acc, t| {
            Hash32::sha256(&[acc.0, t.txid.to_byte_array()].concat())
        });
    let header = Header {
        version: Version::TWO,
        prev_blockhash: prev,
        merkle_root: TxMerkleNode::from_byte_array(merkle.0),
        time: 1_700_000_000 + height as u32,
        bits: CompactTarget::from_consensus(0x207f_ffff),
        nonce: fork,
    };
    ConnectedBlock {
        height,
        hash: header.block_hash(),
        prev_hash: prev,
        time: header.time,
        bitai_txs,
        watched_txs: vec![],
    }
}
