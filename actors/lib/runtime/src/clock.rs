//! Clocks. Actors ask a [`Clock`] for the time in milliseconds since the Unix epoch and
//! schedule their timers with tokio, whose time is paused and auto-advanced in simulation.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// The time source an actor is given.
pub trait Clock: Send + Sync + 'static {
    /// Milliseconds since the Unix epoch, as this world sees it.
    fn now_ms(&self) -> u64;

    /// Microseconds since the Unix epoch, for measuring short spans (a hot swap's pause);
    /// clocks without the resolution answer `now_ms() * 1000`.
    fn now_us(&self) -> u64 {
        self.now_ms().saturating_mul(1_000)
    }
}

/// A shared clock handle.
pub type SharedClock = Arc<dyn Clock>;

/// Unix time derived from tokio's clock: `base_unix_ms` at the moment of creation, plus the
/// tokio time elapsed since. Under a paused tokio runtime (simulation) it advances only as
/// the runtime auto-advances, deterministically; in production it is real time.
#[derive(Debug, Clone)]
pub struct TokioClock {
    base_instant: tokio::time::Instant,
    base_unix_ms: u64,
}

impl TokioClock {
    /// A clock that reads `base_unix_ms` now. Must be created inside a tokio runtime.
    #[allow(clippy::disallowed_methods)] // The one bridge to tokio's (possibly paused) time.
    pub fn starting_at(base_unix_ms: u64) -> Self {
        Self {
            base_instant: tokio::time::Instant::now(),
            base_unix_ms,
        }
    }

    /// A clock that reads the real Unix time now (production start-up only).
    #[allow(clippy::disallowed_methods)] // Production start-up reads the wall clock once.
    pub fn real() -> Self {
        let unix_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0);
        Self::starting_at(unix_ms)
    }
}

impl Clock for TokioClock {
    #[allow(clippy::disallowed_methods)] // See TokioClock::starting_at.
    fn now_ms(&self) -> u64 {
        let elapsed = tokio::time::Instant::now().saturating_duration_since(self.base_instant);
        self.base_unix_ms.saturating_add(elapsed.as_millis() as u64)
    }

    #[allow(clippy::disallowed_methods)] // See TokioClock::starting_at.
    fn now_us(&self) -> u64 {
        let elapsed = tokio::time::Instant::now().saturating_duration_since(self.base_instant);
        self.base_unix_ms
            .saturating_mul(1_000)
            .saturating_add(elapsed.as_micros() as u64)
    }
}

/// A clock moved only by hand, for unit tests of code that reads time but sets no timers.
#[derive(Debug, Clone, Default)]
pub struct ManualClock {
    now_ms: Arc<AtomicU64>,
}

impl ManualClock {
    /// A clock reading `now_ms`.
    pub fn new(now_ms: u64) -> Self {
        Self {
            now_ms: Arc::new(AtomicU64::new(now_ms)),
        }
    }

    /// Sets the time.
    pub fn set(&self, now_ms: u64) {
        self.now_ms.store(now_ms, Ordering::SeqCst);
    }

    /// Moves the time forward.
    pub fn advance(&self, by_ms: u64) {
        self.now_ms.fetch_add(by_ms, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now_ms(&self) -> u64 {
        self.now_ms.load(Ordering::SeqCst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn tokio_clock_follows_paused_time() {
        let clock = TokioClock::starting_at(1_000);
        assert_eq!(clock.now_ms(), 1_000);
        tokio::time::sleep(std::time::Duration::from_secs(600)).await;
        assert_eq!(clock.now_ms(), 601_000);
    }

    #[test]
    fn manual_clock_moves_by_hand() {
        let clock = ManualClock::new(5);
        clock.advance(10);
        assert_eq!(clock.now_ms(), 15);
        clock.set(3);
        assert_eq!(clock.now_ms(), 3);
    }
}
