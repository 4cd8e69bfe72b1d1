//! The persisted record: round trips, one neuron's records apart from another's, deletion,
//! and a decoder that refuses rather than panics.

use super::*;
use bitai_storage::MemoryStore;
use proptest::prelude::*;
use std::sync::Arc;

fn record(request: u32) -> SeatRecord {
    SeatRecord {
        request,
        seat: 2,
        result: Fr::from(u64::from(request) + 7),
        salt: Fr::from(99u64),
        output: vec![0, 1, 2, 3],
        commit_op: Some(Hash32([4; 32])),
        reveal_op: None,
        submitted_at: 12,
    }
}

#[test]
fn records_round_trip_and_stay_apart_by_account_and_chain() {
    let store: SharedStore = Arc::new(MemoryStore::new());
    let chain = ChainId(Hash32([1; 32]));
    let mine = NeuronStore::new(store.clone(), &chain, 10);
    let other = NeuronStore::new(store.clone(), &chain, 11);
    let elsewhere = NeuronStore::new(store, &ChainId(Hash32([2; 32])), 10);
    mine.put(&record(3)).expect("put");
    mine.put(&record(1)).expect("put");
    other.put(&record(5)).expect("put");
    elsewhere.put(&record(6)).expect("put");
    assert_eq!(mine.get(3).expect("get"), Some(record(3)));
    assert_eq!(mine.all().expect("all"), vec![record(1), record(3)]);
    mine.forget(&[1]).expect("forget");
    assert_eq!(mine.all().expect("all"), vec![record(3)]);
    assert_eq!(other.all().expect("all"), vec![record(5)]);
    assert_eq!(elsewhere.all().expect("all"), vec![record(6)]);
}

#[test]
fn invalid_records_are_refused() {
    let mut bad_seat = record(1);
    bad_seat.seat = 3;
    assert_eq!(
        SeatRecord::decode(&bad_seat.encode()),
        Err(RecordError::Invalid("seat"))
    );
    let mut trailing = record(1).encode();
    trailing.push(0);
    assert!(matches!(
        SeatRecord::decode(&trailing),
        Err(RecordError::Decode(_))
    ));
    let mut bytes = record(1).encode();
    // The result's 32 bytes follow the request (varint 1) and seat: all 0xff is not canonical.
    bytes[2..34].copy_from_slice(&[0xff; 32]);
    assert_eq!(
        SeatRecord::decode(&bytes),
        Err(RecordError::Invalid("result"))
    );
}

proptest! {
    #[test]
    fn decoding_any_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        if let Ok(r) = SeatRecord::decode(&bytes) {
            prop_assert_eq!(r.encode(), bytes);
        }
    }
}
