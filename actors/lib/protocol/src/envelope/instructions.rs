//! A lean reader of script instructions, with exactly the semantics of rust-bitcoin's
//! non-minimal `Script::instructions()` that ord uses: opcodes `0x00..=0x4b` push that many
//! bytes, `OP_PUSHDATA1/2/4` push a little-endian length's worth, every other byte is an
//! opcode, and a push that runs past the end is an error that ends the walk. It exists for
//! speed (the indexer walks every tapscript of every block; the general iterator costs several
//! times more per instruction); the tests check it against rust-bitcoin's iterator.

/// One instruction: a push (its bytes, borrowed from the script) or an opcode byte.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Instruction<'a> {
    /// A push of these bytes (`OP_0` is the empty push).
    Push(&'a [u8]),
    /// Any other opcode.
    Op(u8),
}

/// A push runs past the end of the script.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Truncated;

const OP_PUSHDATA1: u8 = 0x4c;
const OP_PUSHDATA2: u8 = 0x4d;
const OP_PUSHDATA4: u8 = 0x4e;

/// Iterates the instructions of a script with their byte offsets; stops after an error.
#[derive(Clone, Debug)]
pub(super) struct Instructions<'a> {
    bytes: &'a [u8],
    position: usize,
    failed: bool,
}

type Step<'a> = Result<(Instruction<'a>, usize), Truncated>;

impl<'a> Instructions<'a> {
    /// Starts at the beginning of `bytes`.
    pub(super) fn new(bytes: &'a [u8]) -> Self {
        Instructions {
            bytes,
            position: 0,
            failed: false,
        }
    }

    /// Byte offset of the next instruction (of the failing one after an error).
    pub(super) fn offset(&self) -> usize {
        self.position
    }

    /// The next instruction without consuming it.
    pub(super) fn peek(&self) -> Option<Result<Instruction<'a>, Truncated>> {
        if self.failed {
            return None;
        }
        self.read()
            .map(|step| step.map(|(instruction, _)| instruction))
    }

    /// Reads the instruction at `position`: it and the offset after it.
    fn read(&self) -> Option<Step<'a>> {
        let rest = self.bytes.get(self.position..)?;
        let (&opcode, after) = rest.split_first()?;
        let (header, len): (usize, usize) = match opcode {
            0x00..=0x4b => (0, usize::from(opcode)),
            OP_PUSHDATA1 => match after.first() {
                Some(&n) => (1, usize::from(n)),
                None => return Some(Err(Truncated)),
            },
            OP_PUSHDATA2 => match after.get(..2) {
                Some(&[a, b]) => (2, usize::from(u16::from_le_bytes([a, b]))),
                _ => return Some(Err(Truncated)),
            },
            OP_PUSHDATA4 => match after.get(..4) {
                Some(&[a, b, c, d]) => match usize::try_from(u32::from_le_bytes([a, b, c, d])) {
                    Ok(n) => (4, n),
                    Err(_) => return Some(Err(Truncated)),
                },
                _ => return Some(Err(Truncated)),
            },
            _ => return Some(Ok((Instruction::Op(opcode), self.position + 1))),
        };
        let data = header
            .checked_add(len)
            .and_then(|end| after.get(header..end));
        Some(match data {
            Some(data) => Ok((Instruction::Push(data), self.position + 1 + header + len)),
            None => Err(Truncated),
        })
    }
}

impl<'a> Iterator for Instructions<'a> {
    type Item = Result<(usize, Instruction<'a>), Truncated>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        match self.read()? {
            Ok((instruction, next)) => {
                let at = self.position;
                self.position = next;
                Some(Ok((at, instruction)))
            }
            Err(truncated) => {
                self.failed = true;
                Some(Err(truncated))
            }
        }
    }
}
