//! Neurons on a neuron node, reaching their chain through the gateway over the simulated
//! cluster network (every message as bytes, in the wire protocol): a request settles as with
//! neurons beside the sequencer; an account is served by one node at a time; a node that
//! hangs loses its lease, and a node that leaves hands it back to its replacement.

use super::gateway::{ChainPorts, GatewayMetrics, LeaseBoard, NeuronGateway, NeuronGatewayArgs};
use super::{link_and_port, ClusterPort, LinkArgs, NeuronLink, NeuronTransport};
use crate::config::NeuronFaults;
use crate::port::{ChainPort, NeuronPortError};
use crate::tests::harness::{chain_id, key, World, NEURONS};
use crate::tests::lenet_input;
use crate::{register_op, Neuron};
use async_trait::async_trait;
use bitai_protocol::ChainId;
use bitai_runtime::TokioClock;
use bitai_simulation::network::SimNetwork;
use ractor::{Actor, ActorRef};
use std::sync::Arc;
use std::time::Duration;

const HEARTBEAT_MS: u64 = 200;
const TIMEOUT_MS: u64 = 1_000;

struct OneChain(Arc<crate::testing::TestChain>);

#[async_trait]
impl ChainPorts for OneChain {
    async fn port(&self, chain: &ChainId) -> Option<Arc<dyn ChainPort>> {
        (*chain == chain_id()).then(|| self.0.clone() as Arc<dyn ChainPort>)
    }
}

fn clock() -> bitai_runtime::SharedClock {
    Arc::new(TokioClock::starting_at(1_700_000_000_000))
}

/// What an operator sees of the gateway: its lease board and its metrics.
struct Operator {
    board: LeaseBoard,
    metrics: GatewayMetrics,
}

impl Operator {
    /// The links holding leases, in account order.
    fn holders(&self) -> Vec<String> {
        let board = self.board.lock().expect("board");
        board.iter().map(|l| l.link.clone()).collect()
    }
}

/// Starts the chain node's gateway, serving `w`'s chain, on `net`.
async fn gateway(net: &SimNetwork, w: &World) -> Operator {
    let metrics = GatewayMetrics::new(&prometheus::Registry::new()).expect("metrics");
    let board = LeaseBoard::default();
    let args = NeuronGatewayArgs {
        ports: Arc::new(OneChain(w.chain.clone())),
        transport: NeuronTransport::over(net.node("chain-node")),
        clock: clock(),
        heartbeat_timeout_ms: TIMEOUT_MS,
        board: board.clone(),
        metrics: Some(metrics.clone()),
    };
    Actor::spawn(None, NeuronGateway, args)
        .await
        .expect("gateway starts");
    Operator { board, metrics }
}

/// The network with the chain node's gateway on it.
async fn network(w: &World) -> SimNetwork {
    network_seen(w).await.0
}

/// The network with the chain node's gateway on it, and the operator's view of the gateway.
async fn network_seen(w: &World) -> (SimNetwork, Operator) {
    let net = SimNetwork::start(5, clock()).await.expect("network");
    let operator = gateway(&net, w).await;
    (net, operator)
}

/// A neuron node named `node` on `net` serving `accounts`: its link and its port.
async fn node(
    net: &SimNetwork,
    node: &str,
    accounts: Vec<u32>,
) -> (
    ActorRef<bitai_messages::neuron::wire::NeuronLinkMsg>,
    ClusterPort,
) {
    let (args, port): (LinkArgs, ClusterPort) = link_and_port(
        format!("{node}.link"),
        chain_id(),
        accounts,
        NeuronTransport::over(net.node(node)),
        HEARTBEAT_MS,
        TIMEOUT_MS,
    );
    let (link, _) = Actor::spawn(None, NeuronLink, args)
        .await
        .expect("link starts");
    (link, port)
}

#[tokio::test(start_paused = true)]
async fn neurons_on_a_neuron_node_settle_a_request_through_the_gateway() {
    let mut w = World::new();
    let net = network(&w).await;
    let (_link, port) = node(&net, "neuron-node-1", NEURONS.to_vec()).await;
    assert_eq!(
        port.head().await.expect("the head"),
        w.chain.head().await.expect("head")
    );
    for n in NEURONS {
        let mut args = w.args(n, NeuronFaults::default());
        args.port = Arc::new(port.clone());
        Actor::spawn(None, Neuron, args)
            .await
            .expect("neuron starts");
    }
    let id = w.request(lenet_input(1), 900);
    let blocks = w.until_settled(id, 12).await;
    assert!(blocks <= 4, "settled in {blocks} blocks");
    let outcome = w.request_record(id).outcome();
    assert!(outcome.quorum && outcome.agree == [true; 3], "{outcome:?}");
    for n in NEURONS {
        assert_eq!(w.chain.state().neuron(n).expect("registered").rewards, 300);
    }
}

#[tokio::test(start_paused = true)]
async fn an_account_is_served_by_one_node_until_it_hangs_or_leaves() {
    let w = World::new();
    let (net, operator) = network_seen(&w).await;
    let account = NEURONS[0];
    let (first, first_port) = node(&net, "neuron-node-1", vec![account]).await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    let (second, second_port) = node(&net, "neuron-node-2", vec![account]).await;
    let nonce = first_port.nonce(account).await.expect("nonce");
    // A signed op of the account from the second node is refused while the first holds it.
    let op = register_op(&key(account), &chain_id(), account, 1, nonce, 1);
    match second_port.submit(op.clone()).await {
        Err(NeuronPortError::Refused(why)) => assert!(why.contains("neuron-node-1"), "{why}"),
        other => panic!("expected a lease refusal, got {other:?}"),
    }
    assert_eq!(operator.holders(), ["neuron-node-1.link"]);
    assert!(operator.metrics.lease_conflicts.get() >= 1);
    // The first node hangs: its lease goes back after the timeout and the second's
    // heartbeats take it (the op now reaches the sequencer, which refuses it on its own
    // rules: the account is a neuron already).
    net.hang("neuron-node-1");
    tokio::time::sleep(Duration::from_millis(TIMEOUT_MS * 2)).await;
    match second_port.submit(op.clone()).await {
        Err(NeuronPortError::Refused(why)) => {
            assert!(!why.contains("neuron-node-1"), "{why}");
        }
        other => panic!("expected the chain's own refusal, got {other:?}"),
    }
    assert_eq!(operator.holders(), ["neuron-node-2.link"]);
    assert_eq!(operator.metrics.leases_expired.get(), 1);
    assert_eq!(operator.metrics.leases.get(), 1);
    // The first node comes back: the lease is the second's now.
    net.unhang("neuron-node-1");
    tokio::time::sleep(Duration::from_millis(HEARTBEAT_MS * 2)).await;
    assert!(matches!(
        first_port.submit(op.clone()).await,
        Err(NeuronPortError::Refused(why)) if why.contains("neuron-node-2")
    ));
    // A node that stops hands its lease back at once (well before the timeout), and a
    // replacement takes the account over.
    second.stop(None);
    let (_third, third_port) = node(&net, "neuron-node-3", vec![account]).await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    match third_port.submit(op).await {
        Err(NeuronPortError::Refused(why)) => assert!(!why.contains("neuron node"), "{why}"),
        other => panic!("expected the chain's own refusal, got {other:?}"),
    }
    assert_eq!(operator.holders(), ["neuron-node-3.link"]);
    let refused = operator.metrics.asks.with_label_values(&["refused"]).get();
    assert!(refused >= 4, "{refused} refused asks counted");
    first.stop(None);
}

#[tokio::test(start_paused = true)]
async fn an_ask_with_no_gateway_or_no_answer_is_unavailable() {
    let w = World::new();
    let net = SimNetwork::start(6, clock()).await.expect("network");
    let (_link, port) = node(&net, "neuron-node-1", vec![NEURONS[0]]).await;
    assert!(matches!(
        port.head().await,
        Err(NeuronPortError::Unavailable(why)) if why.contains("no neuron gateway")
    ));
    gateway(&net, &w).await;
    net.cut("chain-node", "neuron-node-1");
    assert!(matches!(
        port.head().await,
        Err(NeuronPortError::Unavailable(why)) if why.contains("no answer")
    ));
    net.heal();
    assert!(port.head().await.is_ok());
}
