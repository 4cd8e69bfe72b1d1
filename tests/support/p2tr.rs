//! A taproot key for tests that spend real outputs: its regtest address, and transactions
//! spending outputs that pay to it, signed on the key path (what the inscriber's wallet does,
//! here without the inscriber).

use bitai_bitcoin::Utxo;
use bitcoin::hashes::Hash;
use bitcoin::key::{Keypair, Secp256k1, TapTweak};
use bitcoin::secp256k1::Message;
use bitcoin::sighash::{Prevouts, SighashCache, TapSighashType};
use bitcoin::transaction::Version;
use bitcoin::{
    absolute::LockTime, taproot, Address, Amount, Network, ScriptBuf, Sequence, Transaction, TxIn,
    TxOut, Witness,
};

/// A key and its taproot address on regtest.
pub struct Key {
    /// The key pair.
    pub keypair: Keypair,
    /// Its key-path-only taproot address.
    pub address: Address,
}

impl Key {
    /// The key of `secret` (32 bytes, a valid secret key).
    pub fn new(secret: [u8; 32]) -> Key {
        let secp = Secp256k1::new();
        let keypair = Keypair::from_seckey_slice(&secp, &secret).expect("a valid secret key");
        let address = Address::p2tr(&secp, keypair.x_only_public_key().0, None, Network::Regtest);
        Key { keypair, address }
    }

    /// One output paying `value` to this key.
    pub fn pay(&self, value: Amount) -> TxOut {
        TxOut {
            value,
            script_pubkey: self.address.script_pubkey(),
        }
    }

    /// Spends `inputs` (paying to this key) to `outputs`, signed on the key path, signalling
    /// replaceability.
    pub fn spend(&self, inputs: &[Utxo], outputs: Vec<TxOut>) -> Transaction {
        let secp = Secp256k1::new();
        let mut tx = Transaction {
            version: Version::TWO,
            lock_time: LockTime::ZERO,
            input: inputs
                .iter()
                .map(|utxo| TxIn {
                    previous_output: utxo.outpoint,
                    script_sig: ScriptBuf::new(),
                    sequence: Sequence::ENABLE_RBF_NO_LOCKTIME,
                    witness: Witness::new(),
                })
                .collect(),
            output: outputs,
        };
        let prevouts: Vec<TxOut> = inputs
            .iter()
            .map(|u| TxOut {
                value: u.value,
                script_pubkey: u.script_pubkey.clone(),
            })
            .collect();
        let tweaked = self.keypair.tap_tweak(&secp, None).to_keypair();
        let mut cache = SighashCache::new(&mut tx);
        for index in 0..inputs.len() {
            let sighash = cache
                .taproot_key_spend_signature_hash(
                    index,
                    &Prevouts::All(&prevouts),
                    TapSighashType::Default,
                )
                .expect("a sighash");
            let signature = secp
                .sign_schnorr_no_aux_rand(&Message::from_digest(sighash.to_byte_array()), &tweaked);
            let signature = taproot::Signature {
                signature,
                sighash_type: TapSighashType::Default,
            };
            *cache.witness_mut(index).expect("an input") = Witness::p2tr_key_spend(&signature);
        }
        tx
    }
}
