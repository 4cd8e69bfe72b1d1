//! The watch filter: an optional, shared, updatable set of scripts and outpoints. A block's
//! transactions that pay a watched script or spend a watched outpoint ride in
//! [`super::ConnectedBlock::watched_txs`], whole, so that a wallet (the inscriber's) can
//! track its coins and its own transactions from the same reorg-safe event stream as
//! everything else, without a second chain follower.
//!
//! The filter is read when a block is indexed, so whatever is added before a transaction can
//! be mined (the inscriber adds a commit's script before broadcasting it) is always seen.

use bitcoin::{OutPoint, ScriptBuf, Transaction, Txid};
use std::collections::BTreeSet;
use std::sync::{Arc, Mutex, PoisonError};

/// A watched transaction found in a block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchedTx {
    /// Its txid.
    pub txid: Txid,
    /// Its position in the block.
    pub tx_index: u32,
    /// The transaction.
    pub tx: Transaction,
}

#[derive(Debug, Default)]
struct WatchSet {
    scripts: BTreeSet<ScriptBuf>,
    outpoints: BTreeSet<OutPoint>,
}

/// Scripts and outpoints to watch, shared between the indexer and whoever updates it.
/// Clones share one set.
#[derive(Debug, Clone, Default)]
pub struct WatchFilter {
    inner: Arc<Mutex<WatchSet>>,
}

impl WatchFilter {
    /// An empty filter.
    pub fn new() -> Self {
        Self::default()
    }

    fn set(&self) -> std::sync::MutexGuard<'_, WatchSet> {
        // The set is plain data, valid even if a holder panicked.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Watches transactions paying `script_pubkey`.
    pub fn add_script(&self, script_pubkey: ScriptBuf) {
        self.set().scripts.insert(script_pubkey);
    }

    /// Watches transactions spending `outpoint`.
    pub fn add_outpoint(&self, outpoint: OutPoint) {
        self.set().outpoints.insert(outpoint);
    }

    /// Stops watching `script_pubkey`.
    pub fn remove_script(&self, script_pubkey: &ScriptBuf) {
        self.set().scripts.remove(script_pubkey);
    }

    /// Stops watching `outpoint`.
    pub fn remove_outpoint(&self, outpoint: &OutPoint) {
        self.set().outpoints.remove(outpoint);
    }

    /// Number of watched scripts and outpoints.
    pub fn len(&self) -> (usize, usize) {
        let set = self.set();
        (set.scripts.len(), set.outpoints.len())
    }

    /// Whether nothing is watched.
    pub fn is_empty(&self) -> bool {
        self.len() == (0, 0)
    }

    /// Whether `tx` pays a watched script or spends a watched outpoint.
    pub fn matches(&self, tx: &Transaction) -> bool {
        let set = self.set();
        tx.output
            .iter()
            .any(|o| set.scripts.contains(&o.script_pubkey))
            || tx
                .input
                .iter()
                .any(|i| set.outpoints.contains(&i.previous_output))
    }

    /// The watched transactions of `txdata`, in block order.
    pub fn select(&self, txdata: &[Transaction]) -> Vec<WatchedTx> {
        if self.is_empty() {
            return Vec::new();
        }
        txdata
            .iter()
            .enumerate()
            .filter(|(_, tx)| self.matches(tx))
            .map(|(i, tx)| WatchedTx {
                txid: tx.compute_txid(),
                tx_index: i as u32,
                tx: tx.clone(),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bitcoin::absolute::LockTime;
    use bitcoin::hashes::Hash;
    use bitcoin::transaction::Version;
    use bitcoin::{Amount, Sequence, TxIn, TxOut, Witness};

    fn tx(spends: OutPoint, pays: ScriptBuf) -> Transaction {
        Transaction {
            version: Version::TWO,
            lock_time: LockTime::ZERO,
            input: vec![TxIn {
                previous_output: spends,
                script_sig: ScriptBuf::new(),
                sequence: Sequence::MAX,
                witness: Witness::new(),
            }],
            output: vec![TxOut {
                value: Amount::from_sat(1),
                script_pubkey: pays,
            }],
        }
    }

    #[test]
    fn matches_scripts_and_outpoints_and_nothing_else() {
        let filter = WatchFilter::new();
        let a = ScriptBuf::from_bytes(vec![0x51]);
        let b = ScriptBuf::from_bytes(vec![0x52]);
        let op = OutPoint::new(Txid::all_zeros(), 7);
        let other = OutPoint::new(Txid::all_zeros(), 8);
        let txs = vec![
            tx(other, b.clone()),
            tx(other, a.clone()),
            tx(op, b.clone()),
        ];
        assert!(filter.select(&txs).is_empty());
        filter.add_script(a.clone());
        let got = filter.select(&txs);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].tx_index, 1);
        filter.clone().add_outpoint(op);
        let got: Vec<u32> = filter.select(&txs).iter().map(|w| w.tx_index).collect();
        assert_eq!(got, vec![1, 2]);
        filter.remove_script(&a);
        filter.remove_outpoint(&op);
        assert!(filter.is_empty());
    }
}
