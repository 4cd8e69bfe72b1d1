//! The first pass over a tapscript: where its envelopes are. It walks the instructions once,
//! exactly as ord does (same start pattern, same stutter rule, same abandonment on a foreign
//! opcode), and records each complete envelope as a byte range of the script, allocating
//! nothing for scripts without an envelope. [`super::decode`] then reads the ranges.

use bitcoin::blockdata::opcodes::all::{
    OP_ENDIF, OP_IF, OP_PUSHNUM_1, OP_PUSHNUM_16, OP_PUSHNUM_NEG1,
};
use bitcoin::script::{Instruction, InstructionIndices, Script};
use bitcoin::taproot::TAPROOT_ANNEX_PREFIX;
use bitcoin::Witness;
use std::iter::Peekable;

use super::PROTOCOL_ID;

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

/// Whether `bytes` could hold an envelope at all: it must contain the protocol id. Cheap, so
/// the parser skips the instruction walk for nearly every witness of a block.
pub(super) fn may_hold_envelope(bytes: &[u8]) -> bool {
    bytes
        .windows(PROTOCOL_ID.len())
        .any(|window| window == PROTOCOL_ID)
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
    /// Why.
    pub error: bitcoin::script::Error,
    /// Complete envelopes found before it (ord drops them with the rest of the input).
    pub envelopes_before: usize,
}

type Instructions<'a> = Peekable<InstructionIndices<'a>>;

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
    if opcode == OP_PUSHNUM_NEG1.to_u8() {
        return Some(&VALUES[0]);
    }
    if (OP_PUSHNUM_1.to_u8()..=OP_PUSHNUM_16.to_u8()).contains(&opcode) {
        let index = usize::from(opcode - OP_PUSHNUM_1.to_u8()) + 1;
        return Some(&VALUES[index]);
    }
    None
}

fn is_empty_push(instruction: &Instruction<'_>) -> bool {
    matches!(instruction, Instruction::PushBytes(bytes) if bytes.is_empty())
}

fn next_is_empty_push(instructions: &mut Instructions<'_>) -> bool {
    matches!(instructions.peek(), Some(Ok((_, instruction))) if is_empty_push(instruction))
}

/// Finds every complete envelope of `script`. Errors when any instruction, anywhere in the
/// script, does not parse: ord then ignores the whole input.
pub(super) fn scan(script: &Script) -> Result<Vec<RawEnvelope>, ScanError> {
    let mut found = Vec::new();
    let mut instructions = script.instruction_indices().peekable();
    let mut stuttered = false;
    loop {
        let instruction = match instructions.next() {
            None => return Ok(found),
            Some(Ok((_, instruction))) => instruction,
            Some(Err(error)) => return Err(scan_error(script, error, found.len())),
        };
        if !is_empty_push(&instruction) {
            continue;
        }
        match envelope_after_false(&mut instructions, stuttered) {
            Ok(Attempt::Found(envelope)) => found.push(envelope),
            Ok(Attempt::Abandoned { stutter }) => stuttered = stutter,
            Err(error) => return Err(scan_error(script, error, found.len())),
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
) -> Result<Attempt, bitcoin::script::Error> {
    let opens = matches!(instructions.peek(), Some(Ok((_, Instruction::Op(op)))) if *op == OP_IF);
    if !opens {
        return Ok(Attempt::Abandoned {
            stutter: next_is_empty_push(instructions),
        });
    }
    instructions.next();
    let protocol = matches!(
        instructions.peek(),
        Some(Ok((_, Instruction::PushBytes(bytes)))) if bytes.as_bytes() == PROTOCOL_ID
    );
    if !protocol {
        return Ok(Attempt::Abandoned {
            stutter: next_is_empty_push(instructions),
        });
    }
    instructions.next();

    let mut start = None;
    let mut pushnum = false;
    loop {
        let (position, instruction) = match instructions.next() {
            None => return Ok(Attempt::Abandoned { stutter: false }),
            Some(item) => item?,
        };
        let start = *start.get_or_insert(position);
        match instruction {
            Instruction::PushBytes(_) => {}
            Instruction::Op(op) if op == OP_ENDIF => {
                return Ok(Attempt::Found(RawEnvelope {
                    start,
                    end: position,
                    pushnum,
                    stutter,
                }));
            }
            Instruction::Op(op) if pushnum_value(op.to_u8()).is_some() => pushnum = true,
            Instruction::Op(_) => return Ok(Attempt::Abandoned { stutter: false }),
        }
    }
}

/// Locates the instruction that does not parse (rare: only malformed scripts get here).
fn scan_error(
    script: &Script,
    error: bitcoin::script::Error,
    envelopes_before: usize,
) -> ScanError {
    let mut instructions = script.instruction_indices();
    let position = loop {
        let remaining = instructions.as_script().len();
        match instructions.next() {
            Some(Ok(_)) => {}
            Some(Err(_)) | None => break script.len() - remaining,
        }
    };
    ScanError {
        position,
        error,
        envelopes_before,
    }
}

/// The key of a tapscript that starts `<32-byte push> OP_CHECKSIG`.
pub(super) fn reveal_key(script: &Script) -> Option<[u8; 32]> {
    let bytes = script.as_bytes();
    let starts_with_key = bytes.first() == Some(&0x20)
        && bytes.get(33) == Some(&bitcoin::opcodes::all::OP_CHECKSIG.to_u8());
    if !starts_with_key {
        return None;
    }
    bytes.get(1..33)?.try_into().ok()
}
