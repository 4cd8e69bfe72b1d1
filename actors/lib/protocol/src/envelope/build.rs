//! Building BitAI reveals, for the inscriber. A reveal input spends a taproot output (the
//! commit) through its single script leaf:
//!
//! ```text
//! <x-only key> OP_CHECKSIG
//! OP_FALSE OP_IF "ord" 01 "application/vnd.bitai.tx" 07 "bitai" OP_0 <body> OP_ENDIF   (per payload)
//! ```
//!
//! Tags are one-byte pushes (`01 01`, `01 07`), never `OP_1`/`OP_7`, which ord would flag as
//! `pushnum`. The body goes in pushes of at most 520 bytes (the consensus limit on a pushed
//! element, enforced even in unexecuted branches): each full 520-byte chunk costs 523 bytes of
//! script (`OP_PUSHDATA2` and a two-byte length), 0.58 % overhead; a last chunk of 76..=255
//! bytes costs 2 bytes and one under 76 bytes costs 1. Every envelope adds 43 bytes of fixed
//! framing (`OP_FALSE OP_IF`, the protocol id, both tags and values, the body tag,
//! `OP_ENDIF`), and the script starts with 34 bytes of key and `OP_CHECKSIG`. Witness bytes
//! weigh one weight unit each, so a reveal input weighs [`REVEAL_INPUT_NON_WITNESS_WEIGHT`]
//! plus its witness: `[signature, script, control block]`, each with its length prefix.

use bitcoin::key::{Secp256k1, Verification, XOnlyPublicKey};
use bitcoin::opcodes::all::{OP_CHECKSIG, OP_ENDIF, OP_IF, OP_PUSHBYTES_0};
use bitcoin::taproot::{ControlBlock, LeafVersion, TapLeafHash, TaprootBuilder, TaprootSpendInfo};
use bitcoin::{Address, Network, ScriptBuf, Weight, Witness};
use thiserror::Error;

use super::{tag, BITAI_CONTENT_TYPE, BITAI_METAPROTOCOL, PROTOCOL_ID};
use crate::limits::MAX_TX_BYTES;

/// Largest element a script may push (consensus, `MAX_SCRIPT_ELEMENT_SIZE`).
pub const MAX_PUSH_BYTES: usize = 520;

/// A BIP-340 signature with the default sighash (no sighash byte).
pub const SCHNORR_SIGNATURE_BYTES: usize = 64;

/// The control block of a tree with one leaf: leaf version and parity, then the internal key.
pub const CONTROL_BLOCK_BYTES: usize = 33;

/// Weight of a reveal input's non-witness part: outpoint (36), empty script_sig (1),
/// sequence (4), at four weight units a byte.
pub const REVEAL_INPUT_NON_WITNESS_WEIGHT: u64 = 41 * 4;

/// Why a reveal cannot be built.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum BuildError {
    /// No payload was given.
    #[error("a reveal needs at least one payload")]
    NoPayloads,
    /// A payload is over the protocol's transaction limit.
    #[error("payload {index} is {len} bytes, over the limit of {max}")]
    PayloadTooLarge {
        /// Its position among the payloads.
        index: usize,
        /// Its length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The taproot tree could not be finalized.
    #[error("taproot: {0}")]
    Taproot(String),
}

/// Bytes of script that push `len` bytes (the push opcode and its length, then the data).
fn push_len(len: usize) -> usize {
    let prefix = match len {
        0..=75 => 1,
        76..=255 => 2,
        256..=65_535 => 3,
        _ => 5,
    };
    prefix + len
}

/// Appends a push of `data` (at most [`MAX_PUSH_BYTES`]) with the shortest push opcode.
fn push(out: &mut Vec<u8>, data: &[u8]) {
    let len = u16::try_from(data.len()).expect("pushes built here are at most 520 bytes");
    match len {
        0..=75 => out.push(len as u8),
        76..=255 => out.extend_from_slice(&[0x4c, len as u8]),
        _ => {
            out.push(0x4d);
            out.extend_from_slice(&len.to_le_bytes());
        }
    }
    out.extend_from_slice(data);
}

/// Script bytes of one BitAI envelope whose body is `payload_len` bytes.
pub fn envelope_script_len(payload_len: usize) -> usize {
    let full_chunks = payload_len / MAX_PUSH_BYTES;
    let last_chunk = payload_len % MAX_PUSH_BYTES;
    let body = full_chunks * push_len(MAX_PUSH_BYTES)
        + if last_chunk > 0 {
            push_len(last_chunk)
        } else {
            0
        };
    2 + push_len(PROTOCOL_ID.len())
        + push_len(1)
        + push_len(BITAI_CONTENT_TYPE.len())
        + push_len(1)
        + push_len(BITAI_METAPROTOCOL.len())
        + 1
        + body
        + 1
}

/// Script bytes of a reveal script carrying payloads of these lengths.
pub fn reveal_script_len(payload_lens: &[usize]) -> usize {
    push_len(32)
        + 1
        + payload_lens
            .iter()
            .map(|&len| envelope_script_len(len))
            .sum::<usize>()
}

/// Bytes of a Bitcoin compact-size integer.
fn compact_size_len(n: usize) -> usize {
    match n {
        0..=0xfc => 1,
        0xfd..=0xffff => 3,
        0x1_0000..=0xffff_ffff => 5,
        _ => 9,
    }
}

/// Exact weight of one reveal input carrying payloads of these lengths, signed with the
/// default sighash (64-byte signature). A transaction with any witness also pays 2 WU once
/// for the segwit marker and flag.
pub fn reveal_input_weight(payload_lens: &[usize]) -> Weight {
    let script_len = reveal_script_len(payload_lens);
    let witness = compact_size_len(3)
        + compact_size_len(SCHNORR_SIGNATURE_BYTES)
        + SCHNORR_SIGNATURE_BYTES
        + compact_size_len(script_len)
        + script_len
        + compact_size_len(CONTROL_BLOCK_BYTES)
        + CONTROL_BLOCK_BYTES;
    Weight::from_wu(REVEAL_INPUT_NON_WITNESS_WEIGHT + witness as u64)
}

/// A reveal: its script, taproot tree and the pieces the inscriber needs for the commit
/// output and the reveal witness.
#[derive(Clone, Debug)]
pub struct Reveal {
    /// `<key> OP_CHECKSIG` and one envelope per payload.
    pub script: ScriptBuf,
    /// The tree with that one leaf; the internal key is the same key.
    pub spend_info: TaprootSpendInfo,
    /// Proof that the leaf is in the commit output's tree.
    pub control_block: ControlBlock,
}

impl Reveal {
    /// Builds the reveal of `payloads` (encoded BitAI transactions) for `key`, which both
    /// signs the leaf and is the tree's internal key.
    pub fn new<C: Verification, P: AsRef<[u8]>>(
        secp: &Secp256k1<C>,
        key: XOnlyPublicKey,
        payloads: &[P],
    ) -> Result<Self, BuildError> {
        let script = reveal_script(key, payloads)?;
        let spend_info = TaprootBuilder::new()
            .add_leaf(0, script.clone())
            .map_err(|e| BuildError::Taproot(e.to_string()))?
            .finalize(secp, key)
            .map_err(|_| BuildError::Taproot("tree with one leaf did not finalize".into()))?;
        let control_block = spend_info
            .control_block(&(script.clone(), LeafVersion::TapScript))
            .ok_or_else(|| BuildError::Taproot("leaf missing from its own tree".into()))?;
        Ok(Reveal {
            script,
            spend_info,
            control_block,
        })
    }

    /// The commit output's script: pay-to-taproot of the tweaked key.
    pub fn commit_script_pubkey(&self) -> ScriptBuf {
        ScriptBuf::new_p2tr_tweaked(self.spend_info.output_key())
    }

    /// The commit output's address on `network`.
    pub fn commit_address(&self, network: Network) -> Address {
        Address::p2tr_tweaked(self.spend_info.output_key(), network)
    }

    /// The leaf hash a script-path signature commits to.
    pub fn leaf_hash(&self) -> TapLeafHash {
        TapLeafHash::from_script(&self.script, LeafVersion::TapScript)
    }

    /// The reveal input's witness: `[signature, script, control block]`.
    pub fn witness(&self, signature: &bitcoin::taproot::Signature) -> Witness {
        let mut witness = Witness::new();
        witness.push(signature.serialize());
        witness.push(self.script.as_bytes());
        witness.push(self.control_block.serialize());
        witness
    }
}

/// The reveal script: `<key> OP_CHECKSIG` then one BitAI envelope per payload.
pub fn reveal_script<P: AsRef<[u8]>>(
    key: XOnlyPublicKey,
    payloads: &[P],
) -> Result<ScriptBuf, BuildError> {
    if payloads.is_empty() {
        return Err(BuildError::NoPayloads);
    }
    let lens: Vec<usize> = payloads.iter().map(|p| p.as_ref().len()).collect();
    if let Some((index, &len)) = lens.iter().enumerate().find(|(_, &len)| len > MAX_TX_BYTES) {
        return Err(BuildError::PayloadTooLarge {
            index,
            len,
            max: MAX_TX_BYTES,
        });
    }
    let mut out = Vec::with_capacity(reveal_script_len(&lens));
    push(&mut out, &key.serialize());
    out.push(OP_CHECKSIG.to_u8());
    for payload in payloads {
        out.extend_from_slice(&[OP_PUSHBYTES_0.to_u8(), OP_IF.to_u8()]);
        push(&mut out, PROTOCOL_ID);
        push(&mut out, &[tag::CONTENT_TYPE]);
        push(&mut out, BITAI_CONTENT_TYPE);
        push(&mut out, &[tag::METAPROTOCOL]);
        push(&mut out, BITAI_METAPROTOCOL);
        out.push(OP_PUSHBYTES_0.to_u8());
        for chunk in payload.as_ref().chunks(MAX_PUSH_BYTES) {
            push(&mut out, chunk);
        }
        out.push(OP_ENDIF.to_u8());
    }
    Ok(ScriptBuf::from_bytes(out))
}
