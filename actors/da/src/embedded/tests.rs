//! The embedded DA on both stores: put returns SHA-256, get serves it back, puts are
//! idempotent, oversized blobs are refused, and bytes that no longer match their commitment
//! are refused rather than served.

use super::*;
use bitai_storage::{Durability, FjallStore, MemoryStore};
use std::sync::Arc;

fn check_round_trip(store: SharedStore) {
    let da = EmbeddedDa::new(store.clone(), 1024);
    let blob = b"block data".to_vec();
    let c = da.put(&blob).expect("put");
    assert_eq!(c, Hash32::sha256(&blob));
    assert_eq!(da.get(&c).expect("get"), Some(blob.clone()));
    assert_eq!(da.put(&blob).expect("second put"), c, "idempotent");
    let listed = store.scan_prefix(DA_KEYSPACE, &[], 10).expect("scan");
    assert_eq!(listed.len(), 1, "one stored copy");
    assert_eq!(da.get(&Hash32::sha256(b"other")).expect("get"), None);
    match da.put(&[0u8; 1025]) {
        Err(DaError::BlobTooLarge {
            len: 1025,
            max: 1024,
        }) => {}
        other => panic!("expected BlobTooLarge, got {other:?}"),
    }
}

#[test]
fn memory_store_round_trip() {
    check_round_trip(Arc::new(MemoryStore::new()));
}

#[test]
fn fjall_store_round_trip_and_reopen() {
    let dir = tempfile::tempdir().expect("tempdir");
    let c = {
        let store = Arc::new(FjallStore::open(dir.path(), Durability::Process).expect("open"));
        check_round_trip(store.clone());
        EmbeddedDa::new(store, 1024).put(b"kept").expect("put")
    };
    let store = Arc::new(FjallStore::open(dir.path(), Durability::Process).expect("reopen"));
    let da = EmbeddedDa::new(store, 1024);
    assert_eq!(da.get(&c).expect("get"), Some(b"kept".to_vec()));
}

#[test]
fn a_tampered_blob_is_refused() {
    let store: SharedStore = Arc::new(MemoryStore::new());
    let da = EmbeddedDa::new(store.clone(), 1024);
    let c = da.put(b"honest").expect("put");
    store
        .put(DA_KEYSPACE, c.as_bytes(), b"forged")
        .expect("tamper");
    match da.get(&c) {
        Err(DaError::CommitmentMismatch { commitment }) => assert_eq!(commitment, c),
        other => panic!("expected CommitmentMismatch, got {other:?}"),
    }
}
