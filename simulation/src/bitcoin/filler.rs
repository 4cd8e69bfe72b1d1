//! [`BlockFiller`]: builds full-size blocks (about 4 MB of weight, thousands of transactions)
//! out of real signed spends, for benchmarks and fixtures. It keeps a pool of the wallet's
//! coins; each transaction spends the oldest coin into two outputs (one while its value is
//! small), and those outputs join the back of the pool, so they are spendable later in the
//! same block. Optional ord envelopes ride in commit/reveal pairs: a commit paying to a
//! `<key> OP_CHECKSIG <envelope>` leaf and a script-path reveal of it, both in the block.
//! Blocks go through `SimBitcoin::mine_block_with`, so every signature is verified once.

use super::template::COINBASE_RESERVED_WEIGHT_WU;
use super::wallet::{ScriptPathOutput, SimWallet};
use super::{SimBitcoin, SimBitcoinError};
use bitai_bitcoin::{BitcoinPort, Utxo};
use bitcoin::sighash::TapSighashType;
use bitcoin::transaction::Version;
use bitcoin::{
    absolute, Amount, BlockHash, FeeRate, OutPoint, ScriptBuf, Sequence, Transaction, TxIn, TxOut,
    Witness,
};
use std::collections::VecDeque;

/// Outputs worth at least this are split in two.
const SPLIT_MIN_SAT: u64 = 20_000;

/// Value a commit output carries beyond its reveal's fee.
const REVEAL_OUTPUT_SAT: u64 = 10_000;

/// Weight of a 1-input, 2-output key-path spend, with a margin: the filler stops when less
/// than this is left.
const SPEND_WEIGHT_MAX_WU: u64 = 700;

/// Fills blocks with real spends of one wallet's coins.
#[derive(Debug, Clone)]
pub struct BlockFiller {
    wallet: SimWallet,
    coins: VecDeque<Utxo>,
    fee_rate: FeeRate,
}

impl BlockFiller {
    /// A filler of `wallet`'s coins paying `fee_rate`; it has no coins until
    /// [`fund`](Self::fund) or [`add_coins`](Self::add_coins).
    pub fn new(wallet: SimWallet, fee_rate: FeeRate) -> Self {
        Self {
            wallet,
            coins: VecDeque::new(),
            fee_rate,
        }
    }

    /// Points `sim`'s coinbases at the wallet, mines `coinbase_maturity + 1` blocks and takes
    /// the wallet's spendable coins (the mature coinbases).
    pub fn fund(&mut self, sim: &SimBitcoin) -> Result<(), SimBitcoinError> {
        sim.set_coinbase_script_pubkey(self.wallet.script_pubkey().clone());
        sim.mine_blocks(u64::from(sim.config().coinbase_maturity) + 1);
        let utxos = sim
            .utxos(std::slice::from_ref(self.wallet.address()))
            .map_err(|e| SimBitcoinError::Filler(format!("funding: {e}")))?;
        self.coins.extend(utxos);
        Ok(())
    }

    /// Adds coins of the wallet's key path to the pool.
    pub fn add_coins(&mut self, coins: impl IntoIterator<Item = Utxo>) {
        self.coins.extend(coins);
    }

    /// Coins in the pool.
    pub fn coin_count(&self) -> usize {
        self.coins.len()
    }

    /// The transactions of one block: a commit/reveal pair per envelope (each an
    /// `OP_FALSE OP_IF ... OP_ENDIF` fragment), then spends until the block is full. The pool
    /// moves on to the outputs; call [`mine_full_block`](Self::mine_full_block) to mine.
    pub fn build_full_block(
        &mut self,
        sim: &SimBitcoin,
        envelopes: &[ScriptBuf],
    ) -> Result<Vec<Transaction>, SimBitcoinError> {
        let max_wu = sim.config().max_block_weight_wu - COINBASE_RESERVED_WEIGHT_WU;
        let mut txs = Vec::new();
        let mut weight_wu = 0;
        for envelope in envelopes {
            let (commit, reveal) = self.commit_reveal(envelope)?;
            weight_wu += commit.weight().to_wu() + reveal.weight().to_wu();
            txs.push(commit);
            txs.push(reveal);
        }
        while weight_wu + SPEND_WEIGHT_MAX_WU <= max_wu {
            let Some(coin) = self.coins.pop_front() else {
                break;
            };
            if let Some(tx) = self.split(&coin)? {
                weight_wu += tx.weight().to_wu();
                txs.push(tx);
            }
        }
        Ok(txs)
    }

    /// Builds and mines a full block (see [`build_full_block`](Self::build_full_block)).
    /// On error the pool is left as it was.
    pub fn mine_full_block(
        &mut self,
        sim: &SimBitcoin,
        envelopes: &[ScriptBuf],
    ) -> Result<BlockHash, SimBitcoinError> {
        let before = self.coins.clone();
        let result = self
            .build_full_block(sim, envelopes)
            .and_then(|txs| sim.mine_block_with(txs));
        if result.is_err() {
            self.coins = before;
        }
        result
    }

    /// The oldest coin worth at least `min`.
    fn take_coin(&mut self, min: Amount) -> Result<Utxo, SimBitcoinError> {
        let position = self
            .coins
            .iter()
            .position(|c| c.value >= min)
            .ok_or_else(|| {
                SimBitcoinError::Filler(format!("no coin of {min} or more left (fund it first)"))
            })?;
        Ok(self
            .coins
            .remove(position)
            .expect("the position is in the pool"))
    }

    /// Spends `coin` into one or two outputs to the wallet, which join the pool; `None` when
    /// the coin is too small to pay for its spend.
    fn split(&mut self, coin: &Utxo) -> Result<Option<Transaction>, SimBitcoinError> {
        let outputs = if coin.value.to_sat() >= SPLIT_MIN_SAT {
            2
        } else {
            1
        };
        let mut tx = self.unsigned(coin.outpoint, outputs);
        let fee = SimWallet::fee_for_vsize(self.fee_rate, tx.vsize() as u64);
        let dust = self.wallet.script_pubkey().minimal_non_dust();
        let Some(left) = coin
            .value
            .checked_sub(fee)
            .filter(|v| *v >= dust * outputs as u64)
        else {
            return Ok(None);
        };
        let first = Amount::from_sat(left.to_sat() / outputs as u64);
        tx.output[0].value = first;
        if outputs == 2 {
            tx.output[1].value = left - first;
        }
        self.sign(&mut tx, coin)?;
        self.push_outputs(&tx);
        Ok(Some(tx))
    }

    fn commit_reveal(
        &mut self,
        envelope: &ScriptBuf,
    ) -> Result<(Transaction, Transaction), SimBitcoinError> {
        let leaf: ScriptPathOutput = self.wallet.script_path_output(
            self.wallet
                .checksig_tapscript(std::slice::from_ref(envelope)),
        );
        // The reveal: the commit output back to the wallet by the script path.
        let mut reveal = self.unsigned(OutPoint::null(), 1);
        reveal.input[0].witness = Witness::from_slice(&[
            vec![0u8; 64],
            leaf.tapscript.to_bytes(),
            leaf.control_block.serialize(),
        ]);
        let reveal_fee = SimWallet::fee_for_vsize(self.fee_rate, reveal.vsize() as u64);
        let commit_value = reveal_fee + Amount::from_sat(REVEAL_OUTPUT_SAT);

        let mut commit = self.unsigned(OutPoint::null(), 2);
        commit.output[0].script_pubkey = leaf.script_pubkey.clone();
        let commit_fee = SimWallet::fee_for_vsize(self.fee_rate, commit.vsize() as u64);
        let dust = self.wallet.script_pubkey().minimal_non_dust();
        let coin = self.take_coin(commit_value + commit_fee + dust)?;
        commit.input[0].previous_output = coin.outpoint;
        let change = coin.value - commit_value - commit_fee;
        commit.output[0].value = commit_value;
        commit.output[1].value = change;
        self.sign(&mut commit, &coin)?;
        self.coins.push_back(Utxo {
            outpoint: OutPoint {
                txid: commit.compute_txid(),
                vout: 1,
            },
            value: change,
            script_pubkey: self.wallet.script_pubkey().clone(),
            confirmations: 0,
        });

        reveal.input[0].previous_output = OutPoint {
            txid: commit.compute_txid(),
            vout: 0,
        };
        reveal.output[0].value = Amount::from_sat(REVEAL_OUTPUT_SAT);
        let prevout = commit.output[0].clone();
        self.wallet
            .sign_script_path(&mut reveal, 0, &[prevout], &leaf, TapSighashType::Default)
            .map_err(|e| SimBitcoinError::Filler(format!("signing a reveal: {e}")))?;
        self.push_outputs(&reveal);
        Ok((commit, reveal))
    }

    fn unsigned(&self, outpoint: OutPoint, outputs: usize) -> Transaction {
        let out = TxOut {
            value: Amount::ZERO,
            script_pubkey: self.wallet.script_pubkey().clone(),
        };
        Transaction {
            version: Version::TWO,
            lock_time: absolute::LockTime::ZERO,
            input: vec![TxIn {
                previous_output: outpoint,
                script_sig: ScriptBuf::new(),
                sequence: Sequence::ENABLE_RBF_NO_LOCKTIME,
                witness: Witness::from_slice(&[[0u8; 64]]),
            }],
            output: vec![out; outputs],
        }
    }

    fn sign(&self, tx: &mut Transaction, coin: &Utxo) -> Result<(), SimBitcoinError> {
        let prevout = TxOut {
            value: coin.value,
            script_pubkey: coin.script_pubkey.clone(),
        };
        self.wallet
            .sign_key_path(tx, &[prevout], TapSighashType::Default)
            .map_err(|e| SimBitcoinError::Filler(format!("signing a spend: {e}")))
    }

    fn push_outputs(&mut self, tx: &Transaction) {
        let txid = tx.compute_txid();
        for (vout, out) in tx.output.iter().enumerate() {
            if out.script_pubkey == *self.wallet.script_pubkey() {
                self.coins.push_back(Utxo {
                    outpoint: OutPoint {
                        txid,
                        vout: vout as u32,
                    },
                    value: out.value,
                    script_pubkey: out.script_pubkey.clone(),
                    confirmations: 0,
                });
            }
        }
    }
}
