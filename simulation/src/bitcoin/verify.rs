//! Signature verification of the inputs SimBitcoin accepts. SimBitcoin understands taproot
//! only, which is what the inscriber spends:
//!
//! - key path: one witness element, a 64-byte (default sighash) or 65-byte (explicit sighash)
//!   BIP-340 signature over the BIP-341 key-spend sighash, checked against the output key;
//! - script path: `[signature, tapscript, control block]`, where the tapscript is
//!   `<32-byte x-only key> OP_CHECKSIG` followed by any number of ord envelopes
//!   `OP_FALSE OP_IF <pushes> OP_ENDIF` (never executed, so no-ops). The control block must
//!   commit the leaf to the output key, and the signature must verify over the script-spend
//!   sighash with that key.
//!
//! Any other spend (other output types, other tapscripts, future leaf versions, an annex) is
//! refused as non-standard (`BroadcastReject::NonStandard`); a failing check is `BadSignature`.
//! This runs once, when a transaction is accepted.

use bitai_bitcoin::BroadcastReject;
use bitcoin::blockdata::opcodes::all::{OP_CHECKSIG, OP_ENDIF, OP_IF};
use bitcoin::blockdata::opcodes::{Class, ClassifyContext};
use bitcoin::hashes::Hash;
use bitcoin::script::Instruction;
use bitcoin::secp256k1::{Message, Secp256k1, Verification};
use bitcoin::sighash::{Prevouts, SighashCache, TapSighashType};
use bitcoin::taproot::{ControlBlock, LeafVersion, TapLeafHash, TAPROOT_ANNEX_PREFIX};
use bitcoin::{Script, Transaction, TxOut, XOnlyPublicKey};

fn non_standard(input: usize, what: &str) -> BroadcastReject {
    BroadcastReject::NonStandard {
        reason: format!("non-standard input {input}: {what} (SimBitcoin spends taproot only)"),
    }
}

fn bad(input: usize, reason: impl Into<String>) -> BroadcastReject {
    BroadcastReject::BadSignature {
        input,
        reason: reason.into(),
    }
}

/// Verifies every input of `tx`, whose spent outputs are `prevouts` (same order).
pub(crate) fn verify_inputs<C: Verification>(
    secp: &Secp256k1<C>,
    tx: &Transaction,
    prevouts: &[TxOut],
) -> Result<(), BroadcastReject> {
    assert_eq!(tx.input.len(), prevouts.len(), "one prevout per input");
    let mut cache = SighashCache::new(tx);
    let all = Prevouts::All(prevouts);
    for (i, (input, prevout)) in tx.input.iter().zip(prevouts).enumerate() {
        let spk = prevout.script_pubkey.as_bytes();
        if !prevout.script_pubkey.is_p2tr() {
            return Err(non_standard(i, "the spent output is not taproot"));
        }
        let output_key = XOnlyPublicKey::from_slice(&spk[2..34])
            .map_err(|_| bad(i, "output key is not a valid x-only key"))?;
        if !input.script_sig.is_empty() {
            return Err(bad(i, "scriptSig must be empty for a taproot spend"));
        }
        let witness = &input.witness;
        match witness.len() {
            0 => return Err(bad(i, "empty witness")),
            1 => {
                let sig = witness.nth(0).expect("one element");
                let (sig, ty) = parse_signature(i, sig)?;
                let sighash = cache
                    .taproot_key_spend_signature_hash(i, &all, ty)
                    .map_err(|e| bad(i, format!("sighash: {e}")))?;
                check(secp, i, &sig, sighash.to_byte_array(), &output_key)?;
            }
            n => {
                let last = witness.last().expect("n >= 2");
                if last.first() == Some(&TAPROOT_ANNEX_PREFIX) {
                    return Err(non_standard(i, "annex"));
                }
                if n != 3 {
                    return Err(non_standard(
                        i,
                        "script path witness is not [sig, script, control]",
                    ));
                }
                let control = ControlBlock::decode(last)
                    .map_err(|e| bad(i, format!("control block: {e}")))?;
                if control.leaf_version != LeafVersion::TapScript {
                    return Err(non_standard(i, "leaf version is not tapscript (0xc0)"));
                }
                let script = Script::from_bytes(witness.nth(1).expect("n == 3"));
                if !control.verify_taproot_commitment(secp, output_key, script) {
                    return Err(bad(
                        i,
                        "control block does not commit the script to the output key",
                    ));
                }
                let key_bytes = checksig_key(script).map_err(|what| non_standard(i, &what))?;
                let key = XOnlyPublicKey::from_slice(&key_bytes)
                    .map_err(|_| bad(i, "tapscript key is not a valid x-only key"))?;
                let (sig, ty) = parse_signature(i, witness.nth(0).expect("n == 3"))?;
                let leaf = TapLeafHash::from_script(script, LeafVersion::TapScript);
                let sighash = cache
                    .taproot_script_spend_signature_hash(i, &all, leaf, ty)
                    .map_err(|e| bad(i, format!("sighash: {e}")))?;
                check(secp, i, &sig, sighash.to_byte_array(), &key)?;
            }
        }
    }
    Ok(())
}

fn parse_signature(
    input: usize,
    bytes: &[u8],
) -> Result<(bitcoin::secp256k1::schnorr::Signature, TapSighashType), BroadcastReject> {
    // BIP-341: a 65-byte signature must not carry the default type (0x00) explicitly.
    if bytes.len() == 65 && bytes[64] == 0 {
        return Err(bad(
            input,
            "explicit SIGHASH_DEFAULT in a 65-byte signature",
        ));
    }
    let sig = bitcoin::taproot::Signature::from_slice(bytes)
        .map_err(|e| bad(input, format!("signature encoding: {e}")))?;
    Ok((sig.signature, sig.sighash_type))
}

fn check<C: Verification>(
    secp: &Secp256k1<C>,
    input: usize,
    sig: &bitcoin::secp256k1::schnorr::Signature,
    sighash: [u8; 32],
    key: &XOnlyPublicKey,
) -> Result<(), BroadcastReject> {
    secp.verify_schnorr(sig, &Message::from_digest(sighash), key)
        .map_err(|_| bad(input, "schnorr signature does not verify"))
}

/// The key of a `<32-byte key> OP_CHECKSIG [OP_FALSE OP_IF <pushes> OP_ENDIF]*` tapscript, or
/// why the script is not of that form.
pub(crate) fn checksig_key(script: &Script) -> Result<[u8; 32], String> {
    let mut ins = script.instructions();
    let mut next = || {
        ins.next()
            .transpose()
            .map_err(|e| format!("tapscript does not parse: {e}"))
    };
    let key: [u8; 32] = match next()? {
        Some(Instruction::PushBytes(p)) if p.len() == 32 => {
            p.as_bytes().try_into().expect("length checked")
        }
        _ => return Err("tapscript does not start with a 32-byte key push".into()),
    };
    if next()? != Some(Instruction::Op(OP_CHECKSIG)) {
        return Err("tapscript key is not followed by OP_CHECKSIG".into());
    }
    loop {
        match next()? {
            None => return Ok(key),
            Some(Instruction::PushBytes(p)) if p.is_empty() => {}
            Some(_) => return Err("after OP_CHECKSIG only OP_FALSE OP_IF envelopes".into()),
        }
        if next()? != Some(Instruction::Op(OP_IF)) {
            return Err("envelope OP_FALSE is not followed by OP_IF".into());
        }
        loop {
            match next()? {
                Some(Instruction::Op(op)) if op == OP_ENDIF => break,
                Some(Instruction::PushBytes(_)) => {}
                Some(Instruction::Op(op))
                    if matches!(op.classify(ClassifyContext::TapScript), Class::PushNum(_)) => {}
                Some(Instruction::Op(_)) => {
                    return Err("envelope holds an opcode other than pushes".into());
                }
                None => return Err("envelope is not closed by OP_ENDIF".into()),
            }
        }
    }
}
