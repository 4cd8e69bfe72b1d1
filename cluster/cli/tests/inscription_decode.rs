//! `bitai inscription decode` on the real mainnet inscriptions, from an argument and from
//! standard input, and its refusal of input that is not a transaction.

use std::io::Write;
use std::process::{Command, Output, Stdio};

const BITAI: &str = env!("CARGO_BIN_EXE_bitai");

fn vector(name: &str) -> String {
    let path = format!(
        "{}/../../tests/fixtures/vectors/inscriptions/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).expect("the vectors are in the repository")
}

fn decode_arg(arg: &str) -> Output {
    Command::new(BITAI)
        .args(["inscription", "decode", arg])
        .output()
        .expect("the binary runs")
}

fn decode_stdin(input: &str) -> Output {
    let mut child = Command::new(BITAI)
        .args(["inscription", "decode", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    child
        .stdin
        .take()
        .expect("stdin is piped")
        .write_all(input.as_bytes())
        .expect("the binary reads its input");
    child.wait_with_output().expect("the binary finishes")
}

fn lines(output: &Output) -> Vec<serde_json::Value> {
    assert!(
        output.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout.clone())
        .expect("output is UTF-8")
        .lines()
        .map(|line| serde_json::from_str(line).expect("each line is one JSON object"))
        .collect()
}

#[test]
fn decodes_the_primes_inscription_from_an_argument() {
    let hex = vector("recursion-primes-60bcf821.hex");
    let found = lines(&decode_arg(hex.trim()));
    assert_eq!(found.len(), 1);
    let line = &found[0];
    let txid = "60bcf821240064a9c55225c4f01711b0ebbcab39aa3fafeefe4299ab158536fa";
    assert_eq!(line["txid"], txid);
    assert_eq!(line["inscription_id"], format!("{txid}i0"));
    assert_eq!(line["input"], 0);
    assert_eq!(line["offset"], 0);
    assert_eq!(line["content_type"], "text/plain;charset=utf-8");
    assert_eq!(line["metaprotocol"], serde_json::Value::Null);
    assert_eq!(line["body_length"], 7);
    assert_eq!(line["body_hex"], hex::encode("primes\n"));
    assert_eq!(line["bitai"], false);
    for flag in [
        "duplicate_field",
        "incomplete_field",
        "unrecognized_even_field",
        "pushnum",
    ] {
        assert_eq!(line[flag], false, "{flag}");
    }
}

#[test]
fn decodes_the_png_inscription_from_standard_input() {
    let hex = vector("mainnet-png-99811de3.hex");
    let found = lines(&decode_stdin(&hex));
    assert_eq!(found.len(), 1);
    let line = &found[0];
    assert_eq!(
        line["txid"],
        "99811de396ff10152cdfc9588d9750d0151501f081df2e56071c42dc3532b743"
    );
    assert_eq!(line["content_type"], "image/png");
    assert_eq!(line["body_length"], 844);
    let body = hex::decode(line["body_hex"].as_str().expect("body hex is a string"))
        .expect("body hex is hex");
    assert_eq!(body.len(), 844);
    assert!(body.starts_with(b"\x89PNG"));
    assert_eq!(line["bitai"], false);
}

#[test]
fn refuses_input_that_is_not_a_transaction_with_exit_code_2() {
    for bad in ["not-hex", "0100", ""] {
        let output = decode_arg(bad);
        assert_eq!(output.status.code(), Some(2), "input {bad:?}");
        assert!(output.stdout.is_empty());
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.starts_with("error: "), "stderr {stderr:?}");
    }
    let output = decode_stdin("00zz");
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("not hex"));
}
