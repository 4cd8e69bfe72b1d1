//! Both stores answer the same operations the same way (a model-based property test), and
//! the fjall store keeps what it acknowledged across a reopen.

use super::*;
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Action {
    Put(u8, Vec<u8>, Vec<u8>),
    Delete(u8, Vec<u8>),
    Batch(Vec<(u8, Vec<u8>, Option<Vec<u8>>)>),
}

fn ks(i: u8) -> String {
    format!("ks.{}", i % 3)
}

fn arb_key() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(0u8..4, 1..4)
}

fn arb_bound() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(0u8..4, 0..4)
}

fn arb_action() -> impl Strategy<Value = Action> {
    prop_oneof![
        (
            any::<u8>(),
            arb_key(),
            prop::collection::vec(any::<u8>(), 0..8)
        )
            .prop_map(|(k, key, v)| Action::Put(k, key, v)),
        (any::<u8>(), arb_key()).prop_map(|(k, key)| Action::Delete(k, key)),
        prop::collection::vec(
            (
                any::<u8>(),
                arb_key(),
                prop::option::of(prop::collection::vec(any::<u8>(), 0..8))
            ),
            0..6
        )
        .prop_map(Action::Batch),
    ]
}

fn apply(store: &dyn Store, action: &Action) {
    match action {
        Action::Put(k, key, v) => store.put(&ks(*k), key, v).expect("put"),
        Action::Delete(k, key) => {
            let mut b = Batch::default();
            b.delete(&ks(*k), key);
            store.write(b).expect("delete")
        }
        Action::Batch(ops) => {
            let mut b = Batch::default();
            for (k, key, v) in ops {
                match v {
                    Some(v) => b.put(&ks(*k), key, v),
                    None => b.delete(&ks(*k), key),
                };
            }
            store.write(b).expect("batch")
        }
    }
}

fn dump(store: &dyn Store) -> Vec<(String, Vec<Entry>)> {
    (0..3u8)
        .map(|k| {
            (
                ks(k),
                store.range(&ks(k), &[], None, usize::MAX).expect("range"),
            )
        })
        .collect()
}

proptest! {
    // Each case opens a fjall database (a few hundred ms); the sequences are long instead.
    #![proptest_config(ProptestConfig::with_cases(16))]
    #[test]
    fn fjall_and_memory_agree(actions in prop::collection::vec(arb_action(), 0..80),
                              prefix in arb_bound(), from in arb_bound(), to in arb_bound()) {
        let dir = tempfile::tempdir().expect("tempdir");
        let fjall = FjallStore::open(dir.path(), Durability::Process).expect("open");
        let memory = MemoryStore::new();
        for a in &actions {
            apply(&fjall, a);
            apply(&memory, a);
        }
        prop_assert_eq!(dump(&fjall), dump(&memory));
        for k in 0..3u8 {
            prop_assert_eq!(fjall.scan_prefix(&ks(k), &prefix, 100).expect("scan"),
                            memory.scan_prefix(&ks(k), &prefix, 100).expect("scan"));
            prop_assert_eq!(fjall.range(&ks(k), &from, Some(&to), 3).expect("range"),
                            memory.range(&ks(k), &from, Some(&to), 3).expect("range"));
            prop_assert_eq!(fjall.last_in_range(&ks(k), &from, Some(&to)).expect("last"),
                            memory.last_in_range(&ks(k), &from, Some(&to)).expect("last"));
        }
    }
}

#[test]
fn fjall_keeps_acknowledged_batches_across_reopen() {
    let dir = tempfile::tempdir().expect("tempdir");
    {
        let store = FjallStore::open(dir.path(), Durability::Process).expect("open");
        let mut b = Batch::default();
        b.put("a", b"k1", b"v1")
            .put("b", b"k2", b"v2")
            .delete("a", b"missing");
        store.write(b).expect("write");
    }
    let store = FjallStore::open(dir.path(), Durability::Process).expect("reopen");
    assert_eq!(store.get("a", b"k1").expect("get"), Some(b"v1".to_vec()));
    assert_eq!(store.get("b", b"k2").expect("get"), Some(b"v2".to_vec()));
}

#[test]
fn empty_and_oversized_keys_are_refused_by_both_stores_and_nothing_is_written() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fjall = FjallStore::open(dir.path(), Durability::Process).expect("open");
    let memory = MemoryStore::new();
    for store in [&fjall as &dyn Store, &memory] {
        assert!(matches!(
            store.get("a", b""),
            Err(StoreError::InvalidKey { len: 0 })
        ));
        let mut b = Batch::default();
        b.put("a", b"fine", b"v")
            .put("a", &[1; MAX_KEY_BYTES + 1], b"v");
        assert!(matches!(store.write(b), Err(StoreError::InvalidKey { .. })));
        assert_eq!(
            store.get("a", b"fine").expect("reads"),
            None,
            "the batch is all or none"
        );
        let mut b = Batch::default();
        b.delete("a", b"");
        assert!(store.write(b).is_err());
    }
}

#[test]
fn keyspace_names_are_checked() {
    let memory = MemoryStore::new();
    assert!(matches!(
        memory.get("bad name", b"k"),
        Err(StoreError::InvalidKeyspace(_))
    ));
    assert!(matches!(
        memory.get("", b"k"),
        Err(StoreError::InvalidKeyspace(_))
    ));
}

#[test]
fn prefix_end_handles_all_ff() {
    assert_eq!(prefix_end(b"ab"), Some(b"ac".to_vec()));
    assert_eq!(prefix_end(&[1, 0xff]), Some(vec![2]));
    assert_eq!(prefix_end(&[0xff, 0xff]), None);
}

#[test]
fn a_failed_write_applies_nothing_and_the_next_one_succeeds() {
    let store = MemoryStore::new();
    store.put("a", b"1", b"one").expect("written");
    store.fail_write_in(2);
    store
        .put("a", b"2", b"two")
        .expect("the first write after arming succeeds");
    let mut batch = Batch::default();
    batch.put("a", b"3", b"three");
    batch.delete("a", b"1");
    assert!(matches!(store.write(batch), Err(StoreError::Engine(_))));
    assert_eq!(store.get("a", b"1").expect("read"), Some(b"one".to_vec()));
    assert_eq!(store.get("a", b"3").expect("read"), None);
    store
        .put("a", b"4", b"four")
        .expect("the fault struck once");
    assert!(!store.crashed());
}

#[test]
fn a_crash_keeps_every_committed_batch_and_nothing_after_it_until_recovered() {
    let store = MemoryStore::new();
    store.crash_in(3);
    store.put("a", b"1", b"one").expect("committed");
    store.put("a", b"2", b"two").expect("committed");
    assert!(store.put("a", b"3", b"three").is_err(), "the crash point");
    assert!(store.crashed());
    assert!(
        store.put("a", b"4", b"four").is_err(),
        "down until recovered"
    );
    store.recover();
    assert!(!store.crashed());
    let keys: Vec<Vec<u8>> = store
        .range("a", &[], None, 10)
        .expect("read")
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    assert_eq!(keys, vec![b"1".to_vec(), b"2".to_vec()]);
    store.put("a", b"5", b"five").expect("up again");
}

#[test]
fn a_spared_keyspace_is_neither_refused_nor_counted() {
    let store = MemoryStore::new();
    store.spare_keyspace("outside");
    store.crash_in(1);
    store.put("outside", b"1", b"one").expect("spared");
    assert!(!store.crashed());
    assert!(store.put("a", b"1", b"one").is_err());
    store
        .put("outside", b"2", b"two")
        .expect("still spared while down");
    store.recover();
    store.crash_in(1);
    store
        .put("outside", b"3", b"three")
        .expect("spared after recovery too");
}
