//! The block circuit is satisfied exactly by valid blocks: each rule-breaking witness below
//! leaves some constraint unsatisfied. Small trees keep these fast; the production depth is
//! counted, not solved, except in one test.

use super::*;
use ark_ff::{BigInteger, PrimeField};
use ark_relations::r1cs::{ConstraintSystem, ConstraintSystemRef};
use bitai_chain::eddsa::PrivateKey;
use bitai_chain::stf::{Account, Block, State};
use bitai_chain::tx::{SignedTransfer, Transfer};

const DEPTH: usize = 3;

fn key(i: u8) -> PrivateKey {
    PrivateKey([i; 32])
}

fn chain() -> ChainId {
    ChainId(Hash32::sha256(b"circuit tests"))
}

fn genesis(depth: usize) -> State {
    let accounts = [(0u32, 1_000u64), (1, 50)].map(|(i, balance)| {
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

/// A transfer without a fee, signed by `key(signer)`.
fn send(from: u32, to: u32, to_key: u8, amount: u64, nonce: u64, signer: u8) -> SignedTransfer {
    send_with_fee(from, to, to_key, amount, 0, nonce, signer)
}

fn send_with_fee(
    from: u32,
    to: u32,
    to_key: u8,
    amount: u64,
    fee: u64,
    nonce: u64,
    signer: u8,
) -> SignedTransfer {
    Transfer {
        from,
        to,
        to_public_key: key(to_key).public_key(),
        amount,
        fee,
        nonce,
    }
    .sign(&chain(), &key(signer))
}

/// The fee of the transfer in [`valid_circuit`].
const FEE: u64 = 5;

fn block(txs: Vec<SignedTransfer>) -> Block {
    Block {
        chain_id: chain(),
        number: 7,
        da_commitment: Hash32::sha256(b"da"),
        txs,
        ops: vec![],
    }
}

fn synthesize(circuit: BlockCircuit) -> ConstraintSystemRef<Fr> {
    let cs = ConstraintSystem::<Fr>::new_ref();
    circuit.generate_constraints(cs.clone()).expect("synthesis");
    cs
}

fn satisfied(circuit: BlockCircuit) -> bool {
    synthesize(circuit)
        .is_satisfied()
        .expect("all values assigned")
}

/// A valid one-transfer block (300 from account 0 to 1, fee [`FEE`]) in a circuit of `slots`
/// slots.
fn valid_circuit(slots: usize) -> BlockCircuit {
    let mut state = genesis(DEPTH);
    let w = state
        .apply_block(
            &block(vec![send_with_fee(0, 1, 2, 300, FEE, 0, 1)]),
            slots,
            0,
        )
        .expect("valid");
    BlockCircuit::new(CircuitConfig::new(DEPTH, slots), &w).expect("fits")
}

#[test]
fn a_valid_block_satisfies_the_circuit() {
    assert!(satisfied(valid_circuit(2)));
}

#[test]
fn new_accounts_self_transfers_and_chains_of_transfers_satisfy_the_circuit() {
    let mut state = genesis(DEPTH);
    let txs = vec![
        send_with_fee(0, 9, 9, 100, 1, 0, 1),
        send_with_fee(9, 1, 2, 40, 60, 0, 9),
        send_with_fee(1, 1, 2, 10, 3, 0, 2),
    ];
    let w = state.apply_block(&block(txs), 3, 0).expect("valid");
    let circuit = BlockCircuit::new(CircuitConfig::new(DEPTH, 3), &w).expect("fits");
    assert!(satisfied(circuit));
}

#[test]
fn an_empty_block_satisfies_the_blank_circuit() {
    let circuit = BlockCircuit::blank(CircuitConfig::new(DEPTH, 1)).expect("ok");
    assert!(satisfied(circuit));
}

#[test]
fn a_wrong_root_is_unsatisfiable() {
    let mut c = valid_circuit(1);
    c.public.new_root += Fr::from(1u64);
    assert!(!satisfied(c));
    let mut c = valid_circuit(1);
    c.public.prev_root += Fr::from(1u64);
    assert!(!satisfied(c));
}

#[test]
fn another_chain_id_is_unsatisfiable() {
    let mut c = valid_circuit(1);
    c.public.chain_id = ChainId(Hash32::sha256(b"another chain"));
    assert!(!satisfied(c));
}

#[test]
fn a_bad_signature_is_unsatisfiable() {
    let mut c = valid_circuit(1);
    let forged = send_with_fee(0, 1, 2, 300, FEE, 0, 5).signature;
    c.slots[0].signature_r8 = forged.r8;
    c.slots[0].signature_s = forged.s.into_bigint();
    assert!(!satisfied(c));
    let mut c = valid_circuit(1);
    c.slots[0].amount = 301;
    c.slots[0].recipient_new_balance += 1;
    c.slots[0].sender_new_balance -= 1;
    assert!(!satisfied(c), "an amount the sender did not sign");
}

#[test]
fn a_malleated_signature_s_plus_l_is_unsatisfiable() {
    // Find a signature whose S + l still fits the 251 bits, so that only S < l refuses it.
    let mut state = genesis(DEPTH);
    let mut amount = 1;
    let (w, s_plus_l) = loop {
        let tx = send(0, 1, 2, amount, 0, 1);
        let mut s = tx.signature.s.into_bigint();
        s.add_with_carry(&bitai_chain::babyjubjub::Scalar::MODULUS);
        if s.num_bits() <= 251 {
            let w = state.apply_block(&block(vec![tx]), 1, 0).expect("valid");
            break (w, s);
        }
        amount += 1;
    };
    let config = CircuitConfig::new(DEPTH, 1);
    let mut c = BlockCircuit::new(config, &w).expect("fits");
    assert!(satisfied(c.clone()));
    c.slots[0].signature_s = s_plus_l;
    // S + l satisfies the verification equation (l * Base8 = O), so the range check refuses it.
    assert!(!satisfied(c));
}

#[test]
fn a_reused_nonce_is_unsatisfiable() {
    let mut state = genesis(DEPTH);
    state
        .apply_block(&block(vec![send(0, 1, 2, 5, 0, 1)]), 1, 0)
        .expect("first");
    let mut next = state.clone();
    let w = next
        .apply_block(&block(vec![send(0, 1, 2, 5, 1, 1)]), 1, 0)
        .expect("second");
    let mut c = BlockCircuit::new(CircuitConfig::new(DEPTH, 1), &w).expect("fits");
    // The same transfer again with nonce 0, properly signed.
    let replay = send(0, 1, 2, 5, 0, 1).signature;
    c.slots[0].new_nonce = 1;
    c.slots[0].signature_r8 = replay.r8;
    c.slots[0].signature_s = replay.s.into_bigint();
    assert!(!satisfied(c));
}

#[test]
fn an_overdraft_is_unsatisfiable() {
    let mut c = valid_circuit(1);
    // Sender had 1,000; claim 1,001 (plus the fee) left 2^64 - 1 - ... after sending it.
    let signed = send_with_fee(0, 1, 2, 1_001, FEE, 0, 1).signature;
    let s = &mut c.slots[0];
    s.amount = 1_001;
    s.sender_new_balance = 1_000u64.wrapping_sub(1_001 + FEE);
    s.recipient_new_balance = 50 + 1_001;
    s.signature_r8 = signed.r8;
    s.signature_s = signed.s.into_bigint();
    assert!(!satisfied(c));
}

#[test]
fn an_overdraft_by_the_fee_alone_is_unsatisfiable() {
    // The sender's whole balance as the amount plus a fee of 1, properly signed: no 64-bit
    // new balance makes `new + amount + fee` equal the stored 1,000.
    let mut c = valid_circuit(1);
    let signed = send_with_fee(0, 1, 2, 1_000, 1, 0, 1).signature;
    let s = &mut c.slots[0];
    s.amount = 1_000;
    s.fee = 1;
    s.recipient_new_balance = 50 + 1_000;
    s.signature_r8 = signed.r8;
    s.signature_s = signed.s.into_bigint();
    for new_balance in [0, u64::MAX, 1_000u64.wrapping_sub(1_001)] {
        c.slots[0].sender_new_balance = new_balance;
        assert!(!satisfied(c.clone()), "new balance {new_balance}");
    }
}

#[test]
fn paying_less_fee_than_signed_is_unsatisfiable() {
    // Debit one unit less than the signed fee: the old leaf no longer matches the state.
    let mut c = valid_circuit(1);
    c.slots[0].sender_new_balance += 1;
    assert!(!satisfied(c));
    // Claim a smaller fee and debit accordingly: the signature is over the signed fee.
    let mut c = valid_circuit(1);
    c.slots[0].fee = FEE - 1;
    c.slots[0].sender_new_balance += 1;
    assert!(!satisfied(c));
    // Credit the fee to the recipient instead of burning it.
    let mut c = valid_circuit(1);
    c.slots[0].recipient_new_balance += FEE;
    assert!(!satisfied(c));
}

#[test]
fn the_fee_is_burned_in_the_circuit_as_in_the_stf() {
    let c = valid_circuit(1);
    let s = &c.slots[0];
    assert_eq!(s.sender_new_balance, 1_000 - 300 - FEE);
    assert_eq!(s.recipient_new_balance, 50 + 300);
    assert!(satisfied(c));
}

#[test]
fn a_recipient_key_outside_the_subgroup_is_unsatisfiable() {
    let mut c = valid_circuit(1);
    let t = bitai_chain::babyjubjub::Point::new_unchecked(Fr::from(0u64), -Fr::from(1u64));
    let mixed = (c.slots[0].recipient_key + t).into();
    c.slots[0].recipient_key = mixed;
    assert!(!satisfied(c));
}

#[test]
fn constraints_per_transfer_at_2_pow_32_accounts_stay_under_30_000() {
    let one = synthesize(BlockCircuit::blank(CircuitConfig::production(1)).expect("ok"));
    let two = synthesize(BlockCircuit::blank(CircuitConfig::production(2)).expect("ok"));
    let per_transfer = two.num_constraints() - one.num_constraints();
    println!(
        "constraints: 1 slot {}, per slot {per_transfer}",
        one.num_constraints()
    );
    assert!(per_transfer < 30_000, "per transfer: {per_transfer}");
    assert!(one.is_satisfied().expect("assigned"));
}

#[test]
fn a_valid_block_at_production_depth_satisfies_the_circuit() {
    let mut state = genesis(bitai_chain::smt::DEPTH_2_32);
    let txs = vec![send(0, u32::MAX, 9, 100, 0, 1)];
    let w = state.apply_block(&block(txs), 1, 0).expect("valid");
    let circuit = BlockCircuit::new(CircuitConfig::production(1), &w).expect("fits");
    assert!(satisfied(circuit));
}
