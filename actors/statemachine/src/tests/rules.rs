//! The pure rules on their own: what they check first, and that naming the chain of an
//! over-limit transaction does not panic.

use crate::tests::harness::chain_a;
use bitai_contract as rules;
use bitai_contract::{ChainHead, RegistryRules, RuleError};
use bitai_protocol::{BitaiTx, ChainId, Hash32};

const RULES: RegistryRules = RegistryRules {
    allow_simulation_only: false,
    max_chains: 4,
};

#[test]
fn an_over_limit_create_chain_names_no_chain_and_is_refused_without_panic() {
    let mut c = chain_a().create.clone();
    c.name = "n".repeat(65);
    assert_eq!(rules::chain_of(&BitaiTx::CreateChain(c.clone())), None);
    assert!(matches!(
        rules::check_create_chain(&c, |_| false, 0, &RULES),
        Err(RuleError::OverLimit(_))
    ));
}

#[test]
fn a_create_chain_is_checked_for_duplicates_and_room_before_its_key() {
    let a = chain_a();
    assert_eq!(
        rules::check_create_chain(&a.create, |_| false, 0, &RULES),
        Ok(a.id)
    );
    assert_eq!(
        rules::check_create_chain(&a.create, |id| *id == a.id, 1, &RULES),
        Err(RuleError::DuplicateChain(a.id))
    );
    let mut bad_key = a.create.clone();
    bad_key.verifying_key.clear();
    assert_eq!(
        rules::check_create_chain(&bad_key, |_| false, 4, &RULES),
        Err(RuleError::TooManyChains { max: 4 })
    );
    assert!(matches!(
        rules::check_create_chain(&bad_key, |_| false, 0, &RULES),
        Err(RuleError::BadKey(_))
    ));
}

#[test]
fn a_proof_is_checked_for_chain_number_root_and_size_before_verification() {
    let a = chain_a();
    let p = &a.proofs[1];
    assert_eq!(
        rules::check_proof_sequence(p, None),
        Err(RuleError::UnknownChain(a.id))
    );
    let head = ChainHead {
        create: &a.create,
        verified_block: 1,
        verified_root: a.proofs[0].new_state_root,
    };
    assert_eq!(rules::check_submit_proof(p, Some(head)), Ok(()));
    let behind = ChainHead {
        verified_block: 0,
        ..head
    };
    assert_eq!(
        rules::check_proof_sequence(p, Some(behind)),
        Err(RuleError::WrongBlockNumber {
            expected: 1,
            got: 2
        })
    );
    let elsewhere = ChainHead {
        verified_root: Hash32::sha256(b"x"),
        ..head
    };
    assert!(matches!(
        rules::check_proof_sequence(p, Some(elsewhere)),
        Err(RuleError::WrongPrevRoot { .. })
    ));
    let mut relabelled = p.clone();
    relabelled.chain_id = ChainId(Hash32::sha256(b"other"));
    assert!(matches!(
        rules::check_proof_validity(&relabelled, &a.create),
        Err(RuleError::ProofInvalid(_))
    ));
}
