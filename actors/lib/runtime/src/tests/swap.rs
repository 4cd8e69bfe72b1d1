//! Hot swap: a role's implementation replaced while its callers send, with nothing lost or
//! reordered; an unknown version refused with the versions compiled in; a version that fails
//! to start rolled back; a crash after a swap restarting the new version; a swap while a
//! restart is pending; a version refused by name when it cannot read the stored state format.

use crate::*;
use ractor::{Actor, ActorProcessingErr, ActorRef, RpcReplyPort};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// What the recorder's versions wrote: (sequence number, version) in processing order.
type Log = Arc<Mutex<Vec<(u64, &'static str)>>>;

enum RecMsg {
    Seq(u64),
    Fail,
    Len(RpcReplyPort<usize>),
}

impl ractor::Message for RecMsg {}

/// One implementation of the role: it logs every number with its version tag.
struct Recorder {
    log: Log,
    version: &'static str,
    /// Refuse to start while set (a store down, say).
    broken: Arc<AtomicBool>,
}

impl Actor for Recorder {
    type Msg = RecMsg;
    type State = ();
    type Arguments = ();

    async fn pre_start(&self, _: ActorRef<RecMsg>, _: ()) -> Result<(), ActorProcessingErr> {
        if self.broken.load(Ordering::SeqCst) {
            return Err("cannot read the state".into());
        }
        Ok(())
    }

    async fn handle(
        &self,
        _: ActorRef<RecMsg>,
        msg: RecMsg,
        _: &mut (),
    ) -> Result<(), ActorProcessingErr> {
        match msg {
            RecMsg::Seq(n) => self.log.lock().expect("log").push((n, self.version)),
            RecMsg::Fail => return Err("asked to fail".into()),
            RecMsg::Len(reply) => {
                let _ = reply.send(self.log.lock().expect("log").len());
            }
        }
        Ok(())
    }
}

async fn recorder_world() -> (RoleRef<RecMsg>, ActorRef<SupervisorMsg>, Log) {
    recorder_world_with(Arc::default(), |spec| spec).await
}

/// The recorder's world; `v1_broken` makes v1's starts fail while set, and `shape` adds to
/// the child's spec (state formats).
async fn recorder_world_with(
    v1_broken: Arc<AtomicBool>,
    shape: impl FnOnce(ChildSpec) -> ChildSpec,
) -> (RoleRef<RecMsg>, ActorRef<SupervisorMsg>, Log) {
    let log: Log = Arc::default();
    let role = RoleRef::<RecMsg>::spawn(None, "recorder", 100_000)
        .await
        .expect("proxy");
    let make = |version: &'static str, broken: Arc<AtomicBool>| {
        let log = log.clone();
        move || {
            (
                Recorder {
                    log: log.clone(),
                    version,
                    broken: broken.clone(),
                },
                (),
            )
        }
    };
    let never = Arc::new(AtomicBool::new(false));
    let always = Arc::new(AtomicBool::new(true));
    let spec = ChildSpec::role("recorder", role.clone(), make("v1", v1_broken))
        .with_version("v1")
        .or_version("v2", role.clone(), make("v2", never))
        .or_version("broken", role.clone(), make("broken", always));
    let spec = shape(spec);
    let args = SupervisorArgs {
        children: vec![spec],
        policy: RestartPolicy::default(),
        clock: Arc::new(TokioClock::starting_at(0)),
        halt: None,
    };
    let (supervisor, _) = Actor::spawn(None, Supervisor, args)
        .await
        .expect("supervisor");
    (role, supervisor, log)
}

async fn swap(sup: &ActorRef<SupervisorMsg>, to: &str) -> Result<SwapReport, String> {
    ractor::call!(sup, |reply| SupervisorMsg::Swap {
        role: "recorder".into(),
        to: to.into(),
        reply
    })
    .expect("the supervisor answers")
}

async fn version(sup: &ActorRef<SupervisorMsg>) -> String {
    let roles = ractor::call!(sup, SupervisorMsg::Roles).expect("roles");
    roles[0].version.clone()
}

#[tokio::test]
async fn forty_swaps_under_load_lose_and_reorder_nothing() {
    let (role, sup, log) = recorder_world().await;
    const N: u64 = 20_000;
    let sender = {
        let role = role.clone();
        tokio::spawn(async move {
            for n in 0..N {
                role.send(RecMsg::Seq(n)).expect("sent");
                if n % 200 == 0 {
                    tokio::task::yield_now().await;
                }
            }
        })
    };
    for i in 0..40 {
        let to = if i % 2 == 0 { "v2" } else { "v1" };
        let report = swap(&sup, to).await.expect("swapped");
        assert_eq!(report.to, to);
    }
    sender.await.expect("sender");
    let len = role
        .ask(RecMsg::Len, 10_000)
        .await
        .expect("the role answers");
    assert_eq!(len as u64, N, "every message processed once");
    let log = log.lock().expect("log").clone();
    let seqs: Vec<u64> = log.iter().map(|(n, _)| *n).collect();
    assert_eq!(
        seqs,
        (0..N).collect::<Vec<_>>(),
        "nothing lost or reordered"
    );
    let by_v2 = log.iter().filter(|(_, v)| *v == "v2").count();
    assert!(
        by_v2 > 0 && by_v2 < N as usize,
        "both versions served: {by_v2} by v2"
    );
    assert_eq!(
        version(&sup).await,
        "v1",
        "forty swaps end where they began"
    );
}

#[tokio::test]
async fn an_unknown_version_is_refused_and_a_failed_start_rolls_back() {
    let (role, sup, log) = recorder_world().await;
    let why = swap(&sup, "v9").await.expect_err("refused");
    assert!(
        why.contains("no version v9") && why.contains("v1, v2"),
        "{why}"
    );
    let why = swap(&sup, "broken").await.expect_err("rolled back");
    assert!(why.contains("rolled back to v1"), "{why}");
    assert_eq!(version(&sup).await, "v1");
    role.send(RecMsg::Seq(7)).expect("sent");
    assert_eq!(role.ask(RecMsg::Len, 5_000).await, Some(1), "still served");
    assert_eq!(log.lock().expect("log")[0], (7, "v1"));
    // Swapping to the version that runs changes nothing.
    assert_eq!(swap(&sup, "v1").await.expect("no-op").from, "v1");
}

#[tokio::test]
async fn a_crash_after_a_swap_restarts_the_new_version() {
    let (role, sup, log) = recorder_world().await;
    swap(&sup, "v2").await.expect("swapped");
    role.send(RecMsg::Fail).expect("sent");
    // (What was in the crashed actor's mailbox is gone: ractor drops it. Wait for the
    // restart, as the roles' own protocols do by persisting and replaying.)
    let mut restarted = false;
    for _ in 0..500 {
        let roles = ractor::call!(sup, SupervisorMsg::Roles).expect("roles");
        if roles[0].status.restarts == 1 && roles[0].status.running {
            assert_eq!(roles[0].versions, ["broken", "v1", "v2"]);
            assert_eq!(roles[0].version, "v2");
            restarted = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    }
    assert!(restarted, "the supervisor restarted the role");
    role.send(RecMsg::Seq(1)).expect("sent");
    assert_eq!(role.ask(RecMsg::Len, 5_000).await, Some(1));
    assert_eq!(log.lock().expect("log")[0], (1, "v2"), "the restart ran v2");
}

#[tokio::test]
async fn a_swap_while_a_restart_is_pending_starts_the_new_version() {
    let v1_broken = Arc::new(AtomicBool::new(false));
    let (role, sup, log) = recorder_world_with(v1_broken.clone(), |spec| spec).await;
    // v1 crashes and cannot start again (its store down, say): a retry is scheduled.
    v1_broken.store(true, Ordering::SeqCst);
    role.send(RecMsg::Fail).expect("sent");
    let mut pending = false;
    for _ in 0..500 {
        let roles = ractor::call!(sup, SupervisorMsg::Roles).expect("roles");
        if roles[0].status.restarts == 1 && !roles[0].status.running {
            pending = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    }
    assert!(pending, "v1's restart failed and waits for its retry");
    role.send(RecMsg::Seq(1)).expect("buffered meanwhile");
    let report = swap(&sup, "v2").await.expect("the swap starts v2");
    assert_eq!((report.from.as_str(), report.to.as_str()), ("v1", "v2"));
    assert_eq!(role.ask(RecMsg::Len, 5_000).await, Some(1));
    // The retry, due after RESTART_RETRY_MS, finds the role running and does nothing.
    tokio::time::sleep(std::time::Duration::from_millis(RESTART_RETRY_MS + 200)).await;
    let roles = ractor::call!(sup, SupervisorMsg::Roles).expect("roles");
    assert_eq!(roles[0].version, "v2");
    assert!(roles[0].status.running);
    assert_eq!(roles[0].status.restarts, 1, "the retry started nothing");
    assert_eq!(
        log.lock().expect("log")[0],
        (1, "v2"),
        "the buffered message went to v2"
    );
}

#[tokio::test]
async fn a_version_that_cannot_read_the_stored_format_is_refused_by_name() {
    // v1 writes format 1; v2 reads 1 and writes 2; v1 cannot read 2.
    let (role, sup, log) = recorder_world_with(Arc::default(), |spec| {
        spec.state_format("v1", 1, &[1])
            .state_format("v2", 2, &[1, 2])
    })
    .await;
    swap(&sup, "v2").await.expect("v2 reads format 1");
    role.send(RecMsg::Seq(1)).expect("sent");
    let why = swap(&sup, "v1").await.expect_err("v1 cannot read format 2");
    assert_eq!(
        why,
        "recorder v1 cannot read state format 2 on the store (written by v2); v1 reads 1"
    );
    assert_eq!(version(&sup).await, "v2", "the refusal touched nothing");
    role.send(RecMsg::Seq(2)).expect("sent");
    assert_eq!(role.ask(RecMsg::Len, 5_000).await, Some(2));
    assert_eq!(
        *log.lock().expect("log"),
        vec![(1, "v2"), (2, "v2")],
        "v2 served on without a pause"
    );
    // A version that declares no format is not checked (it shares the others').
    swap(&sup, "broken").await.expect_err("broken never starts");
    assert_eq!(version(&sup).await, "v2");
}

#[tokio::test]
async fn the_before_swap_hook_runs_once_per_swap_and_never_for_a_refused_one() {
    use std::sync::atomic::AtomicU64;
    let calls = Arc::new(AtomicU64::new(0));
    let counted = calls.clone();
    let (_role, sup, _log) = recorder_world_with(Arc::default(), move |spec| {
        spec.before_swap(move || {
            counted.fetch_add(1, Ordering::SeqCst);
        })
    })
    .await;
    swap(&sup, "v2").await.expect("swapped");
    swap(&sup, "v1").await.expect("swapped back");
    swap(&sup, "v9").await.expect_err("unknown");
    swap(&sup, "v1")
        .await
        .expect("already running: nothing to do");
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}
