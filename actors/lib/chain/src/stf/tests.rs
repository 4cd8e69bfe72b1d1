//! The rules of the state transition, one test per rule, and block atomicity.

use super::*;
use crate::eddsa::PrivateKey;
use crate::tx::Transfer;
use ark_ff::Field;

pub(crate) fn key(i: u8) -> PrivateKey {
    PrivateKey([i; 32])
}

pub(crate) fn chain() -> ChainId {
    ChainId(Hash32::sha256(b"test chain"))
}

/// Accounts 0 and 1 with 1,000 and 50.
pub(crate) fn two_accounts(depth: usize) -> State {
    let accounts = [(0, 1_000), (1, 50)].map(|(i, balance)| {
        (
            i,
            Account {
                public_key: key(i as u8 + 1).public_key(),
                balance,
                nonce: 0,
            },
        )
    });
    State::genesis(depth, accounts).expect("valid genesis")
}

/// A transfer without a fee.
pub(crate) fn transfer(from: u32, to: u32, to_key: u8, amount: u64, nonce: u64) -> Transfer {
    Transfer {
        from,
        to,
        to_public_key: key(to_key).public_key(),
        amount,
        fee: 0,
        nonce,
    }
}

fn total_supply(state: &State, indices: &[u32]) -> u64 {
    indices
        .iter()
        .filter_map(|i| state.account(*i))
        .map(|a| a.balance)
        .sum()
}

#[test]
fn a_transfer_moves_funds_burns_the_fee_and_bumps_the_nonce() {
    let mut state = two_accounts(4);
    let root0 = state.parts().accounts;
    let tx = Transfer {
        fee: 7,
        ..transfer(0, 1, 2, 300, 0)
    }
    .sign(&chain(), &key(1));
    let w = state.apply_transfer(&chain(), &tx).expect("valid");
    assert_eq!(state.account(0).expect("sender").balance, 693);
    assert_eq!(
        total_supply(&state, &[0, 1]),
        1_050 - 7,
        "the fee is burned"
    );
    assert_eq!(state.account(0).expect("sender").nonce, 1);
    assert_eq!(state.account(1).expect("recipient").balance, 350);
    assert_eq!(w.roots[0], root0);
    assert_eq!(w.roots[2], state.parts().accounts);
    assert_eq!(w.sender_proof.root(w.sender.leaf()), w.roots[0]);
    assert_eq!(
        w.recipient_proof.root(w.recipient.expect("exists").leaf()),
        w.roots[1]
    );
}

#[test]
fn a_transfer_to_an_empty_slot_creates_the_account() {
    let mut state = two_accounts(4);
    let tx = transfer(0, 77, 9, 10, 0).sign(&chain(), &key(1));
    let w = state.apply_transfer(&chain(), &tx).expect("valid");
    assert_eq!(w.recipient, None);
    let created = state.account(77).expect("created");
    assert_eq!((created.balance, created.nonce), (10, 0));
    assert_eq!(created.public_key, key(9).public_key());
}

#[test]
fn a_self_transfer_costs_the_fee_and_a_nonce() {
    let mut state = two_accounts(4);
    let tx = Transfer {
        fee: 3,
        ..transfer(0, 0, 1, 100, 0)
    }
    .sign(&chain(), &key(1));
    state.apply_transfer(&chain(), &tx).expect("valid");
    let a = state.account(0).expect("exists");
    assert_eq!((a.balance, a.nonce), (997, 1));
}

#[test]
fn the_fee_is_signed_and_bounded() {
    let c = chain();
    let with_fee = |fee, amount| Transfer {
        fee,
        ..transfer(0, 1, 2, amount, 0)
    };
    // The fee changed after signing: the signature no longer matches.
    let mut tx = with_fee(5, 10).sign(&c, &key(1));
    tx.transfer.fee = 4;
    let cases: Vec<(SignedTransfer, StfError)> = vec![
        (
            tx,
            StfError::BadSignature(crate::eddsa::SignatureError::Invalid),
        ),
        (
            with_fee(1, 1_000).sign(&c, &key(1)),
            StfError::Overdraft {
                balance: 1_000,
                amount: 1_000,
                fee: 1,
            },
        ),
        (
            with_fee(1, u64::MAX).sign(&c, &key(1)),
            StfError::Overdraft {
                balance: 1_000,
                amount: u64::MAX,
                fee: 1,
            },
        ),
        (
            with_fee(crate::tx::MAX_FEE + 1, 1).sign(&c, &key(1)),
            StfError::FeeTooLarge {
                fee: crate::tx::MAX_FEE + 1,
            },
        ),
    ];
    for (tx, expected) in cases {
        let mut state = two_accounts(4);
        let root = state.root();
        assert_eq!(state.apply_transfer(&c, &tx), Err(expected));
        assert_eq!(state.root(), root, "a refused transfer changes nothing");
    }
    // Exactly the whole balance, fee included, is fine.
    let mut state = two_accounts(4);
    let tx = with_fee(1, 999).sign(&c, &key(1));
    state
        .apply_transfer(&c, &tx)
        .expect("balance covers amount + fee");
    assert_eq!(state.account(0).expect("sender").balance, 0);
}

#[test]
fn the_packed_word_follows_the_documented_layout() {
    let t = Transfer {
        from: 0xdead_beef,
        to: 7,
        to_public_key: key(2).public_key(),
        amount: u64::MAX,
        fee: crate::tx::MAX_FEE,
        nonce: 42,
    };
    let two = |k: u32| Fr::from(2u64).pow([u64::from(k)]);
    let expected = Fr::from(t.from)
        + Fr::from(t.to) * two(32)
        + Fr::from(t.amount) * two(64)
        + Fr::from(t.nonce) * two(128)
        + Fr::from(t.fee) * two(192)
        + Fr::from(crate::tx::KIND_TRANSFER) * two(240);
    assert_eq!(t.packed(), expected);
    // A fee beyond 48 bits never reaches the kind bits.
    let too_big = Transfer {
        fee: crate::tx::MAX_FEE + 1,
        ..t
    };
    assert_eq!(too_big.packed(), Transfer { fee: 0, ..t }.packed());
}

#[test]
fn every_rule_is_enforced() {
    let c = chain();
    type Case = (SignedTransfer, fn(&StfError) -> bool);
    let cases: Vec<Case> = vec![
        (transfer(5, 1, 2, 1, 0).sign(&c, &key(6)), |e| {
            matches!(e, StfError::UnknownSender(5))
        }),
        (transfer(0, 1, 2, 1, 1).sign(&c, &key(1)), |e| {
            matches!(e, StfError::BadNonce { .. })
        }),
        (transfer(0, 1, 2, 1, 0).sign(&c, &key(2)), |e| {
            matches!(e, StfError::BadSignature(_))
        }),
        (
            transfer(0, 1, 2, 1, 0).sign(&ChainId(Hash32::sha256(b"other")), &key(1)),
            |e| matches!(e, StfError::BadSignature(_)),
        ),
        (transfer(0, 1, 2, 1_001, 0).sign(&c, &key(1)), |e| {
            matches!(e, StfError::Overdraft { .. })
        }),
        (transfer(0, 1, 3, 1, 0).sign(&c, &key(1)), |e| {
            matches!(e, StfError::RecipientKeyMismatch(1))
        }),
    ];
    for (tx, expected) in cases {
        let mut state = two_accounts(4);
        let root = state.root();
        let err = state.apply_transfer(&c, &tx).expect_err("must be refused");
        assert!(expected(&err), "unexpected error {err:?}");
        assert_eq!(state.root(), root, "a refused transfer changes nothing");
    }
}

#[test]
fn overflow_of_the_recipient_balance_is_refused() {
    let accounts = [
        (
            0,
            Account {
                public_key: key(1).public_key(),
                balance: 10,
                nonce: 0,
            },
        ),
        (
            1,
            Account {
                public_key: key(2).public_key(),
                balance: u64::MAX,
                nonce: 0,
            },
        ),
    ];
    let mut state = State::genesis(4, accounts).expect("valid");
    let tx = transfer(0, 1, 2, 1, 0).sign(&chain(), &key(1));
    assert_eq!(
        state.apply_transfer(&chain(), &tx),
        Err(StfError::BalanceOverflow)
    );
}

#[test]
fn a_replayed_transfer_is_refused() {
    let mut state = two_accounts(4);
    let tx = transfer(0, 1, 2, 5, 0).sign(&chain(), &key(1));
    state.apply_transfer(&chain(), &tx).expect("first time");
    assert!(matches!(
        state.apply_transfer(&chain(), &tx),
        Err(StfError::BadNonce { .. })
    ));
}

#[test]
fn a_block_is_atomic() {
    let mut state = two_accounts(4);
    let root = state.root();
    let c = chain();
    let block = Block {
        chain_id: c,
        number: 1,
        da_commitment: Hash32::default(),
        txs: vec![
            transfer(0, 1, 2, 5, 0).sign(&c, &key(1)),
            transfer(0, 9, 9, 5, 1).sign(&c, &key(1)),
            transfer(1, 0, 1, 1_000, 0).sign(&c, &key(2)),
        ],
        ops: vec![],
    };
    let err = state
        .apply_block(&block, 4, 0)
        .expect_err("third overdraws");
    assert!(matches!(err, StfError::InBlock { index: 2, .. }));
    assert_eq!(state.root(), root);
    assert!(state.account(9).is_none());
    assert_eq!(state.account(0).expect("exists").nonce, 0);
    let ok = Block {
        txs: block.txs[..2].to_vec(),
        ops: vec![],
        ..block.clone()
    };
    let w = state.apply_block(&ok, 4, 0).expect("valid");
    assert_eq!((w.prev_root, w.new_root), (root, state.root()));
    assert!(matches!(
        state.apply_block(&block, 2, 0),
        Err(StfError::TooManyTxs { .. })
    ));
}
