//! `bitai prover run` as a child process for the cluster tests, and a free port for the
//! coordinator's cluster server.

use super::bitai;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

/// The devnet key cache the Groth16 cluster tests share (key files are named by circuit).
pub fn key_cache() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("devnet-groth16-keys")
}

/// A devnet config in `dir` with no local prover and a cluster on `listen` with `cookie`,
/// heartbeats every `heartbeat_interval_ms` and taken back after `heartbeat_timeout_ms`, in
/// the smallest shape (one transfer slot, no op slots, so no neurons: key loading and
/// proving stay short in a debug build on a busy machine), keys in [`key_cache`].
pub fn remote_only_config(
    dir: &Path,
    listen: &str,
    cookie: &str,
    heartbeat_interval_ms: i64,
    heartbeat_timeout_ms: i64,
) -> PathBuf {
    let s = |v: &str| toml::Value::String(v.to_owned());
    super::write_config(
        dir,
        &[
            ("chain", "block_ops", toml::Value::Integer(0)),
            ("chain", "neurons", toml::Value::Integer(0)),
            ("prover", "workers", toml::Value::Integer(0)),
            ("prover", "key_cache_dir", s(&key_cache().to_string_lossy())),
            ("cluster", "listen", s(listen)),
            ("cluster", "cookie", s(cookie)),
            (
                "cluster",
                "heartbeat_interval_ms",
                toml::Value::Integer(heartbeat_interval_ms),
            ),
            (
                "cluster",
                "heartbeat_timeout_ms",
                toml::Value::Integer(heartbeat_timeout_ms),
            ),
        ],
    )
}

/// The devnet arguments of the cluster tests: two final L2 blocks of one transfer.
pub const DEVNET_ARGS: [&str; 8] = [
    "--l2-blocks",
    "2",
    "--block-txs",
    "1",
    "--tps",
    "2",
    "--block-interval-ms",
    "300",
];

/// A port free right now on 127.0.0.1.
pub fn free_port() -> u16 {
    // Below Linux's ephemeral range (32768-60999): a port handed out here can never also be
    // given to a socket bound to port 0 (a node's own listeners) between this check and the
    // port's use, which made tests fail with "address already in use" now and then. Within
    // a process the counter keeps ports distinct; the start depends on the process id.
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    const LOW: u32 = 20_000;
    const SPAN: u32 = 12_000;
    let start = std::process::id() % SPAN;
    loop {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let port = (LOW + (start + n) % SPAN) as u16;
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

/// A `bitai prover run` child, its stderr in a file; killed when dropped.
pub struct ProverProcess {
    child: Child,
    stderr: std::path::PathBuf,
}

impl ProverProcess {
    /// Starts `bitai prover run --join JOIN --cookie COOKIE --keys KEYS`.
    pub fn start(join: &str, cookie: &str, keys: &Path, stderr: std::path::PathBuf) -> Self {
        Self::start_with(join, cookie, keys, stderr, &[])
    }

    /// Starts `bitai prover run --join JOIN --cookie COOKIE --keys KEYS EXTRA...`.
    pub fn start_with(
        join: &str,
        cookie: &str,
        keys: &Path,
        stderr: std::path::PathBuf,
        extra: &[&std::ffi::OsStr],
    ) -> Self {
        let file = std::fs::File::create(&stderr).expect("stderr file");
        let child = bitai()
            .args([
                "prover", "run", "--join", join, "--cookie", cookie, "--keys",
            ])
            .arg(keys)
            .args(["--log", "info"])
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(file)
            .spawn()
            .expect("bitai prover run starts");
        Self { child, stderr }
    }

    /// Its stderr so far.
    pub fn stderr(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }

    /// Its exit code within `timeout`, or `None`.
    pub fn exit_within(&mut self, timeout: Duration) -> Option<i32> {
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

impl ProverProcess {
    /// Its process id.
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// Sends `signal` (`STOP`, `CONT`, ...) with `kill`.
    pub fn signal(&self, signal: &str) {
        let status = std::process::Command::new("kill")
            .args([&format!("-{signal}"), &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill -{signal} failed");
    }
}

/// Waits for `devnet` (proving only through `prover`) to finish, and checks that its blocks
/// went final with the roots agreeing, that the remote prover joined and proved, and that
/// the prover then notices the coordinator is gone and exits 1.
pub fn devnet_final_through(
    devnet: &mut super::DevnetProcess,
    prover: &mut ProverProcess,
    data_dir: &Path,
) {
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
    assert!(proved.contains(": joined 127.0.0.1:"), "{proved}");
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
