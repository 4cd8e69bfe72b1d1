//! `bitai devnet` with no local prover (`[prover] workers = 0`) and `[cluster] listen` set,
//! and `bitai prover run` processes joining it over real TCP: a prover with a wrong cookie
//! is refused and exits 1 with a clear message; a prover with the right cookie and the
//! devnet's key cache proves every L2 block with real Groth16 proofs (nothing else can: the
//! devnet has no local prover), the devnet finishes with two L2 blocks final and every
//! verified root equal to the sequencer's, and the prover exits 1 once the coordinator is
//! gone.
//!
//! The devnet setup for one transfer and no op slot per block is cached under
//! `CARGO_TARGET_TMPDIR` (the cache directory of `devnet_groth16_smoke`; key files are named
//! by circuit), so a rerun loads it.
#![allow(clippy::disallowed_methods)] // Wall-clock waits on real processes.

mod support;

use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};
use support::{bitai, DevnetProcess};

const COOKIE: &str = "remote-prover-test-cookie";

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind an ephemeral port")
        .local_addr()
        .expect("local addr")
        .port()
}

/// A `bitai prover run` child, its stderr in a file; killed when dropped.
struct ProverProcess {
    child: Child,
    stderr: std::path::PathBuf,
}

impl ProverProcess {
    fn start(join: &str, cookie: &str, keys: &Path, stderr: std::path::PathBuf) -> Self {
        let file = std::fs::File::create(&stderr).expect("stderr file");
        let child = bitai()
            .args([
                "prover", "run", "--join", join, "--cookie", cookie, "--keys",
            ])
            .arg(keys)
            .args(["--log", "info"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(file)
            .spawn()
            .expect("bitai prover run starts");
        Self { child, stderr }
    }

    fn stderr(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }

    /// Its exit code within `timeout`, or `None`.
    fn exit_within(&mut self, timeout: Duration) -> Option<i32> {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return status.code();
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        None
    }
}

impl Drop for ProverProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn a_remote_prover_proves_every_block_and_a_wrong_cookie_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let key_cache = Path::new(env!("CARGO_TARGET_TMPDIR")).join("devnet-groth16-keys");
    let listen = format!("127.0.0.1:{}", free_port());
    let s = |v: &str| toml::Value::String(v.to_owned());
    let config = support::write_config(
        dir.path(),
        &[
            // The smallest shape: one transfer slot, no op slots (so no neurons), which
            // keeps key loading and proving short in a debug build on a busy machine.
            ("chain", "block_ops", toml::Value::Integer(0)),
            ("chain", "neurons", toml::Value::Integer(0)),
            ("prover", "workers", toml::Value::Integer(0)),
            ("prover", "key_cache_dir", s(&key_cache.to_string_lossy())),
            ("cluster", "listen", s(&listen)),
            ("cluster", "cookie", s(COOKIE)),
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
        ],
    );
    let data_dir = dir.path().join("data");
    let mut devnet = DevnetProcess::start(
        &config,
        &data_dir,
        &[
            "--l2-blocks",
            "2",
            "--block-txs",
            "1",
            "--tps",
            "2",
            "--block-interval-ms",
            "300",
        ],
    );

    // A wrong cookie: client_connect succeeds, the coordinator drops the session.
    let mut refused = ProverProcess::start(
        &listen,
        "not-the-cookie",
        &key_cache,
        dir.path().join("refused.stderr"),
    );
    let code = refused.exit_within(Duration::from_secs(30));
    assert_eq!(
        code,
        Some(1),
        "stderr: {}\n{}",
        refused.stderr(),
        devnet.diagnostics()
    );
    assert!(
        refused.stderr().contains("refused the handshake"),
        "{}",
        refused.stderr()
    );

    let mut prover = ProverProcess::start(
        &listen,
        COOKIE,
        &key_cache,
        dir.path().join("prover.stderr"),
    );
    let (status, stdout) = devnet.wait(Duration::from_secs(300));
    assert!(
        status.success(),
        "exit {status}; stdout: {stdout}\nprover: {}\n{}",
        prover.stderr(),
        devnet.diagnostics()
    );
    assert!(
        stdout.contains("L2 blocks final on the BitAI side"),
        "{stdout}"
    );
    assert!(stdout.contains("equals the sequencer's"), "{stdout}");
    let log = std::fs::read_to_string(data_dir.join("bitai.log")).expect("the devnet's log");
    assert!(log.contains("remote prover joined"), "{log}");
    let proved = prover.stderr();
    assert!(proved.contains("prover: joined"), "{proved}");
    assert!(
        proved.contains("proved"),
        "the remote prover proved:\n{proved}"
    );

    // The coordinator is gone: the prover notices and exits 1.
    let code = prover.exit_within(Duration::from_secs(30));
    assert_eq!(code, Some(1), "{}", prover.stderr());
    assert!(
        prover.stderr().contains("lost the connection"),
        "{}",
        prover.stderr()
    );
}
