//! Decoded models by content hash, bounded: the least recently used goes first. A model
//! whose bytes do not decode is cached as that refusal, so it is not fetched again.

use crate::output::Refusal;
use bitai_models::CheckedModel;
use bitai_protocol::Hash32;
use std::collections::BTreeMap;
use std::sync::Arc;

/// A model as the neuron runs it: checked, or refused for every request.
pub type CachedModel = Arc<Result<CheckedModel, Refusal>>;

/// At most `capacity` decoded models.
#[derive(Debug)]
pub struct ModelCache {
    capacity: usize,
    uses: u64,
    entries: BTreeMap<Hash32, (u64, CachedModel)>,
}

impl ModelCache {
    /// An empty cache of `capacity` entries (at least 1).
    pub fn new(capacity: usize) -> Self {
        ModelCache {
            capacity: capacity.max(1),
            uses: 0,
            entries: BTreeMap::new(),
        }
    }

    /// The model of `hash`, if cached (it becomes the most recently used).
    pub fn get(&mut self, hash: &Hash32) -> Option<CachedModel> {
        self.uses += 1;
        let uses = self.uses;
        self.entries.get_mut(hash).map(|(used, model)| {
            *used = uses;
            model.clone()
        })
    }

    /// Adds a model, evicting the least recently used one if full.
    pub fn insert(&mut self, hash: Hash32, model: CachedModel) {
        if !self.entries.contains_key(&hash) && self.entries.len() >= self.capacity {
            let oldest = self
                .entries
                .iter()
                .min_by_key(|(_, (used, _))| *used)
                .map(|(h, _)| *h);
            if let Some(h) = oldest {
                self.entries.remove(&h);
            }
        }
        self.uses += 1;
        self.entries.insert(hash, (self.uses, model));
    }

    /// Models cached.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether nothing is cached.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_least_recently_used_model_goes_first() {
        let mut cache = ModelCache::new(2);
        let h = |i: u8| Hash32([i; 32]);
        let refused = || Arc::new(Err(Refusal::BadModel));
        cache.insert(h(1), refused());
        cache.insert(h(2), refused());
        assert!(cache.get(&h(1)).is_some(), "1 becomes the most recent");
        cache.insert(h(3), refused());
        assert_eq!(cache.len(), 2);
        assert!(cache.get(&h(2)).is_none(), "2 was the least recently used");
        assert!(cache.get(&h(1)).is_some());
        assert!(cache.get(&h(3)).is_some());
    }
}
