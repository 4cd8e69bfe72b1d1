//! The swarm: many seeds, one child process each (`bitai sim --seed S …` of the running
//! binary), `jobs` at a time. Each failure is printed with the command that reproduces it;
//! the last line is `seeds=N failed=F`. With `check_determinism`, each seed runs twice, in two
//! processes, and the two trace hashes must be equal.

use std::collections::BTreeMap;
use std::process::Command;

/// What a swarm runs.
#[derive(Debug, Clone)]
pub struct SwarmOptions {
    /// The first seed.
    pub from: u64,
    /// How many seeds.
    pub seeds: u64,
    /// Child processes at a time.
    pub jobs: usize,
    /// Run each seed twice and compare trace hashes.
    pub check_determinism: bool,
    /// The per-seed arguments (`--bitcoin-blocks`, `--faults`, `--proofs`).
    pub args: Vec<String>,
}

/// One child's result.
#[derive(Debug, Clone)]
pub struct SeedResult {
    /// The seed.
    pub seed: u64,
    /// Its exit code.
    pub code: Option<i32>,
    /// Its trace hash, if it printed one.
    pub trace_hash: Option<String>,
    /// Its last lines of output.
    pub tail: String,
}

fn run_child(exe: &std::path::Path, seed: u64, args: &[String]) -> SeedResult {
    let out = Command::new(exe)
        .arg("sim")
        .arg("--seed")
        .arg(seed.to_string())
        .args(args)
        .arg("--no-progress")
        .output();
    match out {
        Ok(out) => {
            let text = String::from_utf8_lossy(&out.stdout).into_owned();
            let trace_hash = text
                .lines()
                .find_map(|l| l.strip_prefix("trace_hash="))
                .map(str::to_owned);
            let lines: Vec<&str> = text.lines().collect();
            let tail = lines[lines.len().saturating_sub(30)..].join("\n");
            let stderr = String::from_utf8_lossy(&out.stderr);
            let stderr: Vec<&str> = stderr.lines().collect();
            let tail = format!(
                "{tail}\n{}",
                stderr[stderr.len().saturating_sub(10)..].join("\n")
            );
            SeedResult {
                seed,
                code: out.status.code(),
                trace_hash,
                tail,
            }
        }
        Err(e) => SeedResult {
            seed,
            code: None,
            trace_hash: None,
            tail: format!("could not start {}: {e}", exe.display()),
        },
    }
}

/// Runs the swarm with the binary `exe`; returns how many seeds failed. Each seed's result is
/// printed as soon as its runs are done (a long swarm reports as it goes).
pub fn run(exe: &std::path::Path, opts: &SwarmOptions) -> u64 {
    let runs_per_seed = if opts.check_determinism { 2 } else { 1 };
    let work: Vec<u64> = (opts.from..opts.from + opts.seeds)
        .flat_map(|s| std::iter::repeat_n(s, runs_per_seed))
        .collect();
    let results = std::sync::Mutex::new(BTreeMap::<u64, Vec<SeedResult>>::new());
    let failed = std::sync::atomic::AtomicU64::new(0);
    let next = std::sync::atomic::AtomicUsize::new(0);
    let extra = opts.args.join(" ");
    std::thread::scope(|scope| {
        for _ in 0..opts.jobs.max(1) {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let Some(&seed) = work.get(i) else { break };
                let r = run_child(exe, seed, &opts.args);
                let mut all = results.lock().unwrap_or_else(|p| p.into_inner());
                let runs = all.entry(seed).or_default();
                runs.push(r);
                if runs.len() == runs_per_seed && !report(seed, runs, &extra) {
                    failed.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                }
            });
        }
    });
    let failed = failed.into_inner();
    println!("seeds={} failed={failed}", opts.seeds);
    failed
}

/// Prints one seed's outcome; whether it passed.
fn report(seed: u64, runs: &[SeedResult], extra: &str) -> bool {
    use std::io::Write;
    let command = format!("bitai sim --seed {seed} {extra}");
    let hashes: Vec<_> = runs.iter().map(|r| r.trace_hash.clone()).collect();
    let ok = if let Some(r) = runs.iter().find(|r| r.code != Some(0)) {
        println!(
            "seed {seed} FAILED (exit {:?}); reproduce: {command}\n{}\n",
            r.code, r.tail
        );
        false
    } else if hashes.windows(2).any(|w| w[0] != w[1] || w[0].is_none()) {
        println!(
            "seed {seed} NOT DETERMINISTIC: trace hashes {hashes:?}; reproduce: {command} (run it twice)\n"
        );
        false
    } else {
        println!(
            "seed {seed} ok trace_hash={}",
            hashes[0].clone().unwrap_or_default()
        );
        true
    };
    let _ = std::io::stdout().flush();
    ok
}
