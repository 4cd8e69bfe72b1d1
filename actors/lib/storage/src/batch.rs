//! Atomic write batches: a list of puts and deletes over any keyspaces, applied all or none.

/// One operation of a [`Batch`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    /// Set `key` to `value`.
    Put {
        /// Keyspace.
        keyspace: String,
        /// Key.
        key: Vec<u8>,
        /// Value.
        value: Vec<u8>,
    },
    /// Remove `key`.
    Delete {
        /// Keyspace.
        keyspace: String,
        /// Key.
        key: Vec<u8>,
    },
}

impl Op {
    /// The keyspace the operation touches.
    pub fn keyspace(&self) -> &str {
        match self {
            Op::Put { keyspace, .. } | Op::Delete { keyspace, .. } => keyspace,
        }
    }
}

/// Operations applied atomically by [`crate::Store::write`], in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Batch {
    /// The operations, applied in order (a later one on the same key wins).
    pub ops: Vec<Op>,
}

impl Batch {
    /// Adds a put.
    pub fn put(&mut self, keyspace: &str, key: &[u8], value: &[u8]) -> &mut Self {
        self.ops.push(Op::Put {
            keyspace: keyspace.to_owned(),
            key: key.to_vec(),
            value: value.to_vec(),
        });
        self
    }

    /// Adds a delete.
    pub fn delete(&mut self, keyspace: &str, key: &[u8]) -> &mut Self {
        self.ops.push(Op::Delete {
            keyspace: keyspace.to_owned(),
            key: key.to_vec(),
        });
        self
    }

    /// Number of operations.
    pub fn len(&self) -> usize {
        self.ops.len()
    }

    /// Whether the batch is empty.
    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }
}
