//! 200 transfers from 10 accounts: every one lands in a block exactly once, and the blocks'
//! recorded roots equal a fresh replay through the STF from the DA blobs and what
//! `rederive_state` derives from DA alone.

use super::harness::*;
use bitai_chain::stf::Block;
use bitai_chain::tx::SignedTransfer;
use bitai_da::rederive_state;
use bitai_messages::da::DaBlob;
use bitai_messages::sequencer::{L2TxStatus, SequencerMsg};
use bitai_protocol::Hash32;
use ractor::ActorRef;
use std::collections::BTreeSet;

/// Submits 200 transfers among accounts 0..10 (each sender's nonces in order) and returns
/// their hashes.
pub async fn two_hundred(
    world: &World,
    seq: &ActorRef<SequencerMsg>,
    range: std::ops::Range<u64>,
    nonces: &mut [u64; 10],
) -> Vec<Hash32> {
    let mut hashes = Vec::new();
    for k in range {
        let from = (k % 10) as u32;
        let to = ((k * 7 + 3) % 10) as u32;
        let tx = transfer(&world.spec, from, to, 1 + k % 13, nonces[from as usize]);
        nonces[from as usize] += 1;
        hashes.push(submit(seq, tx).await.expect("valid transfer accepted"));
    }
    hashes
}

/// Replays every block from its DA blob through a fresh STF and checks the recorded roots
/// and transaction hashes; returns every transaction hash in block order.
pub async fn replay_from_da(world: &World, seq: &ActorRef<SequencerMsg>) -> Vec<Hash32> {
    let head = head(seq).await;
    let mut state = world.spec.genesis.state().expect("genesis");
    let mut all = Vec::new();
    for number in 1..=head.number {
        let b = block(seq, number)
            .await
            .expect("every block up to the head");
        let bytes = world
            .da
            .get(&b.da_commitment)
            .expect("da")
            .expect("blob present");
        let DaBlob::Block(data) = DaBlob::decode(&bytes).expect("decodes") else {
            panic!("block {number} is not a block blob");
        };
        assert_eq!(data.number, number);
        assert_eq!(
            data.prev_state_root,
            state.root_hash(),
            "block {number} prev root"
        );
        let txs: Vec<_> = data
            .txs
            .iter()
            .map(|t| SignedTransfer::from_bytes(t).expect("tx"))
            .collect();
        let hashes: Vec<_> = txs.iter().map(SignedTransfer::hash).collect();
        assert_eq!(hashes, b.tx_hashes, "block {number} transactions");
        let w = state
            .apply_block(
                &Block {
                    chain_id: world.spec.chain_id(),
                    number,
                    da_commitment: b.da_commitment,
                    txs,
                    ops: vec![],
                },
                MAX_TXS,
                0,
            )
            .expect("replays");
        assert_eq!(
            bitai_chain::field::fr_to_hash(&w.new_root),
            b.new_state_root
        );
        assert_eq!(data.new_state_root, b.new_state_root);
        all.extend(hashes);
    }
    assert_eq!(
        state.root_hash(),
        head.state_root,
        "replay ends at the head's root"
    );
    let (derived, number) = rederive_state(&*world.da, &head.da_commitment).expect("rederive");
    assert_eq!(
        (derived.root_hash(), number),
        (head.state_root, head.number)
    );
    all
}

#[tokio::test]
async fn two_hundred_transfers_replay_from_da_to_the_same_roots() {
    let (world, mut seen) = World::memory().await;
    let seq = world.start(config()).await;
    let mut nonces = [0u64; 10];
    let hashes = two_hundred(&world, &seq, 0..200, &mut nonces).await;
    flush(&world, &seq).await;
    for hash in &hashes {
        assert!(matches!(
            status(&seq, *hash).await,
            Some(L2TxStatus::InBlock(_))
        ));
    }
    let in_blocks = replay_from_da(&world, &seq).await;
    assert_eq!(in_blocks, hashes, "every transfer once, in arrival order");
    let h = wait_handed(&seq).await;
    assert_eq!(h.number, 50);
    let mut handed = Vec::new();
    while let Ok(n) = seen.try_recv() {
        handed.push(n);
    }
    assert_eq!(
        handed,
        (1..=50).collect::<Vec<_>>(),
        "each block handed once, in order"
    );
    let mut total = 0;
    let mut distinct = BTreeSet::new();
    for index in 0..10 {
        let a = ractor::call!(seq, |reply| SequencerMsg::Account { index, reply })
            .expect("answers")
            .expect("exists");
        assert_eq!(a.nonce, nonces[index as usize]);
        total += a.balance;
        distinct.insert(a.balance);
    }
    assert_eq!(
        total,
        10 * BALANCE - 200 * FEE,
        "transfers conserve the supply, fees burned"
    );
    assert!(distinct.len() > 1, "balances moved");
    stop(seq).await;
}
