//! Node processes of every kind for the node-kind tests: a config made from a shipped one
//! (`configs/bitai.toml`, `chain.toml`, `prover.toml`, `neuron.toml`) with keys overridden,
//! and `bitai node --config FILE` as a child whose stderr goes to a file, killed when dropped.

use super::bitai;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

/// `configs/SHIPPED` with each `(table, key, value)` of `overrides` set (tables made as
/// needed; `[metrics] listen` off), written to `dir/NAME`.
pub fn kind_config(
    dir: &Path,
    shipped: &str,
    name: &str,
    overrides: &[(&str, &str, toml::Value)],
) -> PathBuf {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../configs")
        .join(shipped);
    let text = std::fs::read_to_string(&path).expect("the shipped config is readable");
    let mut table: toml::Table = text.parse().expect("the shipped config parses");
    let metrics_off = ("metrics", "listen", toml::Value::String(String::new()));
    for (section, key, value) in std::iter::once(&metrics_off).chain(overrides) {
        let section = table
            .entry((*section).to_owned())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()))
            .as_table_mut()
            .expect("a table");
        section.insert((*key).to_owned(), value.clone());
    }
    let out = dir.join(name);
    std::fs::write(&out, toml::to_string(&table).expect("serializes")).expect("written");
    out
}

/// A TOML string.
pub fn s(v: &str) -> toml::Value {
    toml::Value::String(v.to_owned())
}

/// A TOML integer.
pub fn i(v: i64) -> toml::Value {
    toml::Value::Integer(v)
}

/// `bitai node --config CONFIG` as a child, its stderr in `LOG`.
pub struct NodeProcess {
    config: PathBuf,
    child: Option<Child>,
    /// Its stderr file.
    pub stderr: PathBuf,
}

impl NodeProcess {
    /// Starts it.
    pub fn start(config: &Path, stderr: PathBuf) -> Self {
        let mut node = NodeProcess {
            config: config.to_owned(),
            child: None,
            stderr,
        };
        node.restart();
        node
    }

    /// Starts it again (after a kill), appending to its stderr file.
    pub fn restart(&mut self) {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.stderr)
            .expect("stderr file");
        let child = bitai()
            .args(["node", "--no-progress", "--config"])
            .arg(&self.config)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(file)
            .spawn()
            .expect("bitai node starts");
        self.child = Some(child);
    }

    /// Its stderr so far.
    pub fn output(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }

    /// Its process id.
    pub fn id(&self) -> u32 {
        self.child.as_ref().expect("running").id()
    }

    /// Sends `signal` (`KILL`, `STOP`, `CONT`, `TERM`...).
    pub fn signal(&self, signal: &str) {
        let status = std::process::Command::new("kill")
            .args([&format!("-{signal}"), &self.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill -{signal} failed");
    }

    /// SIGKILL, and reaps it.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Its exit code within `timeout` (`None`: still running).
    pub fn exit_within(&mut self, timeout: Duration) -> Option<i32> {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Some(status) = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().expect("try_wait"))
            {
                self.child = None;
                return status.code();
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        None
    }

    /// Waits until its stderr contains `text`.
    pub fn wait_for(&self, text: &str, timeout: Duration) {
        super::wait_until(
            text,
            timeout,
            Duration::from_millis(200),
            || self.output().contains(text).then_some(()),
            || self.output(),
        );
    }
}

impl Drop for NodeProcess {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            // A stopped process must be woken to die cleanly on some systems.
            let _ = std::process::Command::new("kill")
                .args(["-CONT", &child.id().to_string()])
                .status();
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
