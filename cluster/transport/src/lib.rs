//! The node's end of `ractor_cluster`: the `[cluster]` config table, the coordinator's
//! `NodeServer` ([`start_coordinator`]; the prover-pool gateway is a supervised role of the
//! pipeline), and what a prover node needs to join one ([`start_node_server`],
//! [`wait_authenticated`]).
//!
//! What the transport guarantees (docs/design.md, "Cluster"): only the handshake is
//! authenticated (a SHA-256 challenge over the shared cookie); frames after it carry no
//! integrity check and no encryption, so a cluster without TLS (`tls_cert`, `tls_key`:
//! [`crate::tls`]) belongs on one host or a private network. A joining node with a wrong cookie sees `client_connect` succeed and the
//! server drop the session, so it must watch for an authenticated session itself
//! ([`wait_authenticated`]). A hung peer stays connected: leases are renewed by heartbeats
//! (`heartbeat_interval_ms`, `heartbeat_timeout_ms`) and taken back when they stop.

pub mod tls;

use anyhow::Context;
use ractor::{Actor, ActorRef};
pub use ractor_cluster::NodeServerMessage;
use ractor_cluster::{IncomingEncryptionMode, NodeServer};
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;
use tokio_rustls::TlsAcceptor;

/// `[cluster]`: remote prover nodes join this node over `ractor_cluster`.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct ClusterSection {
    /// Address (`IP:PORT`) of the `NodeServer` prover nodes join; empty (the default): no
    /// cluster, local provers only.
    pub listen: String,
    /// The shared secret of the handshake; required (non-empty) when `listen` is set.
    pub cookie: String,
    /// How often a remote prover heartbeats the lease it is proving, ms. Default 2,000.
    pub heartbeat_interval_ms: u64,
    /// A remote lease without a heartbeat for this long goes back to the queue, ms (a hung
    /// prover node stays connected and in its group); more than `heartbeat_interval_ms`.
    /// Default 10,000.
    pub heartbeat_timeout_ms: u64,
    /// PEM file of the coordinator's TLS certificate chain (leaf first); empty (the
    /// default): no TLS. Set together with `tls_key`; prover nodes then join with
    /// `--tls-ca` (a CA that signed this certificate) and every frame is encrypted and
    /// integrity-checked.
    pub tls_cert: String,
    /// PEM file of the private key of `tls_cert`; empty (the default): no TLS.
    pub tls_key: String,
}

impl Default for ClusterSection {
    fn default() -> Self {
        Self {
            listen: String::new(),
            cookie: String::new(),
            heartbeat_interval_ms: 2_000,
            heartbeat_timeout_ms: 10_000,
            tls_cert: String::new(),
            tls_key: String::new(),
        }
    }
}

impl ClusterSection {
    /// Whether the node listens for prover nodes.
    pub fn enabled(&self) -> bool {
        !self.listen.is_empty()
    }

    /// The TLS acceptor of `tls_cert` and `tls_key`, or `None` without TLS.
    pub fn tls_acceptor(&self) -> Result<Option<TlsAcceptor>, String> {
        match (self.tls_cert.is_empty(), self.tls_key.is_empty()) {
            (true, true) => Ok(None),
            (false, false) => {
                tls::server_acceptor(Path::new(&self.tls_cert), Path::new(&self.tls_key))
                    .map(Some)
                    .map_err(|e| format!("cluster.tls_cert/tls_key: {e}"))
            }
            _ => Err("cluster.tls_cert and cluster.tls_key are set together or not at all".into()),
        }
    }

    /// Checks the table (the listen address, a cookie when listening, the heartbeats, TLS
    /// files that exist and parse).
    pub fn check(&self) -> Result<(), String> {
        if !self.enabled() {
            if !self.tls_cert.is_empty() || !self.tls_key.is_empty() {
                return Err("cluster.tls_cert and cluster.tls_key need cluster.listen".into());
            }
            return Ok(());
        }
        self.listen
            .parse::<SocketAddr>()
            .map_err(|e| format!("cluster.listen {:?}: {e}", self.listen))?;
        if self.cookie.is_empty() {
            return Err("cluster.cookie must be set when cluster.listen is".into());
        }
        if self.heartbeat_interval_ms == 0
            || self.heartbeat_timeout_ms <= self.heartbeat_interval_ms
        {
            return Err(
                "cluster.heartbeat_timeout_ms must exceed cluster.heartbeat_interval_ms > 0".into(),
            );
        }
        self.tls_acceptor()?;
        Ok(())
    }
}

/// A running node server.
pub struct ClusterHandle {
    server: ActorRef<NodeServerMessage>,
}

impl ClusterHandle {
    /// The node server.
    pub fn server(&self) -> &ActorRef<NodeServerMessage> {
        &self.server
    }

    /// Stops the node server (closing every session).
    pub async fn stop(self) {
        let _ = self.server.stop_and_wait(None, None).await;
    }
}

/// Starts a `NodeServer` on `listen` (port 0: any free port) with `cookie`, named
/// `node_name`; with `tls`, it accepts only TLS connections.
pub async fn start_node_server(
    listen: SocketAddr,
    cookie: &str,
    node_name: &str,
    tls: Option<TlsAcceptor>,
) -> anyhow::Result<ActorRef<NodeServerMessage>> {
    anyhow::ensure!(
        !cookie.is_empty(),
        "refusing to start a cluster node without a cookie"
    );
    let server = NodeServer::new(
        listen.port(),
        cookie.to_owned(),
        node_name.to_owned(),
        listen.ip().to_string(),
        tls.map(IncomingEncryptionMode::Tls),
        None,
    )
    .with_listen_addr(listen.ip());
    let (server, _) = Actor::spawn(None, server, ())
        .await
        .with_context(|| format!("starting the cluster node server on {listen}"))?;
    Ok(server)
}

/// Starts the coordinator's end when `[cluster] listen` is set: the node server remote
/// provers join (the gateway that brings them to the pool is a supervised role of the
/// pipeline). Prints the address for the operator.
pub async fn start_coordinator(config: &ClusterSection) -> anyhow::Result<Option<ClusterHandle>> {
    if !config.enabled() {
        return Ok(None);
    }
    config.check().map_err(anyhow::Error::msg)?;
    let listen: SocketAddr = config.listen.parse().context("cluster.listen")?;
    let tls = config.tls_acceptor().map_err(anyhow::Error::msg)?;
    let with_tls = tls.is_some();
    let server = start_node_server(listen, &config.cookie, "bitai-coordinator", tls).await?;
    tracing::info!(%listen, tls = with_tls, "cluster: prover nodes may join");
    eprintln!("cluster: {listen}{}", if with_tls { " (tls)" } else { "" });
    Ok(Some(ClusterHandle { server }))
}

/// How many authenticated sessions `server` has.
pub async fn authenticated_sessions(server: &ActorRef<NodeServerMessage>) -> usize {
    ractor::call_t!(server, NodeServerMessage::GetSessions, 1_000).map_or(0, |s| s.len())
}

/// Waits up to `timeout` for an authenticated session on `server` (after `client_connect`,
/// which returns `Ok` even when the peer refuses the handshake); whether one appeared.
pub async fn wait_authenticated(server: &ActorRef<NodeServerMessage>, timeout: Duration) -> bool {
    let step = Duration::from_millis(100);
    let mut waited = Duration::ZERO;
    while waited < timeout {
        if authenticated_sessions(server).await > 0 {
            return true;
        }
        tokio::time::sleep(step).await;
        waited += step;
    }
    false
}

/// A joined node as the coordinator sees it: from its session and the name it gave
/// ([`node_name`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterNode {
    /// ractor_cluster's id of the node (the first part of its actors' ids).
    pub node_id: u64,
    /// The operator's name for it.
    pub name: String,
    /// `prover`, `neuron`, or `unknown` for a name not in the `KIND/NAME/VERSION` form.
    pub kind: String,
    /// The node's `bitai` version, or `unknown`.
    pub version: String,
    /// Its address, as the session sees it.
    pub address: String,
}

/// The cluster name a joining node gives itself: `KIND/NAME/VERSION`, which the
/// coordinator's admin endpoint reads back ([`parse_node_name`]).
pub fn node_name(kind: &str, name: &str, version: &str) -> String {
    format!("{kind}/{name}/{version}")
}

/// `(kind, name, version)` of a cluster name (ractor_cluster appends `@HOST`, which goes);
/// one not in the `KIND/NAME/VERSION` form is the name itself, of kind and version
/// `unknown`.
pub fn parse_node_name(full: &str) -> (String, String, String) {
    let full = full.rsplit_once('@').map_or(full, |(name, _host)| name);
    let parts: Vec<&str> = full.splitn(3, '/').collect();
    match parts.as_slice() {
        [kind, name, version] if !kind.is_empty() && !name.is_empty() => {
            ((*kind).into(), (*name).into(), (*version).into())
        }
        _ => ("unknown".into(), full.into(), "unknown".into()),
    }
}

/// The nodes with an authenticated session on `server`, sorted by name.
pub async fn cluster_nodes(server: &ActorRef<NodeServerMessage>) -> Vec<ClusterNode> {
    let Ok(sessions) = ractor::call_t!(server, NodeServerMessage::GetSessions, 1_000) else {
        return Vec::new();
    };
    let mut nodes: Vec<ClusterNode> = sessions
        .into_values()
        .map(|s| {
            let full = s.peer_name.map(|n| n.name).unwrap_or_default();
            let (kind, name, version) = parse_node_name(&full);
            ClusterNode {
                node_id: s.node_id,
                name,
                kind,
                version,
                address: s.peer_addr,
            }
        })
        .collect();
    nodes.sort_by(|a, b| a.name.cmp(&b.name).then(a.node_id.cmp(&b.node_id)));
    nodes
}

/// Wraps a started node server (a prover node's).
pub fn handle(server: ActorRef<NodeServerMessage>) -> ClusterHandle {
    ClusterHandle { server }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_names_carry_kind_name_and_version() {
        let full = node_name("prover", "gpu-1", "0.1.0");
        assert_eq!(full, "prover/gpu-1/0.1.0");
        assert_eq!(
            parse_node_name(&full),
            ("prover".into(), "gpu-1".into(), "0.1.0".into())
        );
        assert_eq!(
            parse_node_name("bitai-coordinator"),
            (
                "unknown".into(),
                "bitai-coordinator".into(),
                "unknown".into()
            )
        );
        assert_eq!(parse_node_name("/x/1").0, "unknown");
        assert_eq!(
            parse_node_name("neuron/n-1/0.1.0@127.0.0.1"),
            ("neuron".into(), "n-1".into(), "0.1.0".into())
        );
    }

    #[test]
    fn a_listening_cluster_needs_a_cookie_and_sane_heartbeats() {
        assert!(ClusterSection::default().check().is_ok(), "off by default");
        let on = ClusterSection {
            listen: "127.0.0.1:7400".into(),
            cookie: "secret".into(),
            ..ClusterSection::default()
        };
        assert!(on.check().is_ok());
        let no_cookie = ClusterSection {
            cookie: String::new(),
            ..on.clone()
        };
        assert!(no_cookie.check().expect_err("refused").contains("cookie"));
        let bad_addr = ClusterSection {
            listen: "localhost".into(),
            ..on.clone()
        };
        assert!(bad_addr.check().is_err());
        let bad_beats = ClusterSection {
            heartbeat_timeout_ms: 2_000,
            ..on
        };
        assert!(bad_beats.check().is_err());
    }

    #[test]
    fn tls_files_are_checked_with_the_config() {
        let dir = tempfile::tempdir().expect("temp dir");
        let on = ClusterSection {
            listen: "127.0.0.1:7400".into(),
            cookie: "secret".into(),
            ..ClusterSection::default()
        };
        let junk = dir.path().join("junk.pem");
        std::fs::write(&junk, b"not PEM").expect("write");
        let junk = junk.to_string_lossy().into_owned();
        let missing = dir
            .path()
            .join("missing.pem")
            .to_string_lossy()
            .into_owned();
        let cert_only = ClusterSection {
            tls_cert: junk.clone(),
            ..on.clone()
        };
        assert!(cert_only.check().expect_err("no key").contains("together"));
        let key_only = ClusterSection {
            tls_key: junk.clone(),
            ..on.clone()
        };
        assert!(key_only.check().expect_err("no cert").contains("together"));
        let missing_files = ClusterSection {
            tls_cert: missing.clone(),
            tls_key: missing,
            ..on.clone()
        };
        assert!(missing_files
            .check()
            .expect_err("missing")
            .contains("cannot read"));
        let not_pem = ClusterSection {
            tls_cert: junk.clone(),
            tls_key: junk.clone(),
            ..on
        };
        assert!(not_pem
            .check()
            .expect_err("not PEM")
            .contains("no certificate"));
        let without_listen = ClusterSection {
            tls_cert: junk.clone(),
            tls_key: junk,
            ..ClusterSection::default()
        };
        assert!(without_listen
            .check()
            .expect_err("no listen")
            .contains("listen"));
    }
}
