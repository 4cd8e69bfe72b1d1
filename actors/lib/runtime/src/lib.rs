//! What every BitAI actor is handed when it is spawned, and the skeleton that keeps roles
//! alive: an injected [`Clock`], a seeded [`rng`], a [`supervisor`] that restarts failed
//! children, [`proxy`] actors that give each role a stable address across restarts, the
//! one way roles hand work to each other ([`handoff`]), and the cluster [`transport`] that
//! carries work between nodes.
//!
//! Nothing in an actor reads the wall clock or the OS's randomness (clippy.toml bans them);
//! the one place that bridges to real time is [`TokioClock`], and in simulation tokio's
//! paused time drives it, so the same seed gives the same run.

pub mod clock;
pub mod handoff;
#[cfg(feature = "planted-bugs")]
pub mod planted;
pub mod proxy;
pub mod rng;
pub mod sink;
pub mod supervisor;
pub mod transport;

pub use clock::{Clock, ManualClock, SharedClock, TokioClock};
pub use handoff::{HandOff, HandOffItem, HandOffOutcome};
pub use proxy::{ProxyMsg, ProxyStatus, RoleProxy, RoleRef};
pub use rng::{derive_seed, seeded_rng, SimRng};
pub use sink::{ActorSink, ChannelSink, Sink, SinkError};
pub use supervisor::{
    ChildSpec, ChildStatus, RestartPolicy, RoleHandle, RoleProbe, StateFormat, Supervisor,
    SupervisorArgs, SupervisorMsg, SwapReport, DEFAULT_VERSION, RESTART_RETRY_MS, SWAP_STEP_MS,
};
pub use transport::{Peer, PgTransport, SharedTransport, Transport, WireMessage};

#[cfg(test)]
mod tests;
