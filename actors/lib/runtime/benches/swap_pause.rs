//! The pause of a hot swap under load: a role receives a stamped message every 100 µs
//! (10,000 a second, paced by the clock) while the supervisor swaps it between two versions,
//! `--swaps` times (default 200, one every 20 ms). For each swap: how long the supervisor's
//! swap took (proxy detached, old version drained, new one started, buffer replayed: the
//! longest a message can wait in the buffer), and, over the swaps during which messages were
//! sent, the worst latency, send to handled, of those messages (what a caller felt).
//! Reported as p50, p99 and max; every message is checked handled once and in order.
//!
//! `cargo bench -p bitai-runtime --bench swap_pause -- [--swaps N]`

#![allow(clippy::disallowed_methods)] // Wall-clock timing is the measurement.

use bitai_runtime::{
    ChildSpec, RestartPolicy, RoleRef, Supervisor, SupervisorArgs, SupervisorMsg, TokioClock,
};
use ractor::{Actor, ActorProcessingErr, ActorRef};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// (sequence number, sent at, handled at).
type Log = Arc<Mutex<Vec<(u64, Instant, Instant)>>>;

struct Stamp(u64, Instant);
impl ractor::Message for Stamp {}

struct Recorder(Log);

impl Actor for Recorder {
    type Msg = Stamp;
    type State = ();
    type Arguments = ();

    async fn pre_start(&self, _: ActorRef<Stamp>, _: ()) -> Result<(), ActorProcessingErr> {
        Ok(())
    }

    async fn handle(
        &self,
        _: ActorRef<Stamp>,
        Stamp(n, sent): Stamp,
        _: &mut (),
    ) -> Result<(), ActorProcessingErr> {
        self.0.lock().expect("log").push((n, sent, Instant::now()));
        Ok(())
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let swaps = arg("--swaps", 200);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(run(swaps));
}

async fn run(swaps: usize) {
    let log: Log = Arc::default();
    let role = RoleRef::<Stamp>::spawn(None, "recorder", 1_000_000)
        .await
        .expect("proxy");
    let make = || {
        let log = log.clone();
        move || (Recorder(log.clone()), ())
    };
    let spec = ChildSpec::role("recorder", role.clone(), make())
        .with_version("v1")
        .or_version("v2", role.clone(), make());
    let args = SupervisorArgs {
        children: vec![spec],
        policy: RestartPolicy::default(),
        clock: Arc::new(TokioClock::real()),
        halt: None,
    };
    let (sup, _) = Actor::spawn(None, Supervisor, args)
        .await
        .expect("supervisor");
    let stop = Arc::new(AtomicBool::new(false));
    let sender = {
        let (role, stop) = (role.clone(), stop.clone());
        tokio::spawn(async move {
            let (mut n, start) = (0u64, Instant::now());
            while !stop.load(Ordering::Relaxed) {
                let due = (start.elapsed().as_micros() / 100) as u64;
                while n < due {
                    role.send(Stamp(n, Instant::now())).expect("sent");
                    n += 1;
                }
                tokio::task::yield_now().await;
            }
            n
        })
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut windows = Vec::with_capacity(swaps);
    for i in 0..swaps {
        let to = if i % 2 == 0 { "v2" } else { "v1" };
        let start = Instant::now();
        ractor::call!(sup, |reply| SupervisorMsg::Swap {
            role: "recorder".into(),
            to: to.into(),
            reply
        })
        .expect("the supervisor answers")
        .expect("swapped");
        windows.push((start, Instant::now()));
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    stop.store(true, Ordering::Relaxed);
    let sent = sender.await.expect("sender");
    for _ in 0..1_000 {
        if log.lock().expect("log").len() as u64 >= sent {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let log = log.lock().expect("log").clone();
    let seqs: Vec<u64> = log.iter().map(|(n, _, _)| *n).collect();
    assert_eq!(
        seqs,
        (0..sent).collect::<Vec<_>>(),
        "every message once, in order"
    );
    let mut swap_times: Vec<Duration> = windows.iter().map(|(a, b)| *b - *a).collect();
    let mut felt: Vec<Duration> = windows
        .iter()
        .filter_map(|(a, b)| {
            log.iter()
                .filter(|(_, sent, _)| sent >= a && sent <= b)
                .map(|(_, sent, handled)| *handled - *sent)
                .max()
        })
        .collect();
    let with_messages = felt.len();
    let mut all: Vec<Duration> = log.iter().map(|(_, s, h)| *h - *s).collect();
    swap_times.sort();
    felt.sort();
    all.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "{sent} messages (10,000 a second), {swaps} swaps between v1 and v2 ({with_messages} \
         with messages sent during them): none lost or reordered"
    );
    for (what, v) in [
        ("swap (detach, drain, start, replay)", &swap_times),
        ("worst latency of the messages sent during a swap", &felt),
        ("latency of every message", &all),
    ] {
        println!(
            "{what}: p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms",
            ms(percentile(v, 0.5)),
            ms(percentile(v, 0.99)),
            ms(*v.last().expect("samples"))
        );
    }
}
