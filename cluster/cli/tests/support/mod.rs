//! Shared harness of the binary-level devnet tests: a devnet config with the metrics
//! endpoint off, the real `bitai` binary started as a child process whose JSON-RPC address
//! is read from its stderr, a guard that kills the child whatever happens to the test, and
//! the client subcommands run as processes too.
//!
//! Each test file is its own crate and uses only part of this module.
#![allow(dead_code)]
// Tests talk to real processes: they wait in wall time and read the children's pipes on
// threads of their own.
#![allow(clippy::disallowed_methods)]

pub mod lenet;
pub mod nodes;
pub mod prover;

use bitai_rpc::{ChainInfo, TxStatus};
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The `bitai` binary under test.
pub fn bitai() -> Command {
    Command::new(env!("CARGO_BIN_EXE_bitai"))
}

/// `configs/devnet.toml` with `[metrics] listen` empty (no fixed port shared between tests)
/// and each `(section, key, value)` of `overrides` set, written to `dir/devnet.toml`.
pub fn write_config(dir: &Path, overrides: &[(&str, &str, toml::Value)]) -> PathBuf {
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../configs/devnet.toml");
    let text = std::fs::read_to_string(&shipped).expect("configs/devnet.toml is readable");
    let mut table: toml::Table = text.parse().expect("configs/devnet.toml parses");
    let metrics_off = ("metrics", "listen", toml::Value::String(String::new()));
    for (section, key, value) in std::iter::once(&metrics_off).chain(overrides) {
        let section = table
            .get_mut(*section)
            .and_then(toml::Value::as_table_mut)
            .unwrap_or_else(|| panic!("configs/devnet.toml has a [{section}] table"));
        assert!(
            section.contains_key(*key),
            "configs/devnet.toml has no key {key}"
        );
        section.insert((*key).to_owned(), value.clone());
    }
    let path = dir.join("devnet.toml");
    std::fs::write(
        &path,
        toml::to_string(&table).expect("the config serializes"),
    )
    .expect("config written");
    path
}

/// Waits until `probe` answers `Some`, asking every `every`; panics with `what` and
/// `context()` after `timeout`.
pub fn wait_until<T>(
    what: &str,
    timeout: Duration,
    every: Duration,
    mut probe: impl FnMut() -> Option<T>,
    context: impl Fn() -> String,
) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = probe() {
            return v;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {timeout:?} waiting for {what}\n{}",
            context()
        );
        std::thread::sleep(every);
    }
}

/// A running `bitai devnet`, killed (SIGKILL) when dropped unless it has exited.
pub struct DevnetProcess {
    child: Child,
    data_dir: PathBuf,
    url: String,
    explorer: String,
    chain: String,
    stderr: Arc<Mutex<String>>,
    stdout: Option<std::thread::JoinHandle<String>>,
}

impl DevnetProcess {
    /// Starts `bitai devnet --config CONFIG --data-dir DATA_DIR --no-progress --rpc-listen
    /// 127.0.0.1:0 --explorer-listen 127.0.0.1:0 ARGS...` and waits (up to 60 s) for its
    /// JSON-RPC address and chain id.
    pub fn start(config: &Path, data_dir: &Path, args: &[&str]) -> Self {
        let mut child = bitai()
            .arg("devnet")
            .arg("--config")
            .arg(config)
            .arg("--data-dir")
            .arg(data_dir)
            .args(["--no-progress", "--rpc-listen", "127.0.0.1:0"])
            .args(["--explorer-listen", "127.0.0.1:0"])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("bitai devnet starts");
        let stdout = child.stdout.take().expect("piped stdout");
        let stdout = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = BufReader::new(stdout).read_to_string(&mut text);
            text
        });
        let stderr_pipe = child.stderr.take().expect("piped stderr");
        let stderr = Arc::new(Mutex::new(String::new()));
        let (lines_tx, lines) = mpsc::channel::<String>();
        let sink = stderr.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr_pipe).lines() {
                let Ok(line) = line else { break };
                sink.lock()
                    .expect("stderr lock")
                    .push_str(&(line.clone() + "\n"));
                let _ = lines_tx.send(line);
            }
        });
        let mut process = Self {
            child,
            data_dir: data_dir.to_owned(),
            url: String::new(),
            explorer: String::new(),
            chain: String::new(),
            stderr,
            stdout: Some(stdout),
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        while process.url.is_empty() || process.chain.is_empty() {
            let left = deadline.saturating_duration_since(Instant::now());
            match lines.recv_timeout(left) {
                Ok(line) => {
                    if let Some(url) = line.strip_prefix("explorer: ") {
                        process.explorer = url.trim().to_owned();
                    } else if let Some(url) = line.strip_prefix("json-rpc: ") {
                        process.url = url.trim().to_owned();
                    } else if let Some(chain) = line.strip_prefix("devnet chain: ") {
                        process.chain = chain.trim().to_owned();
                    }
                }
                Err(_) => panic!(
                    "the devnet did not print its JSON-RPC address and chain within 60 s\n{}",
                    process.diagnostics()
                ),
            }
        }
        process
    }

    /// The JSON-RPC URL (`http://ADDR`).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The explorer's front page URL (empty when the config turned it off).
    pub fn explorer(&self) -> &str {
        &self.explorer
    }

    /// The devnet chain's id (64 hex digits).
    pub fn chain(&self) -> &str {
        &self.chain
    }

    /// Sends SIGINT (what Ctrl-C sends).
    pub fn interrupt(&self) {
        let status = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill -INT failed");
    }

    /// Sends SIGKILL and reaps the child.
    pub fn kill(&mut self) {
        self.child.kill().expect("SIGKILL delivered");
        self.child.wait().expect("child reaped");
    }

    /// Waits up to `timeout` for the child to exit; its status and stdout.
    pub fn wait(&mut self, timeout: Duration) -> (ExitStatus, String) {
        let deadline = Instant::now() + timeout;
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                break status;
            }
            assert!(
                Instant::now() < deadline,
                "the devnet did not exit within {timeout:?}\n{}",
                self.diagnostics()
            );
            std::thread::sleep(Duration::from_millis(200));
        };
        let stdout = self
            .stdout
            .take()
            .map(|h| h.join().expect("stdout reader"))
            .unwrap_or_default();
        (status, stdout)
    }

    /// The child's stderr so far and the last lines of its log file, for failure messages.
    pub fn diagnostics(&self) -> String {
        let log = std::fs::read_to_string(self.data_dir.join("bitai.log")).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        let tail = lines[lines.len().saturating_sub(40)..].join("\n");
        format!(
            "--- devnet stderr ---\n{}--- last lines of {} ---\n{tail}",
            self.stderr.lock().expect("stderr lock"),
            self.data_dir.join("bitai.log").display()
        )
    }

    /// Every chain the node knows (`bitai status --rpc URL --json`).
    pub fn chains(&self) -> Vec<ChainInfo> {
        let out = run_ok(&["status", "--rpc", &self.url, "--json"], || {
            self.diagnostics()
        });
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("status --json parses: {e}\n{out}"))
    }

    /// Every chain, or `None` when the node did not answer (it may be starting or stopping).
    pub fn try_chains(&self) -> Option<Vec<ChainInfo>> {
        let out = bitai()
            .args(["status", "--rpc", &self.url, "--json"])
            .output()
            .expect("bitai status runs");
        out.status
            .success()
            .then(|| serde_json::from_slice(&out.stdout).ok())
            .flatten()
    }

    /// A transaction's status (`bitai status HASH --rpc URL --json`).
    pub fn tx_status(&self, hash: &str) -> TxStatus {
        let out = run_ok(&["status", hash, "--rpc", &self.url, "--json"], || {
            self.diagnostics()
        });
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("status --json parses: {e}\n{out}"))
    }
}

impl Drop for DevnetProcess {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Waits up to `timeout` for `child` to exit: its exit code, or `None` when it did not exit
/// in time (it is then killed) or was signalled.
pub fn wait_or_kill(child: &mut Child, timeout: Duration) -> Option<i32> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            return status.code();
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A devnet with real Groth16 proofs (the setup cached under `CARGO_TARGET_TMPDIR`, shared by
/// the tests that use it), one transfer per block, 2 transfers a second, Bitcoin blocks every
/// 300 ms on average, stopping after `l2_blocks` final blocks; `overrides` as for
/// [`write_config`]. Its config and data live in `dir`.
pub fn groth16_devnet(
    dir: &Path,
    l2_blocks: u32,
    overrides: &[(&str, &str, toml::Value)],
) -> DevnetProcess {
    let key_cache = Path::new(env!("CARGO_TARGET_TMPDIR")).join("devnet-groth16-keys");
    let cache = toml::Value::String(key_cache.to_string_lossy().into_owned());
    let mut all = vec![("prover", "key_cache_dir", cache)];
    all.extend(overrides.iter().cloned());
    let config = write_config(dir, &all);
    // The cluster tests' devnet arguments, with the number of final L2 blocks asked for.
    let blocks = l2_blocks.to_string();
    let mut args = prover::DEVNET_ARGS;
    args[1] = &blocks;
    DevnetProcess::start(&config, &dir.join("data"), &args)
}

/// Runs `bitai ARGS`, asserts it exits 0 (else panics with its stderr and `context()`),
/// and returns its stdout.
pub fn run_ok(args: &[&str], context: impl Fn() -> String) -> String {
    let out = bitai().args(args).output().expect("bitai runs");
    check_ok(args, &out, context)
}

/// Asserts that the finished `bitai ARGS` exited 0; its stdout.
pub fn check_ok(args: &[&str], out: &Output, context: impl Fn() -> String) -> String {
    assert!(
        out.status.success(),
        "bitai {} failed ({}): {}\n{}",
        args.join(" "),
        out.status,
        String::from_utf8_lossy(&out.stderr),
        context()
    );
    String::from_utf8(out.stdout.clone()).expect("stdout is UTF-8")
}

/// A 64-hex-digit line (a chain id, a hash, a public key) from a command's stdout.
pub fn hex64(stdout: &str) -> String {
    let line = stdout.trim().to_owned();
    assert!(
        line.len() == 64 && line.bytes().all(|b| b.is_ascii_hexdigit()),
        "expected 64 hex digits, got {stdout:?}"
    );
    line
}

/// A client subcommand running in the background, killed when dropped unless finished.
pub struct Background {
    args: Vec<String>,
    child: Option<Child>,
}

impl Background {
    /// Starts `bitai ARGS` with its output piped.
    pub fn start(args: &[&str]) -> Self {
        let child = bitai()
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("bitai starts");
        Self {
            args: args.iter().map(|s| (*s).to_owned()).collect(),
            child: Some(child),
        }
    }

    /// Waits for it and asserts it exited 0; its stdout.
    pub fn finish(mut self, context: impl Fn() -> String) -> String {
        let child = self.child.take().expect("not yet finished");
        let out = child.wait_with_output().expect("bitai runs");
        let args: Vec<&str> = self.args.iter().map(String::as_str).collect();
        check_ok(&args, &out, context)
    }
}

impl Background {
    /// Sends SIGTERM and waits up to `timeout` for the exit; its code and stderr (`None`
    /// for the code when it did not exit in time, and it is then killed).
    pub fn terminate(&mut self, timeout: Duration) -> (Option<i32>, String) {
        let id = self.child.as_ref().expect("still running").id();
        let status = Command::new("kill")
            .args(["-TERM", &id.to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill -TERM failed");
        self.exit_within(timeout)
    }

    /// Waits up to `timeout` for the exit; its code and stderr (`None` for the code when it
    /// did not exit in time, and it is then killed).
    pub fn exit_within(&mut self, timeout: Duration) -> (Option<i32>, String) {
        let mut child = self.child.take().expect("still running");
        let code = wait_or_kill(&mut child, timeout);
        let mut stderr = String::new();
        if let Some(mut err) = child.stderr.take() {
            let _ = err.read_to_string(&mut stderr);
        }
        (code, stderr)
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// The body of `GET PATH` from the HTTP server at `addr` (`HOST:PORT`), empty on failure.
pub fn http_get(addr: &str, path: &str) -> String {
    use std::io::Write;
    let Ok(mut stream) = std::net::TcpStream::connect(addr) else {
        return String::new();
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    if stream.write_all(request.as_bytes()).is_err() {
        return String::new();
    }
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    answer
        .split_once("\r\n\r\n")
        .map_or(String::new(), |(_, body)| body.to_owned())
}
