//! What the inscriber persists, and where: requests, the queue, batches with every signed
//! version of their transactions, the wallet's confirmed coins, and per-block undo records.
//! Records are postcard; transactions inside them are consensus-encoded bytes.
//!
//! Keys in the inscriber's keyspace: `k` the wallet key, `r`+id a request, `q`+seq a queued
//! request id, `b`+batch id a batch, `c`+outpoint a confirmed coin, `u`+height the undo
//! record of a block.

use crate::InscriberError;
use bitai_messages::inscriber::BatchStage;
use bitcoin::consensus::{deserialize, serialize};
use bitcoin::hashes::Hash;
use bitcoin::{OutPoint, Transaction, Txid};
use serde::{de::DeserializeOwned, Deserialize, Serialize};

use bitai_messages::inscriber::RequestId;

/// A persisted request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InscriptionRequest {
    /// Arrival order.
    pub seq: u64,
    /// The encoded BitAI transaction.
    pub payload: Vec<u8>,
    /// The batch carrying it, once cut.
    pub batch: Option<u64>,
}

/// How a version came to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum VersionKind {
    /// The first signing.
    Original,
    /// The commit was replaced (with a new reveal bound to the same envelopes).
    CommitReplaced,
    /// Only the reveal was replaced (the commit stays).
    RevealReplaced,
    /// The commit was re-funded: the previous batch confirmed, after a reorg, under another
    /// version than the one whose output this batch's commit spent (`engine::reanchor`).
    Reanchored,
}

/// One signed commit/reveal pair of a batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PairVersion {
    /// The commit, consensus-encoded.
    pub commit: Vec<u8>,
    /// The reveal, consensus-encoded.
    pub reveal: Vec<u8>,
    /// Fee rate it was priced at, sat/kvB.
    pub fee_rate_sat_per_kvb: u64,
    /// Values of the commit's inputs (wallet coins), in order, for signing a replacement.
    pub commit_input_values: Vec<u64>,
    /// Fee of the commit.
    pub commit_fee_sat: u64,
    /// Fee of the reveal.
    pub reveal_fee_sat: u64,
    /// Why it exists.
    pub kind: VersionKind,
}

/// One signed CPFP child of a batch's reveal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChildVersion {
    /// The child, consensus-encoded.
    pub tx: Vec<u8>,
    /// Its fee.
    pub fee_sat: u64,
    /// The package fee rate it aims at, sat/kvB.
    pub fee_rate_sat_per_kvb: u64,
}

/// A persisted batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchRecord {
    /// Its id (batches are cut in id order).
    pub id: u64,
    /// Its requests, in envelope order.
    pub requests: Vec<RequestId>,
    /// Its stage.
    pub stage: BatchStage,
    /// Every signed pair; all commits spend the same inputs, so at most one can confirm.
    pub versions: Vec<PairVersion>,
    /// The version broadcast (the latest, or the one a block confirmed).
    pub active: u32,
    /// CPFP children; each replaces the one before.
    pub children: Vec<ChildVersion>,
    /// Height of the block confirming the active commit.
    pub commit_height: Option<u64>,
    /// Height of the block confirming the active reveal.
    pub reveal_height: Option<u64>,
    /// Height of the block confirming the last child.
    pub child_height: Option<u64>,
    /// Tip height when the batch was last broadcast or bumped.
    pub last_bump_height: u64,
    /// Its fees were counted in the metrics (once, even if a reorg undoes its finality).
    pub fees_counted: bool,
}

/// A confirmed coin of the wallet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct WalletCoin {
    /// Its value.
    pub value_sat: u64,
    /// Height of the block that created it.
    pub height: u64,
    /// Created by a coinbase (spendable after [`COINBASE_MATURITY`] confirmations).
    pub coinbase: bool,
}

/// Confirmations a coinbase output needs before it is spent (consensus).
pub const COINBASE_MATURITY: u64 = 100;

/// Which transaction of a batch a block confirmed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Leg {
    /// The commit of a version.
    Commit,
    /// The reveal of a version.
    Reveal,
    /// The last CPFP child.
    Child,
}

/// What one block changed, to undo it on disconnection.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UndoRecord {
    /// Coins the block spent (outpoint, coin).
    pub spent: Vec<(([u8; 32], u32), WalletCoin)>,
    /// Coins the block created.
    pub created: Vec<([u8; 32], u32)>,
    /// Legs the block confirmed: batch, leg, and the batch's stage and active version before.
    pub legs: Vec<(u64, Leg, BatchStage, u32)>,
    /// Batches the block made final.
    pub finalized: Vec<u64>,
}

/// An outpoint as stored.
pub fn outpoint_key(op: &OutPoint) -> ([u8; 32], u32) {
    (op.txid.to_byte_array(), op.vout)
}

/// A stored outpoint.
pub fn outpoint_from(k: &([u8; 32], u32)) -> OutPoint {
    OutPoint::new(Txid::from_byte_array(k.0), k.1)
}

/// Store keys.
pub mod key {
    use bitcoin::hashes::Hash;
    use bitcoin::OutPoint;

    /// The wallet key.
    pub const SECRET: &[u8] = b"k";
    /// Prefix of requests.
    pub const REQUEST: u8 = b'r';
    /// Prefix of the queue.
    pub const QUEUE: u8 = b'q';
    /// Prefix of batches.
    pub const BATCH: u8 = b'b';
    /// Prefix of coins.
    pub const COIN: u8 = b'c';
    /// Prefix of undo records.
    pub const UNDO: u8 = b'u';

    fn with(prefix: u8, rest: &[u8]) -> Vec<u8> {
        let mut k = Vec::with_capacity(1 + rest.len());
        k.push(prefix);
        k.extend_from_slice(rest);
        k
    }

    /// Key of a request.
    pub fn request(id: &super::RequestId) -> Vec<u8> {
        with(REQUEST, id)
    }
    /// Key of a queue entry.
    pub fn queue(seq: u64) -> Vec<u8> {
        with(QUEUE, &seq.to_be_bytes())
    }
    /// Key of a batch.
    pub fn batch(id: u64) -> Vec<u8> {
        with(BATCH, &id.to_be_bytes())
    }
    /// Key of a coin.
    pub fn coin(op: &OutPoint) -> Vec<u8> {
        let mut rest = op.txid.to_byte_array().to_vec();
        rest.extend_from_slice(&op.vout.to_be_bytes());
        with(COIN, &rest)
    }
    /// Key of an undo record.
    pub fn undo(height: u64) -> Vec<u8> {
        with(UNDO, &height.to_be_bytes())
    }
}

/// Encodes a record.
pub fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    postcard::to_stdvec(value).expect("records are plain data and always serialize")
}

/// Decodes a record read from the store.
pub fn decode<T: DeserializeOwned>(what: &'static str, bytes: &[u8]) -> Result<T, InscriberError> {
    postcard::from_bytes(bytes).map_err(|e| InscriberError::Corrupt {
        what,
        reason: e.to_string(),
    })
}

/// Decodes a stored transaction.
pub fn decode_tx(bytes: &[u8]) -> Result<Transaction, InscriberError> {
    deserialize(bytes).map_err(|e| InscriberError::Corrupt {
        what: "transaction",
        reason: e.to_string(),
    })
}

/// Encodes a transaction for storage.
pub fn encode_tx(tx: &Transaction) -> Vec<u8> {
    serialize(tx)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn stored_bytes_never_panic_the_decoders(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = decode::<BatchRecord>("batch", &bytes);
            let _ = decode::<InscriptionRequest>("request", &bytes);
            let _ = decode::<UndoRecord>("undo", &bytes);
            let _ = decode_tx(&bytes);
        }
    }

    #[test]
    fn records_round_trip() {
        let rec = InscriptionRequest {
            seq: 7,
            payload: vec![1, 2, 3],
            batch: Some(4),
        };
        assert_eq!(
            decode::<InscriptionRequest>("request", &encode(&rec)).expect("decodes"),
            rec
        );
    }
}
