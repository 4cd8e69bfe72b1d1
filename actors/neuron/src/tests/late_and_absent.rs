//! A neuron that comes up after the commit window does not commit (and the chain would refuse
//! it: reveals may be open); with two of three neurons absent the request settles, the
//! requester is refunded and the absent are slashed.

use super::harness::{chain_id, key, World, NEURONS, STAKE, USER};
use crate::config::NeuronFaults;
use crate::ops::{derive_salt, Signer};
use crate::port::NeuronPortError;
use crate::store::NeuronStore;
use crate::tests::lenet_input;
use crate::NeuronMsg;
use bitai_chain::poc::PocKind;
use std::time::Duration;

#[tokio::test(start_paused = true)]
async fn a_neuron_up_after_the_commit_window_does_not_commit() {
    let mut w = World::new();
    let late = NEURONS[2];
    for n in &NEURONS[..2] {
        w.spawn(*n, NeuronFaults::default()).await;
    }
    let id = w.request(lenet_input(4), 100);
    let deadline = w.request_record(id).commit_deadline(&w.params);
    while w.chain.head_number() < deadline {
        w.block().await;
    }
    // Reveals open at the next block: the two punctual neurons submit theirs.
    tokio::time::sleep(Duration::from_millis(super::harness::BLOCK_MS)).await;
    assert_eq!(w.chain.pending().len(), 2, "two reveals wait for the block");
    let neuron = w.spawn(late, NeuronFaults::default()).await;
    let report = ractor::call!(neuron, |reply| NeuronMsg::PollNow { reply }).expect("answers");
    assert_eq!(
        (report.assignments, report.skipped, report.commits),
        (1, 1, 0),
        "{report:?}"
    );
    let store = NeuronStore::new(w.store.clone(), &chain_id(), late);
    assert!(
        store.get(id).expect("store").is_none(),
        "nothing recorded, nothing committed"
    );
    // Forced, the commit is refused by the state transition.
    let signer = Signer {
        key: &key(late),
        chain: &chain_id(),
        account: late,
        fee: 1,
    };
    let nonce = w.chain.state().account(late).expect("account").nonce;
    let op = signer.commit(
        id,
        5u64.into(),
        derive_salt(&key(late), &chain_id(), id),
        nonce,
    );
    match w.chain.accept(op) {
        Err(NeuronPortError::Refused(reason)) => {
            assert!(reason.contains("commit window closed"), "{reason}")
        }
        other => panic!("a late commit was not refused: {other:?}"),
    }
    w.until_settled(id, 4).await;
    let state = w.chain.state();
    assert_eq!(state.neuron(late).expect("registered").slashed, 500);
    assert_eq!(state.neuron(NEURONS[0]).expect("registered").rewards, 50);
    assert_eq!(w.ops_in_blocks(late, PocKind::Commit), 0);
}

#[tokio::test(start_paused = true)]
async fn with_two_neurons_absent_the_request_refunds_the_user() {
    let mut w = World::new();
    let present = NEURONS[0];
    w.spawn(present, NeuronFaults::default()).await;
    let before = w.balance(USER);
    let id = w.request(lenet_input(5), 700);
    w.until_settled(id, 12).await;
    let r = w.request_record(id);
    assert!(!r.outcome().quorum);
    assert_eq!(
        w.balance(USER),
        before - 1,
        "all of the escrow back; the fee burned"
    );
    let state = w.chain.state();
    let kept = state.neuron(present).expect("registered");
    assert_eq!(
        (kept.stake, kept.slashed, kept.rewards),
        (STAKE, 0, 0),
        "it revealed"
    );
    for absent in &NEURONS[1..] {
        assert_eq!(state.neuron(*absent).expect("registered").slashed, 500);
    }
}
