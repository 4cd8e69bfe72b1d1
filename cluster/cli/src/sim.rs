//! `bitai sim`: one seed of the deterministic whole-graph simulation, or a swarm of seeds in
//! child processes. The simulation itself is `bitai_sim`; docs/simulation.md explains runs,
//! traces, replays and how to add faults and oracles.

use bitai_sim::faults::{parse_gaps, parse_list, FaultKind};
use bitai_sim::swarm::{self, SwarmOptions};
use bitai_sim::world::Proofs;
use bitai_sim::SimOptions;
use clap::{Args, ValueEnum};
use std::path::PathBuf;
use std::process::ExitCode;

/// Run the whole actor graph under one seed, deterministically, with faults and oracles.
///
/// One process, one single-threaded tokio runtime with paused time: the production graph
/// (`bitai devnet`'s own start-up function) on SimBitcoin, the embedded DA and the in-memory
/// store, several AI chains (some created during the run) with their neurons, prover nodes
/// joined through a simulated cluster network (seeded latency, drops, duplicates,
/// partitions, hung peers), a second independent BitAI node, and simulated users sending valid and invalid transfers,
/// deploying models and requesting inferences. The seed draws everything, the scenario's
/// shape and which faults strike how often included. Oracles check the run as it goes; the
/// last three lines are the summary, `trace_hash=…` and `violations=N`.
///
/// Examples: `bitai sim --seed 7` (one simulated day, 144 Bitcoin blocks, all faults);
/// `bitai sim --seed 7 --trace t.txt` (write the trace to diff); `bitai sim --seed 7
/// --record chain.txt` then `bitai sim --seed 7 --replay chain.txt` (a recorded chain);
/// `bitai sim --seeds 100 --jobs 2` (a swarm); `bitai sim --seeds 10 --check-determinism`.
///
/// Exit codes: 0 no violation (every seed, for a swarm); 1 an oracle fired (or a seed of
/// the swarm failed, or ran twice with different trace hashes); 2 bad usage.
#[derive(Debug, Args)]
pub struct SimArgs {
    /// The seed of one run.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Bitcoin blocks the run lasts, at ten simulated minutes each (at least 30: the last 24
    /// are the quiet phase in which every fault is healed and everything must settle).
    #[arg(long, default_value_t = 144)]
    pub bitcoin_blocks: u64,
    /// Faults that may strike: `all`, `none`, or a comma-separated list of panic, crash,
    /// reorg, deep_reorg, fee_spike, evict, neuron_cheat, neuron_copy, neuron_vanish, bad_proof,
    /// hostile_envelope, hung_prover, lying_prover, role_swap (a hot swap), user_retry (a user
    /// sends an acknowledged transfer again), and on the cluster
    /// network net_loss, partition, hung_peer, node_churn, node_drain, and on the
    /// coordinator's store store_write, store_crash (docs/simulation.md says what each does).
    /// The seed turns some off and draws how often the rest strike.
    #[arg(long, default_value = "all")]
    pub faults: String,
    /// Force faults on at a mean gap of your choosing: comma-separated `KIND=SECONDS` pairs
    /// of simulated seconds between strikes, for example `role_swap=60` (a swap a minute).
    /// The seed still draws every other rate.
    #[arg(long, default_value = "")]
    pub fault_gaps: String,
    /// `sim`: the simulation-only proof system through the same verifier paths (sweeps);
    /// `real`: Groth16 on a one-transfer block shape with seeded prover randomness.
    #[arg(long, value_enum, default_value_t = ProofsArg::Sim)]
    pub proofs: ProofsArg,
    /// Write the readable trace here (one event per line, diffable between runs).
    #[arg(long)]
    pub trace: Option<PathBuf>,
    /// Run a swarm of this many seeds instead of one, in child processes.
    #[arg(long)]
    pub seeds: Option<u64>,
    /// The swarm's first seed.
    #[arg(long, default_value_t = 1)]
    pub from: u64,
    /// Swarm child processes at a time.
    #[arg(long, default_value_t = 2)]
    pub jobs: usize,
    /// Run every seed of the swarm twice, in two processes, and compare trace hashes.
    #[arg(long)]
    pub check_determinism: bool,
    /// Write the run's Bitcoin chain to this file as it happens (one raw block in hex per
    /// line, with reorg directives; docs/simulation.md gives the format).
    #[arg(long)]
    pub record: Option<PathBuf>,
    /// Run against a recorded chain: its blocks and scripted reorgs are the chain until the
    /// file ends, then SimBitcoin mines on from its tip.
    #[arg(long)]
    pub replay: Option<PathBuf>,
    /// No progress bar.
    #[arg(long)]
    pub no_progress: bool,
}

/// The proof system of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ProofsArg {
    /// Simulation-only proofs.
    Sim,
    /// Real Groth16 proofs.
    Real,
}

/// Runs `bitai sim`.
pub fn run(args: SimArgs) -> ExitCode {
    let faults: Vec<FaultKind> = match parse_list(&args.faults) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: --faults: {e}");
            return ExitCode::from(crate::EXIT_BAD_INPUT);
        }
    };
    let fault_gaps = match parse_gaps(&args.fault_gaps) {
        Ok(g) => g,
        Err(e) => {
            eprintln!("error: --fault-gaps: {e}");
            return ExitCode::from(crate::EXIT_BAD_INPUT);
        }
    };
    let proofs = match args.proofs {
        ProofsArg::Sim => Proofs::Sim,
        ProofsArg::Real => Proofs::Real,
    };
    if let Some(seeds) = args.seeds {
        return run_swarm(&args, seeds);
    }
    let opts = SimOptions {
        seed: args.seed,
        bitcoin_blocks: args.bitcoin_blocks,
        faults,
        fault_gaps,
        proofs,
        trace_file: args.trace.clone(),
        progress: !args.no_progress,
        record: args.record.clone(),
        replay: args.replay.clone(),
    };
    let outcome = match bitai_sim::run(&opts) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("error: the simulation could not run: {e:#}");
            println!("reproduce: {}", opts.command());
            return ExitCode::from(crate::EXIT_FAILURE);
        }
    };
    for v in &outcome.violations {
        println!("VIOLATION: oracle {} at simulated {} ms", v.oracle, v.at_ms);
        println!("  {}", v.detail);
        println!("events before it:");
        for line in &v.recent {
            println!("  {line}");
        }
        println!("reproduce: {}", opts.command());
    }
    println!("{}", outcome.closing_lines());
    if outcome.violations.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(crate::EXIT_FAILURE)
    }
}

fn run_swarm(args: &SimArgs, seeds: u64) -> ExitCode {
    let exe = match std::env::current_exe() {
        Ok(e) => e,
        Err(e) => {
            eprintln!("error: finding this binary: {e}");
            return ExitCode::from(crate::EXIT_FAILURE);
        }
    };
    let proofs = match args.proofs {
        ProofsArg::Sim => "sim",
        ProofsArg::Real => "real",
    };
    let opts = SwarmOptions {
        from: args.from,
        seeds,
        jobs: args.jobs,
        check_determinism: args.check_determinism,
        args: vec![
            "--bitcoin-blocks".into(),
            args.bitcoin_blocks.to_string(),
            "--faults".into(),
            args.faults.clone(),
            "--fault-gaps".into(),
            args.fault_gaps.clone(),
            "--proofs".into(),
            proofs.into(),
        ],
    };
    if swarm::run(&exe, &opts) == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(crate::EXIT_FAILURE)
    }
}
