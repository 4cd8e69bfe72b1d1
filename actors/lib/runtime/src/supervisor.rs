//! The supervisor: starts each role's actor linked to itself, restarts a child that fails
//! (an error or a panic in a handler), and attaches the new actor to the role's proxy, so
//! callers never see the restart. A child that stops itself on purpose (an unrecoverable
//! condition, such as a reorg deeper than the finality depth) is not restarted: the
//! supervisor stops with that reason, and the node exits with it.
//!
//! Restarts are bounded: more than `max_restarts` within `window_ms` (by the injected clock)
//! stops the supervisor, as a crash loop is a bug to surface, not to hide.

use crate::clock::SharedClock;
use crate::proxy::{ProxyStatus, RoleRef};
use ractor::{
    Actor, ActorCell, ActorProcessingErr, ActorRef, Message, RpcReplyPort, SpawnErr,
    SupervisionEvent,
};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

type StartFuture = Pin<Box<dyn Future<Output = Result<ActorCell, SpawnErr>> + Send>>;
type StartFn = Arc<dyn Fn(ActorCell) -> StartFuture + Send + Sync>;
type DetachFn = Arc<dyn Fn() + Send + Sync>;
type ProbeFuture = Pin<Box<dyn Future<Output = Option<ProxyStatus>> + Send>>;

/// Asks a child's role proxy for its counters, waiting at most the given milliseconds (the
/// admin endpoint's view of a role: buffered, delivered, refused, attachments).
pub type RoleProbe = Arc<dyn Fn(u64) -> ProbeFuture + Send + Sync>;

/// How to start (and restart) one child.
#[derive(Clone)]
pub struct ChildSpec {
    name: String,
    /// Starts the version that runs now.
    start: StartFn,
    /// Every version compiled in, by tag (the current one included).
    versions: BTreeMap<String, StartFn>,
    detach: DetachFn,
    /// Stops the role's proxy when the supervisor itself stops.
    close: DetachFn,
    /// Reads the role proxy's counters.
    probe: RoleProbe,
    /// The implementation's version tag (what `bitai admin status` shows).
    version: String,
    /// The state formats versions declared, by tag (a version without one reads and writes
    /// whatever the others do).
    formats: BTreeMap<String, StateFormat>,
    /// Called when a swap begins, before the role is detached (a role that hands its
    /// in-memory state to the next version arms its hand-over here).
    before_swap: Option<DetachFn>,
}

/// The format of a role's persisted state that one version writes, and the formats it can
/// read. A swap to a version that cannot read the format on the store is refused by name
/// (docs/runtime-semantics.md).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateFormat {
    /// The format this version writes.
    pub writes: u32,
    /// The formats this version reads (its own among them).
    pub reads: Vec<u32>,
}

impl ChildSpec {
    /// A child implementing the role behind `role`: `make` builds a fresh actor and its
    /// arguments for every (re)start, so a restarted actor recovers from its store.
    pub fn role<A, F>(name: &str, role: RoleRef<A::Msg>, make: F) -> Self
    where
        A: Actor,
        A::Msg: Message,
        F: Fn() -> (A, A::Arguments) + Send + Sync + 'static,
    {
        let start = start_fn(role.clone(), make);
        let close_role = role.clone();
        let probe_role = role.clone();
        let detach: DetachFn = Arc::new(move || {
            let _ = role.detach();
        });
        let close: DetachFn = Arc::new(move || close_role.proxy().stop(None));
        let probe: RoleProbe = Arc::new(move |timeout_ms| {
            let role = probe_role.clone();
            Box::pin(async move { role.status(timeout_ms).await })
        });
        Self {
            name: name.to_owned(),
            versions: BTreeMap::from([(DEFAULT_VERSION.to_owned(), start.clone())]),
            start,
            detach,
            close,
            probe,
            version: DEFAULT_VERSION.to_owned(),
            formats: BTreeMap::new(),
            before_swap: None,
        }
    }

    /// The same child, calling `hook` when a swap begins (before the role's proxy buffers
    /// and the running version drains): a role that passes its in-memory state to the next
    /// version arms that hand-over here, so a crash or an ordinary stop never leaves one.
    pub fn before_swap(mut self, hook: impl Fn() + Send + Sync + 'static) -> Self {
        self.before_swap = Some(Arc::new(hook));
        self
    }

    /// The same child, version `version` declaring the state format it writes and those it
    /// reads.
    pub fn state_format(mut self, version: &str, writes: u32, reads: &[u32]) -> Self {
        let mut reads = reads.to_vec();
        if !reads.contains(&writes) {
            reads.push(writes);
        }
        reads.sort_unstable();
        self.formats
            .insert(version.to_owned(), StateFormat { writes, reads });
        self
    }

    /// The same child, its running implementation tagged `version`.
    pub fn with_version(mut self, version: &str) -> Self {
        let start = self
            .versions
            .remove(&self.version)
            .unwrap_or(self.start.clone());
        self.versions.insert(version.to_owned(), start);
        self.version = version.to_owned();
        self
    }

    /// The same child with one more implementation compiled in, tagged `version`, that an
    /// operator may swap to ([`SupervisorMsg::Swap`]): `make` builds it for the same role.
    pub fn or_version<A, F>(mut self, version: &str, role: RoleRef<A::Msg>, make: F) -> Self
    where
        A: Actor,
        A::Msg: Message,
        F: Fn() -> (A, A::Arguments) + Send + Sync + 'static,
    {
        self.versions
            .insert(version.to_owned(), start_fn(role, make));
        self
    }

    /// Every version compiled in, by tag.
    pub fn versions(&self) -> Vec<String> {
        self.versions.keys().cloned().collect()
    }

    /// The child's name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

/// How to start one implementation of the role behind `role`, attached to its proxy.
fn start_fn<A, F>(role: RoleRef<A::Msg>, make: F) -> StartFn
where
    A: Actor,
    A::Msg: Message,
    F: Fn() -> (A, A::Arguments) + Send + Sync + 'static,
{
    let make = Arc::new(make);
    Arc::new(move |supervisor: ActorCell| {
        let make = make.clone();
        let role = role.clone();
        Box::pin(async move {
            let (actor, args) = make();
            let (actor_ref, _handle) = Actor::spawn_linked(None, actor, args, supervisor).await?;
            role.attach(actor_ref.clone())
                .map_err(|e| SpawnErr::StartupFailed(format!("role proxy gone: {e}").into()))?;
            Ok(actor_ref.get_cell())
        })
    })
}

/// The version tag of a role with one implementation.
pub const DEFAULT_VERSION: &str = "v1";

/// A child as an operator sees it: its status, its version and a probe of its proxy.
#[derive(Clone)]
pub struct RoleHandle {
    /// Name, running, restarts.
    pub status: ChildStatus,
    /// The implementation's version tag.
    pub version: String,
    /// Every version compiled in.
    pub versions: Vec<String>,
    /// Reads the role proxy's counters.
    pub probe: RoleProbe,
}

/// What a swap did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SwapReport {
    /// The role.
    pub role: String,
    /// The version that ran before.
    pub from: String,
    /// The version that runs now.
    pub to: String,
    /// The pause: from the proxy's first buffered message (the detach) to the new version
    /// attached with the buffer replayed to it, in microseconds of the injected clock.
    pub pause_us: u64,
}

/// When to give up restarting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RestartPolicy {
    /// Most restarts of one child within `window_ms`.
    pub max_restarts: u32,
    /// The window, in milliseconds of the injected clock.
    pub window_ms: u64,
}

impl Default for RestartPolicy {
    fn default() -> Self {
        Self {
            max_restarts: 10,
            window_ms: 60_000,
        }
    }
}

/// Messages to the supervisor.
pub enum SupervisorMsg {
    /// Kill the named child as a crash would (fault injection); it is restarted.
    Crash(String),
    /// Report each child's state.
    Status(RpcReplyPort<Vec<ChildStatus>>),
    /// Report each child's state, version and proxy probe (the admin endpoint).
    Roles(RpcReplyPort<Vec<RoleHandle>>),
    /// Start one more child (a role created while the node runs, such as the sequencer of
    /// a newly hosted chain); answers whether it started. A name already present is
    /// refused, so a repeated request starts nothing twice.
    Start(ChildSpec, RpcReplyPort<Result<(), String>>),
    /// Stop the named child for good: it leaves the children before it stops, so its end is
    /// neither restarted nor a halt, and its role proxy stops with it. Answers whether such
    /// a child was there. (A neuron that vanishes in the simulation; a drained role.)
    Retire(String, RpcReplyPort<bool>),
    /// Try again to start the named child, whose restart failed (sent by the supervisor to
    /// itself, [`RESTART_RETRY_MS`] after the failed start).
    Retry(String),
    /// Replace the named child's implementation with version `to` while its callers go on
    /// (docs/runtime-semantics.md): the role's proxy buffers, the running actor processes
    /// every message it was handed and stops (its `post_stop` persists), version `to` starts
    /// on the same state and the buffer replays in order. A `to` that fails to start rolls
    /// back to the version that ran. Answers what was done, or why not.
    Swap {
        /// The child (role) name.
        role: String,
        /// The version to run.
        to: String,
        /// The answer.
        reply: RpcReplyPort<Result<SwapReport, String>>,
    },
}

/// How long a swap waits for each step (the proxy's answer; the old actor's drain) before
/// going on (a drain that overruns kills the old actor, as a crash would), ms.
pub const SWAP_STEP_MS: u64 = 10_000;

/// How long after a failed restart (the child's start-up itself failed: its store down for
/// a moment, say) the supervisor tries again; each try counts against the restart bound.
pub const RESTART_RETRY_MS: u64 = 1_000;

impl ractor::Message for SupervisorMsg {}

/// One child's state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChildStatus {
    /// Child name.
    pub name: String,
    /// Whether it runs now.
    pub running: bool,
    /// Restarts so far.
    pub restarts: u64,
}

struct Child {
    spec: ChildSpec,
    cell: Option<ActorCell>,
    restarts: u64,
    recent_restarts_ms: VecDeque<u64>,
    /// The state format on the role's store: the one the version that ran last writes
    /// (None when no version declared one).
    stored_format: Option<u32>,
}

impl Child {
    fn new(spec: ChildSpec, cell: ActorCell) -> Self {
        let stored_format = spec.formats.get(&spec.version).map(|f| f.writes);
        Self {
            spec,
            cell: Some(cell),
            restarts: 0,
            recent_restarts_ms: VecDeque::new(),
            stored_format,
        }
    }

    /// Why version `to` cannot take over this child's state, if it cannot.
    fn unreadable(&self, to: &str) -> Option<String> {
        let stored = self.stored_format?;
        let target = self.spec.formats.get(to)?;
        if target.reads.contains(&stored) {
            return None;
        }
        let reads: Vec<String> = target.reads.iter().map(u32::to_string).collect();
        Some(format!(
            "{} {to} cannot read state format {stored} on the store (written by {}); {to} reads {}",
            self.spec.name,
            self.spec.version,
            reads.join(", ")
        ))
    }
}

impl Child {
    fn status(&self) -> ChildStatus {
        ChildStatus {
            name: self.spec.name.clone(),
            running: self.cell.is_some(),
            restarts: self.restarts,
        }
    }
}

/// The supervisor's state.
pub struct SupervisorState {
    children: Vec<Child>,
    crash_requested: BTreeSet<String>,
    policy: RestartPolicy,
    clock: SharedClock,
    halt: Option<tokio::sync::watch::Sender<Option<String>>>,
}

/// Start-up arguments of a supervisor.
pub struct SupervisorArgs {
    /// Children, started in this order and stopped in reverse order.
    pub children: Vec<ChildSpec>,
    /// Restart bounds.
    pub policy: RestartPolicy,
    /// The injected clock (for the restart window).
    pub clock: SharedClock,
    /// Where to report why the supervisor stopped on its own (a child's deliberate stop, or
    /// the restart limit); the node's main loop watches it to exit with that reason.
    pub halt: Option<tokio::sync::watch::Sender<Option<String>>>,
}

/// The supervisor actor.
#[derive(Default)]
pub struct Supervisor;

impl SupervisorState {
    fn halt(&self, myself: &ActorRef<SupervisorMsg>, reason: String) {
        tracing::error!(%reason, "supervisor stopping");
        if let Some(halt) = &self.halt {
            let _ = halt.send(Some(reason.clone()));
        }
        myself.stop(Some(reason));
    }

    /// Counts a failure of child `i` (stopped) against the restart bound and starts it
    /// again; halts past the bound. A start that fails is not the supervisor's failure (its
    /// other children run on): it is tried again [`RESTART_RETRY_MS`] later, as one more
    /// failure.
    async fn restart(&mut self, myself: &ActorRef<SupervisorMsg>, i: usize, reason: String) {
        let now_ms = self.clock.now_ms();
        let policy = self.policy;
        let child = &mut self.children[i];
        child.recent_restarts_ms.push_back(now_ms);
        while child
            .recent_restarts_ms
            .front()
            .is_some_and(|t| now_ms.saturating_sub(*t) > policy.window_ms)
        {
            child.recent_restarts_ms.pop_front();
        }
        if child.recent_restarts_ms.len() as u32 > policy.max_restarts {
            let why = format!(
                "{} failed {} times within {} ms; last: {reason}",
                child.spec.name,
                policy.max_restarts + 1,
                policy.window_ms
            );
            self.halt(myself, why);
            return;
        }
        child.restarts += 1;
        match (child.spec.start)(myself.get_cell()).await {
            Ok(cell) => child.cell = Some(cell),
            Err(e) => {
                let name = child.spec.name.clone();
                tracing::warn!(child = %name, error = %e,
                    "child could not restart; trying again shortly");
                myself.send_after(
                    std::time::Duration::from_millis(RESTART_RETRY_MS),
                    move || SupervisorMsg::Retry(name),
                );
            }
        }
    }

    /// Swaps child `role` to version `to` (see [`SupervisorMsg::Swap`]).
    async fn swap(
        &mut self,
        myself: &ActorRef<SupervisorMsg>,
        role: &str,
        to: &str,
    ) -> Result<SwapReport, String> {
        let i = self
            .children
            .iter()
            .position(|c| c.spec.name == role)
            .ok_or_else(|| format!("no role named {role}"))?;
        let child = &mut self.children[i];
        let from = child.spec.version.clone();
        let mut report = SwapReport {
            role: role.to_owned(),
            from: from.clone(),
            to: to.to_owned(),
            pause_us: 0,
        };
        let Some(start) = child.spec.versions.get(to).cloned() else {
            return Err(format!(
                "{role} has no version {to} (compiled in: {})",
                child.spec.versions().join(", ")
            ));
        };
        if from == to && child.cell.is_some() {
            return Ok(report);
        }
        if let Some(why) = child.unreadable(to) {
            return Err(why);
        }
        let paused_at = self.clock.now_us();
        if let Some(hook) = &child.spec.before_swap {
            hook();
        }
        // The proxy buffers from here; once it answers, everything sent before went to the
        // running actor, whose drain processes it all before the actor stops.
        (child.spec.detach)();
        let _ = (child.spec.probe)(SWAP_STEP_MS).await;
        if let Some(cell) = child.cell.take() {
            let drained = cell
                .drain_and_wait(Some(std::time::Duration::from_millis(SWAP_STEP_MS)))
                .await;
            if drained.is_err() {
                cell.kill();
            }
        }
        match start(myself.get_cell()).await {
            Ok(cell) => {
                child.cell = Some(cell);
                child.spec.version = to.to_owned();
                child.spec.start = start;
                if let Some(f) = child.spec.formats.get(to) {
                    child.stored_format = Some(f.writes);
                }
                // The attach is queued behind the detach; the proxy's answer comes once the
                // buffer has been replayed to the new version.
                let _ = (child.spec.probe)(SWAP_STEP_MS).await;
                report.pause_us = self.clock.now_us().saturating_sub(paused_at);
                Ok(report)
            }
            Err(e) => {
                let back = child.spec.start.clone();
                match back(myself.get_cell()).await {
                    Ok(cell) => child.cell = Some(cell),
                    Err(e2) => {
                        tracing::warn!(child = %role, error = %e2, "rollback did not start; retrying");
                        let name = role.to_owned();
                        myself.send_after(
                            std::time::Duration::from_millis(RESTART_RETRY_MS),
                            move || SupervisorMsg::Retry(name),
                        );
                    }
                }
                Err(format!("{to} did not start ({e}); rolled back to {from}"))
            }
        }
    }

    fn index_of(&self, cell: &ActorCell) -> Option<usize> {
        let id = cell.get_id();
        self.children
            .iter()
            .position(|c| c.cell.as_ref().is_some_and(|c| c.get_id() == id))
    }
}

impl Actor for Supervisor {
    type Msg = SupervisorMsg;
    type State = SupervisorState;
    type Arguments = SupervisorArgs;

    async fn pre_start(
        &self,
        myself: ActorRef<Self::Msg>,
        args: SupervisorArgs,
    ) -> Result<Self::State, ActorProcessingErr> {
        let mut children = Vec::with_capacity(args.children.len());
        for spec in args.children {
            let cell = (spec.start)(myself.get_cell()).await?;
            tracing::info!(child = %spec.name, "started");
            children.push(Child::new(spec, cell));
        }
        Ok(SupervisorState {
            children,
            crash_requested: BTreeSet::new(),
            policy: args.policy,
            clock: args.clock,
            halt: args.halt,
        })
    }

    async fn post_stop(
        &self,
        _myself: ActorRef<Self::Msg>,
        state: &mut Self::State,
    ) -> Result<(), ActorProcessingErr> {
        // Stop children one by one, last started first, so shutdown order is deterministic;
        // their role proxies go too, so a graph stopped in a process that goes on (tests, a
        // simulated node restart) leaves no registered name behind.
        for child in state.children.iter_mut().rev() {
            if let Some(cell) = child.cell.take() {
                let _ = cell.stop_and_wait(None, None).await;
            }
            (child.spec.close)();
        }
        Ok(())
    }

    async fn handle(
        &self,
        myself: ActorRef<Self::Msg>,
        msg: Self::Msg,
        state: &mut Self::State,
    ) -> Result<(), ActorProcessingErr> {
        match msg {
            SupervisorMsg::Crash(name) => {
                if let Some(child) = state.children.iter().find(|c| c.spec.name == name) {
                    if let Some(cell) = &child.cell {
                        tracing::warn!(child = %name, "fault injection: killing");
                        state.crash_requested.insert(name.clone());
                        cell.kill();
                    }
                }
            }
            SupervisorMsg::Status(reply) => {
                let status = state.children.iter().map(Child::status).collect();
                let _ = reply.send(status);
            }
            SupervisorMsg::Roles(reply) => {
                let roles = state
                    .children
                    .iter()
                    .map(|c| RoleHandle {
                        status: c.status(),
                        version: c.spec.version.clone(),
                        versions: c.spec.versions(),
                        probe: c.spec.probe.clone(),
                    })
                    .collect();
                let _ = reply.send(roles);
            }
            SupervisorMsg::Retire(name, reply) => {
                let found = state.children.iter().position(|c| c.spec.name == name);
                if let Some(i) = found {
                    let child = state.children.remove(i);
                    if let Some(cell) = child.cell {
                        cell.stop(Some("retired".into()));
                    }
                    (child.spec.close)();
                    tracing::info!(child = %name, "retired");
                }
                let _ = reply.send(found.is_some());
            }
            SupervisorMsg::Swap { role, to, reply } => {
                let outcome = state.swap(&myself, &role, &to).await;
                match &outcome {
                    Ok(r) => tracing::info!(role = %r.role, from = %r.from, to = %r.to,
                        pause_us = r.pause_us, "swapped"),
                    Err(why) => tracing::warn!(%role, %to, %why, "swap refused"),
                }
                let _ = reply.send(outcome);
            }
            SupervisorMsg::Retry(name) => {
                // Retired meanwhile, or already running: nothing to do.
                if let Some(i) = state
                    .children
                    .iter()
                    .position(|c| c.spec.name == name && c.cell.is_none())
                {
                    state
                        .restart(&myself, i, "its restart failed".to_owned())
                        .await;
                }
            }
            SupervisorMsg::Start(spec, reply) => {
                let outcome = if state.children.iter().any(|c| c.spec.name == spec.name) {
                    Err(format!("a child named {} already runs", spec.name))
                } else {
                    match (spec.start)(myself.get_cell()).await {
                        Ok(cell) => {
                            tracing::info!(child = %spec.name, "started");
                            state.children.push(Child::new(spec, cell));
                            Ok(())
                        }
                        Err(e) => Err(format!("starting {}: {e}", spec.name)),
                    }
                };
                let _ = reply.send(outcome);
            }
        }
        Ok(())
    }

    async fn handle_supervisor_evt(
        &self,
        myself: ActorRef<Self::Msg>,
        event: SupervisionEvent,
        state: &mut Self::State,
    ) -> Result<(), ActorProcessingErr> {
        let (cell, failure) = match event {
            SupervisionEvent::ActorFailed(cell, err) => (cell, Some(err.to_string())),
            SupervisionEvent::ActorTerminated(cell, _, reason) => {
                let Some(i) = state.index_of(&cell) else {
                    return Ok(());
                };
                let name = state.children[i].spec.name.clone();
                if state.crash_requested.remove(&name) {
                    (cell, Some("killed by fault injection".to_owned()))
                } else {
                    // A deliberate stop: the child could not go on. Stop the node with it.
                    let reason = reason.unwrap_or_else(|| "stopped".to_owned());
                    tracing::error!(child = %name, %reason, "child stopped; stopping the node");
                    state.children[i].cell = None;
                    (state.children[i].spec.detach)();
                    state.halt(&myself, format!("{name} stopped: {reason}"));
                    return Ok(());
                }
            }
            _ => return Ok(()),
        };
        let Some(i) = state.index_of(&cell) else {
            return Ok(());
        };
        let child = &mut state.children[i];
        child.cell = None;
        (child.spec.detach)();
        let reason = failure.unwrap_or_default();
        tracing::warn!(child = %child.spec.name, %reason, "child failed; restarting");
        state.restart(&myself, i, reason).await;
        Ok(())
    }
}
