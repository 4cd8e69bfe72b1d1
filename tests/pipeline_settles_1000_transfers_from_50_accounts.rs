//! The pipeline end to end under load: 1,000 signed transfers from 50 accounts go through the
//! sequencer, the prover pool (simulation-only proofs, so the test measures the pipeline and
//! not the prover), the BitAI mempool, the inscriber, SimBitcoin, the indexer and the state
//! machine. Every transfer ends final on the BitAI side, every chain's verified root equals
//! its sequencer's, and balances plus burned fees equal the genesis supply.

use bitai_node::devnet;
use bitai_node::pipeline::config::ProofSystemName;
use bitai_node::pipeline::progress;
use bitai_tests::support::devnet_world::{config, DevnetWorld};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_transfers_from_fifty_accounts_all_become_final_and_conserve_balances() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut c = config(dir.path(), 61, ProofSystemName::Simulation, 32);
    c.chain.accounts = 50;
    let world = DevnetWorld::start(c).await;
    let load = world.load(1_000, 400.0);
    let sent = load
        .await
        .expect("load generator joins")
        .expect("load generator runs");
    assert_eq!(sent, 1_000, "a fresh chain takes every transfer");
    let s = world.wait_all_final(1_000, Duration::from_secs(240)).await;
    let chain = s.chain(&world.devnet.chain).expect("the devnet chain");
    assert!(
        chain.head >= 1_000 / 32,
        "1,000 transfers fill at least 31 blocks of 32"
    );
    let roots = progress::check_roots(&world.devnet.pipeline)
        .await
        .expect("roots agree");
    assert_eq!(roots.len(), 1);
    let conserved =
        devnet::check_conservation(&world.devnet.pipeline, &world.devnet.chain, &world.config)
            .await
            .expect("balances conserved");
    assert!(conserved.contains("1000 transfers"), "{conserved}");
    world.stop().await;
}
