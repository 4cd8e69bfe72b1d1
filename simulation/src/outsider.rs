//! An outsider who inscribes on SimBitcoin: BitAI envelopes put on Bitcoin the way the
//! inscriber does (a commit transaction pays to the taproot output of a reveal script built
//! by the protocol's envelope builder, and the reveal spends it through that script with a
//! real schnorr signature), or hand-made envelope scripts, malformed and hostile ones
//! included ([`bitai_envelope`], [`plain_inscription`]). Coins come from a fan-out of a
//! mature coinbase, so each inscription has a confirmed coin of its own. The end-to-end
//! tests and `bitai sim`'s `hostile_envelope` fault use it.
//!
//! It is test-bed code: it panics (with the reason) when SimBitcoin refuses what it builds.

use crate::bitcoin::{ScriptPathOutput, SimBitcoin, SimWallet};
use bitai_bitcoin::{BitcoinPort, Utxo};
use bitai_protocol::envelope::Reveal;
use bitai_protocol::envelope::{BITAI_CONTENT_TYPE, BITAI_METAPROTOCOL};
use bitcoin::absolute::LockTime;
use bitcoin::opcodes::all::{OP_ENDIF, OP_IF};
use bitcoin::opcodes::OP_FALSE;
use bitcoin::script::{Builder, PushBytesBuf};
use bitcoin::secp256k1::Secp256k1;
use bitcoin::transaction::Version;
use bitcoin::{
    Amount, FeeRate, OutPoint, ScriptBuf, Sequence, TapSighashType, Transaction, TxIn, TxOut, Txid,
    Witness,
};

/// An inscribed reveal: its txid and the payloads its envelopes carry.
#[derive(Debug, Clone)]
pub struct Inscribed {
    /// The commit transaction.
    pub commit: Transaction,
    /// The reveal transaction.
    pub reveal: Transaction,
    /// The payloads, in envelope order.
    pub payloads: Vec<Vec<u8>>,
}

/// A wallet with a pool of confirmed coins for inscribing.
pub struct OutsideInscriber {
    wallet: SimWallet,
    coins: Vec<Utxo>,
    fee_rate: FeeRate,
}

const REVEAL_OUTPUT_SAT: u64 = 1_000;

impl OutsideInscriber {
    /// Mines enough blocks for the miner's first coinbase to mature, fans it out into `coins`
    /// coins of this inscriber's wallet, confirms the fan-out and buries it `bury` blocks
    /// deep (deeper than any reorg the scenario makes).
    pub fn fund(sim: &SimBitcoin, seed: u64, coins: usize, bury: u64) -> Self {
        sim.mine_blocks(101);
        Self::from_coinbase(sim, 1, seed, coins, bury)
    }

    /// Like [`OutsideInscriber::fund`], from the coinbase of the block at `height`, which must
    /// pay SimBitcoin's miner wallet and be mature (the devnet's premine makes block 1 so).
    pub fn from_coinbase(
        sim: &SimBitcoin,
        height: u64,
        seed: u64,
        coins: usize,
        bury: u64,
    ) -> Self {
        let wallet = SimWallet::from_seed(seed);
        let miner = sim.miner_wallet();
        let first_coinbase = sim
            .block_hash(height)
            .expect("port works")
            .expect("the block exists");
        let block: bitcoin::Block =
            bitcoin::consensus::deserialize(&sim.block(&first_coinbase).expect("block"))
                .expect("decodes");
        let coinbase = &block.txdata[0];
        let coin = Utxo {
            outpoint: OutPoint {
                txid: coinbase.compute_txid(),
                vout: 0,
            },
            value: coinbase.output[0].value,
            script_pubkey: coinbase.output[0].script_pubkey.clone(),
            confirmations: 101,
        };
        let fee_rate = FeeRate::from_sat_per_vb(2).expect("small rate");
        let each = (coin.value.to_sat() / (coins as u64 + 1)).min(10_000_000);
        let outputs = (0..coins)
            .map(|_| TxOut {
                value: Amount::from_sat(each),
                script_pubkey: wallet.script_pubkey().clone(),
            })
            .collect();
        let fanout = miner
            .spend(&[coin], outputs, fee_rate)
            .expect("fan-out builds");
        let fanout_txid = sim.broadcast(&fanout).expect("fan-out accepted");
        sim.mine_blocks(1 + bury);
        let coins = (0..coins as u32)
            .map(|vout| Utxo {
                outpoint: OutPoint {
                    txid: fanout_txid,
                    vout,
                },
                value: Amount::from_sat(each),
                script_pubkey: wallet.script_pubkey().clone(),
                confirmations: 1,
            })
            .collect();
        Self {
            wallet,
            coins,
            fee_rate,
        }
    }

    /// Coins left.
    pub fn coins_left(&self) -> usize {
        self.coins.len()
    }

    /// Builds a commit/reveal pair carrying `payloads`, each as one envelope, in one input,
    /// with the protocol's envelope builder (as the inscriber does).
    pub fn build(&mut self, payloads: Vec<Vec<u8>>) -> Inscribed {
        let secp = Secp256k1::new();
        let reveal_info =
            Reveal::new(&secp, self.wallet.internal_key(), &payloads).expect("reveal builds");
        let output = ScriptPathOutput {
            script_pubkey: reveal_info.commit_script_pubkey(),
            tapscript: reveal_info.script.clone(),
            control_block: reveal_info.control_block.clone(),
        };
        self.build_for(output, payloads)
    }

    /// Builds a commit/reveal pair whose reveal tapscript is `<key> OP_CHECKSIG` followed by
    /// `envelopes` verbatim (hand-made, possibly malformed, envelope scripts); `payloads`
    /// records what a correct reader should find in them.
    pub fn build_raw(&mut self, envelopes: &[ScriptBuf], payloads: Vec<Vec<u8>>) -> Inscribed {
        let tapscript = self.wallet.checksig_tapscript(envelopes);
        let output = self.wallet.script_path_output(tapscript);
        self.build_for(output, payloads)
    }

    fn build_for(&mut self, output: ScriptPathOutput, payloads: Vec<Vec<u8>>) -> Inscribed {
        let coin = self.coins.pop().expect("test inscriber has coins left");
        // Size the reveal with a placeholder signature of the right length.
        let mut reveal = Transaction {
            version: Version::TWO,
            lock_time: LockTime::ZERO,
            input: vec![TxIn {
                previous_output: OutPoint {
                    txid: Txid::from_raw_hash(bitcoin::hashes::Hash::all_zeros()),
                    vout: 0,
                },
                script_sig: ScriptBuf::new(),
                sequence: Sequence::ENABLE_RBF_NO_LOCKTIME,
                witness: Witness::from_slice(&[
                    vec![0u8; 64],
                    output.tapscript.to_bytes(),
                    output.control_block.serialize(),
                ]),
            }],
            output: vec![TxOut {
                value: Amount::from_sat(REVEAL_OUTPUT_SAT),
                script_pubkey: self.wallet.script_pubkey().clone(),
            }],
        };
        let reveal_fee = SimWallet::fee_for_vsize(self.fee_rate, reveal.vsize() as u64);
        let commit_value = reveal_fee + Amount::from_sat(REVEAL_OUTPUT_SAT);
        let commit_out = TxOut {
            value: commit_value,
            script_pubkey: output.script_pubkey.clone(),
        };
        let commit = self
            .wallet
            .spend(&[coin], vec![commit_out.clone()], self.fee_rate)
            .expect("commit");
        reveal.input[0].previous_output = OutPoint {
            txid: commit.compute_txid(),
            vout: 0,
        };
        self.wallet
            .sign_script_path(
                &mut reveal,
                0,
                &[commit_out],
                &output,
                TapSighashType::Default,
            )
            .expect("reveal signs");
        Inscribed {
            commit,
            reveal,
            payloads,
        }
    }

    /// Builds a pair and broadcasts both to `sim`'s mempool.
    pub fn inscribe(&mut self, sim: &SimBitcoin, payloads: Vec<Vec<u8>>) -> Inscribed {
        let pair = self.build(payloads);
        Self::broadcast(sim, pair)
    }

    /// Broadcasts both legs of `pair` to `sim`'s mempool.
    pub fn broadcast(sim: &SimBitcoin, pair: Inscribed) -> Inscribed {
        sim.broadcast(&pair.commit).expect("commit accepted");
        sim.broadcast(&pair.reveal).expect("reveal accepted");
        pair
    }
}

fn push(b: Builder, bytes: &[u8]) -> Builder {
    b.push_slice(PushBytesBuf::try_from(bytes.to_vec()).expect("under 4 GB"))
}

/// An ord text inscription without a metaprotocol (not BitAI's).
pub fn plain_inscription(body: &[u8]) -> ScriptBuf {
    let b = Builder::new().push_opcode(OP_FALSE).push_opcode(OP_IF);
    let b = push(push(push(b, b"ord"), &[1]), b"text/plain;charset=utf-8");
    push(b.push_opcode(OP_FALSE), body)
        .push_opcode(OP_ENDIF)
        .into_script()
}

/// An envelope with the BitAI tags, optional extra tag/value pairs, and `body` in 520-byte
/// chunks, whatever `body` is (a reader must survive any of it).
pub fn bitai_envelope(extra: &[(&[u8], &[u8])], body: &[u8]) -> ScriptBuf {
    let mut b = Builder::new().push_opcode(OP_FALSE).push_opcode(OP_IF);
    b = push(b, b"ord");
    b = push(push(b, &[1]), BITAI_CONTENT_TYPE);
    b = push(push(b, &[7]), BITAI_METAPROTOCOL);
    for (tag, value) in extra {
        b = push(push(b, tag), value);
    }
    b = b.push_opcode(OP_FALSE);
    for chunk in body.chunks(520) {
        b = push(b, chunk);
    }
    b.push_opcode(OP_ENDIF).into_script()
}
