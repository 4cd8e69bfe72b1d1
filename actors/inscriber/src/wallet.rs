//! The inscriber's wallet: one taproot key, generated once from the injected seeded rng and
//! persisted (or given in config); its key-path address receives funding, change and reveal
//! outputs, and the same key signs the reveal's tapscript leaf. This module builds and signs
//! the three kinds of transactions the inscriber sends: commits, reveals and CPFP children.
//! Signatures are BIP-340 without auxiliary randomness, so a transaction rebuilt from the
//! same inputs is the same transaction.

use crate::records::key;
use crate::InscriberError;
use bitai_protocol::envelope::Reveal;
use bitai_storage::{Batch, Store};
use bitcoin::absolute::LockTime;
use bitcoin::hashes::Hash;
use bitcoin::key::{Keypair, Secp256k1, TapTweak, TweakedKeypair, XOnlyPublicKey};
use bitcoin::secp256k1::{All, Message, SecretKey};
use bitcoin::sighash::{Prevouts, SighashCache};
use bitcoin::taproot::LeafVersion;
use bitcoin::transaction::Version;
use bitcoin::{
    Address, Amount, Network, OutPoint, ScriptBuf, Sequence, TapSighashType, Transaction, TxIn,
    TxOut, Witness,
};
use rand::RngCore;

/// Outputs below this are dust for a taproot output (Bitcoin Core's 330 sat at 3 sat/vB).
pub const DUST_SAT: u64 = 330;

/// The wallet's key and address.
pub struct WalletKeys {
    secp: Secp256k1<All>,
    keypair: Keypair,
    tweaked: TweakedKeypair,
    internal: XOnlyPublicKey,
    script_pubkey: ScriptBuf,
    address: Address,
}

impl WalletKeys {
    /// The key from config, else the stored one, else a new one drawn from `rng` and stored.
    pub fn load_or_create(
        store: &dyn Store,
        keyspace: &str,
        secret_key_hex: Option<&str>,
        network: Network,
        rng: &mut dyn RngCore,
    ) -> Result<Self, InscriberError> {
        let secret = if let Some(hex_key) = secret_key_hex {
            hex_key
                .parse::<SecretKey>()
                .map_err(|e| InscriberError::Config(format!("secret_key_hex: {e}")))?
        } else if let Some(bytes) = store.get(keyspace, key::SECRET)? {
            SecretKey::from_slice(&bytes).map_err(|e| InscriberError::Corrupt {
                what: "wallet key",
                reason: e.to_string(),
            })?
        } else {
            let secret = loop {
                let mut bytes = [0u8; 32];
                rng.fill_bytes(&mut bytes);
                if let Ok(k) = SecretKey::from_slice(&bytes) {
                    break k;
                }
            };
            let mut batch = Batch::default();
            batch.put(keyspace, key::SECRET, &secret.secret_bytes());
            store.write(batch)?;
            secret
        };
        Ok(Self::from_secret(secret, network))
    }

    /// The wallet of `secret`.
    pub fn from_secret(secret: SecretKey, network: Network) -> Self {
        let secp = Secp256k1::new();
        let keypair = Keypair::from_secret_key(&secp, &secret);
        let (internal, _) = keypair.x_only_public_key();
        let tweaked = keypair.tap_tweak(&secp, None);
        let address = Address::p2tr(&secp, internal, None, network);
        let script_pubkey = address.script_pubkey();
        Self {
            secp,
            keypair,
            tweaked,
            internal,
            script_pubkey,
            address,
        }
    }

    /// The key-path address.
    pub fn address(&self) -> &Address {
        &self.address
    }

    /// Its script.
    pub fn script_pubkey(&self) -> &ScriptBuf {
        &self.script_pubkey
    }

    /// The x-only internal key (also the reveal leaf's key).
    pub fn internal_key(&self) -> XOnlyPublicKey {
        self.internal
    }

    /// The reveal of `payloads` under this wallet's key.
    pub fn reveal_of(&self, payloads: &[&[u8]]) -> Result<Reveal, InscriberError> {
        Reveal::new(&self.secp, self.internal, payloads)
            .map_err(|e| InscriberError::Build(e.to_string()))
    }

    /// Signs every input of `tx` by key path; `values` are the wallet coins spent, in order.
    pub fn sign_key_path(
        &self,
        tx: &mut Transaction,
        values: &[u64],
    ) -> Result<(), InscriberError> {
        let prevouts: Vec<TxOut> = values
            .iter()
            .map(|&v| TxOut {
                value: Amount::from_sat(v),
                script_pubkey: self.script_pubkey.clone(),
            })
            .collect();
        let mut witnesses = Vec::with_capacity(prevouts.len());
        {
            let mut cache = SighashCache::new(&*tx);
            for input in 0..prevouts.len() {
                let sighash = cache
                    .taproot_key_spend_signature_hash(
                        input,
                        &Prevouts::All(&prevouts),
                        TapSighashType::Default,
                    )
                    .map_err(|e| InscriberError::Build(e.to_string()))?;
                let msg = Message::from_digest(sighash.to_byte_array());
                let signature = self
                    .secp
                    .sign_schnorr_no_aux_rand(&msg, &self.tweaked.to_keypair());
                witnesses.push(Witness::p2tr_key_spend(&bitcoin::taproot::Signature {
                    signature,
                    sighash_type: TapSighashType::Default,
                }));
            }
        }
        for (input, w) in tx.input.iter_mut().zip(witnesses) {
            input.witness = w;
        }
        Ok(())
    }

    /// Signs the reveal's only input through the envelope leaf.
    pub fn sign_reveal(
        &self,
        tx: &mut Transaction,
        reveal: &Reveal,
        commit_value_sat: u64,
    ) -> Result<(), InscriberError> {
        let prevouts = [TxOut {
            value: Amount::from_sat(commit_value_sat),
            script_pubkey: reveal.commit_script_pubkey(),
        }];
        let sighash = SighashCache::new(&*tx)
            .taproot_script_spend_signature_hash(
                0,
                &Prevouts::All(&prevouts),
                bitcoin::TapLeafHash::from_script(&reveal.script, LeafVersion::TapScript),
                TapSighashType::Default,
            )
            .map_err(|e| InscriberError::Build(e.to_string()))?;
        let msg = Message::from_digest(sighash.to_byte_array());
        let signature = self.secp.sign_schnorr_no_aux_rand(&msg, &self.keypair);
        tx.input[0].witness = reveal.witness(&bitcoin::taproot::Signature {
            signature,
            sighash_type: TapSighashType::Default,
        });
        Ok(())
    }
}

/// An unsigned transaction spending `inputs` (replaceable) to `outputs`.
pub fn unsigned(inputs: &[OutPoint], outputs: Vec<TxOut>) -> Transaction {
    Transaction {
        version: Version::TWO,
        lock_time: LockTime::ZERO,
        input: inputs
            .iter()
            .map(|op| TxIn {
                previous_output: *op,
                script_sig: ScriptBuf::new(),
                sequence: Sequence::ENABLE_RBF_NO_LOCKTIME,
                witness: Witness::new(),
            })
            .collect(),
        output: outputs,
    }
}

/// A signed commit paying `commit_value_sat` to the reveal's output and the rest, less the
/// fee at `fee_rate_sat_per_kvb` (at least `min_fee_sat(vsize)`), back to the wallet when over dust.
/// Returns the commit and its fee.
pub fn build_commit(
    keys: &WalletKeys,
    reveal: &Reveal,
    inputs: &[(OutPoint, u64)],
    commit_value_sat: u64,
    fee_rate_sat_per_kvb: u64,
    min_fee_sat: impl Fn(u64) -> u64,
) -> Result<(Transaction, u64), InscriberError> {
    let total: u64 = inputs.iter().map(|(_, v)| v).sum();
    let ops: Vec<OutPoint> = inputs.iter().map(|(op, _)| *op).collect();
    let values: Vec<u64> = inputs.iter().map(|(_, v)| *v).collect();
    let make = |change: Option<u64>| {
        let mut outputs = vec![TxOut {
            value: Amount::from_sat(commit_value_sat),
            script_pubkey: reveal.commit_script_pubkey(),
        }];
        if let Some(c) = change {
            outputs.push(TxOut {
                value: Amount::from_sat(c),
                script_pubkey: keys.script_pubkey().clone(),
            });
        }
        unsigned(&ops, outputs)
    };
    // Measure with a change output, signed (schnorr signatures have a fixed size).
    let mut probe = make(Some(DUST_SAT));
    keys.sign_key_path(&mut probe, &values)?;
    let vsize = probe.vsize() as u64;
    let fee = fee_for(vsize, fee_rate_sat_per_kvb).max(min_fee_sat(vsize));
    let needed = commit_value_sat + fee;
    if total < needed {
        return Err(InscriberError::InsufficientFunds {
            needed_sat: needed,
            available_sat: total,
        });
    }
    let change = total - needed;
    let mut tx = make((change >= DUST_SAT).then_some(change));
    keys.sign_key_path(&mut tx, &values)?;
    Ok((
        tx,
        total - commit_value_sat - if change >= DUST_SAT { change } else { 0 },
    ))
}

/// A signed reveal spending `commit`'s output 0 through the envelope leaf, paying the rest,
/// less the fee, to the wallet. Returns the reveal and its fee; `None` when the commit's
/// output cannot pay that fee and leave a non-dust output.
pub fn build_reveal(
    keys: &WalletKeys,
    reveal: &Reveal,
    commit: &Transaction,
    fee_sat: impl Fn(u64) -> u64,
) -> Result<Option<(Transaction, u64)>, InscriberError> {
    let commit_value = commit.output[0].value.to_sat();
    let outpoint = OutPoint::new(commit.compute_txid(), 0);
    let make = |value: u64| {
        unsigned(
            &[outpoint],
            vec![TxOut {
                value: Amount::from_sat(value),
                script_pubkey: keys.script_pubkey().clone(),
            }],
        )
    };
    let mut probe = make(DUST_SAT);
    keys.sign_reveal(&mut probe, reveal, commit_value)?;
    let fee = fee_sat(probe.vsize() as u64);
    let Some(out) = commit_value.checked_sub(fee).filter(|&v| v >= DUST_SAT) else {
        return Ok(None);
    };
    let mut tx = make(out);
    keys.sign_reveal(&mut tx, reveal, commit_value)?;
    Ok(Some((tx, fee)))
}

/// vsize of a reveal of `payload_lens` with one output to a taproot key (no signing).
pub fn reveal_vsize(payload_lens: &[usize]) -> u64 {
    // version, locktime, input and output counts, one P2TR output (8 + 1 + 34): 53 bytes,
    // plus the segwit marker and flag (2 WU) and the input.
    let weight = 53 * 4 + 2 + bitai_protocol::envelope::reveal_input_weight(payload_lens).to_wu();
    weight.div_ceil(4)
}

/// Reveal weight, WU.
pub fn reveal_weight_wu(payload_lens: &[usize]) -> u64 {
    53 * 4 + 2 + bitai_protocol::envelope::reveal_input_weight(payload_lens).to_wu()
}

/// A signed CPFP child spending the reveal's output `parent` (`parent_value_sat`) and the
/// wallet coin `coin`, paying the rest less `fee_sat` to the wallet.
pub fn build_child(
    keys: &WalletKeys,
    parent: (OutPoint, u64),
    coin: (OutPoint, u64),
    fee_for_vsize: impl Fn(u64) -> u64,
) -> Result<(Transaction, u64), InscriberError> {
    let total = parent.1 + coin.1;
    let make = |value: u64| {
        unsigned(
            &[parent.0, coin.0],
            vec![TxOut {
                value: Amount::from_sat(value),
                script_pubkey: keys.script_pubkey().clone(),
            }],
        )
    };
    let mut probe = make(DUST_SAT);
    keys.sign_key_path(&mut probe, &[parent.1, coin.1])?;
    let fee = fee_for_vsize(probe.vsize() as u64);
    let out = total.checked_sub(fee).filter(|&v| v >= DUST_SAT).ok_or(
        InscriberError::InsufficientFunds {
            needed_sat: fee + DUST_SAT,
            available_sat: total,
        },
    )?;
    let mut tx = make(out);
    keys.sign_key_path(&mut tx, &[parent.1, coin.1])?;
    Ok((tx, fee))
}

/// Fee of `vsize` vbytes at `sat_per_kvb`, rounded up.
pub fn fee_for(vsize: u64, sat_per_kvb: u64) -> u64 {
    (vsize * sat_per_kvb).div_ceil(1000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reveal_vsize_matches_a_signed_reveal() {
        let keys = WalletKeys::from_secret(
            SecretKey::from_slice(&[7u8; 32]).expect("valid key"),
            Network::Regtest,
        );
        for lens in [vec![1usize], vec![100, 5000], vec![390_000]] {
            let payloads: Vec<Vec<u8>> = lens.iter().map(|&l| vec![0xab; l]).collect();
            let refs: Vec<&[u8]> = payloads.iter().map(Vec::as_slice).collect();
            let reveal = keys.reveal_of(&refs).expect("builds");
            let inputs = [(OutPoint::new(bitcoin::Txid::all_zeros(), 0), 10_000_000)];
            let (commit, _) =
                build_commit(&keys, &reveal, &inputs, 500_000, 1000, |_| 0).expect("commit");
            let (tx, fee) = build_reveal(&keys, &reveal, &commit, |v| v)
                .expect("signs")
                .expect("affordable");
            assert_eq!(tx.vsize() as u64, reveal_vsize(&lens));
            assert_eq!(tx.weight().to_wu(), reveal_weight_wu(&lens));
            assert_eq!(fee, reveal_vsize(&lens));
        }
    }
}
