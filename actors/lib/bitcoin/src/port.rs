//! The [`BitcoinPort`] trait and the types it speaks.

use bitcoin::{Address, Amount, BlockHash, FeeRate, OutPoint, ScriptBuf, Transaction, Txid};
use std::sync::Arc;
use thiserror::Error;

/// The best chain's tip.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChainTip {
    /// Height of the tip (genesis is 0).
    pub height: u64,
    /// Hash of the tip.
    pub hash: BlockHash,
}

/// An unspent output the inscriber's wallet may spend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Utxo {
    /// The output.
    pub outpoint: OutPoint,
    /// Its value.
    pub value: Amount,
    /// Its locking script.
    pub script_pubkey: ScriptBuf,
    /// Confirmations: 0 while in the mempool.
    pub confirmations: u32,
}

/// Which BIP-125 rule a replacement broke.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReplacementViolation {
    /// Rule 1: an original does not signal replaceability (and full RBF is off).
    NotSignaled,
    /// Rule 2: the replacement spends an unconfirmed output that the originals did not.
    NewUnconfirmedInput,
    /// Rule 3: the replacement pays less absolute fee than everything it evicts.
    FeeNotHigher {
        /// Fee of the replacement.
        replacement: Amount,
        /// Sum of the fees of the transactions it would evict.
        evicted: Amount,
    },
    /// Rule 4: the extra fee does not pay for the replacement's own size at the
    /// incremental relay fee rate.
    InsufficientIncrement {
        /// Extra fee paid.
        paid: Amount,
        /// Extra fee required.
        required: Amount,
    },
    /// Rule 5: the replacement would evict too many transactions.
    TooManyEvictions {
        /// How many it would evict.
        count: usize,
        /// The limit (100 in Bitcoin Core).
        max: usize,
    },
    /// Rule 6: the replacement's fee rate is not higher than an original's.
    FeeRateNotHigher,
    /// Bitcoin Core 31's cluster mempool: the replacement does not improve the mempool's
    /// feerate diagram (`replacement-failed`), which replaced rule 6.
    DiagramNotImproved,
}

/// Why a node's mempool refused a transaction. Each is a reason Bitcoin Core can give;
/// SimBitcoin gives the same ones, and the RPC backend maps Core's reject strings onto them.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum BroadcastReject {
    /// An input is already spent by a transaction in the mempool that is not replaced.
    #[error("input already spent in the mempool (txn-mempool-conflict)")]
    Conflict,
    /// An input is spent in the chain, or does not exist.
    #[error("missing or spent inputs (bad-txns-inputs-missingorspent)")]
    MissingInputs,
    /// A signature does not verify.
    #[error("bad signature on input {input}: {reason}")]
    BadSignature {
        /// Input index.
        input: usize,
        /// What failed.
        reason: String,
    },
    /// A replacement broke a BIP-125 rule.
    #[error("replacement refused: {0:?}")]
    Replacement(ReplacementViolation),
    /// Over the standard weight of 400,000 WU.
    #[error("transaction weight {weight} over the standard limit {max} (tx-size)")]
    OverWeight {
        /// The transaction's weight.
        weight: u64,
        /// The limit.
        max: u64,
    },
    /// The fee rate is below the minimum relay fee rate (or the mempool's current minimum).
    #[error("fee rate {paid_sat_per_kvb} sat/kvB below the minimum {min_sat_per_kvb} sat/kvB")]
    FeeTooLow {
        /// Paid, sat per 1000 vB.
        paid_sat_per_kvb: u64,
        /// Required, sat per 1000 vB.
        min_sat_per_kvb: u64,
    },
    /// Too many unconfirmed ancestors or descendants (too-long-mempool-chain).
    #[error("too long mempool chain: {0}")]
    ChainTooLong(String),
    /// An input spends a coinbase output with fewer confirmations than the coinbase maturity
    /// (100 in Bitcoin Core).
    #[error(
        "input {input} spends a coinbase with {confirmations} of {required} confirmations \
         (bad-txns-premature-spend-of-coinbase)"
    )]
    PrematureCoinbaseSpend {
        /// Input index.
        input: usize,
        /// Confirmations the coinbase has at the tip.
        confirmations: u32,
        /// Confirmations required.
        required: u32,
    },
    /// Already in the chain (txn-already-known / already in block chain).
    #[error("transaction already known")]
    AlreadyKnown,
    /// Invalid by consensus whatever the mempool holds (`bad-txns-vin-empty`,
    /// `bad-txns-in-belowout`, `coinbase`, `bad-txns-spends-conflicting-tx`, ...): the reason
    /// as the node gave it.
    #[error("invalid by consensus: {reason}")]
    Invalid {
        /// Core's reject reason.
        reason: String,
    },
    /// Valid but outside the node's standardness policy (`version`, `scriptpubkey`, `dust`,
    /// `datacarrier`, `bad-txns-nonstandard-inputs`, `TRUC-violation`, ...).
    #[error("non-standard: {reason}")]
    NonStandard {
        /// Core's reject reason.
        reason: String,
    },
    /// A lock time or relative lock time not reached yet (`non-final`, `non-BIP68-final`).
    #[error("not final yet: {reason}")]
    NotFinal {
        /// Core's reject reason.
        reason: String,
    },
    /// The mempool is full and the transaction does not pay enough to enter it.
    #[error("mempool full")]
    MempoolFull,
    /// The node runs without a mempool (`-blocksonly` with no relay).
    #[error("the node has no mempool")]
    NoMempool,
    /// The fee is over the node's `maxfeerate` (a guard against overpaying by mistake).
    #[error("fee over the node's maximum: {0}")]
    FeeAboveMaximum(String),
    /// Any other reason the node gave.
    #[error("rejected: {0}")]
    Other(String),
}

/// Why a port call failed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum PortError {
    /// The node could not be reached (connection refused, timeout, HTTP error).
    #[error("transport: {0}")]
    Transport(String),
    /// The node answered with a JSON-RPC error.
    #[error("rpc error {code}: {message}")]
    Rpc {
        /// JSON-RPC error code.
        code: i32,
        /// Message.
        message: String,
    },
    /// The node answered with something of the wrong shape.
    #[error("unexpected reply to {method}: {reason}")]
    UnexpectedReply {
        /// The call.
        method: &'static str,
        /// What was wrong.
        reason: String,
    },
    /// The block or transaction is not known to the node.
    #[error("not found: {0}")]
    NotFound(String),
    /// The mempool refused a broadcast.
    #[error("broadcast refused: {0}")]
    Rejected(#[from] BroadcastReject),
}

/// Everything the inscriber and the indexer need from a Bitcoin network.
pub trait BitcoinPort: Send + Sync + 'static {
    /// The best chain's tip.
    fn tip(&self) -> Result<ChainTip, PortError>;

    /// Hash of the best chain's block at `height`, or `None` above the tip.
    fn block_hash(&self, height: u64) -> Result<Option<BlockHash>, PortError>;

    /// The block with `hash`, as raw consensus bytes (the caller decodes, with limits).
    fn block(&self, hash: &BlockHash) -> Result<Vec<u8>, PortError>;

    /// Submits `tx` to the node's mempool and relays it.
    fn broadcast(&self, tx: &Transaction) -> Result<Txid, PortError>;

    /// Whether `txid` is in the node's mempool now.
    fn in_mempool(&self, txid: &Txid) -> Result<bool, PortError>;

    /// The node's fee rate estimate to confirm within `target_blocks` blocks.
    fn estimate_fee_rate(&self, target_blocks: u16) -> Result<FeeRate, PortError>;

    /// Unspent outputs paying to `addresses`, confirmed and unconfirmed.
    fn utxos(&self, addresses: &[Address]) -> Result<Vec<Utxo>, PortError>;
}

/// A shared port handle, as actors receive it.
pub type SharedBitcoin = Arc<dyn BitcoinPort>;
