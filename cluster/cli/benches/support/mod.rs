//! What the binary-level benchmarks share: the `bitai` binary under test, their `--name N`
//! arguments and a free localhost port.
#![allow(dead_code)]

use std::process::Command;

/// The `bitai` binary under test.
pub fn bitai() -> Command {
    Command::new(env!("CARGO_BIN_EXE_bitai"))
}

/// The number after `name` on the command line, or `default`.
pub fn arg(name: &str, default: u64) -> u64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A localhost port free now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}
