//! The canonical output: the bytes every honest neuron computes for a request, commits to
//! (through [`bitai_chain::poc::output_digest`]) and reveals as the reveal op's payload.
//!
//! A request's input is one sample in the form `bitai model run` reads: little-endian `f32`
//! values of every model input, concatenated in the model's input order, row-major, no batch
//! axis. Each value becomes Q32.32 exactly as `Executor::run_f32` converts it (so `bitai
//! infer` and `bitai model run` see the same numbers), and the model runs in fixed point.
//!
//! Encoding (first byte is a tag):
//! - `0x00`, then every output value as its raw Q32.32 `i64`, little-endian, outputs in the
//!   model's output order, each row-major. The `i64`s are exact and backend-independent, so
//!   CPU and GPU neurons produce the same bytes; [`output_to_f32_file`] turns them into the
//!   `f32` file `bitai model run --output` writes for the same input (each value through
//!   `Fx::to_f32`, as `run_f32` does).
//! - `0x01, reason`: the request cannot be answered, for a reason that follows from the chain's
//!   data alone ([`Refusal`]: the model bytes do not decode, the input has the wrong size or
//!   holds a NaN, an embedding index is out of range, the output would not fit a reveal).
//!
//! Why refusals are encoded rather than skipped: a seat that never reveals is slashed and a
//! request without a quorum refunds the requester, so if honest neurons stayed silent on a
//! bad input they would all be slashed for the requester's mistake. With a canonical refusal
//! honest neurons agree on it, are paid, and anyone answering differently is slashed. Only
//! failures of the neuron's own machine (a device error) are not encoded: the neuron then
//! does not commit and retries on its next tick.

use bitai_chain::poc::MAX_PAYLOAD_BYTES;
use bitai_kernels::{Backend, Fx};
use bitai_models::{CheckedModel, Executor, RunError};

/// Tag of an answer.
pub const TAG_VALUES: u8 = 0;
/// Tag of a refusal.
pub const TAG_REFUSED: u8 = 1;

/// Why a request cannot be answered; the value is the reason byte of the encoding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, thiserror::Error)]
#[repr(u8)]
pub enum Refusal {
    /// The model's bytes (whose hash the chain holds) are not a valid model.
    #[error("the model does not decode")]
    BadModel = 1,
    /// The input is not exactly one sample of `f32` values.
    #[error("the input is not one sample of the model's inputs")]
    InputSize = 2,
    /// The input holds a NaN.
    #[error("the input holds a NaN")]
    NotANumber = 3,
    /// A value the model uses as an index is out of range.
    #[error("an input value is out of the model's range")]
    BadValue = 4,
    /// The output is larger than a reveal can carry.
    #[error("the output is larger than a reveal payload")]
    OutputTooLarge = 5,
}

impl Refusal {
    /// Every reason, in byte order.
    pub const ALL: [Refusal; 5] = [
        Refusal::BadModel,
        Refusal::InputSize,
        Refusal::NotANumber,
        Refusal::BadValue,
        Refusal::OutputTooLarge,
    ];

    /// The reason with byte `b`.
    pub fn from_byte(b: u8) -> Option<Refusal> {
        Refusal::ALL.into_iter().find(|r| *r as u8 == b)
    }
}

/// A local failure: the neuron cannot compute the output now (it does not commit).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OutputError {
    /// A kernel or the device failed.
    #[error("running the model failed: {0}")]
    Run(RunError),
}

/// Why bytes are not a canonical output, or not one with values.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OutputDecodeError {
    /// No bytes.
    #[error("empty output")]
    Empty,
    /// Longer than a reveal payload.
    #[error("output of {0} bytes is over the limit of {max}", max = MAX_PAYLOAD_BYTES)]
    TooLarge(usize),
    /// An unknown tag.
    #[error("unknown output tag {0}")]
    Tag(u8),
    /// The values are not whole `i64`s, or there are none.
    #[error("output values of {0} bytes are not whole 8-byte values")]
    Length(usize),
    /// A refusal with an unknown reason, or of the wrong length.
    #[error("malformed refusal")]
    BadRefusal,
    /// The output is a refusal (it has no values).
    #[error("the request was refused: {0}")]
    Refused(Refusal),
}

/// A decoded canonical output.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CanonicalOutput {
    /// Every output value, Q32.32.
    Values(Vec<Fx>),
    /// The request cannot be answered.
    Refused(Refusal),
}

impl CanonicalOutput {
    /// The encoding (see the module doc).
    pub fn to_bytes(&self) -> Vec<u8> {
        match self {
            CanonicalOutput::Values(values) => {
                let mut out = Vec::with_capacity(1 + 8 * values.len());
                out.push(TAG_VALUES);
                for v in values {
                    out.extend_from_slice(&v.0.to_le_bytes());
                }
                out
            }
            CanonicalOutput::Refused(r) => vec![TAG_REFUSED, *r as u8],
        }
    }

    /// Decodes [`CanonicalOutput::to_bytes`] (bytes from a reveal: outside input).
    pub fn from_bytes(bytes: &[u8]) -> Result<CanonicalOutput, OutputDecodeError> {
        if bytes.len() > MAX_PAYLOAD_BYTES {
            return Err(OutputDecodeError::TooLarge(bytes.len()));
        }
        let (&tag, rest) = bytes.split_first().ok_or(OutputDecodeError::Empty)?;
        match tag {
            TAG_VALUES => {
                if rest.is_empty() || rest.len() % 8 != 0 {
                    return Err(OutputDecodeError::Length(rest.len()));
                }
                let values = rest
                    .chunks_exact(8)
                    .map(|c| {
                        let mut b = [0u8; 8];
                        b.copy_from_slice(c);
                        Fx(i64::from_le_bytes(b))
                    })
                    .collect();
                Ok(CanonicalOutput::Values(values))
            }
            TAG_REFUSED => match rest {
                [b] => Refusal::from_byte(*b)
                    .map(CanonicalOutput::Refused)
                    .ok_or(OutputDecodeError::BadRefusal),
                _ => Err(OutputDecodeError::BadRefusal),
            },
            t => Err(OutputDecodeError::Tag(t)),
        }
    }
}

/// Bytes of the largest output that fits a reveal, in values.
pub const MAX_OUTPUT_VALUES: usize = (MAX_PAYLOAD_BYTES - 1) / 8;

/// Splits one sample of little-endian `f32` into the model's inputs, in Q32.32.
pub fn input_values(model: &CheckedModel, input: &[u8]) -> Result<Vec<Vec<Fx>>, Refusal> {
    let sizes = model.input_sizes();
    let total: usize = sizes.iter().sum();
    if input.len() != total * 4 {
        return Err(Refusal::InputSize);
    }
    let mut values = input.chunks_exact(4).map(|c| {
        let v = f32::from_le_bytes([c[0], c[1], c[2], c[3]]);
        Fx::from_f32(v).map(|(fx, _saturated)| fx)
    });
    let mut parts = Vec::with_capacity(sizes.len());
    for size in sizes {
        let part = values
            .by_ref()
            .take(size)
            .collect::<Result<Vec<Fx>, _>>()
            .map_err(|_| Refusal::NotANumber)?;
        parts.push(part);
    }
    Ok(parts)
}

/// Runs `model` on a request's `input` bytes on `backend` and returns the canonical output
/// (values or a refusal). An error is a failure of this machine, not of the request.
pub fn canonical_output(
    model: &CheckedModel,
    input: &[u8],
    backend: &dyn Backend,
) -> Result<Vec<u8>, OutputError> {
    let refused = |r: Refusal| Ok(CanonicalOutput::Refused(r).to_bytes());
    if model.output_sizes().iter().sum::<usize>() > MAX_OUTPUT_VALUES {
        return refused(Refusal::OutputTooLarge);
    }
    let inputs = match input_values(model, input) {
        Ok(inputs) => inputs,
        Err(r) => return refused(r),
    };
    match Executor::new(model, backend).run(inputs) {
        Ok(out) => {
            let values = out.outputs.into_iter().flatten().collect();
            Ok(CanonicalOutput::Values(values).to_bytes())
        }
        Err(RunError::Gather { .. }) => refused(Refusal::BadValue),
        Err(RunError::NotANumber { .. }) => refused(Refusal::NotANumber),
        Err(RunError::InputSize { .. } | RunError::InputCount { .. }) => {
            refused(Refusal::InputSize)
        }
        Err(e) => Err(OutputError::Run(e)),
    }
}

/// The little-endian `f32` file `bitai model run --output` writes for the same input: each
/// value through `Fx::to_f32`. A refusal has no file: it is an error.
pub fn output_to_f32_file(bytes: &[u8]) -> Result<Vec<u8>, OutputDecodeError> {
    match CanonicalOutput::from_bytes(bytes)? {
        CanonicalOutput::Values(values) => Ok(values
            .iter()
            .flat_map(|v| v.to_f32().to_le_bytes())
            .collect()),
        CanonicalOutput::Refused(r) => Err(OutputDecodeError::Refused(r)),
    }
}

#[cfg(test)]
mod tests;
