//! The simulated network on paused time: delivery and its latency bounds, reordering, drops
//! and duplicates, one-way cuts, hung peers, departures, and the same seed giving the same
//! deliveries.

use super::*;
use bitai_runtime::{TokioClock, Transport};
use tokio::sync::mpsc;

/// A test protocol: a number, four bytes on the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Ping(u32);
impl ractor::Message for Ping {}

impl WireMessage for Ping {
    fn to_wire(&self) -> Option<Vec<u8>> {
        Some(self.0.to_le_bytes().to_vec())
    }
    fn from_wire(bytes: &[u8]) -> Result<Self, String> {
        let b: [u8; 4] = bytes.try_into().map_err(|_| "not four bytes".to_string())?;
        Ok(Ping(u32::from_le_bytes(b)))
    }
    fn label(&self) -> String {
        format!("ping {}", self.0)
    }
}

/// Passes every `Ping` it gets to the test, with the simulated time it arrived.
struct Inbox;
impl Actor for Inbox {
    type Msg = Ping;
    type State = (mpsc::UnboundedSender<(u32, u64)>, SharedClock);
    type Arguments = Self::State;
    async fn pre_start(
        &self,
        _: ActorRef<Ping>,
        state: Self::State,
    ) -> Result<Self::State, ActorProcessingErr> {
        Ok(state)
    }
    async fn handle(
        &self,
        _: ActorRef<Ping>,
        Ping(n): Ping,
        (tx, clock): &mut Self::State,
    ) -> Result<(), ActorProcessingErr> {
        tx.send((n, clock.now_ms()))?;
        Ok(())
    }
}

struct Net {
    net: SimNetwork,
    clock: SharedClock,
    /// What node `b`'s inbox got: (number, arrival ms).
    got_b: mpsc::UnboundedReceiver<(u32, u64)>,
    got_a: mpsc::UnboundedReceiver<(u32, u64)>,
}

/// Two nodes, `a` and `b`, each with one inbox in group `inbox`.
async fn two_nodes(tag: &str, seed: u64, conditions: NetConditions) -> Net {
    let clock: SharedClock = Arc::new(TokioClock::starting_at(0));
    let net = SimNetwork::start(seed, clock.clone()).await.expect("net");
    net.set_conditions(conditions);
    let mut inboxes = Vec::new();
    for node in ["a", "b"] {
        let (tx, rx) = mpsc::unbounded_channel();
        let name = format!("inbox-{tag}-{node}");
        let (actor, _) = Actor::spawn(Some(name), Inbox, (tx, clock.clone()))
            .await
            .expect("inbox");
        Transport::<Ping>::join(&net.node(node), "inbox", &actor);
        inboxes.push(rx);
    }
    let got_b = inboxes.pop().expect("b");
    let got_a = inboxes.pop().expect("a");
    Net {
        net,
        clock,
        got_b,
        got_a,
    }
}

/// `from` sends `n` to the inbox on node `to`.
fn send(net: &SimNetwork, from: &str, to: &str, n: u32) {
    let members: Vec<Peer<Ping>> = net.node(from).members("inbox");
    let peer = members
        .into_iter()
        .find(|p| p.name.starts_with(&format!("{to}/")))
        .expect("member");
    peer.link.send(Ping(n)).expect("router alive");
}

/// Everything that arrived within `ms` of simulated time.
async fn drain(rx: &mut mpsc::UnboundedReceiver<(u32, u64)>, ms: u64) -> Vec<(u32, u64)> {
    tokio::time::sleep(Duration::from_millis(ms)).await;
    let mut out = Vec::new();
    while let Ok(x) = rx.try_recv() {
        out.push(x);
    }
    out
}

const WIDE: NetConditions = NetConditions {
    latency_min_ms: 10,
    latency_max_ms: 500,
    drop_per_mille: 0,
    dup_per_mille: 0,
};

#[tokio::test(start_paused = true)]
async fn messages_arrive_within_the_latency_bounds_and_may_overtake_each_other() {
    let mut n = two_nodes("bounds", 1, WIDE).await;
    let sent_at = n.clock.now_ms();
    for i in 0..50 {
        send(&n.net, "a", "b", i);
    }
    let got = drain(&mut n.got_b, 1_000).await;
    let mut numbers: Vec<u32> = got.iter().map(|g| g.0).collect();
    assert!(
        got.iter()
            .all(|&(_, at)| (sent_at + 10..=sent_at + 500).contains(&at)),
        "{got:?}"
    );
    assert_ne!(numbers, (0..50).collect::<Vec<_>>(), "reordered");
    numbers.sort_unstable();
    assert_eq!(numbers, (0..50).collect::<Vec<_>>(), "each exactly once");
    assert_eq!(
        n.net.member_names("inbox"),
        vec![
            "a/inbox-bounds-a".to_string(),
            "b/inbox-bounds-b".to_string()
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn the_same_seed_delivers_the_same_way_and_another_seed_does_not() {
    let mut runs = Vec::new();
    for (run, seed) in [7, 7, 8].into_iter().enumerate() {
        let mut n = two_nodes(&format!("seed{run}"), seed, WIDE).await;
        for i in 0..30 {
            send(&n.net, "a", "b", i);
        }
        let got = drain(&mut n.got_b, 1_000).await;
        let start = got.iter().map(|g| g.1).min().unwrap_or(0);
        runs.push(
            got.into_iter()
                .map(|(i, at)| (i, at - start))
                .collect::<Vec<_>>(),
        );
    }
    assert_eq!(runs[0], runs[1]);
    assert_ne!(runs[0], runs[2]);
}

#[tokio::test(start_paused = true)]
async fn drops_and_duplicates_follow_their_rates() {
    let lossy = NetConditions {
        drop_per_mille: 300,
        dup_per_mille: 300,
        ..WIDE
    };
    let mut n = two_nodes("lossy", 3, lossy).await;
    for i in 0..1_000 {
        send(&n.net, "a", "b", i);
    }
    let got = drain(&mut n.got_b, 1_000).await;
    let distinct: BTreeSet<u32> = got.iter().map(|g| g.0).collect();
    // 70 % pass, and 30 % of those twice: about 700 distinct and 910 in all.
    assert!((600..800).contains(&distinct.len()), "{}", distinct.len());
    assert!((800..1_000).contains(&got.len()), "{}", got.len());
}

#[tokio::test(start_paused = true)]
async fn a_one_way_cut_a_hung_peer_and_a_departure() {
    let mut n = two_nodes("faults", 4, NetConditions::CALM).await;
    n.net.cut("a", "b");
    send(&n.net, "a", "b", 1);
    send(&n.net, "b", "a", 2);
    assert!(
        drain(&mut n.got_b, 100).await.is_empty(),
        "a no longer reaches b"
    );
    assert_eq!(drain(&mut n.got_a, 0).await.len(), 1, "b still reaches a");
    n.net.heal();
    n.net.hang("b");
    send(&n.net, "a", "b", 3);
    send(&n.net, "b", "a", 4);
    assert!(drain(&mut n.got_b, 100).await.is_empty());
    assert!(drain(&mut n.got_a, 0).await.is_empty());
    assert_eq!(
        n.net.member_names("inbox").len(),
        2,
        "a hung peer stays a member"
    );
    // A message in flight when its receiver hangs is lost too.
    n.net.heal();
    send(&n.net, "a", "b", 5);
    n.net.hang("b");
    assert!(drain(&mut n.got_b, 100).await.is_empty());
    n.net.heal();
    send(&n.net, "a", "b", 6);
    assert_eq!(drain(&mut n.got_b, 100).await.len(), 1, "healed");
    n.net.disconnect("b");
    assert_eq!(
        n.net.member_names("inbox"),
        vec!["a/inbox-faults-a".to_string()]
    );
}
