//! `bitai admin`: the operator's commands against a node's admin endpoint (`[admin] listen`,
//! bearer token from `[admin] token_file`): `status` (the node, the nodes in its cluster, its
//! roles, leases and queues; a table, or `--json`), `drain --node NAME` (a joined prover or
//! neuron node drains and leaves, as on SIGTERM), `swap --role ROLE --to VERSION` (another
//! version of a role, hot) and `token --out FILE` (a new token).
//!
//! Exit codes: 0 done; 1 the node failed or does not answer; 2 bad input (a wrong or
//! unreadable token, an unknown node, role or version, a version that cannot read the
//! role's stored state format).

use super::status::{bad_input, block_on, client_failure, failure};
use bitai_rpc::admin::{AdminStatus, AdminToken};
use bitai_rpc::{ApiError, Client, ClientError};
use clap::{Args, Subcommand};
use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

/// `bitai admin`.
#[derive(Debug, Args)]
pub struct AdminArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: AdminCommand,
}

/// Where the admin endpoint is and the token it wants.
#[derive(Debug, Args)]
pub struct Endpoint {
    /// The node's admin endpoint (`[admin] listen`).
    #[arg(
        long,
        value_name = "URL",
        env = "BITAI_ADMIN_URL",
        default_value = "http://127.0.0.1:9185"
    )]
    pub admin: String,
    /// The file holding the token (the node's `[admin] token_file`).
    #[arg(long, value_name = "FILE", env = "BITAI_ADMIN_TOKEN_FILE")]
    pub token_file: PathBuf,
}

/// The admin subcommands.
#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// The node, the nodes that joined its cluster (kind, address, version, connected,
    /// last heartbeat), its roles (version, proxy buffered, delivered, refused, restarts),
    /// the leases out and its queue depths.
    Status {
        /// The endpoint.
        #[command(flatten)]
        endpoint: Endpoint,
        /// Print the answer as JSON instead of tables.
        #[arg(long)]
        json: bool,
    },
    /// Drain a node that joined the cluster: it takes no new leases or seats, finishes or
    /// hands back what it holds, then leaves (exit 0 on the node). A replacement may join
    /// meanwhile.
    Drain {
        /// The endpoint.
        #[command(flatten)]
        endpoint: Endpoint,
        /// The node's name, as `bitai admin status` lists it.
        #[arg(long, value_name = "NAME")]
        node: String,
    },
    /// Run another version of a role, compiled into this binary, without stopping the node:
    /// the role's messages wait in its proxy while the running version finishes what it was
    /// handed and stops, and the new version starts on the same state; a version that fails
    /// to start is rolled back (exit 1, with the reason). `bitai admin status` lists each
    /// role's versions (docs/runtime-semantics.md).
    Swap {
        /// The endpoint.
        #[command(flatten)]
        endpoint: Endpoint,
        /// The role, as `bitai admin status` lists it.
        #[arg(long, value_name = "ROLE")]
        role: String,
        /// The version to run.
        #[arg(long, value_name = "VERSION")]
        to: String,
    },
    /// Write a new random token to FILE (mode 0600), for `[admin] token_file`.
    Token {
        /// Where to write it; an existing file is not overwritten.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
}

/// Runs `bitai admin`.
pub fn run(args: AdminArgs) -> ExitCode {
    match args.command {
        AdminCommand::Token { out } => write_token(&out),
        AdminCommand::Status { endpoint, json } => with_client(&endpoint, |client| async move {
            let status = client.admin_status().await.map_err(admin_failure)?;
            if json {
                let text = serde_json::to_string_pretty(&status)
                    .map_err(|e| failure(format!("encoding the status: {e}")))?;
                println!("{text}");
            } else {
                print!("{}", format_status(&status));
            }
            Ok(())
        }),
        AdminCommand::Swap { endpoint, role, to } => with_client(&endpoint, |client| async move {
            let r = client.admin_swap(&role, &to).await.map_err(admin_failure)?;
            println!(
                "{}: {} -> {} (paused {:.2} ms)",
                r.role,
                r.from,
                r.to,
                r.pause_us as f64 / 1e3
            );
            Ok(())
        }),
        AdminCommand::Drain { endpoint, node } => with_client(&endpoint, |client| async move {
            let reply = client.admin_drain(&node).await.map_err(admin_failure)?;
            println!(
                "drain sent to {} node {} at {}; it leaves once it has finished or handed back \
                 what it holds (watch `bitai admin status`)",
                reply.kind, reply.node, reply.address
            );
            Ok(())
        }),
    }
}

fn with_client<F, Fut>(endpoint: &Endpoint, work: F) -> ExitCode
where
    F: FnOnce(Client) -> Fut,
    Fut: std::future::Future<Output = Result<(), ExitCode>>,
{
    let token = match AdminToken::load(&endpoint.token_file) {
        Ok(t) => t,
        Err(e) => return bad_input(e),
    };
    let client = match Client::with_token(&endpoint.admin, &token) {
        Ok(c) => c,
        Err(e) => return client_failure(e),
    };
    match block_on(work(client)) {
        Ok(Ok(())) => ExitCode::SUCCESS,
        Ok(Err(code)) | Err(code) => code,
    }
}

fn admin_failure(e: ClientError) -> ExitCode {
    match e {
        ClientError::Unauthorized { .. }
        | ClientError::Api(ApiError::NotFound(_) | ApiError::InvalidParams(_)) => bad_input(e),
        other => client_failure(other),
    }
}

fn write_token(out: &std::path::Path) -> ExitCode {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    #[allow(clippy::disallowed_methods)] // An operator's secret: OS randomness on purpose.
    let bytes: [u8; 32] = rand::random();
    let token = hex::encode(bytes);
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(out);
    match file.and_then(|mut f| writeln!(f, "{token}")) {
        Ok(()) => {
            println!("admin token written to {}", out.display());
            ExitCode::SUCCESS
        }
        Err(e) => bad_input(format!("{}: {e}", out.display())),
    }
}

fn opt_ms(v: Option<u64>) -> String {
    v.map_or_else(|| "-".into(), |ms| format!("{:.1}s", ms as f64 / 1000.0))
}

fn opt_n(v: Option<u64>) -> String {
    v.map_or_else(|| "?".into(), |n| n.to_string())
}

/// The status as the tables `bitai admin status` prints.
pub fn format_status(s: &AdminStatus) -> String {
    let mut out = String::new();
    let n = &s.node;
    let _ = writeln!(
        out,
        "node: kind {} version {} up {} rpc {} cluster {}",
        n.kind,
        n.version,
        opt_ms(Some(n.uptime_ms)),
        n.rpc.as_deref().unwrap_or("off"),
        n.cluster.as_deref().unwrap_or("off")
    );
    let _ = writeln!(
        out,
        "\nnodes ({}):\n  {:<24} {:<8} {:<10} {:<22} {:>10} {:>10} {:>6}",
        s.nodes.len(),
        "NAME",
        "KIND",
        "VERSION",
        "ADDRESS",
        "CONNECTED",
        "HEARTBEAT",
        "LEASES"
    );
    for c in &s.nodes {
        let _ = writeln!(
            out,
            "  {:<24} {:<8} {:<10} {:<22} {:>10} {:>10} {:>6}",
            c.name,
            c.kind,
            c.version,
            c.address,
            opt_ms(Some(c.connected_ms)),
            opt_ms(c.last_heartbeat_ms),
            c.leases
        );
    }
    let _ = writeln!(
        out,
        "\nroles ({}):\n  {:<24} {:<12} {:<8} {:>8} {:>8} {:>10} {:>8}  VERSIONS",
        s.roles.len(),
        "ROLE",
        "VERSION",
        "RUNNING",
        "RESTARTS",
        "BUFFERED",
        "DELIVERED",
        "REFUSED"
    );
    for r in &s.roles {
        let _ = writeln!(
            out,
            "  {:<24} {:<12} {:<8} {:>8} {:>8} {:>10} {:>8}  {}",
            r.name,
            r.version,
            if r.running { "yes" } else { "no" },
            r.restarts,
            opt_n(r.buffered),
            opt_n(r.delivered),
            opt_n(r.refused),
            r.versions.join(",")
        );
    }
    let _ = writeln!(
        out,
        "\nleases ({}):\n  {:<8} {:<24} {:<24} {:>10}",
        s.leases.len(),
        "KIND",
        "HOLDER",
        "SUBJECT",
        "HEARTBEAT"
    );
    for l in &s.leases {
        let _ = writeln!(
            out,
            "  {:<8} {:<24} {:<24} {:>10}",
            l.kind,
            l.holder,
            l.subject,
            opt_ms(l.heartbeat_ms)
        );
    }
    let q = &s.queues;
    let _ = writeln!(
        out,
        "\nqueues: prover pending {} leased {} proved {}; mempool {}; inscriber batches {}",
        q.prover_pending, q.prover_leased, q.prover_proved, q.mempool, q.inscriber_batches
    );
    out
}
