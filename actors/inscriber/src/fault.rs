//! Fault injection: named points in the inscriber's work where a test can make it crash (the
//! handler returns an error, the supervisor restarts the actor from its store), to show that
//! every step is recoverable. In production no injector is given and the checks cost nothing.

use std::sync::Arc;

/// A point where the inscriber can be made to crash.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum CrashPoint {
    /// A batch's pair is signed but not yet stored.
    SignedNotPersisted,
    /// The pair is stored; nothing broadcast.
    PersistedNotBroadcast,
    /// The commit is broadcast; the reveal is not.
    CommitBroadcast,
    /// The reveal is broadcast; the stage is not yet stored.
    RevealBroadcast,
    /// A block confirming a reveal is applied and stored, not yet acknowledged.
    Confirmed,
    /// A bump's new version is stored, not yet broadcast.
    BumpPersisted,
    /// A bump's first transaction is broadcast, the rest not.
    BumpBroadcast,
}

/// Decides, at each point, whether to crash there.
pub trait FaultInjector: Send + Sync + 'static {
    /// Whether to crash at `point` now.
    fn crash_at(&self, point: CrashPoint) -> bool;
}

/// A shared injector.
pub type SharedFaults = Arc<dyn FaultInjector>;
