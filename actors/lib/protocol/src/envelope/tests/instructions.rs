//! The lean instruction reader agrees with rust-bitcoin's non-minimal iterator (the one ord
//! uses) on every byte string: same instructions, same offsets, same place of failure.

use crate::envelope::instructions::{Instruction, Instructions};
use bitcoin::script::{Instruction as Theirs, Script};
use proptest::prelude::*;

fn ours(bytes: &[u8]) -> Vec<Result<(usize, Instruction<'_>), ()>> {
    Instructions::new(bytes)
        .map(|item| item.map_err(|_| ()))
        .collect()
}

fn theirs(bytes: &[u8]) -> Vec<Result<(usize, Instruction<'_>), ()>> {
    Script::from_bytes(bytes)
        .instruction_indices()
        .map(|item| match item {
            Ok((at, Theirs::PushBytes(push))) => Ok((at, Instruction::Push(push.as_bytes()))),
            Ok((at, Theirs::Op(op))) => Ok((at, Instruction::Op(op.to_u8()))),
            Err(_) => Err(()),
        })
        .collect()
}

#[test]
fn pushdata_edges() {
    for bytes in [
        &[][..],
        &[0x00],
        &[0x01],
        &[0x4c],
        &[0x4c, 0x00],
        &[0x4c, 0x02, 0xaa],
        &[0x4d, 0x01],
        &[0x4d, 0x01, 0x00, 0xaa],
        &[0x4e, 0x01, 0x00, 0x00],
        &[0x4e, 0x00, 0x00, 0x00, 0x00, 0x51],
        &[0x4e, 0xff, 0xff, 0xff, 0xff, 0x00],
    ] {
        assert_eq!(ours(bytes), theirs(bytes), "{bytes:02x?}");
    }
    let mut reader = Instructions::new(&[0x51, 0x02, 0xaa]);
    assert_eq!(reader.next(), Some(Ok((0, Instruction::Op(0x51)))));
    assert!(matches!(reader.next(), Some(Err(_))));
    assert_eq!(reader.offset(), 1);
    assert_eq!(reader.next(), None);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn agrees_with_rust_bitcoin(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        prop_assert_eq!(ours(&bytes), theirs(&bytes));
    }

    #[test]
    fn agrees_on_push_heavy_scripts(pieces in prop::collection::vec(
        prop_oneof![
            prop::collection::vec(any::<u8>(), 0..3),
            (0x4cu8..=0x4e, prop::collection::vec(any::<u8>(), 0..6))
                .prop_map(|(op, rest)| [vec![op], rest].concat()),
            (0u8..=0x4b).prop_flat_map(|n| prop::collection::vec(any::<u8>(), usize::from(n))
                .prop_map(move |data| [vec![n], data].concat())),
        ], 0..20)) {
        let bytes = pieces.concat();
        prop_assert_eq!(ours(&bytes), theirs(&bytes));
    }
}
