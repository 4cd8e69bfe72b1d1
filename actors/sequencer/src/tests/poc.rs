//! Proof-of-Compute in the sequencer: ops queue beside transfers, a transfer queued after an
//! op waits for the next block, a request nobody answers settles by itself (empty blocks keep
//! the windows moving) and refunds its escrow, every coin stays accounted for, and a restart
//! on the same store brings back the records, the active list, the counters and the queue.

use super::harness::{key, ACCOUNTS, BALANCE};
use crate::{ChainSpec, SequencerConfig, SequencerCore, SequencerMetrics};
use bitai_chain::babyjubjub::pack_point;
use bitai_chain::field::Fr;
use bitai_chain::poc::{hash_halves, PocKind, PocOp, PocParams, PocTx};
use bitai_chain::tx::Transfer;
use bitai_da::EmbeddedDa;
use bitai_messages::da::{GenesisAccount, SharedDa};
use bitai_proofs::circuit::CircuitConfig;
use bitai_protocol::{Hash32, ProofSystem};
use bitai_runtime::ManualClock;
use bitai_storage::{MemoryStore, SharedStore};
use std::sync::Arc;

const MAX_OPS: usize = 4;

fn spec() -> ChainSpec {
    let accounts = (0..ACCOUNTS)
        .map(|i| GenesisAccount {
            index: i,
            public_key: pack_point(&key(i).public_key()),
            balance: BALANCE,
        })
        .collect();
    let circuit = CircuitConfig {
        max_ops: MAX_OPS,
        poc: PocParams::DEFAULT,
        ..CircuitConfig::new(4, 4)
    };
    ChainSpec::new(
        "poc-test".into(),
        ProofSystem::SimulationOnly,
        Vec::new(),
        accounts,
        circuit,
        1024,
        3,
    )
    .expect("a consistent spec")
}

struct World {
    spec: ChainSpec,
    store: SharedStore,
    da: SharedDa,
}

impl World {
    fn open(&self) -> SequencerCore {
        let metrics = SequencerMetrics::new(&prometheus::Registry::new(), &self.spec.chain_id())
            .expect("metrics");
        SequencerCore::open(
            self.spec.clone(),
            SequencerConfig {
                min_fee: 0,
                ..SequencerConfig::default()
            },
            self.store.clone(),
            self.da.clone(),
            Arc::new(ManualClock::new(0)),
            metrics,
        )
        .expect("opens")
    }

    /// `body` signed by its account with the account's next nonce.
    fn op(&self, core: &SequencerCore, body: PocTx, payload: Vec<u8>) -> PocOp {
        let tx = PocTx {
            nonce: core.next_nonce(body.account).expect("account"),
            ..body
        };
        PocOp::Signed(tx.sign(&self.spec.chain_id(), &key(body.account), payload))
    }
}

/// An op body (the nonce is filled in when signing).
fn body(kind: PocKind, account: u32, target: u32, amount: u64, data: [Fr; 2]) -> PocTx {
    PocTx {
        kind,
        account,
        target,
        amount,
        nonce: 0,
        fee: 1,
        data,
    }
}

fn cut(core: &mut SequencerCore) -> u64 {
    core.cut_block().expect("cuts").expect("a block")
}

#[test]
fn ops_queue_settle_by_themselves_and_survive_a_restart() {
    let store: SharedStore = Arc::new(MemoryStore::new());
    let world = World {
        spec: spec(),
        da: Arc::new(EmbeddedDa::new(store.clone(), 1 << 20)),
        store,
    };
    let mut core = world.open();
    let genesis_supply = u128::from(BALANCE) * u128::from(ACCOUNTS);
    for n in 1..=3 {
        let register = body(PocKind::RegisterNeuron, n, 0, 2_000, [Fr::from(0u64); 2]);
        let op = world.op(&core, register, vec![]);
        core.submit_op(&op).expect("registration accepted");
    }
    cut(&mut core);
    assert_eq!(core.state().active_neurons(), vec![1, 2, 3]);
    let model = b"model bytes".to_vec();
    let hash = core.put_model(&model).expect("DA takes it");
    let size = model.len() as u64;
    let deploy = world.op(
        &core,
        body(PocKind::DeployModel, 0, 0, size, hash_halves(&hash)),
        vec![],
    );
    core.submit_op(&deploy).expect("deploy accepted");
    let input = b"input".to_vec();
    let input_hash = hash_halves(&Hash32::sha256(&input));
    let request = world.op(
        &core,
        body(PocKind::RequestInference, 0, 0, 900, input_hash),
        input.clone(),
    );
    core.submit_op(&request).expect("request accepted");
    // A transfer queued after the ops waits for the block after them.
    let transfer = Transfer {
        from: 0,
        to: 5,
        to_public_key: key(5).public_key(),
        amount: 10,
        fee: 1,
        nonce: core.next_nonce(0).expect("account"),
    }
    .sign(&world.spec.chain_id(), &key(0));
    core.submit(&transfer).expect("transfer accepted");
    let b = cut(&mut core);
    let block = core.block(b).expect("store").expect("block");
    assert_eq!(block.tx_hashes, vec![deploy.hash(), request.hash()]);
    assert_eq!(core.head().pending, 1);
    assert_eq!(core.request_input(0).expect("store"), Some(input));
    assert_eq!(core.assignments(1).len(), 1);

    // A restart brings back the records, the active list, the counters and the queue.
    let (root, summary) = (core.head().state_root, core.poc_summary());
    drop(core);
    let mut core = world.open();
    assert_eq!(core.head().state_root, root);
    assert_eq!(core.poc_summary(), summary);
    assert_eq!(core.head().pending, 1, "the transfer is still queued");
    cut(&mut core);
    assert_eq!(core.head().pending, 0);

    // Nobody answers: empty blocks move the windows, the settlement runs by itself.
    let mut blocks = 0;
    while !core.request(0).expect("store").expect("request").settled {
        cut(&mut core);
        blocks += 1;
        assert!(blocks < 20, "the request settles after its windows");
    }
    let r = core.request(0).expect("store").expect("request").record;
    assert!(!r.outcome().quorum);
    let supply = core.supply();
    assert_eq!(supply.escrow, 0, "nothing left in escrow");
    assert_eq!(supply.slashed, 3 * 500, "three no-shows slashed");
    assert_eq!(supply.total(), genesis_supply, "{supply:?}");
    assert_eq!(supply.nonces, supply.transfers + supply.signed_ops);
    assert!(
        core.cut_block().expect("cuts").is_none(),
        "no open request: no empty block"
    );
}

#[test]
fn commits_go_before_queued_requests() {
    let store: SharedStore = Arc::new(MemoryStore::new());
    let world = World {
        spec: spec(),
        da: Arc::new(EmbeddedDa::new(store.clone(), 1 << 20)),
        store,
    };
    let mut core = world.open();
    for n in 1..=3 {
        let register = body(PocKind::RegisterNeuron, n, 0, 2_000, [Fr::from(0u64); 2]);
        let op = world.op(&core, register, vec![]);
        core.submit_op(&op).expect("registration accepted");
    }
    let hash = core.put_model(b"m").expect("DA takes it");
    let deploy = world.op(
        &core,
        body(PocKind::DeployModel, 0, 0, 1, hash_halves(&hash)),
        vec![],
    );
    core.submit_op(&deploy).expect("deploy accepted");
    cut(&mut core);
    let request = |core: &SequencerCore, account: u32| {
        let input = vec![account as u8];
        let halves = hash_halves(&Hash32::sha256(&input));
        world.op(
            core,
            body(PocKind::RequestInference, account, 0, 90, halves),
            input,
        )
    };
    core.submit_op(&request(&core, 0))
        .expect("request accepted");
    cut(&mut core);
    // Four more requests queue first, then the three commits of request 0: the next block
    // (four op slots) takes the commits before any of the requests.
    let queued: Vec<PocOp> = (4..8).map(|a| request(&core, a)).collect();
    for op in &queued {
        core.submit_op(op).expect("request accepted");
    }
    let commits: Vec<PocOp> = (1..=3)
        .map(|n| {
            let c = body(
                PocKind::Commit,
                n,
                0,
                0,
                [Fr::from(u64::from(n)), Fr::from(0u64)],
            );
            world.op(&core, c, vec![])
        })
        .collect();
    for op in &commits {
        core.submit_op(op).expect("commit accepted");
    }
    let b = cut(&mut core);
    let block = core.block(b).expect("store").expect("block");
    let mut expected: Vec<Hash32> = commits.iter().map(PocOp::hash).collect();
    expected.push(queued[0].hash());
    assert_eq!(block.tx_hashes, expected);
    assert!(core
        .request(0)
        .expect("store")
        .expect("r")
        .record
        .all_committed());
    assert_eq!(
        core.head().pending,
        3,
        "three requests wait for the next block"
    );
}
