//! A property test on the sequencer core: random streams of transfers (valid and invalid:
//! unknown senders, nonces off by one, overdrafts, zero and ordinary fees, new recipients)
//! interleaved with block cuts. Whatever the stream, every accepted transfer lands in exactly
//! one block, no refused one does, the chain re-derives from DA to the core's state, and the
//! supply shrinks by exactly the fees of the accepted transfers.

use super::harness::*;
use crate::{SequencerCore, SequencerMetrics};
use bitai_da::{rederive_state, EmbeddedDa};
use bitai_protocol::Hash32;
use bitai_runtime::ManualClock;
use bitai_storage::MemoryStore;
use proptest::prelude::*;
use std::collections::BTreeSet;
use std::sync::Arc;

/// One step: a transfer (sender, recipient, amount, nonce offset from the sender's next,
/// fee) or, when `cut`, a block cut.
#[derive(Clone, Debug)]
struct Step {
    from: u32,
    to: u32,
    amount: u64,
    nonce_offset: i8,
    fee: u64,
    cut: bool,
}

fn step() -> impl Strategy<Value = Step> {
    (
        0u32..12,
        0u32..14,
        prop_oneof![0u64..1_000, Just(BALANCE / 2), Just(BALANCE + 1)],
        prop_oneof![8 => Just(0i8), 1 => Just(-1i8), 1 => Just(1i8)],
        0u64..3,
        prop::bool::weighted(0.15),
    )
        .prop_map(|(from, to, amount, nonce_offset, fee, cut)| Step {
            from,
            to,
            amount,
            nonce_offset,
            fee,
            cut,
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]

    #[test]
    fn accepted_transfers_land_once_and_rederive(steps in prop::collection::vec(step(), 1..40)) {
        let spec = spec();
        let store = Arc::new(MemoryStore::new());
        let da = Arc::new(EmbeddedDa::new(store.clone(), 1 << 20));
        let metrics = SequencerMetrics::new(&prometheus::Registry::new(), &spec.chain_id())
            .expect("metrics");
        let mut core = SequencerCore::open(
            spec.clone(),
            config(),
            store,
            da.clone(),
            Arc::new(ManualClock::new(0)),
            metrics,
        )
        .expect("open");
        let mut next_nonce = [0u64; 14];
        let mut accepted = Vec::new();
        let mut refused = BTreeSet::new();
        let mut fees = 0;
        for s in &steps {
            if s.cut {
                core.cut_block().expect("cut");
                continue;
            }
            let nonce = next_nonce[s.from as usize].saturating_add_signed(s.nonce_offset.into());
            let tx = bitai_chain::tx::Transfer {
                from: s.from,
                to: s.to,
                to_public_key: key(s.to).public_key(),
                amount: s.amount,
                fee: s.fee,
                nonce,
            }
            .sign(&spec.chain_id(), &key(s.from));
            match core.submit(&tx) {
                Ok(hash) => {
                    prop_assert_eq!(hash, tx.hash());
                    // Refused earlier (an overdraft before a credit arrived) is no verdict
                    // for later: the same bytes may be valid now.
                    refused.remove(&hash);
                    if !accepted.contains(&hash) {
                        accepted.push(hash);
                        fees += s.fee;
                        next_nonce[s.from as usize] += 1;
                    }
                }
                Err(_) => {
                    if !accepted.contains(&tx.hash()) {
                        refused.insert(tx.hash());
                    }
                }
            }
            if core.block_due() {
                core.cut_block().expect("cut");
            }
        }
        while core.cut_block().expect("cut").is_some() {}
        let mut in_blocks = Vec::new();
        for number in 1..=core.head_number() {
            let b = core.block(number).expect("store").expect("block");
            in_blocks.extend(b.tx_hashes);
        }
        prop_assert_eq!(&in_blocks, &accepted, "every accepted transfer once, in order");
        let landed: BTreeSet<Hash32> = in_blocks.into_iter().collect();
        prop_assert!(refused.iter().all(|h| !landed.contains(h)), "no refused transfer lands");
        let head = core.head();
        let (derived, number) = rederive_state(&*da, &head.da_commitment).expect("rederive");
        prop_assert_eq!((derived.root_hash(), number), (head.state_root, head.number));
        let supply: u64 = (0..14).filter_map(|i| core.account(i)).map(|a| a.balance).sum();
        prop_assert_eq!(supply, u64::from(ACCOUNTS) * BALANCE - fees, "fees burned, nothing else");
    }
}
