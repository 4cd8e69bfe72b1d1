//! Every refusal, checks against the state after the sender's own pending transfers, and
//! idempotent submits.

use super::harness::*;
use crate::SequencerConfig;
use bitai_messages::sequencer::SubmitError;

#[tokio::test]
async fn each_rule_refuses_with_its_reason() {
    let (world, _seen) = World::memory().await;
    let seq = world.start(config()).await;
    let spec = &world.spec;
    let mut forged = transfer(spec, 0, 1, 5, 0);
    forged.signature = transfer(spec, 0, 1, 6, 0).signature;
    assert!(matches!(
        submit(&seq, forged).await,
        Err(SubmitError::BadSignature(_))
    ));
    let signed_by_other = bitai_chain::tx::Transfer {
        from: 0,
        to: 1,
        to_public_key: key(1).public_key(),
        amount: 5,
        fee: FEE,
        nonce: 0,
    }
    .sign(&spec.chain_id(), &key(7));
    assert!(matches!(
        submit(&seq, signed_by_other).await,
        Err(SubmitError::BadSignature(_))
    ));
    assert_eq!(
        submit(&seq, transfer(spec, 0, 1, 5, 3)).await,
        Err(SubmitError::BadNonce {
            expected: 0,
            got: 3
        })
    );
    assert!(matches!(
        submit(&seq, transfer(spec, 0, 1, BALANCE + 1, 0)).await,
        Err(SubmitError::Overdraft(_))
    ));
    assert_eq!(
        submit(&seq, transfer(spec, 50, 1, 5, 0)).await,
        Err(SubmitError::UnknownSender(50))
    );
    // Account 1 exists with key(1); a transfer naming key(2) for it is refused.
    let wrong_key = bitai_chain::tx::Transfer {
        from: 0,
        to: 1,
        to_public_key: key(2).public_key(),
        amount: 5,
        fee: FEE,
        nonce: 0,
    }
    .sign(&spec.chain_id(), &key(0));
    assert_eq!(
        submit(&seq, wrong_key).await,
        Err(SubmitError::RecipientKeyMismatch(1))
    );
    // Depth 4 of arity four: 256 slots.
    assert!(matches!(
        submit(&seq, transfer(spec, 0, 256, 5, 0)).await,
        Err(SubmitError::AccountOutOfRange(_))
    ));
    let h = head(&seq).await;
    assert_eq!((h.number, h.pending), (0, 0), "nothing refused was queued");
    stop(seq).await;
}

#[tokio::test]
async fn nonces_and_balances_count_pending_transfers() {
    let (world, _seen) = World::memory().await;
    let seq = world.start(config()).await;
    let spec = &world.spec;
    for nonce in 0..2 {
        submit(&seq, transfer(spec, 4, 5, BALANCE / 4, nonce))
            .await
            .expect("back to back");
    }
    // A new account created by a pending transfer can already send.
    submit(&seq, transfer(spec, 0, 20, 100, 0))
        .await
        .expect("creates account 20");
    submit(&seq, transfer(spec, 20, 0, 40, 0))
        .await
        .expect("account 20 sends");
    assert_eq!(head(&seq).await.number, 1, "four transfers filled block 1");
    submit(&seq, transfer(spec, 4, 5, BALANCE / 4, 2))
        .await
        .expect("pending again");
    // 3/4 of the balance is spent or pending: another half overdraws.
    assert!(matches!(
        submit(&seq, transfer(spec, 4, 5, BALANCE / 2, 3)).await,
        Err(SubmitError::Overdraft(_))
    ));
    assert_eq!(
        submit(&seq, transfer(spec, 4, 5, 1, 0)).await,
        Err(SubmitError::BadNonce {
            expected: 3,
            got: 0
        })
    );
    stop(seq).await;
}

#[tokio::test]
async fn the_same_transfer_twice_is_queued_once_and_the_pending_bound_holds() {
    let (world, _seen) = World::memory().await;
    let seq = world
        .start(SequencerConfig {
            max_pending_txs: 2,
            ..config()
        })
        .await;
    let spec = &world.spec;
    let tx = transfer(spec, 0, 1, 5, 0);
    let first = submit(&seq, tx).await.expect("accepted");
    assert_eq!(
        submit(&seq, tx).await,
        Ok(first),
        "same hash, not queued again"
    );
    assert_eq!(head(&seq).await.pending, 1);
    submit(&seq, transfer(spec, 1, 2, 5, 0))
        .await
        .expect("accepted");
    assert_eq!(
        submit(&seq, transfer(spec, 2, 3, 5, 0)).await,
        Err(SubmitError::TooManyPending(2))
    );
    flush(&world, &seq).await;
    assert_eq!(
        submit(&seq, tx).await,
        Ok(first),
        "in a block: same hash, not queued"
    );
    let h = head(&seq).await;
    assert_eq!((h.number, h.pending), (1, 0));
    submit(&seq, transfer(spec, 2, 3, 5, 0))
        .await
        .expect("room again");
    stop(seq).await;
}

#[tokio::test]
async fn fees_below_the_minimum_or_over_the_largest_are_refused() {
    let (world, _seen) = World::memory().await;
    let seq = world
        .start(SequencerConfig {
            min_fee: FEE + 1,
            ..config()
        })
        .await;
    let spec = &world.spec;
    assert_eq!(
        submit(&seq, transfer(spec, 0, 1, 5, 0)).await,
        Err(SubmitError::FeeBelowMinimum {
            fee: FEE,
            min_fee: FEE + 1
        })
    );
    let huge = bitai_chain::tx::MAX_FEE + 1;
    let tx = bitai_chain::tx::Transfer {
        from: 0,
        to: 1,
        to_public_key: key(1).public_key(),
        amount: 5,
        fee: huge,
        nonce: 0,
    }
    .sign(&spec.chain_id(), &key(0));
    assert_eq!(submit(&seq, tx).await, Err(SubmitError::FeeTooLarge(huge)));
    let paid = bitai_chain::tx::Transfer {
        fee: FEE + 1,
        ..tx.transfer
    }
    .sign(&spec.chain_id(), &key(0));
    submit(&seq, paid).await.expect("fee at the minimum");
    stop(seq).await;
}
