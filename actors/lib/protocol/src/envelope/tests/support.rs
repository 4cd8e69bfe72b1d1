//! Helpers shared by the envelope tests: the vectors, transactions made of given witnesses,
//! and scripts made of raw pushes.

use bitcoin::absolute::LockTime;
use bitcoin::key::{Keypair, Secp256k1, XOnlyPublicKey};
use bitcoin::opcodes::all::{OP_ENDIF, OP_IF};
use bitcoin::opcodes::OP_FALSE;
use bitcoin::script::{Builder, PushBytesBuf};
use bitcoin::transaction::Version;
use bitcoin::{OutPoint, ScriptBuf, Sequence, Transaction, TxIn, Witness};

/// The real mainnet inscription with the `primes` text body.
pub const PRIMES_HEX: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../tests/fixtures/vectors/inscriptions/recursion-primes-60bcf821.hex"
));

/// The real mainnet inscription with the 844-byte PNG body.
pub const PNG_HEX: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../tests/fixtures/vectors/inscriptions/mainnet-png-99811de3.hex"
));

/// Decodes a vector file's hex into a transaction.
pub fn vector(hex_text: &str) -> Transaction {
    let bytes = hex::decode(hex_text.trim()).expect("vector files are hex");
    bitcoin::consensus::deserialize(&bytes).expect("vector files are transactions")
}

/// A transaction whose inputs carry these witnesses.
pub fn tx_with(witnesses: &[Witness]) -> Transaction {
    Transaction {
        version: Version::TWO,
        lock_time: LockTime::ZERO,
        input: witnesses
            .iter()
            .map(|witness| TxIn {
                previous_output: OutPoint::null(),
                script_sig: ScriptBuf::new(),
                sequence: Sequence::ENABLE_RBF_NO_LOCKTIME,
                witness: witness.clone(),
            })
            .collect(),
        output: Vec::new(),
    }
}

/// A script-path witness: the script, then a control block stand-in.
pub fn script_witness(script: &[u8]) -> Witness {
    Witness::from_slice(&[script.to_vec(), vec![0xc0; 33]])
}

/// Pushes `data` with the shortest push opcode (never a push number).
pub fn push(builder: Builder, data: &[u8]) -> Builder {
    let data = PushBytesBuf::try_from(data.to_vec()).expect("test pushes are small");
    builder.push_slice(data)
}

/// `OP_FALSE OP_IF <pushes> OP_ENDIF`, the first push usually being `"ord"`.
pub fn envelope_script(pushes: &[&[u8]]) -> ScriptBuf {
    let mut builder = Builder::new().push_opcode(OP_FALSE).push_opcode(OP_IF);
    for data in pushes {
        builder = push(builder, data);
    }
    builder.push_opcode(OP_ENDIF).into_script()
}

/// The envelopes ord finds in a transaction of one input holding `script`.
pub fn parse_script(script: &[u8]) -> Vec<super::super::Envelope> {
    super::super::parse_transaction(&tx_with(&[script_witness(script)]))
}

/// A fixed key pair for builder tests.
pub fn keypair() -> (Secp256k1<bitcoin::secp256k1::All>, Keypair, XOnlyPublicKey) {
    let secp = Secp256k1::new();
    let keypair = Keypair::from_seckey_slice(&secp, &[7u8; 32]).expect("7 repeated is a valid key");
    let (key, _) = keypair.x_only_public_key();
    (secp, keypair, key)
}
