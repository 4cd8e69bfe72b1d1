//! `bitai sim`: the deterministic simulation of the whole actor graph. One seed draws a
//! scenario ([`scenario`]); the production graph runs in one process on one single-threaded
//! tokio runtime with paused time, built by the same function `bitai devnet` uses, on the
//! in-memory store, SimBitcoin and a clock that starts at a fixed instant ([`world`]), with a
//! second independent BitAI node beside it ([`follower`]); simulated users call the node's
//! API in process ([`users`]); faults strike at seeded moments ([`inject`]); the oracles
//! ([`oracles`]) check the run as it goes; and every event lands in a hashed trace
//! ([`trace`]). The same seed and build give the same `trace_hash` in any process.
//! [`swarm`] runs many seeds in child processes. docs/simulation.md says how to use it.

pub mod cluster;
pub mod faults;
pub mod follower;
pub mod hostile;
pub mod inject;
pub mod oracles;
pub mod recording;
pub mod replay;
pub mod scenario;
pub mod swarm;
pub mod trace;
pub mod users;
pub mod world;

#[cfg(test)]
mod tests;

/// The planted bugs' switch (feature `planted-bugs` only; see docs/simulation.md).
#[cfg(feature = "planted-bugs")]
pub use bitai_runtime::planted;

use anyhow::Context;
use bitai_bitcoin::BitcoinPort;
use bitai_rpc::NodeApi;
use faults::FaultKind;
use oracles::{Oracles, Violation};
use rand::Rng;
use scenario::Scenario;
use std::time::Duration;
use trace::Trace;
use users::Users;
use world::{Proofs, World};

/// The share of the scenario's transfer rate a run with real proofs sends.
pub const REAL_PROOFS_LOAD: f64 = 0.02;

/// How long a simulated user waits before trying a refused chain creation again, ms.
const CREATE_RETRY_MS: u64 = 60_000;

/// What one run is asked to do.
#[derive(Debug, Clone)]
pub struct SimOptions {
    /// The seed.
    pub seed: u64,
    /// Bitcoin blocks the run lasts (past the premine).
    pub bitcoin_blocks: u64,
    /// The faults that may be on (the seed turns some off).
    pub faults: Vec<FaultKind>,
    /// Faults forced on with this mean gap between strikes, simulated seconds
    /// (`--fault-gaps`; empty: the seed draws every rate).
    pub fault_gaps: Vec<(FaultKind, u64)>,
    /// Which proofs.
    pub proofs: Proofs,
    /// Where to write the readable trace.
    pub trace_file: Option<std::path::PathBuf>,
    /// Show a progress bar on the terminal.
    pub progress: bool,
    /// Write the run's Bitcoin chain here as it happens ([`recording`]).
    pub record: Option<std::path::PathBuf>,
    /// Run against this recorded chain: its blocks and reorgs are the chain until it ends,
    /// then SimBitcoin mines on.
    pub replay: Option<std::path::PathBuf>,
}

impl SimOptions {
    /// The command that runs exactly this seed again.
    pub fn command(&self) -> String {
        let faults = if self.faults.len() == FaultKind::ALL.len() {
            "all".to_owned()
        } else if self.faults.is_empty() {
            "none".to_owned()
        } else {
            self.faults
                .iter()
                .map(|k| k.name())
                .collect::<Vec<_>>()
                .join(",")
        };
        let proofs = match self.proofs {
            Proofs::Sim => "sim",
            Proofs::Real => "real",
        };
        let replay = self
            .replay
            .as_ref()
            .map(|p| format!(" --replay {}", p.display()))
            .unwrap_or_default();
        let gaps = if self.fault_gaps.is_empty() {
            String::new()
        } else {
            let pairs: Vec<String> = self
                .fault_gaps
                .iter()
                .map(|(k, g)| format!("{}={g}", k.name()))
                .collect();
            format!(" --fault-gaps {}", pairs.join(","))
        };
        format!(
            "bitai sim --seed {} --bitcoin-blocks {} --faults {faults}{gaps} --proofs {proofs}{replay}",
            self.seed, self.bitcoin_blocks
        )
    }
}

/// How a run ended.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The seed.
    pub seed: u64,
    /// Bitcoin blocks mined during the run.
    pub bitcoin_blocks: u64,
    /// L2 blocks over all chains.
    pub l2_blocks: u64,
    /// Transfers seen final.
    pub transfers_final: u64,
    /// Inference requests settled.
    pub requests_settled: u64,
    /// Simulated seconds.
    pub simulated_s: u64,
    /// Wall seconds.
    pub wall_s: f64,
    /// The trace's hash.
    pub trace_hash: String,
    /// What fired (at most one: the run stops at the first).
    pub violations: Vec<Violation>,
    /// The hot swaps done (`role_swap`), as (role, from, to).
    pub swaps: Vec<(String, String, String)>,
    /// Valid transfers the node refused (a simulated user's own nonce, balance and key were
    /// right): 0 unless a fault lost or reordered one of its transfers.
    pub valid_refused: u64,
    /// Over the coordinator's role proxies at the end: messages refused for a full buffer,
    /// and messages still buffered.
    pub proxies_refused: u64,
    /// See `proxies_refused`.
    pub proxies_buffered: u64,
    /// Acknowledged transfers sent again (`user_retry`), and how many of those the node
    /// answered "already known" (4009).
    pub resubmitted: (u64, u64),
}

impl Outcome {
    /// The three closing lines `bitai sim` prints.
    pub fn closing_lines(&self) -> String {
        format!(
            "summary: seed={} bitcoin_blocks={} l2_blocks={} transfers_final={} requests_settled={} simulated_s={} wall_s={:.0}\ntrace_hash={}\nviolations={}",
            self.seed,
            self.bitcoin_blocks,
            self.l2_blocks,
            self.transfers_final,
            self.requests_settled,
            self.simulated_s,
            self.wall_s,
            self.trace_hash,
            self.violations.len()
        )
    }
}

/// Runs one seed on a fresh single-threaded runtime with paused time.
pub fn run(opts: &SimOptions) -> anyhow::Result<Outcome> {
    #[allow(clippy::disallowed_methods)] // The summary's wall time, outside the graph.
    let started = std::time::Instant::now();
    let file = match &opts.trace_file {
        Some(p) => {
            Some(std::fs::File::create(p).with_context(|| format!("creating {}", p.display()))?)
        }
        None => None,
    };
    let trace = Trace::new(file);
    let replay = match &opts.replay {
        Some(p) => Some(read_recording(p)?),
        None => None,
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .context("building the simulation's runtime")?;
    use tracing_subscriber::layer::SubscriberExt;
    let subscriber = tracing_subscriber::registry().with(trace.layer());
    let mut outcome = tracing::subscriber::with_default(subscriber, || {
        runtime.block_on(async {
            trace.start_clock();
            drive(opts, replay, &trace).await
        })
    })?;
    // Actors still parked on timers go with the runtime.
    runtime.shutdown_timeout(Duration::from_millis(100));
    trace.flush();
    outcome.trace_hash = trace.hash_hex();
    outcome.wall_s = started.elapsed().as_secs_f64();
    Ok(outcome)
}

/// What the driver schedules next.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Next {
    Replay,
    Oracle,
    Fault,
    CreateChain,
    Request,
    Transfer,
    /// A store crash is armed: look whether it struck.
    StoreCheck,
}

/// Largest recording `--replay` reads.
const MAX_RECORDING_BYTES: u64 = 1 << 31;

fn read_recording(path: &std::path::Path) -> anyhow::Result<recording::Recording> {
    let len = std::fs::metadata(path)
        .with_context(|| format!("reading {}", path.display()))?
        .len();
    anyhow::ensure!(
        len <= MAX_RECORDING_BYTES,
        "{} is {len} bytes, over the {MAX_RECORDING_BYTES}-byte limit",
        path.display()
    );
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    recording::Recording::parse(&text).with_context(|| format!("{}", path.display()))
}

async fn drive(
    opts: &SimOptions,
    replay: Option<recording::Recording>,
    trace: &Trace,
) -> anyhow::Result<Outcome> {
    let mut s = Scenario::draw(opts.seed, opts.bitcoin_blocks, &opts.faults);
    for &(kind, gap_s) in &opts.fault_gaps {
        s.faults.mean_gap_s.insert(kind, gap_s);
    }
    trace.record("scenario", format_args!("seed={} {}", s.seed, s.describe()));
    let mut player = replay.map(replay::Player::new).transpose()?;
    let mut world =
        World::start(&s, opts.proofs, player.as_ref().map(|p| p.premine()), trace).await?;
    if let Some(p) = &player {
        p.pause_mining(&world, trace);
    }
    let mut recorder = match &opts.record {
        Some(path) => Some(recording::Recorder::new(
            std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?,
            world.start_height,
        )?),
        None => None,
    };
    let mut users = Users::new(s.seed, s.invalid_share)?;
    let poc = world.config.chain.block_ops > 0;
    if poc {
        for i in 0..world.chains.len() {
            users.deploy(&world, i, trace).await;
        }
    }
    let mut injector = inject::Injector::new(s.seed, &s.faults, trace.now_ms());
    injector.chain_locked = player.is_some();
    let mut oracles = Oracles::default();
    let busy_ms = s.quiet_from() * scenario::BITCOIN_BLOCK_MS;
    let mut creations: Vec<u64> = (0..s.chains_created)
        .map(|_| users.rng().gen_range(0..busy_ms / 2))
        .collect();
    creations.sort_unstable();
    let gap = |users: &mut Users, mean_s: f64| {
        let u: f64 = users.rng().gen_range(f64::EPSILON..1.0);
        (-u.ln() * mean_s * 1_000.0) as u64 + 1
    };
    // Real proofs cost about a second of CPU per one-transfer block: fewer transfers keep a
    // run's wall time near a minute.
    let tps = match opts.proofs {
        Proofs::Sim => s.tps,
        Proofs::Real => s.tps * REAL_PROOFS_LOAD,
    };
    let mut next_transfer = gap(&mut users, 1.0 / tps);
    let mut next_request = gap(&mut users, s.request_gap_s as f64);
    let mut next_oracle = 60_000;
    let mut quiet = false;
    let mut last_tip = None;
    let bar = progress_bar(opts, s.bitcoin_blocks);
    let violation = loop {
        let tip = world.sim().tip().context("SimBitcoin's tip")?;
        let height = tip.height - world.start_height;
        bar.set_position(height.min(s.bitcoin_blocks));
        if last_tip != Some(tip.hash) {
            last_tip = Some(tip.hash);
            trace.record("bitcoin", format_args!("tip {} {}", tip.height, tip.hash));
        }
        if height >= s.bitcoin_blocks {
            break None;
        }
        if !quiet && height >= s.quiet_from() {
            quiet = true;
            injector.heal(&world, trace).await;
        }
        // A struck store crash takes the node down before anything else looks at it.
        if let Some(down_ms) = injector.store_crash_struck(&world, trace) {
            world = world.restart(down_ms, trace).await?;
            continue;
        }
        if let Some(reason) = halted(&world) {
            break Some(oracles::halt(trace, reason));
        }
        let mut due = vec![(next_oracle, Next::Oracle)];
        if injector.store_crash_armed() {
            // The node goes down within a tenth of a second of its store.
            due.push((trace.now_ms() + 100, Next::StoreCheck));
        }
        if let Some(t) = player.as_ref().and_then(|p| p.next_due_ms()) {
            due.push((t, Next::Replay));
        }
        if !quiet {
            due.push((next_transfer, Next::Transfer));
            if poc {
                due.push((next_request, Next::Request));
            }
            if let Some(&t) = creations.first() {
                due.push((t, Next::CreateChain));
            }
            if let Some(t) = injector.next_due_ms() {
                due.push((t, Next::Fault));
            }
        }
        let (at, what) = due.into_iter().min().unwrap_or((next_oracle, Next::Oracle));
        tokio::time::sleep(Duration::from_millis(at.saturating_sub(trace.now_ms()))).await;
        let now = trace.now_ms();
        match what {
            Next::Replay => {
                if let Some(p) = player.as_mut() {
                    p.play_due(now, &world, trace)?;
                }
            }
            Next::Oracle => {
                next_oracle = at + 60_000;
                if let Some(r) = recorder.as_mut() {
                    r.follow(world.sim())?;
                }
                find_models(&mut world).await;
                if let Err(v) = oracles.tick(&world, &users, trace).await {
                    break Some(v);
                }
            }
            Next::Fault => {
                injector.strike_due(now, &world, trace).await;
                for _ in 0..std::mem::take(&mut injector.retries_due) {
                    users.resubmit(&world, trace).await;
                }
                if let Some(down_ms) = injector.restart_after_ms.take() {
                    world = world.restart(down_ms, trace).await?;
                }
                if std::mem::take(&mut injector.reorged) {
                    if let Err(v) = oracles.after_reorg(&world, trace).await {
                        break Some(v);
                    }
                }
            }
            Next::CreateChain => {
                creations.remove(0);
                match world
                    .create_chain(world::Cheats::of(&s.faults), trace)
                    .await
                {
                    Ok(i) => {
                        if poc {
                            users.deploy(&world, i, trace).await;
                        }
                    }
                    // The node refused (its store is down, say): as a user would, try again
                    // later. The node may have recorded the chain before it failed; the
                    // same creation then finds it hosted (after a restart, resumed).
                    Err(e) => {
                        trace.record(
                            "world",
                            format_args!(
                                "chain creation failed ({e:#}); the user tries again in {} s",
                                CREATE_RETRY_MS / 1_000
                            ),
                        );
                        let again = now + CREATE_RETRY_MS;
                        let at = creations.partition_point(|&t| t <= again);
                        creations.insert(at, again);
                    }
                }
            }
            Next::Request => {
                next_request = at + gap(&mut users, s.request_gap_s as f64);
                users.request(&world, trace).await;
            }
            Next::Transfer => {
                next_transfer = at + gap(&mut users, 1.0 / tps);
                users.transfer(&world, trace).await;
            }
            // Looked at the top of the loop.
            Next::StoreCheck => {}
        }
    };
    let violation = match violation {
        Some(v) => Some(v),
        None => oracles.finish(&world, &users, trace).await.err(),
    };
    bar.finish_and_clear();
    let mut outcome = summarise(
        &world,
        &users,
        (&oracles, injector.struck),
        opts,
        trace,
        violation,
    )
    .await;
    outcome.swaps = std::mem::take(&mut injector.swaps);
    (outcome.proxies_refused, outcome.proxies_buffered) = proxy_counters(&world).await;
    if outcome.violations.is_empty() && s.faults.on(FaultKind::DeepReorg) && player.is_none() {
        if let Err(v) = oracles.deep_reorg(&world, trace).await {
            outcome.violations.push(v);
        }
        outcome.simulated_s = trace.now_ms() / 1_000;
    }
    if let Some(r) = recorder.as_mut() {
        r.follow(world.sim())?;
    }
    world.stop().await;
    Ok(outcome)
}

/// Messages the coordinator's role proxies refused, and those still buffered.
async fn proxy_counters(w: &World) -> (u64, u64) {
    let sup = &w.devnet.pipeline.supervisor;
    let Ok(roles) = ractor::call!(sup, bitai_runtime::SupervisorMsg::Roles) else {
        return (0, 0);
    };
    let (mut refused, mut buffered) = (0, 0);
    for role in roles {
        if let Some(p) = (role.probe)(1_000).await {
            refused += p.refused;
            buffered += p.buffered as u64;
        }
    }
    (refused, buffered)
}

/// Why a node stopped on its own, if one did.
fn halted(w: &World) -> Option<String> {
    if let Some(r) = w.devnet.pipeline.halt.borrow().clone() {
        return Some(format!("the coordinator halted: {r}"));
    }
    w.follower
        .halt
        .borrow()
        .clone()
        .map(|r| format!("the second BitAI node halted: {r}"))
}

/// Learns the id of each chain's deployed model once it is in a block.
async fn find_models(w: &mut World) {
    for i in 0..w.chains.len() {
        if w.chains[i].model.is_some() {
            continue;
        }
        if let Ok(poc) = w.api.poc_summary(w.chains[i].id).await {
            w.chains[i].model = poc.models.first().map(|m| m.id);
        }
    }
}

async fn summarise(
    w: &World,
    users: &Users,
    (oracles, struck): (&Oracles, u64),
    opts: &SimOptions,
    trace: &Trace,
    violation: Option<Violation>,
) -> Outcome {
    let s = bitai_node::pipeline::progress::snapshot(&w.devnet.pipeline).await;
    let l2_blocks = s.chains.iter().map(|c| c.head).sum();
    let mut requests_settled = 0;
    for (i, c) in w.chains.iter().enumerate() {
        let acked = users.requests.iter().filter(|r| r.chain == i).count() as u32;
        for id in 0..acked {
            if let Ok(Some(r)) = w.api.request(c.id, id).await {
                requests_settled += u64::from(r.settled);
            }
        }
    }
    let tip = w.sim().tip().map_or(0, |t| t.height);
    trace.record(
        "world",
        format_args!(
            "end: {} chains, {} transfers acked, {} refused, {} requests acked, {} faults struck, {} oracle ticks",
            w.chains.len(),
            users.transfers.len(),
            users.refused,
            users.requests.len(),
            struck,
            oracles.checks
        ),
    );
    Outcome {
        seed: opts.seed,
        bitcoin_blocks: tip.saturating_sub(w.start_height),
        l2_blocks,
        transfers_final: oracles.transfers_final(),
        requests_settled,
        simulated_s: trace.now_ms() / 1_000,
        wall_s: 0.0,
        trace_hash: String::new(),
        violations: violation.into_iter().collect(),
        swaps: Vec::new(),
        valid_refused: users.valid_refused,
        proxies_refused: 0,
        proxies_buffered: 0,
        resubmitted: (users.resubmitted, users.resubmitted_known),
    }
}

fn progress_bar(opts: &SimOptions, blocks: u64) -> indicatif::ProgressBar {
    use std::io::IsTerminal;
    if !opts.progress || !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(blocks);
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "sim seed {msg} [{bar:40}] {pos}/{len} Bitcoin blocks ({elapsed})",
    ) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(opts.seed.to_string());
    bar
}
