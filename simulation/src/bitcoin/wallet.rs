//! [`SimWallet`]: one key pair from a seed, for tests, benchmarks and the devnet. It receives
//! on its key-path taproot address (coinbases can pay to it), builds and signs key-path
//! spends of given coins at a given fee rate (change back to itself), and makes script-path
//! outputs for `<key> OP_CHECKSIG [envelopes]` tapscripts and signs their spends. Signatures are
//! BIP-340 without auxiliary randomness, so the same seed and calls give the same bytes.

use bitai_bitcoin::Utxo;
use bitai_runtime::{derive_seed, seeded_rng};
use bitcoin::blockdata::opcodes::all::OP_CHECKSIG;
use bitcoin::hashes::Hash;
use bitcoin::key::{Keypair, TapTweak};
use bitcoin::script::Builder;
use bitcoin::secp256k1::{All, Message, Secp256k1, SecretKey};
use bitcoin::sighash::{Prevouts, SighashCache, TapSighashType};
use bitcoin::taproot::{ControlBlock, LeafVersion, TapLeafHash, TaprootBuilder};
use bitcoin::transaction::Version;
use bitcoin::{
    absolute, Address, Amount, FeeRate, KnownHrp, ScriptBuf, Sequence, Transaction, TxIn, TxOut,
    Witness, XOnlyPublicKey,
};
use rand::Rng;
use thiserror::Error;

/// Why the wallet could not build or sign a spend.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum WalletError {
    /// No coins were given.
    #[error("no inputs to spend")]
    NoInputs,
    /// The coins do not cover the outputs and the fee.
    #[error("insufficient funds: {available} available, {needed} needed")]
    InsufficientFunds {
        /// Sum of the inputs.
        available: Amount,
        /// Outputs plus fee.
        needed: Amount,
    },
    /// An input does not pay to this wallet's key-path script.
    #[error("input {0} does not pay to this wallet's key-path script")]
    ForeignInput(usize),
    /// The sighash could not be computed (for example SIGHASH_SINGLE without its output).
    #[error("sighash of input {input}: {reason}")]
    Sighash {
        /// Input index.
        input: usize,
        /// What failed.
        reason: String,
    },
}

/// How a spend is built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpendOptions {
    /// nSequence of every input. Default 0xfffffffd (signals BIP-125, no relative lock).
    pub sequence: Sequence,
    /// Sighash type of the signatures. Default `TapSighashType::Default` (64-byte signatures).
    pub sighash_type: TapSighashType,
    /// Whether the excess goes to a change output to this wallet (when above dust); when
    /// false it all goes to the fee. Default true.
    pub change: bool,
    /// nLockTime. Default 0.
    pub lock_time: absolute::LockTime,
}

impl Default for SpendOptions {
    fn default() -> Self {
        Self {
            sequence: Sequence::ENABLE_RBF_NO_LOCKTIME,
            sighash_type: TapSighashType::Default,
            change: true,
            lock_time: absolute::LockTime::ZERO,
        }
    }
}

/// A taproot output whose script tree is one `<key> OP_CHECKSIG ...` leaf of this wallet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptPathOutput {
    /// The output's script (pay to the tweaked key).
    pub script_pubkey: ScriptBuf,
    /// The leaf script.
    pub tapscript: ScriptBuf,
    /// The control block proving the leaf.
    pub control_block: ControlBlock,
}

/// A single-key taproot wallet.
#[derive(Debug, Clone)]
pub struct SimWallet {
    secp: Secp256k1<All>,
    keypair: Keypair,
    /// The key pair tweaked for key-path spends (BIP-341, no script tree).
    tweaked: Keypair,
    internal_key: XOnlyPublicKey,
    script_pubkey: ScriptBuf,
    address: Address,
}

impl SimWallet {
    /// The wallet whose key is drawn from `seed` (label `simwallet.key`).
    pub fn from_seed(seed: u64) -> Self {
        let mut rng = seeded_rng(seed, "simwallet.key");
        loop {
            let bytes: [u8; 32] = rng.gen();
            if let Ok(secret) = SecretKey::from_slice(&bytes) {
                return Self::from_secret_key(secret);
            }
        }
    }

    /// The default coinbase receiver of the network seeded by `network_seed`.
    pub fn miner(network_seed: u64) -> Self {
        Self::from_seed(derive_seed(network_seed, "simbitcoin.miner_wallet"))
    }

    /// The wallet of `secret`. (The secp256k1 context blinds itself with OS randomness when
    /// created; blinding never changes a key, a signature or a verification.)
    pub fn from_secret_key(secret: SecretKey) -> Self {
        let secp = Secp256k1::new();
        let keypair = Keypair::from_secret_key(&secp, &secret);
        let (internal_key, _) = keypair.x_only_public_key();
        let address = Address::p2tr(&secp, internal_key, None, KnownHrp::Regtest);
        let script_pubkey = address.script_pubkey();
        let tweaked = keypair.tap_tweak(&secp, None).to_keypair();
        Self {
            secp,
            keypair,
            tweaked,
            internal_key,
            script_pubkey,
            address,
        }
    }

    /// The key-path taproot address (regtest).
    pub fn address(&self) -> &Address {
        &self.address
    }

    /// The key-path taproot script.
    pub fn script_pubkey(&self) -> &ScriptBuf {
        &self.script_pubkey
    }

    /// The untweaked x-only key (the internal key, and the key of script-path leaves).
    pub fn internal_key(&self) -> XOnlyPublicKey {
        self.internal_key
    }

    /// The key pair.
    pub fn keypair(&self) -> &Keypair {
        &self.keypair
    }

    /// The fee of `vsize` vbytes at `fee_rate`, rounded up.
    pub fn fee_for_vsize(fee_rate: FeeRate, vsize: u64) -> Amount {
        Amount::from_sat((fee_rate.to_sat_per_kwu() * 4 * vsize).div_ceil(1000))
    }

    /// Spends `inputs` (coins of this wallet's key path) to `outputs` at `fee_rate`, change to
    /// itself, BIP-125 signalling, default sighash.
    pub fn spend(
        &self,
        inputs: &[Utxo],
        outputs: Vec<TxOut>,
        fee_rate: FeeRate,
    ) -> Result<Transaction, WalletError> {
        self.spend_with(inputs, outputs, fee_rate, SpendOptions::default())
    }

    /// [`spend`](Self::spend) with options.
    pub fn spend_with(
        &self,
        inputs: &[Utxo],
        outputs: Vec<TxOut>,
        fee_rate: FeeRate,
        options: SpendOptions,
    ) -> Result<Transaction, WalletError> {
        if inputs.is_empty() {
            return Err(WalletError::NoInputs);
        }
        if let Some(i) = inputs
            .iter()
            .position(|u| u.script_pubkey != self.script_pubkey)
        {
            return Err(WalletError::ForeignInput(i));
        }
        let sig_len = if options.sighash_type == TapSighashType::Default {
            64
        } else {
            65
        };
        let mut tx = Transaction {
            version: Version::TWO,
            lock_time: options.lock_time,
            input: inputs
                .iter()
                .map(|u| TxIn {
                    previous_output: u.outpoint,
                    script_sig: ScriptBuf::new(),
                    sequence: options.sequence,
                    witness: Witness::from_slice(&[vec![0u8; sig_len]]),
                })
                .collect(),
            output: outputs,
        };
        let available: Amount = inputs.iter().map(|u| u.value).sum();
        let paid: Amount = tx.output.iter().map(|o| o.value).sum();
        if options.change {
            tx.output.push(TxOut {
                value: Amount::ZERO,
                script_pubkey: self.script_pubkey.clone(),
            });
            let fee = Self::fee_for_vsize(fee_rate, tx.vsize() as u64);
            match paid
                .checked_add(fee)
                .and_then(|needed| available.checked_sub(needed))
            {
                Some(change) if change >= self.script_pubkey.minimal_non_dust() => {
                    tx.output.last_mut().expect("just pushed").value = change;
                }
                _ => {
                    tx.output.pop();
                }
            }
        }
        let fee = Self::fee_for_vsize(fee_rate, tx.vsize() as u64);
        let needed = tx.output.iter().map(|o| o.value).sum::<Amount>() + fee;
        if available < needed {
            return Err(WalletError::InsufficientFunds { available, needed });
        }
        let prevouts: Vec<TxOut> = inputs
            .iter()
            .map(|u| TxOut {
                value: u.value,
                script_pubkey: u.script_pubkey.clone(),
            })
            .collect();
        self.sign_key_path(&mut tx, &prevouts, options.sighash_type)?;
        Ok(tx)
    }

    /// Signs every input of `tx` (all spending this wallet's key path; `prevouts` are the
    /// spent outputs, in order) with a key-path signature of `sighash_type`.
    pub fn sign_key_path(
        &self,
        tx: &mut Transaction,
        prevouts: &[TxOut],
        sighash_type: TapSighashType,
    ) -> Result<(), WalletError> {
        let mut witnesses = Vec::with_capacity(tx.input.len());
        {
            let mut cache = SighashCache::new(&*tx);
            for input in 0..prevouts.len() {
                let sighash = cache
                    .taproot_key_spend_signature_hash(input, &Prevouts::All(prevouts), sighash_type)
                    .map_err(|e| WalletError::Sighash {
                        input,
                        reason: e.to_string(),
                    })?;
                let msg = Message::from_digest(sighash.to_byte_array());
                let signature = self.secp.sign_schnorr_no_aux_rand(&msg, &self.tweaked);
                let sig = bitcoin::taproot::Signature {
                    signature,
                    sighash_type,
                };
                witnesses.push(Witness::p2tr_key_spend(&sig));
            }
        }
        for (input, witness) in tx.input.iter_mut().zip(witnesses) {
            input.witness = witness;
        }
        Ok(())
    }

    /// `<internal key> OP_CHECKSIG` followed by `envelopes` (each an
    /// `OP_FALSE OP_IF ... OP_ENDIF` fragment), as an inscription reveal's leaf is.
    pub fn checksig_tapscript(&self, envelopes: &[ScriptBuf]) -> ScriptBuf {
        let mut bytes = Builder::new()
            .push_x_only_key(&self.internal_key)
            .push_opcode(OP_CHECKSIG)
            .into_script()
            .into_bytes();
        for envelope in envelopes {
            bytes.extend_from_slice(envelope.as_bytes());
        }
        ScriptBuf::from_bytes(bytes)
    }

    /// The taproot output (internal key: this wallet's) whose only leaf is `tapscript`.
    pub fn script_path_output(&self, tapscript: ScriptBuf) -> ScriptPathOutput {
        let info = TaprootBuilder::new()
            .add_leaf(0, tapscript.clone())
            .expect("one leaf at depth 0 is a complete tree")
            .finalize(&self.secp, self.internal_key)
            .expect("a complete tree finalizes");
        let control_block = info
            .control_block(&(tapscript.clone(), LeafVersion::TapScript))
            .expect("the leaf is in the tree");
        ScriptPathOutput {
            script_pubkey: ScriptBuf::new_p2tr_tweaked(info.output_key()),
            tapscript,
            control_block,
        }
    }

    /// Signs input `input` of `tx`, which spends `output` by its script path, with the
    /// untweaked key, and sets its witness to `[signature, tapscript, control block]`.
    pub fn sign_script_path(
        &self,
        tx: &mut Transaction,
        input: usize,
        prevouts: &[TxOut],
        output: &ScriptPathOutput,
        sighash_type: TapSighashType,
    ) -> Result<(), WalletError> {
        let leaf = TapLeafHash::from_script(&output.tapscript, LeafVersion::TapScript);
        let sighash = SighashCache::new(&*tx)
            .taproot_script_spend_signature_hash(
                input,
                &Prevouts::All(prevouts),
                leaf,
                sighash_type,
            )
            .map_err(|e| WalletError::Sighash {
                input,
                reason: e.to_string(),
            })?;
        let msg = Message::from_digest(sighash.to_byte_array());
        let signature = self.secp.sign_schnorr_no_aux_rand(&msg, &self.keypair);
        let sig = bitcoin::taproot::Signature {
            signature,
            sighash_type,
        };
        let mut witness = Witness::new();
        witness.push(sig.to_vec());
        witness.push(output.tapscript.as_bytes());
        witness.push(output.control_block.serialize());
        tx.input[input].witness = witness;
        Ok(())
    }
}
