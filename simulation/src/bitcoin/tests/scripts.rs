//! Taproot spends: key path with default and explicit sighash types, script path through a
//! `<key> OP_CHECKSIG` leaf with ord envelopes, and the refusals around them.

use super::helpers::{rate, Fixture};
use crate::bitcoin::{ScriptPathOutput, SpendOptions};
use bitai_bitcoin::{BroadcastReject, Utxo};
use bitcoin::blockdata::opcodes::all::{OP_ENDIF, OP_IF, OP_PUSHNUM_1};
use bitcoin::blockdata::opcodes::OP_FALSE;
use bitcoin::script::{Builder, PushBytesBuf};
use bitcoin::transaction::Version;
use bitcoin::{
    absolute, Amount, OutPoint, ScriptBuf, Sequence, TapSighashType, Transaction, TxIn, TxOut,
    Witness,
};

/// An ord envelope as ord writes one: `OP_FALSE OP_IF "ord" 1 <content type> 0 <body> OP_ENDIF`,
/// the body in 520-byte pushes.
pub fn envelope(body: &[u8]) -> ScriptBuf {
    let mut b = Builder::new()
        .push_opcode(OP_FALSE)
        .push_opcode(OP_IF)
        .push_slice(b"ord")
        .push_slice([1u8])
        .push_slice(b"text/plain;charset=utf-8")
        .push_slice([] as [u8; 0]);
    for chunk in body.chunks(520) {
        b = b.push_slice(PushBytesBuf::try_from(chunk.to_vec()).expect("520 bytes fit"));
    }
    b.push_opcode(OP_ENDIF).into_script()
}

/// Commits `coin` to `leaf` (accepted into the mempool) and returns the commit output.
fn commit(f: &Fixture, coin: &Utxo, leaf: &ScriptPathOutput) -> (Utxo, TxOut) {
    let out = TxOut {
        value: Amount::from_sat(50_000),
        script_pubkey: leaf.script_pubkey.clone(),
    };
    let tx = f
        .wallet
        .spend(std::slice::from_ref(coin), vec![out.clone()], rate(2))
        .expect("the test funds its spends");
    f.accept(&tx);
    let utxo = Utxo {
        outpoint: OutPoint {
            txid: tx.compute_txid(),
            vout: 0,
        },
        value: out.value,
        script_pubkey: out.script_pubkey.clone(),
        confirmations: 0,
    };
    (utxo, out)
}

/// A reveal of `commit` by the script path, paying 40,000 sat back to the wallet.
fn reveal(f: &Fixture, commit: &Utxo, prevout: &TxOut, leaf: &ScriptPathOutput) -> Transaction {
    let mut tx = Transaction {
        version: Version::TWO,
        lock_time: absolute::LockTime::ZERO,
        input: vec![TxIn {
            previous_output: commit.outpoint,
            script_sig: ScriptBuf::new(),
            sequence: Sequence::ENABLE_RBF_NO_LOCKTIME,
            witness: Witness::new(),
        }],
        output: vec![f.out(40_000)],
    };
    let prevouts = [prevout.clone()];
    f.wallet
        .sign_script_path(&mut tx, 0, &prevouts, leaf, TapSighashType::Default)
        .expect("sighash computes");
    tx
}

#[test]
fn key_path_spends_with_explicit_sighash_types_are_accepted() {
    let f = Fixture::new();
    let coins = f.coins();
    for (coin, sighash_type) in coins
        .iter()
        .zip([TapSighashType::All, TapSighashType::SinglePlusAnyoneCanPay])
    {
        let options = SpendOptions {
            sighash_type,
            ..SpendOptions::default()
        };
        let tx = f.wallet.spend_with(
            std::slice::from_ref(coin),
            vec![f.out(9_000)],
            rate(2),
            options,
        );
        let tx = tx.expect("the test funds its spends");
        assert_eq!(
            tx.input[0]
                .witness
                .nth(0)
                .expect("a signature in the witness")
                .len(),
            65
        );
        f.accept(&tx);
    }
}

#[test]
fn an_explicit_default_sighash_byte_is_refused() {
    let f = Fixture::new();
    let mut tx = f.pay(&f.coin(), 9_000, 2);
    let mut sig = tx.input[0]
        .witness
        .nth(0)
        .expect("a signature in the witness")
        .to_vec();
    sig.push(0x00);
    tx.input[0].witness = Witness::from_slice(&[sig]);
    assert!(matches!(
        f.refuse(&tx),
        BroadcastReject::BadSignature { input: 0, .. }
    ));
}

#[test]
fn an_annex_is_non_standard() {
    let f = Fixture::new();
    let mut tx = f.pay(&f.coin(), 9_000, 2);
    let sig = tx.input[0]
        .witness
        .nth(0)
        .expect("a signature in the witness")
        .to_vec();
    tx.input[0].witness = Witness::from_slice(&[sig, vec![0x50, 1]]);
    assert!(
        matches!(f.refuse(&tx), BroadcastReject::NonStandard { reason: m } if m.contains("annex"))
    );
}

#[test]
fn a_script_path_reveal_with_ord_envelopes_is_accepted_and_mined() {
    let f = Fixture::new();
    let body = vec![0xabu8; 1_500];
    let tapscript = f
        .wallet
        .checksig_tapscript(&[envelope(&body), envelope(b"second")]);
    let leaf = f.wallet.script_path_output(tapscript);
    let (coin, prevout) = commit(&f, &f.coin(), &leaf);
    let tx = reveal(&f, &coin, &prevout, &leaf);
    f.accept(&tx);
    let hash = f.sim.mine_block();
    let block = f.block(&hash);
    assert_eq!(block.txdata.len(), 3, "coinbase, commit, reveal");
    assert_eq!(
        block.txdata[2].input[0]
            .witness
            .taproot_leaf_script()
            .expect("a script path spend")
            .script,
        leaf.tapscript.as_script()
    );
}

#[test]
fn a_tampered_script_path_is_refused() {
    let f = Fixture::new();
    let leaf = f
        .wallet
        .script_path_output(f.wallet.checksig_tapscript(&[envelope(b"hi")]));
    let (coin, prevout) = commit(&f, &f.coin(), &leaf);
    let good = reveal(&f, &coin, &prevout, &leaf);

    let mut bad_control = good.clone();
    let mut items = good.input[0].witness.to_vec();
    items[2][5] ^= 1;
    bad_control.input[0].witness = Witness::from_slice(&items);
    assert!(matches!(
        f.refuse(&bad_control),
        BroadcastReject::BadSignature { reason, .. } if reason.contains("control block")
    ));

    let mut bad_sig = good.clone();
    let mut items = good.input[0].witness.to_vec();
    items[0][3] ^= 1;
    bad_sig.input[0].witness = Witness::from_slice(&items);
    assert!(matches!(
        f.refuse(&bad_sig),
        BroadcastReject::BadSignature { reason, .. } if reason.contains("schnorr")
    ));

    f.accept(&good);
}

#[test]
fn other_tapscripts_are_non_standard() {
    let f = Fixture::new();
    let mut bytes = f.wallet.checksig_tapscript(&[]).into_bytes();
    bytes.push(OP_PUSHNUM_1.to_u8());
    let leaf = f.wallet.script_path_output(ScriptBuf::from_bytes(bytes));
    let (coin, prevout) = commit(&f, &f.coin(), &leaf);
    let tx = reveal(&f, &coin, &prevout, &leaf);
    assert!(
        matches!(f.refuse(&tx), BroadcastReject::NonStandard { reason: m } if m.contains("non-standard"))
    );
}

#[test]
fn an_envelope_holding_an_opcode_is_non_standard() {
    let f = Fixture::new();
    // OP_SUCCESS80 (0x50) inside an unexecuted branch would make the script succeed; refused.
    let fragment = ScriptBuf::from_bytes(vec![0x00, OP_IF.to_u8(), 0x50, OP_ENDIF.to_u8()]);
    let leaf = f
        .wallet
        .script_path_output(f.wallet.checksig_tapscript(&[fragment]));
    let (coin, prevout) = commit(&f, &f.coin(), &leaf);
    let tx = reveal(&f, &coin, &prevout, &leaf);
    assert!(
        matches!(f.refuse(&tx), BroadcastReject::NonStandard { reason: m } if m.contains("non-standard"))
    );
}
