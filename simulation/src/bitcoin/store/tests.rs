//! The meta record's encoding: round trips, and arbitrary or damaged bytes give typed errors.

use super::{Meta, MetaError, META_FIXED_BYTES, SCRIPT_MAX_BYTES};
use bitcoin::hashes::Hash;
use bitcoin::{BlockHash, ScriptBuf};
use proptest::prelude::*;

fn meta() -> impl Strategy<Value = Meta> {
    (
        (
            any::<u64>(),
            any::<[u8; 32]>(),
            any::<u64>(),
            any::<[u8; 32]>(),
        ),
        (any::<u64>(), any::<u64>(), any::<u64>(), any::<u128>()),
        (
            any::<u64>(),
            proptest::option::of(any::<u64>()),
            proptest::collection::vec(any::<u8>(), 0..200),
        ),
    )
        .prop_map(
            |(
                (seed, genesis, tip_height, tip_hash),
                (log_len, blocks_built, next_due_ms, rng_word_pos),
                (miner_min, spike, script),
            )| Meta {
                seed,
                genesis: BlockHash::from_byte_array(genesis),
                tip_height,
                tip_hash: BlockHash::from_byte_array(tip_hash),
                log_len,
                blocks_built,
                next_due_ms,
                rng_word_pos,
                miner_min_fee_rate_sat_per_kvb: miner_min,
                fee_spike_sat_per_kvb: spike,
                coinbase_script_pubkey: ScriptBuf::from_bytes(script),
            },
        )
}

proptest! {
    #[test]
    fn meta_round_trips(m in meta()) {
        let bytes = m.encode();
        prop_assert_eq!(bytes.len(), META_FIXED_BYTES + m.coinbase_script_pubkey.len());
        prop_assert_eq!(Meta::decode(&bytes), Ok(m));
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        // Whatever it returns, it returns; a decoded record encodes back to the same bytes.
        if let Ok(m) = Meta::decode(&bytes) {
            prop_assert_eq!(m.encode(), bytes);
        }
    }

    #[test]
    fn truncated_or_extended_records_are_refused(m in meta(), cut in 1usize..40, extra in 1usize..8) {
        let bytes = m.encode();
        let short = &bytes[..bytes.len().saturating_sub(cut)];
        let is_length_error = matches!(Meta::decode(short), Err(MetaError::Length { .. }));
        prop_assert!(is_length_error);
        let mut long = bytes.clone();
        long.extend(std::iter::repeat_n(0u8, extra));
        let is_length_error = matches!(Meta::decode(&long), Err(MetaError::Length { .. }));
        prop_assert!(is_length_error);
    }
}

fn sample() -> Meta {
    Meta {
        seed: 3,
        genesis: BlockHash::all_zeros(),
        tip_height: 5,
        tip_hash: BlockHash::all_zeros(),
        log_len: 5,
        blocks_built: 5,
        next_due_ms: 1_000,
        rng_word_pos: 4,
        miner_min_fee_rate_sat_per_kvb: 1_000,
        fee_spike_sat_per_kvb: None,
        coinbase_script_pubkey: ScriptBuf::from_bytes(vec![0x51]),
    }
}

#[test]
fn bad_version_flag_and_script_length_are_typed_errors() {
    let mut bytes = sample().encode();
    bytes[0] = 9;
    assert_eq!(Meta::decode(&bytes), Err(MetaError::Version(9)));

    let flag_at = META_FIXED_BYTES - 4 - 8 - 1;
    let mut bytes = sample().encode();
    bytes[flag_at] = 2;
    assert_eq!(Meta::decode(&bytes), Err(MetaError::Flag(2)));
    // Flag 0 with a non-zero value is not a canonical encoding either.
    let mut bytes = sample().encode();
    bytes[flag_at + 8] = 1;
    assert_eq!(Meta::decode(&bytes), Err(MetaError::Flag(0)));

    let mut bytes = sample().encode();
    let len_at = META_FIXED_BYTES - 4;
    let too_long = u32::try_from(SCRIPT_MAX_BYTES + 1).expect("fits");
    bytes[len_at..len_at + 4].copy_from_slice(&too_long.to_be_bytes());
    assert_eq!(
        Meta::decode(&bytes),
        Err(MetaError::ScriptTooLong(SCRIPT_MAX_BYTES + 1))
    );
}
