//! Joining a coordinator's cluster, as prover nodes (`bitai prover run`) and neuron nodes
//! (`bitai neuron run --join`) do: the shared flags ([`JoinArgs`]), the TLS set-up, the
//! session (this node's own `NodeServer`, `client_connect` or `client_connect_enc`, then a
//! wait for the authenticated handshake) and the watch that ends the node on Ctrl-C, on
//! SIGTERM (a drain: the rolling replacement's signal) or when its session ends.
//!
//! A wrong cookie does not fail `client_connect` (the coordinator just drops the session):
//! the node waits for an authenticated session and fails with a clear message when none
//! appears within [`HANDSHAKE_TIMEOUT`]. A joined node gives the cluster its name as
//! `KIND/NAME/VERSION` (`--name`, default `KIND-PID`), and runs a control actor in group
//! `node_control` ([`bitai_messages::control`]): `bitai admin drain --node NAME` on the
//! coordinator reaches it, and the node drains exactly as on SIGTERM. With `--tls-ca` the node connects over TLS,
//! trusting only that file's certificates, so frames are encrypted and integrity-checked; a
//! TLS failure (an untrusted certificate, a wrong name, a coordinator without TLS) ends the
//! join within [`HANDSHAKE_TIMEOUT`].

use super::status::{bad_input, failure};
use bitai_messages::control::{NodeControlMsg, CONTROL_GROUP};
use bitai_runtime::{PgTransport, Transport};
use bitai_transport::ClusterHandle;
use clap::Args;
use ractor::{Actor, ActorProcessingErr, ActorRef};
use ractor_cluster::ClientConnectErr;
use rustls::pki_types::ServerName;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;
use tokio_rustls::TlsConnector;

/// How long a joining node waits for the coordinator to accept its handshake.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(5);
/// How often a running node checks that its session is still up.
const SESSION_CHECK: Duration = Duration::from_secs(1);

/// How a node joins the coordinator's cluster.
#[derive(Debug, Args, Clone)]
pub struct JoinArgs {
    /// The coordinator's `[cluster] listen` address, HOST:PORT.
    #[arg(long, value_name = "HOST:PORT")]
    pub join: Option<String>,
    /// The coordinator's `[cluster] cookie` (the handshake's shared secret); the
    /// environment variable keeps it out of the process list.
    #[arg(
        long,
        value_name = "SECRET",
        env = "BITAI_CLUSTER_COOKIE",
        hide_env_values = true,
        default_value = ""
    )]
    pub cookie: String,
    /// Address this node's own cluster server listens on (port 0: any free port).
    #[arg(long, default_value = "127.0.0.1:0")]
    pub listen: SocketAddr,
    /// Connect over TLS, trusting only the CA certificates in this PEM file (the coordinator
    /// sets `[cluster] tls_cert` and `tls_key`).
    #[arg(long, value_name = "FILE")]
    pub tls_ca: Option<PathBuf>,
    /// The name the coordinator's certificate must carry (a DNS name or an IP address;
    /// default: the host of --join). Needs --tls-ca.
    #[arg(long, value_name = "NAME", requires = "tls_ca")]
    pub tls_server_name: Option<String>,
    /// This node's name in the cluster, as `bitai admin status` lists it and
    /// `bitai admin drain --node` takes it: letters, digits, `.`, `_` and `-`, at most 64
    /// (default: the kind and the process id, e.g. `prover-4242`).
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// Serve this node's Prometheus metrics (GET /metrics) on ADDR, e.g. 127.0.0.1:9384
    /// (default: off).
    #[arg(long, value_name = "ADDR")]
    pub metrics_listen: Option<String>,
}

/// Most characters in a node name.
const MAX_NAME_CHARS: usize = 64;

/// Why `name` cannot be a node name, if it cannot.
fn check_name(name: &str) -> Result<(), String> {
    if name.is_empty() || name.len() > MAX_NAME_CHARS {
        return Err(format!("--name must have 1 to {MAX_NAME_CHARS} characters"));
    }
    if !name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
    {
        return Err(format!(
            "--name {name:?}: use letters, digits, '.', '_' and '-' only"
        ));
    }
    Ok(())
}

/// A checked join: where, with what secret, over what.
pub struct Join {
    /// The coordinator's address.
    pub coordinator: String,
    name: Option<String>,
    metrics_listen: Option<String>,
    cookie: String,
    listen: SocketAddr,
    tls: Option<(TlsConnector, ServerName<'static>)>,
}

impl JoinArgs {
    /// Checks the flags (`--join` given, a cookie, a readable CA): exit 2 on bad input.
    pub fn check(&self) -> Result<Join, ExitCode> {
        let Some(coordinator) = self.join.clone() else {
            return Err(bad_input("--join HOST:PORT is required"));
        };
        if self.cookie.is_empty() {
            return Err(bad_input("--cookie must not be empty"));
        }
        if let Some(name) = &self.name {
            check_name(name).map_err(bad_input)?;
        }
        let tls = match &self.tls_ca {
            None => None,
            Some(ca) => {
                let name = bitai_transport::tls::server_name(
                    self.tls_server_name.as_deref(),
                    &coordinator,
                );
                match bitai_transport::tls::client_connector(ca).and_then(|c| Ok((c, name?))) {
                    Ok(tls) => Some(tls),
                    Err(e) => return Err(bad_input(format!("--tls-ca: {e}"))),
                }
            }
        };
        Ok(Join {
            coordinator,
            name: self.name.clone(),
            metrics_listen: self.metrics_listen.clone(),
            cookie: self.cookie.clone(),
            listen: self.listen,
            tls,
        })
    }
}

/// A node in the coordinator's cluster: its session, its name and its control actor.
pub struct Joined {
    /// The session (this node's own node server).
    pub node: ClusterHandle,
    /// The node's name (without kind and version).
    pub name: String,
    /// The node's metrics (served on `--metrics-listen` when given).
    pub registry: prometheus::Registry,
    session_up: prometheus::IntGauge,
    control: ActorRef<NodeControlMsg>,
    drain: Arc<Notify>,
}

impl Joined {
    /// Leaves the cluster: the control actor, then the session.
    pub async fn stop(self) {
        let _ = self.control.stop_and_wait(None, None).await;
        self.node.stop().await;
    }
}

/// The control actor of a joined node: it wakes the node's session watch on a drain.
struct NodeControl;

impl Actor for NodeControl {
    type Msg = NodeControlMsg;
    type State = Arc<Notify>;
    type Arguments = Arc<Notify>;

    async fn pre_start(
        &self,
        myself: ActorRef<NodeControlMsg>,
        drain: Arc<Notify>,
    ) -> Result<Arc<Notify>, ActorProcessingErr> {
        PgTransport.join(CONTROL_GROUP, &myself);
        Ok(drain)
    }

    async fn handle(
        &self,
        _: ActorRef<NodeControlMsg>,
        msg: NodeControlMsg,
        drain: &mut Arc<Notify>,
    ) -> Result<(), ActorProcessingErr> {
        let NodeControlMsg::Drain { reason } = msg;
        tracing::info!(%reason, "drain asked by the coordinator");
        // A permit is kept until the session watch takes it: a drain is never missed.
        drain.notify_one();
        Ok(())
    }
}

impl Join {
    /// The node's name: `--name`, or `KIND-PID`.
    pub fn name(&self, kind: &str) -> String {
        self.name
            .clone()
            .unwrap_or_else(|| format!("{kind}-{}", std::process::id()))
    }

    /// Starts this node's server (named `KIND/NAME/VERSION`), connects to the coordinator,
    /// waits for the handshake and starts the node's control actor.
    pub async fn connect(self, kind: &str) -> anyhow::Result<Joined> {
        let name = self.name(kind);
        let full = bitai_transport::node_name(kind, &name, env!("CARGO_PKG_VERSION"));
        let server =
            bitai_transport::start_node_server(self.listen, &self.cookie, &full, None).await?;
        let node = bitai_transport::handle(server);
        let with_tls = self.tls.is_some();
        if let Err(e) = connect(&node, &self.coordinator, self.tls).await {
            node.stop().await;
            return Err(e);
        }
        if !bitai_transport::wait_authenticated(node.server(), HANDSHAKE_TIMEOUT).await {
            node.stop().await;
            let hint = if with_tls {
                "wrong --cookie?"
            } else {
                "wrong --cookie, or a coordinator with TLS that needs --tls-ca?"
            };
            anyhow::bail!(
                "the coordinator at {} refused the handshake within {:?} ({hint})",
                self.coordinator,
                HANDSHAKE_TIMEOUT
            );
        }
        let (registry, session_up) = match node_metrics(kind, &name, self.metrics_listen.as_deref())
        {
            Ok(m) => m,
            Err(e) => {
                node.stop().await;
                return Err(e);
            }
        };
        let drain = Arc::new(Notify::new());
        let control = match Actor::spawn(None, NodeControl, drain.clone()).await {
            Ok((control, _)) => control,
            Err(e) => {
                node.stop().await;
                anyhow::bail!("starting the node's control actor: {e}");
            }
        };
        tracing::info!(coordinator = %self.coordinator, %name, "joined the coordinator");
        Ok(Joined {
            node,
            name,
            registry,
            session_up,
            control,
            drain,
        })
    }
}

/// The node's registry, with `bitai_node_info{kind,name,version}` and
/// `bitai_node_session_up`, served on `listen` when given.
fn node_metrics(
    kind: &str,
    name: &str,
    listen: Option<&str>,
) -> anyhow::Result<(prometheus::Registry, prometheus::IntGauge)> {
    let registry = prometheus::Registry::new();
    let info = prometheus::IntGaugeVec::new(
        prometheus::Opts::new("bitai_node_info", "this node: kind, name and version"),
        &["kind", "name", "version"],
    )?;
    info.with_label_values(&[kind, name, env!("CARGO_PKG_VERSION")])
        .set(1);
    let up = prometheus::IntGauge::new(
        "bitai_node_session_up",
        "1 while the session with the coordinator is up",
    )?;
    up.set(1);
    registry.register(Box::new(info))?;
    registry.register(Box::new(up.clone()))?;
    if let Some(listen) = listen.filter(|l| !l.is_empty()) {
        let addr = bitai_node::telemetry::serve_metrics(listen, registry.clone())?;
        eprintln!("metrics: http://{addr}/metrics");
    }
    Ok((registry, up))
}

/// Opens the session with the coordinator at `join`, over TLS with `tls`. The TLS handshake
/// is bounded by [`HANDSHAKE_TIMEOUT`]: a coordinator without TLS reads the client hello as
/// a frame length and may wait for more bytes forever.
async fn connect(
    node: &ClusterHandle,
    join: &str,
    tls: Option<(TlsConnector, ServerName<'static>)>,
) -> anyhow::Result<()> {
    let Some((connector, server_name)) = tls else {
        return ractor_cluster::client_connect(node.server(), join)
            .await
            .map_err(|e| anyhow::anyhow!("cannot connect to the coordinator at {join}: {e}"));
    };
    let connecting =
        ractor_cluster::client_connect_enc(node.server(), join, connector, server_name);
    match tokio::time::timeout(HANDSHAKE_TIMEOUT, connecting).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(ClientConnectErr::Encryption(e))) => anyhow::bail!(
            "TLS handshake with the coordinator at {join} failed: {e} (a --tls-ca that did not \
             sign its certificate, a wrong --tls-server-name, or a coordinator without TLS?)"
        ),
        Ok(Err(e)) => anyhow::bail!("cannot connect to the coordinator at {join}: {e}"),
        Err(_) => anyhow::bail!(
            "TLS handshake with the coordinator at {join} got no answer within \
             {HANDSHAKE_TIMEOUT:?} (a coordinator without TLS?)"
        ),
    }
}

/// How a joined node's session ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionEnd {
    /// Ctrl-C (SIGINT): stop now.
    Interrupted,
    /// SIGTERM, or `bitai admin drain` on the coordinator: drain (finish what is in hand,
    /// hand the rest back), then stop.
    Terminated,
    /// The session with the coordinator is gone.
    Lost,
}

impl SessionEnd {
    /// The exit code: 0 for a signal, 1 for a lost session (said on stderr).
    pub fn exit_code(self) -> ExitCode {
        match self {
            SessionEnd::Interrupted | SessionEnd::Terminated => ExitCode::SUCCESS,
            SessionEnd::Lost => failure("lost the connection to the coordinator"),
        }
    }
}

/// Waits for Ctrl-C, SIGTERM, a drain from the coordinator's operator or the end of the
/// session with the coordinator; `who` names the node in its messages, and `ready` says when
/// the gateway it serves is in reach (it is announced once).
pub async fn watch_session(joined: &Joined, who: &str, ready: impl Fn() -> bool) -> SessionEnd {
    let node = &joined.node;
    let mut terminate =
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    let mut seen_gateway = false;
    loop {
        tokio::select! {
            biased;
            _ = tokio::signal::ctrl_c() => {
                eprintln!("{who}: interrupted");
                return SessionEnd::Interrupted;
            }
            Some(()) = async {
                match terminate.as_mut() {
                    Some(t) => t.recv().await,
                    None => std::future::pending().await,
                }
            } => {
                eprintln!("{who}: terminated; draining");
                return SessionEnd::Terminated;
            }
            () = joined.drain.notified() => {
                eprintln!("{who}: drain asked by the coordinator; draining");
                return SessionEnd::Terminated;
            }
            () = tokio::time::sleep(SESSION_CHECK) => {}
        }
        if bitai_transport::authenticated_sessions(node.server()).await == 0 {
            joined.session_up.set(0);
            return SessionEnd::Lost;
        }
        if !seen_gateway && ready() {
            seen_gateway = true;
            tracing::info!("the coordinator's gateway is in reach");
            eprintln!("{who}: ready");
        }
    }
}
