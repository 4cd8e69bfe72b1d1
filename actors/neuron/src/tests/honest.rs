//! Three honest neurons settle a request and are paid; a cheating one is slashed while the
//! two honest ones split the fee; a request with a bad input is refused alike by all three,
//! who are paid for it.

use super::harness::{World, BALANCE, NEURONS, STAKE};
use crate::config::NeuronFaults;
use crate::output::{canonical_output, CanonicalOutput, Refusal};
use crate::tests::{lenet, lenet_input};
use bitai_chain::poc::{output_digest, PocKind};
use bitai_kernels::CpuBackend;

#[tokio::test(start_paused = true)]
async fn three_honest_neurons_commit_reveal_and_are_paid() {
    let mut w = World::new();
    // The first neuron reports to a registry the test reads.
    let registry = prometheus::Registry::new();
    let mut args = w.args(NEURONS[0], NeuronFaults::default());
    args.registry = Some(registry.clone());
    ractor::Actor::spawn(None, crate::Neuron, args)
        .await
        .expect("neuron starts");
    for n in &NEURONS[1..] {
        w.spawn(*n, NeuronFaults::default()).await;
    }
    let input = lenet_input(0);
    let id = w.request(input.clone(), 900);
    let blocks = w.until_settled(id, 12).await;
    assert!(
        blocks <= 3,
        "commit, reveal and settle take {blocks} blocks"
    );
    let r = w.request_record(id);
    let outcome = r.outcome();
    assert!(outcome.quorum && outcome.agree == [true; 3], "{outcome:?}");
    let backend = CpuBackend::new(1).expect("pool");
    let expected = canonical_output(lenet(), &input, &backend).expect("runs");
    assert_eq!(outcome.result, Some(output_digest(&expected)));
    let state = w.chain.state();
    for n in NEURONS {
        let record = state.neuron(n).expect("registered");
        assert_eq!(
            (record.rewards, record.slashed, record.stake),
            (300, 0, STAKE)
        );
        // Registration, commit and reveal each paid a fee of 1; the stake is locked.
        assert_eq!(w.balance(n), BALANCE - STAKE - 3 + 300);
        assert_eq!(w.ops_in_blocks(n, PocKind::Commit), 1);
        assert_eq!(w.ops_in_blocks(n, PocKind::Reveal), 1);
    }
    // The reveals carry the canonical output itself.
    let revealed: Vec<_> = w
        .chain
        .history()
        .into_iter()
        .filter_map(|(_, op)| match op {
            bitai_chain::poc::PocOp::Signed(s) if s.tx.kind == PocKind::Reveal => Some(s.payload),
            _ => None,
        })
        .collect();
    assert_eq!(revealed, vec![expected.clone(); 3]);
    let metric = |name: &str| {
        registry
            .gather()
            .iter()
            .find(|f| f.get_name() == name)
            .map(|f| f.get_metric()[0].get_counter().get_value())
    };
    assert_eq!(metric("neuron_commits_total"), Some(1.0));
    assert_eq!(metric("neuron_reveals_total"), Some(1.0));
    // Once settled, the neurons forget the request.
    w.block().await;
    for n in NEURONS {
        let store = crate::store::NeuronStore::new(w.store.clone(), &super::harness::chain_id(), n);
        assert!(store.all().expect("store").is_empty(), "neuron {n} forgot");
    }
}

#[tokio::test(start_paused = true)]
async fn a_cheating_neuron_is_slashed_and_the_honest_split_the_fee() {
    let mut w = World::new();
    let cheat = NEURONS[2];
    for n in NEURONS {
        let faults = NeuronFaults {
            corrupt_output: n == cheat,
            copy_reveal: false,
        };
        w.spawn(n, faults).await;
    }
    let user_before = w.balance(super::harness::USER);
    let id = w.request(lenet_input(1), 1_001);
    w.until_settled(id, 12).await;
    let outcome = w.request_record(id).outcome();
    assert!(outcome.quorum, "{outcome:?}");
    let state = w.chain.state();
    let slashed = state.neuron(cheat).expect("registered");
    assert_eq!(
        (slashed.stake, slashed.slashed, slashed.rewards),
        (STAKE - 500, 500, 0)
    );
    for n in &NEURONS[..2] {
        let honest = state.neuron(*n).expect("registered");
        assert_eq!((honest.rewards, honest.slashed), (500, 0));
    }
    // The request's fee and escrow left the user; the odd unit came back.
    assert_eq!(w.balance(super::harness::USER), user_before - 1 - 1_001 + 1);
}

/// A neuron that runs nothing and copies another seat's revealed result: its commitment was
/// made before any reveal, so the copy never opens it; it is slashed like a seat that never
/// revealed, never paid, and the honest pair splits the escrow.
#[tokio::test(start_paused = true)]
async fn a_neuron_copying_another_reveal_is_slashed_and_never_paid() {
    let mut w = World::new();
    let copier = NEURONS[1];
    for n in NEURONS {
        let faults = NeuronFaults {
            copy_reveal: n == copier,
            ..NeuronFaults::default()
        };
        w.spawn(n, faults).await;
    }
    let id = w.request(lenet_input(1), 1_001);
    w.until_settled(id, 16).await;
    let outcome = w.request_record(id).outcome();
    assert!(outcome.quorum, "{outcome:?}");
    let state = w.chain.state();
    let copied = state.neuron(copier).expect("registered");
    assert_eq!((copied.rewards, copied.slashed), (0, 500), "{copied:?}");
    for n in [NEURONS[0], NEURONS[2]] {
        let honest = state.neuron(n).expect("registered");
        assert_eq!((honest.rewards, honest.slashed), (500, 0));
    }
}

#[tokio::test(start_paused = true)]
async fn a_bad_input_is_refused_alike_and_the_neurons_are_paid() {
    let mut w = World::new();
    for n in NEURONS {
        w.spawn(n, NeuronFaults::default()).await;
    }
    // Ten bytes are not one LeNet-5 sample (784 f32).
    let id = w.request(vec![7; 10], 300);
    w.until_settled(id, 12).await;
    let outcome = w.request_record(id).outcome();
    let refusal = CanonicalOutput::Refused(Refusal::InputSize).to_bytes();
    assert_eq!(outcome.result, Some(output_digest(&refusal)));
    assert_eq!(outcome.agree, [true; 3]);
    let state = w.chain.state();
    for n in NEURONS {
        let record = state.neuron(n).expect("registered");
        assert_eq!((record.rewards, record.slashed), (100, 0));
    }
}
