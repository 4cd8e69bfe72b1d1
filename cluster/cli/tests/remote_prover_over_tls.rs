//! `bitai devnet` with no local prover and a TLS cluster server (`[cluster] tls_cert`,
//! `tls_key`: a certificate for `localhost` and `127.0.0.1` signed by a test CA, made with
//! the `openssl` CLI), and `bitai prover run` processes joining it over real TCP: a prover
//! trusting another CA fails the TLS handshake and exits 1 saying so, and so does a neuron
//! node (`bitai neuron run --join`), while the node logs the failed handshake; a prover without TLS
//! is refused and exits 1; a prover with `--tls-ca` (the server name defaults to the
//! `--join` host, an IP here) proves every L2 block with real Groth16 proofs, the devnet
//! finishes with two L2 blocks final and every verified root equal to the sequencer's, and
//! the prover exits 1 once the coordinator is gone.
//!
//! Same shape and knobs as `remote_prover_proves_over_ractor_cluster` (its key cache too).
#![allow(clippy::disallowed_methods)] // Wall-clock waits on real processes.

mod support;

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;
use support::prover::{free_port, key_cache, ProverProcess, DEVNET_ARGS};
use support::DevnetProcess;

const COOKIE: &str = "remote-prover-tls-test-cookie";

/// Runs `openssl ARGS` in `dir`; panics with its stderr when it fails.
fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .expect("the openssl CLI runs");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A self-signed CA `NAME.pem` with its key `NAME.key` in `dir`.
fn make_ca(dir: &Path, name: &str) -> PathBuf {
    let (cert, key) = (format!("{name}.pem"), format!("{name}.key"));
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "2",
            "-subj",
            &format!("/CN={name}"),
            "-keyout",
            &key,
            "-out",
            &cert,
        ],
    );
    dir.join(cert)
}

/// A server certificate `server.pem` (key `server.key`) for `localhost` and `127.0.0.1`
/// in `dir`, signed by the CA `ca`; (cert, key).
fn make_server_cert(dir: &Path, ca: &str) -> (PathBuf, PathBuf) {
    openssl(
        dir,
        &[
            "req",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-subj",
            "/CN=localhost",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
        ],
    );
    std::fs::write(
        dir.join("server.ext"),
        "basicConstraints = CA:FALSE\nkeyUsage = digitalSignature\n\
         extendedKeyUsage = serverAuth\nsubjectAltName = DNS:localhost, IP:127.0.0.1\n",
    )
    .expect("extensions file");
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            &format!("{ca}.pem"),
            "-CAkey",
            &format!("{ca}.key"),
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            "server.ext",
            "-out",
            "server.pem",
        ],
    );
    (dir.join("server.pem"), dir.join("server.key"))
}

#[test]
fn a_remote_prover_proves_over_tls_and_an_untrusted_or_plain_one_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let ca = make_ca(dir.path(), "cluster-ca");
    let other_ca = make_ca(dir.path(), "other-ca");
    let (cert, key) = make_server_cert(dir.path(), "cluster-ca");
    let key_cache = key_cache();
    let listen = format!("127.0.0.1:{}", free_port());
    let s = |p: &Path| toml::Value::String(p.to_string_lossy().into_owned());
    let config = support::write_config(
        dir.path(),
        &[
            ("chain", "block_ops", toml::Value::Integer(0)),
            ("chain", "neurons", toml::Value::Integer(0)),
            ("prover", "workers", toml::Value::Integer(0)),
            ("prover", "key_cache_dir", s(&key_cache)),
            ("cluster", "listen", toml::Value::String(listen.clone())),
            ("cluster", "cookie", toml::Value::String(COOKIE.into())),
            (
                "cluster",
                "heartbeat_interval_ms",
                toml::Value::Integer(500),
            ),
            (
                "cluster",
                "heartbeat_timeout_ms",
                toml::Value::Integer(5_000),
            ),
            ("cluster", "tls_cert", s(&cert)),
            ("cluster", "tls_key", s(&key)),
        ],
    );
    let data_dir = dir.path().join("data");
    let mut devnet = DevnetProcess::start(&config, &data_dir, &DEVNET_ARGS);
    let tls_ca = |ca: &Path| vec![OsStr::new("--tls-ca").to_owned(), ca.as_os_str().to_owned()];

    // A CA that did not sign the coordinator's certificate: the TLS handshake fails.
    let untrusted_args = tls_ca(&other_ca);
    let untrusted: Vec<&OsStr> = untrusted_args.iter().map(|a| a.as_os_str()).collect();
    let mut untrusted = ProverProcess::start_with(
        &listen,
        COOKIE,
        &key_cache,
        dir.path().join("untrusted.stderr"),
        &untrusted,
    );
    let code = untrusted.exit_within(Duration::from_secs(30));
    assert_eq!(
        code,
        Some(1),
        "stderr: {}\n{}",
        untrusted.stderr(),
        devnet.diagnostics()
    );
    assert!(
        untrusted.stderr().contains("TLS handshake"),
        "{}",
        untrusted.stderr()
    );

    // A neuron node trusting the other CA is refused the same way (the join is shared).
    let key_file = dir.path().join("neuron.key");
    bitai_cli::keygen::write_key(
        &key_file,
        &bitai_node::pipeline::loadgen::account_keys(1, 1).remove(0),
        false,
    )
    .expect("key file");
    let neuron = support::bitai()
        .args([
            "neuron", "run", "--join", &listen, "--cookie", COOKIE, "--chain",
        ])
        .arg(devnet.chain())
        .arg("--key")
        .arg(&key_file)
        .args(["--account", "0", "--data-dir"])
        .arg(dir.path().join("neuron"))
        .arg("--tls-ca")
        .arg(&other_ca)
        .output()
        .expect("bitai runs");
    let stderr = String::from_utf8_lossy(&neuron.stderr);
    assert_eq!(neuron.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("TLS handshake"), "{stderr}");
    let log = std::fs::read_to_string(data_dir.join("bitai.log")).expect("the node's log");
    assert!(
        log.contains("Error establishing secure socket"),
        "the node logs the failed TLS handshake: {log}"
    );

    // No TLS on the prover's side: the coordinator drops the connection.
    let mut plain =
        ProverProcess::start(&listen, COOKIE, &key_cache, dir.path().join("plain.stderr"));
    let code = plain.exit_within(Duration::from_secs(30));
    assert_eq!(
        code,
        Some(1),
        "stderr: {}\n{}",
        plain.stderr(),
        devnet.diagnostics()
    );
    assert!(
        plain.stderr().contains("refused the handshake"),
        "{}",
        plain.stderr()
    );

    let trusted_args = tls_ca(&ca);
    let trusted: Vec<&OsStr> = trusted_args.iter().map(|a| a.as_os_str()).collect();
    let mut prover = ProverProcess::start_with(
        &listen,
        COOKIE,
        &key_cache,
        dir.path().join("prover.stderr"),
        &trusted,
    );
    support::prover::devnet_final_through(&mut devnet, &mut prover, &data_dir);
}
