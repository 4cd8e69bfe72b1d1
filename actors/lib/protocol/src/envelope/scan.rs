//! The first pass over a tapscript: where its envelopes are. It walks the instructions once,
//! exactly as ord does (same start pattern, same stutter rule, same abandonment on a foreign
//! opcode), and records each complete envelope as a byte range of the script, allocating
//! nothing for scripts without an envelope. [`super::decode`] then reads the ranges.

use bitcoin::script::Script;
use bitcoin::taproot::TAPROOT_ANNEX_PREFIX;
use bitcoin::Witness;

use super::instructions::{Instruction, Instructions, Truncated};
use super::PROTOCOL_ID;

const OP_IF: u8 = 0x63;
const OP_ENDIF: u8 = 0x68;
const OP_CHECKSIG: u8 = 0xac;
const OP_1NEGATE: u8 = 0x4f;
const OP_1: u8 = 0x51;
const OP_16: u8 = 0x60;

/// The tapscript of a witness, by ord's rule (the taproot script-path layout, ignoring the
/// leaf version and whether the output really is taproot): the second-to-last element, or the
/// third-to-last when the last element is an annex (starts with `0x50`). `None` for an empty
/// witness, a single element, or two elements whose last is an annex (key-path spends).
pub fn tapscript(witness: &Witness) -> Option<&Script> {
    let last = witness.last()?;
    let has_annex = last.first() == Some(&TAPROOT_ANNEX_PREFIX);
    let script = match (witness.len(), has_annex) {
        (0 | 1, _) | (2, true) => return None,
        (_, true) => witness.third_to_last()?,
        (_, false) => witness.second_to_last()?,
    };
    Some(Script::from_bytes(script))
}

/// Whether `bytes` could hold an envelope at all: it must contain the protocol id. Cheap
/// (a vectorized search for its first byte, which random signature bytes rarely hold), so the
/// parser skips the instruction walk for nearly every witness of a block.
pub(super) fn may_hold_envelope(bytes: &[u8]) -> bool {
    let Some((&first, _)) = PROTOCOL_ID.split_first() else {
        return true;
    };
    memchr::memchr_iter(first, bytes).any(|at| {
        bytes
            .get(at..)
            .is_some_and(|rest| rest.starts_with(PROTOCOL_ID))
    })
}

/// A complete envelope's place in its tapscript.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct RawEnvelope {
    /// Byte offset of the first payload instruction (just after the `"ord"` push).
    pub start: usize,
    /// Byte offset of the closing `OP_ENDIF`.
    pub end: usize,
    /// A payload push used `OP_1NEGATE` or `OP_1`..`OP_16`.
    pub pushnum: bool,
    /// ord's stutter flag.
    pub stutter: bool,
}

/// Where a tapscript stops parsing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct ScanError {
    /// Byte offset of the instruction that does not parse.
    pub position: usize,
    /// Complete envelopes found before it (ord drops them with the rest of the input).
    pub envelopes_before: usize,
}

/// The payload value of a push-number opcode, as ord reads it, or `None` for other opcodes.
pub(super) fn pushnum_value(opcode: u8) -> Option<&'static [u8]> {
    const VALUES: [[u8; 1]; 17] = [
        [0x81],
        [1],
        [2],
        [3],
        [4],
        [5],
        [6],
        [7],
        [8],
        [9],
        [10],
        [11],
        [12],
        [13],
        [14],
        [15],
        [16],
    ];
    match opcode {
        OP_1NEGATE => VALUES.first().map(|v| &v[..]),
        OP_1..=OP_16 => VALUES.get(usize::from(opcode - OP_1) + 1).map(|v| &v[..]),
        _ => None,
    }
}

fn next_is_empty_push(instructions: &Instructions<'_>) -> bool {
    matches!(instructions.peek(), Some(Ok(Instruction::Push(&[]))))
}

/// Finds every complete envelope of `script`. Errors when any instruction, anywhere in the
/// script, does not parse: ord then ignores the whole input.
pub(super) fn scan(script: &Script) -> Result<Vec<RawEnvelope>, ScanError> {
    let mut found = Vec::new();
    let mut instructions = Instructions::new(script.as_bytes());
    let mut stuttered = false;
    let failed = |instructions: &Instructions<'_>, found: &Vec<RawEnvelope>| ScanError {
        position: instructions.offset(),
        envelopes_before: found.len(),
    };
    loop {
        match instructions.next() {
            None => return Ok(found),
            Some(Ok((_, Instruction::Push(&[])))) => {}
            Some(Ok(_)) => continue,
            Some(Err(Truncated)) => return Err(failed(&instructions, &found)),
        }
        match envelope_after_false(&mut instructions, stuttered) {
            Ok(Attempt::Found(envelope)) => found.push(envelope),
            Ok(Attempt::Abandoned { stutter }) => stuttered = stutter,
            Err(Truncated) => return Err(failed(&instructions, &found)),
        }
    }
}

enum Attempt {
    Found(RawEnvelope),
    Abandoned { stutter: bool },
}

/// Reads one envelope after an empty push, consuming what ord consumes.
fn envelope_after_false(
    instructions: &mut Instructions<'_>,
    stutter: bool,
) -> Result<Attempt, Truncated> {
    if instructions.peek() != Some(Ok(Instruction::Op(OP_IF))) {
        return Ok(Attempt::Abandoned {
            stutter: next_is_empty_push(instructions),
        });
    }
    instructions.next();
    if instructions.peek() != Some(Ok(Instruction::Push(PROTOCOL_ID))) {
        return Ok(Attempt::Abandoned {
            stutter: next_is_empty_push(instructions),
        });
    }
    instructions.next();

    let start = instructions.offset();
    let mut pushnum = false;
    loop {
        let (position, instruction) = match instructions.next() {
            None => return Ok(Attempt::Abandoned { stutter: false }),
            Some(item) => item?,
        };
        match instruction {
            Instruction::Push(_) => {}
            Instruction::Op(OP_ENDIF) => {
                return Ok(Attempt::Found(RawEnvelope {
                    start,
                    end: position,
                    pushnum,
                    stutter,
                }));
            }
            Instruction::Op(op) if pushnum_value(op).is_some() => pushnum = true,
            Instruction::Op(_) => return Ok(Attempt::Abandoned { stutter: false }),
        }
    }
}

/// The key of a tapscript that starts `<32-byte push> OP_CHECKSIG`.
pub(super) fn reveal_key(script: &Script) -> Option<[u8; 32]> {
    let bytes = script.as_bytes();
    let starts_with_key = bytes.first() == Some(&0x20) && bytes.get(33) == Some(&OP_CHECKSIG);
    if !starts_with_key {
        return None;
    }
    bytes.get(1..33)?.try_into().ok()
}
