//! The double's block chain: real consensus-encoded blocks, either mined here on top of
//! regtest's genesis with the `bitcoin` crate (BIP34 height in the coinbase, merkle root,
//! witness commitment, proof of work against regtest's target) or a recorded mainnet block,
//! and the UTXO set they leave.

use bitcoin::block::{Header, Version as BlockVersion};
use bitcoin::blockdata::constants::genesis_block;
use bitcoin::consensus::encode::serialize;
use bitcoin::hashes::Hash;
use bitcoin::opcodes::all::OP_RETURN;
use bitcoin::script::{Builder, PushBytesBuf};
use bitcoin::transaction::Version;
use bitcoin::{
    absolute::LockTime, Amount, Block, BlockHash, Network, OutPoint, ScriptBuf, Sequence,
    Transaction, TxIn, TxMerkleNode, TxOut, Witness,
};
use std::collections::BTreeMap;

/// Blocks between halvings on regtest.
const REGTEST_HALVING_INTERVAL: u64 = 150;

/// An unspent output in the chain.
#[derive(Debug, Clone)]
pub struct Coin {
    /// The output.
    pub txout: TxOut,
    /// Height of the block that created it.
    pub height: u64,
    /// Whether a coinbase created it (spendable after 100 more blocks).
    pub coinbase: bool,
}

/// A chain of blocks from `base_height` on, with its UTXO set.
#[derive(Debug, Clone)]
pub struct CannedChain {
    /// Bitcoin Core's name for the chain (`regtest`, `main`).
    pub chain_name: &'static str,
    /// The network, for addresses.
    pub network: Network,
    /// Height of `blocks[0]`.
    pub base_height: u64,
    /// The blocks, in height order.
    pub blocks: Vec<Block>,
    /// Unspent outputs created by these blocks.
    pub utxos: BTreeMap<OutPoint, Coin>,
    /// Where the coinbases of newly mined blocks pay.
    pub miner_script: ScriptBuf,
}

impl CannedChain {
    /// Regtest's genesis and `count` blocks mined on it, each coinbase paying `miner_script`.
    pub fn regtest(count: u64, miner_script: ScriptBuf) -> Self {
        let genesis = genesis_block(Network::Regtest);
        let mut chain = CannedChain {
            chain_name: "regtest",
            network: Network::Regtest,
            base_height: 0,
            blocks: Vec::new(),
            utxos: BTreeMap::new(),
            miner_script,
        };
        chain.connect(genesis);
        for _ in 0..count {
            chain.mine(Vec::new(), Amount::ZERO);
        }
        chain
    }

    /// One recorded mainnet block at the height its coinbase states (BIP34).
    pub fn mainnet_block(block: Block) -> Self {
        let height = block
            .bip34_block_height()
            .expect("a block with a BIP34 height");
        let mut chain = CannedChain {
            chain_name: "main",
            network: Network::Bitcoin,
            base_height: height,
            blocks: Vec::new(),
            utxos: BTreeMap::new(),
            miner_script: ScriptBuf::new(),
        };
        chain.connect(block);
        chain
    }

    /// Height of the tip.
    pub fn tip_height(&self) -> u64 {
        self.base_height + self.blocks.len() as u64 - 1
    }

    /// The tip block.
    pub fn tip(&self) -> &Block {
        self.blocks.last().expect("a chain has at least one block")
    }

    /// The block at `height`, if canned.
    pub fn at(&self, height: u64) -> Option<&Block> {
        let index = height.checked_sub(self.base_height)?;
        self.blocks.get(usize::try_from(index).ok()?)
    }

    /// Height of the block with `hash`.
    pub fn height_of(&self, hash: &BlockHash) -> Option<u64> {
        let index = self
            .blocks
            .iter()
            .position(|block| block.block_hash() == *hash)?;
        Some(self.base_height + index as u64)
    }

    /// Mines one block on the tip holding `txs` (in order), its coinbase claiming the subsidy
    /// and `fees`.
    pub fn mine(&mut self, txs: Vec<Transaction>, fees: Amount) -> Block {
        let height = self.tip_height() + 1;
        let block = build_block(self.tip().header, height, &self.miner_script, fees, txs);
        self.connect(block.clone());
        block
    }

    /// Appends `block` and updates the UTXO set.
    fn connect(&mut self, block: Block) {
        let height = self.base_height + self.blocks.len() as u64;
        for (index, tx) in block.txdata.iter().enumerate() {
            if index > 0 {
                for input in &tx.input {
                    self.utxos.remove(&input.previous_output);
                }
            }
            let txid = tx.compute_txid();
            for (vout, txout) in tx.output.iter().enumerate() {
                let outpoint = OutPoint {
                    txid,
                    vout: vout as u32,
                };
                let coin = Coin {
                    txout: txout.clone(),
                    height,
                    coinbase: index == 0,
                };
                self.utxos.insert(outpoint, coin);
            }
        }
        self.blocks.push(block);
    }
}

/// Regtest's block subsidy at `height`.
pub fn regtest_subsidy(height: u64) -> Amount {
    let halvings = height / REGTEST_HALVING_INTERVAL;
    if halvings >= 64 {
        return Amount::ZERO;
    }
    Amount::from_sat((50 * 100_000_000) >> halvings)
}

/// A valid regtest block after `prev` at `height`: BIP34 coinbase with witness commitment,
/// merkle root, and a nonce that meets regtest's target.
pub fn build_block(
    prev: Header,
    height: u64,
    miner_script: &ScriptBuf,
    fees: Amount,
    txs: Vec<Transaction>,
) -> Block {
    let coinbase = Transaction {
        version: Version::TWO,
        lock_time: LockTime::ZERO,
        input: vec![TxIn {
            previous_output: OutPoint::null(),
            script_sig: Builder::new()
                .push_int(i64::try_from(height).expect("height fits"))
                .push_int(0)
                .into_script(),
            sequence: Sequence::MAX,
            witness: Witness::from_slice(&[[0u8; 32]]),
        }],
        output: vec![TxOut {
            value: regtest_subsidy(height) + fees,
            script_pubkey: miner_script.clone(),
        }],
    };
    let mut block = Block {
        header: Header {
            version: BlockVersion::from_consensus(0x2000_0000),
            prev_blockhash: prev.block_hash(),
            merkle_root: TxMerkleNode::all_zeros(),
            time: prev.time + 600,
            bits: prev.bits,
            nonce: 0,
        },
        txdata: std::iter::once(coinbase).chain(txs).collect(),
    };
    let witness_root = block.witness_root().expect("a block with a coinbase");
    let commitment = Block::compute_witness_commitment(&witness_root, &[0u8; 32]);
    let mut payload = PushBytesBuf::from([0xaa, 0x21, 0xa9, 0xed]);
    payload
        .extend_from_slice(commitment.as_ref())
        .expect("36 bytes fit a push");
    block.txdata[0].output.push(TxOut {
        value: Amount::ZERO,
        script_pubkey: Builder::new()
            .push_opcode(OP_RETURN)
            .push_slice(payload)
            .into_script(),
    });
    block.header.merkle_root = block
        .compute_merkle_root()
        .expect("a block with transactions");
    while block.header.validate_pow(block.header.target()).is_err() {
        block.header.nonce += 1;
    }
    assert!(block.check_merkle_root() && block.check_witness_commitment());
    block
}

/// The consensus encoding of `block`.
pub fn block_bytes(block: &Block) -> Vec<u8> {
    serialize(block)
}
