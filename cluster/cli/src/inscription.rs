//! `bitai inscription`: operator tools for inscription envelopes. `decode` reads one raw
//! transaction (hex, as `getrawtransaction` prints it) and prints one JSON object per line
//! for each envelope ord would find in it, BitAI's and everyone else's.

use super::EXIT_BAD_INPUT;
use bitai_protocol::envelope::{scan_transaction, Body, Envelope, ParseLimits};
use bitcoin::Transaction;
use clap::{Args, Subcommand};
use serde_json::{json, Value};
use std::io::{self, Read, Write};
use std::process::ExitCode;

/// Largest hex input read: a transaction can weigh at most a block, 4,000,000 WU, so its
/// serialization is under 4 MB, 8 MB of hex.
const MAX_HEX_CHARS: usize = 8_000_000 + 2;

/// Inscription envelopes.
#[derive(Debug, Args)]
pub struct InscriptionArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: InscriptionCommand,
}

/// The inscription subcommands.
#[derive(Debug, Subcommand)]
pub enum InscriptionCommand {
    /// Print every envelope of one raw transaction as a JSON line (exit 2 on bad input).
    Decode(DecodeArgs),
}

/// Arguments of `bitai inscription decode`.
#[derive(Debug, Args)]
pub struct DecodeArgs {
    /// The raw transaction in hex, or `-` to read the hex from standard input.
    #[arg(value_name = "HEX|-")]
    pub transaction: String,
}

/// Runs an inscription subcommand.
pub fn run(args: InscriptionArgs) -> ExitCode {
    match args.command {
        InscriptionCommand::Decode(decode) => run_decode(decode),
    }
}

fn run_decode(args: DecodeArgs) -> ExitCode {
    let hex_text = if args.transaction == "-" {
        match read_stdin() {
            Ok(text) => text,
            Err(message) => return bad_input(&message),
        }
    } else {
        args.transaction
    };
    let tx = match parse_transaction_hex(&hex_text) {
        Ok(tx) => tx,
        Err(message) => return bad_input(&message),
    };
    let scan = scan_transaction(&tx, &ParseLimits::default());
    for malformed in &scan.malformed {
        eprintln!("warning: input {}: {}", malformed.input, malformed.error);
    }
    let txid = tx.compute_txid().to_string();
    let mut out = io::stdout().lock();
    for (index, envelope) in scan.envelopes.iter().enumerate() {
        let line = envelope_json(&txid, index, envelope);
        if writeln!(out, "{line}").is_err() {
            return ExitCode::from(super::EXIT_FAILURE);
        }
    }
    ExitCode::SUCCESS
}

fn bad_input(message: &str) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::from(EXIT_BAD_INPUT)
}

fn read_stdin() -> Result<String, String> {
    let mut text = String::new();
    io::stdin()
        .take(MAX_HEX_CHARS as u64 + 1)
        .read_to_string(&mut text)
        .map_err(|e| format!("cannot read standard input: {e}"))?;
    if text.len() > MAX_HEX_CHARS {
        return Err(format!("input is over {MAX_HEX_CHARS} characters"));
    }
    Ok(text)
}

/// Hex text (surrounding whitespace allowed) to a transaction that uses every byte.
fn parse_transaction_hex(text: &str) -> Result<Transaction, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("no transaction given (expected hex)".into());
    }
    if text.len() > MAX_HEX_CHARS {
        return Err(format!("input is over {MAX_HEX_CHARS} characters"));
    }
    let bytes = hex::decode(text).map_err(|e| format!("not hex: {e}"))?;
    bitcoin::consensus::deserialize(&bytes).map_err(|e| format!("not a transaction: {e}"))
}

/// UTF-8 text as a JSON string, anything else as `null` (the `_hex` twin has the bytes).
fn text(bytes: Option<&[u8]>) -> Value {
    bytes
        .and_then(|b| std::str::from_utf8(b).ok())
        .map_or(Value::Null, |s| json!(s))
}

fn envelope_json(txid: &str, index: usize, envelope: &Envelope) -> Value {
    let fields = &envelope.fields;
    let (bitai_kind, bitai_error) = if envelope.is_bitai() {
        match envelope.bitai_tx() {
            Ok(tx) => (json!(tx.kind()), Value::Null),
            Err(error) => (Value::Null, json!(error.to_string())),
        }
    } else {
        (Value::Null, Value::Null)
    };
    let body_hex = envelope.body_bytes().map(hex::encode);
    let flags = envelope.flags;
    json!({
        "txid": txid,
        "inscription_id": format!("{txid}i{index}"),
        "input": envelope.input,
        "offset": envelope.offset,
        "content_type": text(fields.content_type.as_deref()),
        "content_type_hex": fields.content_type.as_deref().map(hex::encode),
        "metaprotocol": text(fields.metaprotocol.as_deref()),
        "content_encoding": text(fields.content_encoding.as_deref()),
        "body_length": envelope.body_len(),
        "body_hex": body_hex,
        "body_over_limit": matches!(envelope.body, Body::OverLimit { .. }),
        "bitai": envelope.is_bitai(),
        "bitai_kind": bitai_kind,
        "bitai_error": bitai_error,
        "reveal_key": envelope.reveal_key.map(hex::encode),
        "pointer_hex": fields.pointer.as_deref().map(hex::encode),
        "parents_hex": fields.parents.iter().map(hex::encode).collect::<Vec<_>>(),
        "unknown_fields": fields.unknown_count,
        "duplicate_field": flags.duplicate_field,
        "incomplete_field": flags.incomplete_field,
        "unrecognized_even_field": flags.unrecognized_even_field,
        "pushnum": flags.pushnum,
        "stutter": flags.stutter,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_that_is_not_a_transaction_is_refused_with_a_reason() {
        assert!(parse_transaction_hex("")
            .expect_err("empty")
            .contains("no transaction"));
        assert!(parse_transaction_hex("zz")
            .expect_err("not hex")
            .starts_with("not hex"));
        assert!(parse_transaction_hex("0100")
            .expect_err("too short")
            .starts_with("not a transaction"));
    }
}
