//! Block assembly: the coinbase (BIP-34 height, subsidy plus fees, BIP-141 witness
//! commitment), the merkle root, and a header on regtest's difficulty.
//!
//! Proof of work: headers carry regtest's `bits` (0x207fffff), whose target passes about every
//! second hash, so the nonce is ground until the header hash (double SHA-256 of the real
//! 80-byte header) meets the target. It takes two hashes on average, and the blocks are valid
//! regtest blocks. Like Bitcoin Core, every coinbase carries a witness commitment (with the
//! 32-byte zero reserved value in its witness), whether or not the block has segwit spends.

use bitcoin::block::{Header, Version};
use bitcoin::blockdata::opcodes::all::OP_RETURN;
use bitcoin::hashes::Hash;
use bitcoin::script::{Builder, PushBytesBuf};
use bitcoin::transaction::Version as TxVersion;
use bitcoin::{
    absolute, Amount, Block, BlockHash, CompactTarget, OutPoint, ScriptBuf, Sequence, Transaction,
    TxIn, TxMerkleNode, TxOut, Txid, Witness, WitnessMerkleNode, Wtxid,
};

/// Regtest's subsidy halving interval (Bitcoin Core's regtest chain parameters), in blocks.
pub const SUBSIDY_HALVING_INTERVAL_BLOCKS: u64 = 150;

/// Regtest's compact difficulty target.
pub const REGTEST_BITS: u32 = 0x207f_ffff;

/// The block version SimBitcoin mines (BIP-9 top bits, no deployment signalled).
const BLOCK_VERSION: i32 = 0x2000_0000;

/// The witness reserved value in the coinbase witness (BIP-141).
const WITNESS_RESERVED_VALUE: [u8; 32] = [0; 32];

/// The block subsidy at `height`: 50 BTC halved every
/// [`SUBSIDY_HALVING_INTERVAL_BLOCKS`] blocks, as on regtest.
pub fn block_subsidy(height: u64) -> Amount {
    let halvings = height / SUBSIDY_HALVING_INTERVAL_BLOCKS;
    if halvings >= 64 {
        return Amount::ZERO;
    }
    Amount::from_sat((50 * 100_000_000) >> halvings)
}

/// What a new block is made of, besides its transactions.
pub(crate) struct BlockTemplate<'a> {
    /// Hash of the block it extends.
    pub prev_blockhash: BlockHash,
    /// Its height.
    pub height: u64,
    /// Header time, seconds.
    pub time: u32,
    /// Script the coinbase pays to.
    pub coinbase_script_pubkey: &'a ScriptBuf,
    /// Sum of the fees of the transactions.
    pub fees: Amount,
    /// A number unique to each block this network builds (coinbase extra nonce), so that two
    /// blocks at one height (a reorg) never coincide.
    pub extra_nonce: u64,
}

/// Builds a block of `txs` (in order, after the coinbase). `txids` and `wtxids` are theirs,
/// cached by the caller so a large block is not hashed twice.
pub(crate) fn assemble(
    template: &BlockTemplate<'_>,
    txs: Vec<Transaction>,
    txids: &[Txid],
    wtxids: &[Wtxid],
) -> Block {
    assert_eq!(txs.len(), txids.len(), "one txid per transaction");
    assert_eq!(txs.len(), wtxids.len(), "one wtxid per transaction");
    let witness_root = WitnessMerkleNode::from(
        bitcoin::merkle_tree::calculate_root(
            std::iter::once(Wtxid::all_zeros())
                .chain(wtxids.iter().copied())
                .map(|w| w.to_raw_hash()),
        )
        .expect("the coinbase makes the list non-empty"),
    );
    let commitment = Block::compute_witness_commitment(&witness_root, &WITNESS_RESERVED_VALUE);
    let coinbase = coinbase_tx(template, commitment.to_byte_array());
    let merkle_root = TxMerkleNode::from(
        bitcoin::merkle_tree::calculate_root(
            std::iter::once(coinbase.compute_txid())
                .chain(txids.iter().copied())
                .map(|t| t.to_raw_hash()),
        )
        .expect("the coinbase makes the list non-empty"),
    );
    let mut header = Header {
        version: Version::from_consensus(BLOCK_VERSION),
        prev_blockhash: template.prev_blockhash,
        merkle_root,
        time: template.time,
        bits: CompactTarget::from_consensus(REGTEST_BITS),
        nonce: 0,
    };
    grind(&mut header);
    let mut txdata = Vec::with_capacity(txs.len() + 1);
    txdata.push(coinbase);
    txdata.extend(txs);
    Block { header, txdata }
}

/// Increments the nonce until the header meets its own target.
pub(crate) fn grind(header: &mut Header) {
    let target = header.target();
    while header.validate_pow(target).is_err() {
        header.nonce = header
            .nonce
            .checked_add(1)
            .expect("regtest's target passes half the hashes");
    }
}

fn coinbase_tx(template: &BlockTemplate<'_>, commitment: [u8; 32]) -> Transaction {
    // BIP-34: the height first, as Core's miner writes it (`CScript() << height`: OP_1..OP_16
    // for heights up to 16, a minimal number push above), then the extra nonce.
    let height = i64::try_from(template.height).expect("heights fit in i64");
    let script_sig = Builder::new()
        .push_int(height)
        .push_slice(template.extra_nonce.to_le_bytes())
        .into_script();
    let mut commitment_push = PushBytesBuf::from([0xaa, 0x21, 0xa9, 0xed]);
    commitment_push
        .extend_from_slice(&commitment)
        .expect("36 bytes fit in a push");
    let commitment_script = Builder::new()
        .push_opcode(OP_RETURN)
        .push_slice(commitment_push)
        .into_script();
    Transaction {
        version: TxVersion::TWO,
        lock_time: absolute::LockTime::ZERO,
        input: vec![TxIn {
            previous_output: OutPoint::null(),
            script_sig,
            sequence: Sequence::MAX,
            witness: Witness::from_slice(&[WITNESS_RESERVED_VALUE]),
        }],
        output: vec![
            TxOut {
                value: block_subsidy(template.height) + template.fees,
                script_pubkey: template.coinbase_script_pubkey.clone(),
            },
            TxOut {
                value: Amount::ZERO,
                script_pubkey: commitment_script,
            },
        ],
    }
}

/// The genesis block: Core's regtest genesis, with its time replaced (and the nonce ground
/// again) when `time` differs from it.
pub(crate) fn genesis(time: u32) -> Block {
    let mut block = bitcoin::constants::genesis_block(bitcoin::Network::Regtest);
    if block.header.time != time {
        block.header.time = time;
        block.header.nonce = 0;
        grind(&mut block.header);
    }
    block
}
