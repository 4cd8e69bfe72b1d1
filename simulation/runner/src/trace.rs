//! The run's trace: every event that matters, in the order it happened, as one line each
//! (`<simulated ms> <source> <text>`), hashed incrementally with SHA-256. Two sources feed
//! it: the runner itself (Bitcoin blocks, users' actions and answers, injected faults, oracle
//! checks) and every role, through a `tracing` layer that records the roles' own events
//! (targets `bitai*`, level DEBUG and above) with their fields. Lines carry logical names
//! only: simulated time from the paused clock, role and chain names, hashes; never an
//! `ActorId`, a wall time or an address, so the same seed gives the same hash in any process.
//!
//! `--trace FILE` writes the lines as they come, so two runs can be diffed line by line; the
//! last [`RECENT`] lines are kept in memory for a violation's report.

use sha2::{Digest, Sha256};
use std::collections::VecDeque;
use std::fmt::Write as _;
use std::io::Write as _;
use std::sync::{Arc, Mutex};
use tracing::field::{Field, Visit};
use tracing_subscriber::layer::Context;
use tracing_subscriber::Layer;

/// Lines kept for a violation's report.
pub const RECENT: usize = 40;

struct Inner {
    hasher: Sha256,
    lines: u64,
    recent: VecDeque<String>,
    file: Option<std::io::BufWriter<std::fs::File>>,
    start: Option<tokio::time::Instant>,
}

/// The trace of one run. Cloning shares it.
#[derive(Clone)]
pub struct Trace {
    inner: Arc<Mutex<Inner>>,
}

impl Trace {
    /// An empty trace; with `file`, every line is also written there.
    pub fn new(file: Option<std::fs::File>) -> Self {
        Trace {
            inner: Arc::new(Mutex::new(Inner {
                hasher: Sha256::new(),
                lines: 0,
                recent: VecDeque::with_capacity(RECENT),
                file: file.map(std::io::BufWriter::new),
                start: None,
            })),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Starts the trace's clock: simulated milliseconds count from now (call it inside the
    /// paused runtime, before the graph starts).
    #[allow(clippy::disallowed_methods)] // tokio's paused clock: simulated time.
    pub fn start_clock(&self) {
        self.lock().start = Some(tokio::time::Instant::now());
    }

    /// Simulated milliseconds since [`Trace::start_clock`].
    #[allow(clippy::disallowed_methods)] // tokio's paused clock: simulated time.
    pub fn now_ms(&self) -> u64 {
        let start = self.lock().start;
        start.map_or(0, |s| {
            tokio::time::Instant::now()
                .saturating_duration_since(s)
                .as_millis() as u64
        })
    }

    /// Records one event from `source` (a logical name).
    pub fn record(&self, source: &str, text: impl std::fmt::Display) {
        let t = self.now_ms();
        self.push(format!("{t} {source} {text}"));
    }

    fn push(&self, line: String) {
        let mut inner = self.lock();
        inner.hasher.update(line.as_bytes());
        inner.hasher.update(b"\n");
        inner.lines += 1;
        if let Some(file) = inner.file.as_mut() {
            // A failed trace write loses the file's copy only; the hash is still right.
            let _ = writeln!(file, "{line}");
        }
        if inner.recent.len() == RECENT {
            inner.recent.pop_front();
        }
        inner.recent.push_back(line);
    }

    /// The hash of every line so far, as 64 hex digits.
    pub fn hash_hex(&self) -> String {
        hex::encode(self.lock().hasher.clone().finalize())
    }

    /// Lines recorded so far.
    pub fn lines(&self) -> u64 {
        self.lock().lines
    }

    /// The last lines, oldest first.
    pub fn recent(&self) -> Vec<String> {
        self.lock().recent.iter().cloned().collect()
    }

    /// Flushes the trace file.
    pub fn flush(&self) {
        if let Some(file) = self.lock().file.as_mut() {
            let _ = file.flush();
        }
    }

    /// The `tracing` layer that records the roles' events into this trace.
    pub fn layer(&self) -> RoleEvents {
        RoleEvents {
            trace: self.clone(),
        }
    }
}

/// Records every event whose target starts with `bitai` at DEBUG or above: the roles'
/// handled messages and decisions, with their fields, as `<target> <LEVEL> <message> k=v…`.
pub struct RoleEvents {
    trace: Trace,
}

impl<S: tracing::Subscriber> Layer<S> for RoleEvents {
    fn on_event(&self, event: &tracing::Event<'_>, _ctx: Context<'_, S>) {
        let meta = event.metadata();
        if !meta.target().starts_with("bitai") || *meta.level() > tracing::Level::DEBUG {
            return;
        }
        let mut fields = Fields::default();
        event.record(&mut fields);
        let module = meta.target().trim_start_matches("bitai_");
        self.trace.record(
            module,
            format_args!("{} {}{}", meta.level(), fields.message, fields.rest),
        );
    }
}

#[derive(Default)]
struct Fields {
    message: String,
    rest: String,
}

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.message, "{value:?}");
        } else {
            let _ = write!(self.rest, " {}={value:?}", field.name());
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message.push_str(value);
        } else {
            let _ = write!(self.rest, " {}={value}", field.name());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_covers_every_line_in_order() {
        let (a, b, c) = (Trace::new(None), Trace::new(None), Trace::new(None));
        a.record("x", "one");
        a.record("x", "two");
        b.record("x", "one");
        b.record("x", "two");
        c.record("x", "two");
        c.record("x", "one");
        assert_eq!(a.hash_hex(), b.hash_hex());
        assert_ne!(a.hash_hex(), c.hash_hex());
        assert_eq!(a.hash_hex().len(), 64);
        assert_eq!(a.lines(), 2);
        assert_eq!(a.recent(), vec!["0 x one", "0 x two"]);
    }
}
