//! A prover that submits a wrong proof: a real Groth16 proof of a real block, claimed for
//! another state root. The BitAI mempool refuses it with its reason, so it never reaches the
//! inscriber. Inscribed directly on SimBitcoin by someone else, it is refused by the state
//! machine with a logged reason, the chain's verified root does not move, and the node goes
//! on verifying the chain's real blocks.

use bitai_chain::stf::{Block, State};
use bitai_chain::tx::Transfer;
use bitai_messages::mempool::MempoolMsg;
use bitai_node::pipeline::config::ProofSystemName;
use bitai_node::pipeline::loadgen;
use bitai_proofs::circuit::BlockCircuit;
use bitai_protocol::{encode_tx, BitaiTx, Hash32, SubmitProof};
use bitai_tests::support::devnet_world::{config, DevnetWorld};
use bitai_tests::support::inscribe::TestInscriber;
use rand::SeedableRng;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_proof_is_refused_by_the_mempool_and_the_state_machine_and_harms_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut c = config(dir.path(), 63, ProofSystemName::Groth16, 1);
    // Transfers only: the smallest Groth16 setup (neurons and op slots are other scenarios').
    c.chain.block_ops = 0;
    let world = DevnetWorld::start(c).await;
    let chain = world.devnet.chain;
    world
        .wait_until(Duration::from_secs(120), |s| {
            s.chain(&chain).is_some_and(|c| c.registered)
        })
        .await;

    // A real proof of a real first block, claimed with another new state root.
    let keys = loadgen::account_keys(world.config.node.seed, world.config.chain.accounts);
    let (_, genesis) = loadgen::devnet_chain(
        &world.config.chain,
        world.config.node.seed,
        &world.devnet.keys,
    )
    .expect("devnet chain");
    let mut state: State = genesis.state().expect("genesis");
    let prev_root = state.root_hash();
    let transfer = Transfer {
        from: 0,
        to: 1,
        to_public_key: keys[1].public_key(),
        amount: 5,
        fee: 1,
        nonce: 0,
    }
    .sign(&chain, &keys[0]);
    let block = Block {
        chain_id: chain,
        number: 1,
        da_commitment: Hash32::sha256(b"not the block's data"),
        txs: vec![transfer],
        ops: vec![],
    };
    let witness = state.apply_block(&block, 1, 0).expect("a valid block");
    let shape = world.config.chain.circuit();
    let circuit = BlockCircuit::new(shape, &witness).expect("circuit");
    let pk = &world.devnet.keys.groth16()[&shape];
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(7);
    let (proof, _) = pk.prove(circuit, &mut rng).expect("proves");
    let wrong = SubmitProof {
        chain_id: chain,
        block_number: 1,
        prev_state_root: prev_root,
        new_state_root: Hash32::sha256(b"a root the block does not reach"),
        da_commitment: block.da_commitment,
        proof: bitai_proofs::gnark::write_proof(&proof),
    };
    // Field elements only: keep the claimed root below the modulus.
    let mut wrong = wrong;
    wrong.new_state_root.0[0] &= 0x0f;

    let refused = world
        .devnet
        .pipeline
        .mempool
        .ask(
            |reply| MempoolMsg::Submit {
                tx: BitaiTx::SubmitProof(wrong.clone()),
                reply: Some(reply),
            },
            30_000,
        )
        .await
        .expect("the mempool answers");
    let reason = refused
        .expect_err("the mempool refuses a wrong proof")
        .to_string();
    assert!(
        reason.contains("verif"),
        "refused for the wrong reason: {reason}"
    );

    // The same proof inscribed straight onto Bitcoin by someone else.
    let sim = world.devnet.sim.as_ref().expect("SimBitcoin");
    let mut outsider = TestInscriber::from_coinbase(sim, 1, 630, 2, 0);
    let inscribed = outsider.inscribe(
        sim,
        vec![encode_tx(&BitaiTx::SubmitProof(wrong)).expect("encodes")],
    );
    let reveal = inscribed.reveal.compute_txid();
    world
        .wait_until(Duration::from_secs(120), |_| {
            world
                .devnet
                .pipeline
                .view
                .borrow()
                .rejected
                .iter()
                .any(|r| r.txid == reveal)
        })
        .await;
    let view = world.devnet.pipeline.view.borrow().clone();
    let rejection = view
        .rejected
        .iter()
        .find(|r| r.txid == reveal)
        .expect("rejected");
    assert!(rejection.reason.contains("verif"), "{rejection:?}");
    assert_eq!(
        view.chains[&chain].verified_block, 0,
        "a refused proof moves nothing"
    );

    // The node is unharmed: real transfers are proven, verified and final.
    world.load(3, 5.0).await.expect("joins").expect("load");
    world.wait_all_final(3, Duration::from_secs(300)).await;
    bitai_node::pipeline::progress::check_roots(&world.devnet.pipeline)
        .await
        .expect("roots agree");
    world.stop().await;
}
