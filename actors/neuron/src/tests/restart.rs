//! Restarts: a neuron killed after committing and started again on the same store reveals
//! the committed output and is paid; a commit that reached the sequencer but not the store
//! is not committed twice; commits a sequencer lost are submitted again.

use super::harness::{chain_id, World, NEURONS, STAKE};
use crate::config::{BackendChoice, NeuronFaults};
use crate::core::NeuronCore;
use crate::metrics::NeuronMetrics;
use crate::store::NeuronStore;
use crate::tests::lenet_input;
use bitai_chain::poc::PocKind;
use std::time::Duration;

#[tokio::test(start_paused = true)]
async fn a_neuron_killed_after_committing_reveals_after_restart() {
    let mut w = World::new();
    let mut actors = Vec::new();
    for n in NEURONS {
        actors.push(w.spawn(n, NeuronFaults::default()).await);
    }
    let victim = NEURONS[1];
    let id = w.request(lenet_input(2), 600);
    let store = NeuronStore::new(w.store.clone(), &chain_id(), victim);
    // Let every neuron commit (the commits wait in the sequencer), then kill the victim.
    tokio::time::sleep(Duration::from_millis(super::harness::BLOCK_MS)).await;
    let before = store.get(id).expect("store").expect("record persisted");
    assert!(before.commit_op.is_some(), "the commit was accepted");
    actors[1].kill();
    w.cut();
    assert!(w.request_record(id).committed(usize::from(before.seat)));
    // The others reveal; the victim, down, does not.
    w.block().await;
    let r = w.request_record(id);
    assert!(!r.revealed(usize::from(before.seat)) && !r.fully_settled());
    // Back up on the same store: it reveals what it committed to.
    w.spawn(victim, NeuronFaults::default()).await;
    w.until_settled(id, 6).await;
    let after = w.chain.state().neuron(victim).expect("registered");
    assert_eq!((after.rewards, after.slashed, after.stake), (200, 0, STAKE));
    assert_eq!(w.ops_in_blocks(victim, PocKind::Commit), 1);
    assert_eq!(w.ops_in_blocks(victim, PocKind::Reveal), 1);
    assert_eq!(w.nonce(victim), 3, "register, commit, reveal: nothing else");
}

#[tokio::test(start_paused = true)]
async fn a_commit_accepted_but_not_recorded_is_not_made_twice() {
    let mut w = World::new();
    let id = w.request(lenet_input(3), 30);
    let account = NEURONS[0];
    let args = w.args(account, NeuronFaults::default());
    let registry = prometheus::Registry::new();
    let metrics = NeuronMetrics::new(&registry, &chain_id(), account).expect("metrics");
    let backend = BackendChoice::Cpu { threads: 1 }.make().expect("cpu");
    let mut core = NeuronCore::new(args, backend, metrics);
    let first = core.tick().await;
    assert_eq!((first.commits, first.errors), (1, 0), "{first:?}");
    // A crash between the sequencer's answer and the store's write loses the op id.
    let store = NeuronStore::new(w.store.clone(), &chain_id(), account);
    let mut record = store.get(id).expect("store").expect("record");
    let salt = record.salt;
    record.commit_op = None;
    store.put(&record).expect("store");
    let second = core.tick().await;
    assert_eq!((second.commits, second.errors), (0, 0), "{second:?}");
    let record = store.get(id).expect("store").expect("record");
    assert!(record.commit_op.is_some(), "the refusal counts as done");
    assert_eq!(record.salt, salt);
    assert_eq!(w.chain.pending().len(), 1, "one commit waits for the block");
    w.cut();
    assert_eq!(w.ops_in_blocks(account, PocKind::Commit), 1);
    // A chain that is down costs an error and nothing else.
    w.chain.set_unavailable(true);
    let down = core.tick().await;
    assert_eq!((down.head, down.errors), (None, 1));
    w.chain.set_unavailable(false);
    assert_eq!(core.tick().await.errors, 0);
}

#[tokio::test(start_paused = true)]
async fn commits_the_sequencer_lost_are_submitted_again() {
    let mut w = World::new();
    for n in NEURONS {
        w.spawn(n, NeuronFaults::default()).await;
    }
    let id = w.request(lenet_input(6), 90);
    tokio::time::sleep(Duration::from_millis(super::harness::BLOCK_MS)).await;
    assert_eq!(w.chain.drop_pending(), 3, "three commits lost");
    w.cut();
    w.until_settled(id, 8).await;
    let state = w.chain.state();
    for n in NEURONS {
        assert_eq!(state.neuron(n).expect("registered").rewards, 30);
        assert_eq!(w.ops_in_blocks(n, PocKind::Commit), 1);
    }
}
