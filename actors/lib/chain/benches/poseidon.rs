//! Poseidon and the account tree, the chains' hot path (two thirds of a simulated day's wall
//! time): one hash of 2 and of 4 inputs (the tree's width 5), and one leaf write in a 4^16
//! tree (16 hashes of 4). Run: `cargo bench -p bitai-chain --bench poseidon`.

#![allow(missing_docs)] // criterion_group! generates an undocumented public function

use bitai_chain::field::Fr;
use bitai_chain::poseidon::poseidon;
use bitai_chain::smt::{SparseMerkleTree, DEPTH_2_32};
use criterion::{black_box, criterion_group, criterion_main, Criterion};

fn hashes(c: &mut Criterion) {
    let two = [Fr::from(1u64), Fr::from(2u64)];
    let four = [
        Fr::from(1u64),
        Fr::from(2u64),
        Fr::from(3u64),
        Fr::from(4u64),
    ];
    c.bench_function("poseidon/2 inputs", |b| {
        b.iter(|| poseidon(black_box(&two)))
    });
    c.bench_function("poseidon/4 inputs", |b| {
        b.iter(|| poseidon(black_box(&four)))
    });
    let mut tree = SparseMerkleTree::new(DEPTH_2_32);
    let mut i = 0u64;
    c.bench_function("smt/set at depth 16", |b| {
        b.iter(|| {
            i = (i + 7919) % 100_000;
            tree.set(black_box(i), Fr::from(i + 1)).expect("in range");
        })
    });
}

criterion_group!(benches, hashes);
criterion_main!(benches);
