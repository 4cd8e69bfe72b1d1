//! Recorded chains: `bitai sim --record FILE` writes the run's Bitcoin chain as it happened,
//! and `bitai sim --replay FILE` plays one back as the chain the graph runs against.
//!
//! The format is text, one directive per line (docs/simulation.md):
//!
//! ```text
//! bitai-sim recorded chain v1
//! start 102
//! block <hex of a consensus-encoded block>
//! reorg 3
//! block <hex>
//! ```
//!
//! - `start H`: the height the run's premine reached; the blocks up to it are in place before
//!   the node starts.
//! - `block`: the next block on the best chain.
//! - `reorg N`: the best chain's last N blocks are replaced; the `block` lines that follow
//!   build on the new tip.
//!
//! Lines starting with `#` and empty lines are ignored. A file is outside input, so the
//! reader has limits ([`MAX_LINE_BYTES`], [`MAX_LINES`]) and says which line is wrong.

use bitcoin::{Block, BlockHash};
use std::io::Write;

/// The first line of every recording.
pub const HEADER: &str = "bitai-sim recorded chain v1";

/// Longest line: a 4 MB block in hex, plus the directive.
pub const MAX_LINE_BYTES: usize = 8_000_016;

/// Most lines a recording may hold.
pub const MAX_LINES: usize = 1_000_000;

/// One step of a recording.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// The next block.
    Block(Block),
    /// Replace the last N blocks (the next blocks build on the new tip).
    Reorg(u64),
}

/// A parsed recording.
#[derive(Debug, Clone, PartialEq)]
pub struct Recording {
    /// The height the premine reached.
    pub start: u64,
    /// Every step after the header, in order (the premine's blocks first).
    pub steps: Vec<Step>,
}

/// Why a recording cannot be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RecordingError {
    /// The first line is not [`HEADER`].
    #[error("not a bitai-sim recorded chain (the first line must be {HEADER:?})")]
    Header,
    /// A line is wrong.
    #[error("line {line}: {why}")]
    Line {
        /// Its number (1 is the first).
        line: usize,
        /// What is wrong.
        why: String,
    },
    /// The file is over a limit.
    #[error("{0}")]
    TooLarge(String),
}

impl Recording {
    /// Reads a recording.
    pub fn parse(text: &str) -> Result<Recording, RecordingError> {
        let mut lines = text.lines().enumerate();
        match lines.next() {
            Some((_, l)) if l.trim() == HEADER => {}
            _ => return Err(RecordingError::Header),
        }
        let mut start = None;
        let mut steps = Vec::new();
        for (i, line) in lines {
            let n = i + 1;
            if n > MAX_LINES {
                return Err(RecordingError::TooLarge(format!(
                    "more than {MAX_LINES} lines"
                )));
            }
            if line.len() > MAX_LINE_BYTES {
                return Err(RecordingError::TooLarge(format!(
                    "line {n} is {} bytes, over {MAX_LINE_BYTES}",
                    line.len()
                )));
            }
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let bad = |why: String| RecordingError::Line { line: n, why };
            let (word, rest) = line.split_once(' ').unwrap_or((line, ""));
            match word {
                "start" => {
                    start = Some(
                        rest.trim()
                            .parse()
                            .map_err(|e| bad(format!("start: {e}")))?,
                    )
                }
                "reorg" => {
                    let depth: u64 = rest
                        .trim()
                        .parse()
                        .map_err(|e| bad(format!("reorg: {e}")))?;
                    if depth == 0 {
                        return Err(bad("reorg 0".into()));
                    }
                    steps.push(Step::Reorg(depth));
                }
                "block" => {
                    let bytes =
                        hex::decode(rest.trim()).map_err(|e| bad(format!("block hex: {e}")))?;
                    let block: Block = bitcoin::consensus::deserialize(&bytes)
                        .map_err(|e| bad(format!("block: {e}")))?;
                    steps.push(Step::Block(block));
                }
                other => return Err(bad(format!("unknown directive {other:?}"))),
            }
        }
        let start = start.ok_or(RecordingError::Line {
            line: 2,
            why: "no `start` line".into(),
        })?;
        Ok(Recording { start, steps })
    }
}

/// Writes the run's chain as it happens: each call to [`Recorder::follow`] appends the blocks
/// connected since, and a `reorg` line first when the best chain lost blocks it had written.
pub struct Recorder {
    file: std::io::BufWriter<std::fs::File>,
    /// The best chain as written, heights 1.. (index 0 is height 1).
    written: Vec<BlockHash>,
}

impl Recorder {
    /// A recorder writing to `file`, for a run whose premine reached `start`.
    pub fn new(file: std::fs::File, start: u64) -> std::io::Result<Recorder> {
        let mut file = std::io::BufWriter::new(file);
        writeln!(file, "{HEADER}")?;
        writeln!(file, "start {start}")?;
        Ok(Recorder {
            file,
            written: Vec::new(),
        })
    }

    /// Appends what SimBitcoin's best chain gained (and lost) since the last call.
    pub fn follow(&mut self, sim: &bitai_simulation::bitcoin::SimBitcoin) -> anyhow::Result<()> {
        use bitai_bitcoin::BitcoinPort;
        let tip = sim.tip()?.height;
        // The highest written height still on the best chain.
        let mut keep = self.written.len() as u64;
        while keep > 0 && sim.block_hash(keep)? != Some(self.written[keep as usize - 1]) {
            keep -= 1;
        }
        if keep < self.written.len() as u64 {
            writeln!(self.file, "reorg {}", self.written.len() as u64 - keep)?;
            self.written.truncate(keep as usize);
        }
        for h in keep + 1..=tip {
            let Some(hash) = sim.block_hash(h)? else {
                break;
            };
            writeln!(self.file, "block {}", hex::encode(sim.block(&hash)?))?;
            self.written.push(hash);
        }
        self.file.flush()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn bad_files_are_refused_with_the_line() {
        assert_eq!(Recording::parse("hello"), Err(RecordingError::Header));
        let e = Recording::parse(&format!("{HEADER}\nstart 5\nblock zz\n")).expect_err("bad hex");
        assert!(e.to_string().starts_with("line 3: block hex"), "{e}");
        let e = Recording::parse(&format!("{HEADER}\nstart 5\nreorg 0\n")).expect_err("reorg 0");
        assert!(e.to_string().contains("line 3"), "{e}");
        let e = Recording::parse(&format!("{HEADER}\nblock 00\n")).expect_err("bad block");
        assert!(e.to_string().contains("line 2"), "{e}");
        let e = Recording::parse(&format!("{HEADER}\n")).expect_err("no start");
        assert!(e.to_string().contains("start"), "{e}");
        let ok = Recording::parse(&format!("{HEADER}\n# a comment\n\nstart 7\nreorg 2\n"))
            .expect("parses");
        assert_eq!(
            ok,
            Recording {
                start: 7,
                steps: vec![Step::Reorg(2)]
            }
        );
    }

    proptest! {
        #[test]
        fn any_text_after_the_header_is_read_or_refused_never_a_panic(body in ".{0,400}") {
            let _ = Recording::parse(&format!("{HEADER}\n{body}"));
        }

        #[test]
        fn any_bytes_as_a_block_line_are_refused_or_read(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let text = format!("{HEADER}\nstart 1\nblock {}\n", hex::encode(&bytes));
            let _ = Recording::parse(&text);
        }
    }
}
