//! The account tree: a sparse Merkle tree of arity four over Poseidon, with room for
//! `4^depth` leaves (depth 16 holds 2^32 accounts).
//!
//! Arity four halves the number of levels of a binary tree and a four-input Poseidon costs 297
//! constraints against 240 for two inputs, so a membership path at 2^32 costs 16 x 297 = 4,752
//! constraints in the circuit instead of 32 x 240 = 7,680. An empty leaf is 0; an empty node
//! is the hash of four empty children of the level below, precomputed per level, so only the
//! nodes on paths to non-empty leaves are stored.

use crate::field::Fr;
use crate::poseidon::poseidon;
use ark_ff::AdditiveGroup;
use std::collections::BTreeMap;

/// Children per node.
pub const ARITY: usize = 4;

/// Levels of the production tree: 4^16 = 2^32 accounts.
pub const DEPTH_2_32: usize = 16;

/// Deepest tree this code builds (positions are `u64`).
pub const MAX_DEPTH: usize = 31;

/// A membership proof: for each level from the leaves up, the three siblings of the path
/// node in child order (the path node's own slot left out).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MerkleProof {
    /// Leaf position.
    pub index: u64,
    /// Siblings per level, leaves first.
    pub siblings: Vec<[Fr; ARITY - 1]>,
}

impl MerkleProof {
    /// The root that `leaf` at this proof's position leads to.
    pub fn root(&self, leaf: Fr) -> Fr {
        let mut node = leaf;
        for (level, siblings) in self.siblings.iter().enumerate() {
            let slot = digit(self.index, level);
            node = poseidon(&children(node, slot, siblings));
        }
        node
    }
}

/// The child slot (0..4) of the path at `level` for leaf `index`.
pub fn digit(index: u64, level: usize) -> usize {
    ((index >> (2 * level)) & 3) as usize
}

/// The four children of a node whose path child `node` sits in `slot`.
pub fn children(node: Fr, slot: usize, siblings: &[Fr; ARITY - 1]) -> [Fr; ARITY] {
    let mut out = [Fr::ZERO; ARITY];
    let mut next = siblings.iter();
    for (i, child) in out.iter_mut().enumerate() {
        *child = if i == slot {
            node
        } else {
            *next.next().expect("three siblings")
        };
    }
    out
}

/// A sparse Merkle tree of arity four.
#[derive(Clone, Debug)]
pub struct SparseMerkleTree {
    depth: usize,
    /// Non-empty nodes by (level, position at that level); level 0 holds the leaves.
    nodes: BTreeMap<(usize, u64), Fr>,
    /// The empty node of each level, 0 for leaves, up to the root level.
    empty: Vec<Fr>,
}

/// Why a tree operation was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum TreeError {
    /// The position is beyond the tree's capacity.
    #[error("leaf index {index} beyond capacity 4^{depth}")]
    IndexOutOfRange {
        /// The position asked for.
        index: u64,
        /// The tree's depth.
        depth: usize,
    },
}

impl SparseMerkleTree {
    /// An empty tree of `depth` levels (1..=31).
    ///
    /// # Panics
    /// If `depth` is 0 or above [`MAX_DEPTH`] (a configuration bug).
    pub fn new(depth: usize) -> Self {
        assert!(
            (1..=MAX_DEPTH).contains(&depth),
            "tree depth must be 1..={MAX_DEPTH}"
        );
        SparseMerkleTree {
            depth,
            nodes: BTreeMap::new(),
            empty: empty_nodes(depth),
        }
    }

    /// Levels of the tree.
    pub fn depth(&self) -> usize {
        self.depth
    }

    /// Number of leaf positions, `4^depth`.
    pub fn capacity(&self) -> u64 {
        1u64 << (2 * self.depth)
    }

    /// The root.
    pub fn root(&self) -> Fr {
        self.node(self.depth, 0)
    }

    /// The leaf at `index` (0 when empty).
    pub fn leaf(&self, index: u64) -> Result<Fr, TreeError> {
        self.check(index)?;
        Ok(self.node(0, index))
    }

    /// The membership proof of position `index`.
    pub fn proof(&self, index: u64) -> Result<MerkleProof, TreeError> {
        self.check(index)?;
        let siblings = (0..self.depth)
            .map(|level| {
                let pos = index >> (2 * level);
                let first = pos & !3;
                let mut out = [Fr::ZERO; ARITY - 1];
                let mut k = 0;
                for child in first..first + 4 {
                    if child != pos {
                        out[k] = self.node(level, child);
                        k += 1;
                    }
                }
                out
            })
            .collect();
        Ok(MerkleProof { index, siblings })
    }

    /// Sets the leaf at `index` and updates the path to the root.
    pub fn set(&mut self, index: u64, leaf: Fr) -> Result<(), TreeError> {
        self.check(index)?;
        self.put(0, index, leaf);
        let mut pos = index;
        for level in 0..self.depth {
            let first = pos & !3;
            let kids: Vec<Fr> = (first..first + 4).map(|c| self.node(level, c)).collect();
            pos >>= 2;
            self.put(level + 1, pos, poseidon(&kids));
        }
        Ok(())
    }

    fn check(&self, index: u64) -> Result<(), TreeError> {
        if index < self.capacity() {
            Ok(())
        } else {
            Err(TreeError::IndexOutOfRange {
                index,
                depth: self.depth,
            })
        }
    }

    fn node(&self, level: usize, pos: u64) -> Fr {
        self.nodes
            .get(&(level, pos))
            .copied()
            .unwrap_or(self.empty[level])
    }

    fn put(&mut self, level: usize, pos: u64, value: Fr) {
        if value == self.empty[level] {
            self.nodes.remove(&(level, pos));
        } else {
            self.nodes.insert((level, pos), value);
        }
    }
}

/// The empty node of every level 0..=depth.
pub fn empty_nodes(depth: usize) -> Vec<Fr> {
    let mut empty = vec![Fr::ZERO];
    for level in 0..depth {
        let below = empty[level];
        empty.push(poseidon(&[below; ARITY]));
    }
    empty
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn empty_tree_root_is_the_empty_node() {
        let tree = SparseMerkleTree::new(DEPTH_2_32);
        assert_eq!(tree.capacity(), 1 << 32);
        assert_eq!(tree.root(), empty_nodes(DEPTH_2_32)[DEPTH_2_32]);
        let proof = tree.proof(u64::from(u32::MAX)).expect("in range");
        assert_eq!(proof.root(Fr::ZERO), tree.root());
        assert!(tree.proof(1 << 32).is_err());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]
        #[test]
        fn proofs_lead_to_the_root(writes in proptest::collection::vec((0u64..256, 1u64..1000), 1..8)) {
            let mut tree = SparseMerkleTree::new(4);
            for (index, value) in &writes {
                let before = tree.proof(*index).expect("in range");
                prop_assert_eq!(before.root(tree.leaf(*index).expect("in range")), tree.root());
                tree.set(*index, Fr::from(*value)).expect("in range");
                // The same siblings with the new leaf give the new root.
                prop_assert_eq!(before.root(Fr::from(*value)), tree.root());
            }
            for (index, _) in &writes {
                let proof = tree.proof(*index).expect("in range");
                prop_assert_eq!(proof.root(tree.leaf(*index).expect("in range")), tree.root());
            }
        }
    }

    #[test]
    fn clearing_a_leaf_restores_the_empty_root() {
        let mut tree = SparseMerkleTree::new(3);
        let empty = tree.root();
        tree.set(17, Fr::from(5u64)).expect("in range");
        assert_ne!(tree.root(), empty);
        tree.set(17, Fr::ZERO).expect("in range");
        assert_eq!(tree.root(), empty);
    }
}
