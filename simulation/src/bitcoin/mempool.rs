//! The mempool as a data structure: entries linked to their in-mempool parents and children,
//! with cached ancestor and descendant aggregates (count, vsize, fee, weight) as Bitcoin Core
//! keeps them, the map of spent outpoints, size-cap eviction by descendant score, and the
//! rolling minimum fee rate that rises after an eviction and decays with a 12-hour half-life.
//!
//! What may enter is decided in `policy`; this module keeps the graph consistent. Ancestor and
//! descendant sets are walked breadth-first; policy bounds them (25 by default), so every
//! update touches a bounded number of entries.

use bitcoin::{OutPoint, Transaction, Txid, Wtxid};
use std::collections::{BTreeMap, BTreeSet};

/// Package aggregates: a transaction together with its ancestors or its descendants.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Aggregate {
    pub count: u64,
    pub vsize: u64,
    pub weight: u64,
    pub fee_sat: u64,
}

impl Aggregate {
    /// The aggregate of one entry alone.
    pub fn of(e: &Entry) -> Self {
        Self {
            count: 1,
            vsize: e.vsize,
            weight: e.weight,
            fee_sat: e.fee_sat,
        }
    }

    /// Adds `other`.
    pub fn add(&mut self, other: Aggregate) {
        self.count += other.count;
        self.vsize += other.vsize;
        self.weight += other.weight;
        self.fee_sat += other.fee_sat;
    }

    /// Subtracts `other`, which it contains.
    pub fn sub(&mut self, other: Aggregate) {
        self.count -= other.count;
        self.vsize -= other.vsize;
        self.weight -= other.weight;
        self.fee_sat -= other.fee_sat;
    }
}

/// A transaction in the mempool.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub tx: Transaction,
    pub txid: Txid,
    pub wtxid: Wtxid,
    pub fee_sat: u64,
    pub vsize: u64,
    pub weight: u64,
    /// Arrival order, for deterministic tie-breaks and rebuilds.
    pub seq: u64,
    pub parents: BTreeSet<Txid>,
    pub children: BTreeSet<Txid>,
    /// Itself and its in-mempool ancestors.
    pub ancestors: Aggregate,
    /// Itself and its in-mempool descendants.
    pub descendants: Aggregate,
}

/// Fee rate of `fee_sat` over `vsize`, sat per 1000 vB (rounded down).
pub(crate) fn rate_sat_per_kvb(fee_sat: u64, vsize: u64) -> u64 {
    let rate = u128::from(fee_sat) * 1000 / u128::from(vsize.max(1));
    u64::try_from(rate).unwrap_or(u64::MAX)
}

impl Entry {
    /// A new entry, not yet linked.
    pub fn new(tx: Transaction, txid: Txid, fee_sat: u64) -> Self {
        let weight = tx.weight().to_wu();
        let vsize = weight.div_ceil(4);
        let wtxid = tx.compute_wtxid();
        Self {
            tx,
            txid,
            wtxid,
            fee_sat,
            vsize,
            weight,
            seq: 0,
            parents: BTreeSet::new(),
            children: BTreeSet::new(),
            ancestors: Aggregate::default(),
            descendants: Aggregate::default(),
        }
    }

    /// Own fee rate, sat/kvB.
    pub fn rate_sat_per_kvb(&self) -> u64 {
        rate_sat_per_kvb(self.fee_sat, self.vsize)
    }

    /// Core's descendant score: the higher of its own and its descendant package's fee rate.
    fn descendant_score(&self) -> (u64, u64) {
        let own = u128::from(self.fee_sat) * u128::from(self.descendants.vsize);
        let package = u128::from(self.descendants.fee_sat) * u128::from(self.vsize);
        if own >= package {
            (self.fee_sat, self.vsize)
        } else {
            (self.descendants.fee_sat, self.descendants.vsize)
        }
    }
}

/// The mempool.
#[derive(Debug, Clone, Default)]
pub(crate) struct Mempool {
    pub entries: BTreeMap<Txid, Entry>,
    /// Which mempool transaction spends each outpoint.
    pub spent_by: BTreeMap<OutPoint, Txid>,
    pub total_vsize: u64,
    next_seq: u64,
    rolling_min_sat_per_kvb: f64,
    last_rolling_update_ms: u64,
    block_since_last_bump: bool,
}

/// Half-life of the rolling minimum fee rate (Core's ROLLING_FEE_HALFLIFE), ms.
const ROLLING_FEE_HALFLIFE_MS: u64 = 12 * 60 * 60 * 1000;

impl Mempool {
    /// The in-mempool ancestors of `txid` (not itself), given its parents.
    pub fn ancestors_of_parents(&self, parents: &BTreeSet<Txid>) -> BTreeSet<Txid> {
        let mut seen = BTreeSet::new();
        let mut queue: Vec<Txid> = parents.iter().copied().collect();
        while let Some(t) = queue.pop() {
            if seen.insert(t) {
                queue.extend(self.entries[&t].parents.iter().copied());
            }
        }
        seen
    }

    /// The in-mempool ancestors of `txid` (not itself).
    pub fn ancestors(&self, txid: &Txid) -> BTreeSet<Txid> {
        self.ancestors_of_parents(&self.entries[txid].parents)
    }

    /// The in-mempool descendants of `txid` (not itself).
    pub fn descendants(&self, txid: &Txid) -> BTreeSet<Txid> {
        let mut seen = BTreeSet::new();
        let mut queue: Vec<Txid> = self.entries[txid].children.iter().copied().collect();
        while let Some(t) = queue.pop() {
            if seen.insert(t) {
                queue.extend(self.entries[&t].children.iter().copied());
            }
        }
        seen
    }

    /// Inserts `entry`, whose in-mempool inputs are `parents`, and updates the aggregates.
    pub fn insert(&mut self, mut entry: Entry, parents: BTreeSet<Txid>) {
        let ancestors = self.ancestors_of_parents(&parents);
        entry.seq = self.next_seq;
        self.next_seq += 1;
        let own = Aggregate::of(&entry);
        entry.ancestors = own;
        entry.descendants = own;
        for a in &ancestors {
            let anc = self
                .entries
                .get_mut(a)
                .expect("ancestors are in the mempool");
            anc.descendants.add(own);
            entry.ancestors.add(Aggregate::of(anc));
        }
        for p in &parents {
            let parent = self.entries.get_mut(p).expect("parents are in the mempool");
            parent.children.insert(entry.txid);
        }
        for input in &entry.tx.input {
            self.spent_by.insert(input.previous_output, entry.txid);
        }
        entry.parents = parents;
        self.total_vsize += entry.vsize;
        self.entries.insert(entry.txid, entry);
    }

    /// Removes exactly the transactions in `set` (not their descendants unless they are in
    /// it), keeping the aggregates of those that stay right. Used for mined transactions (whose
    /// in-mempool ancestors are mined with them) and, with descendants added, for evictions.
    pub fn remove_set(&mut self, set: &BTreeSet<Txid>) -> Vec<Entry> {
        let set: BTreeSet<Txid> = set
            .iter()
            .filter(|t| self.entries.contains_key(*t))
            .copied()
            .collect();
        let mut updates: Vec<(Txid, Txid, bool)> = Vec::new();
        for r in &set {
            for a in self.ancestors(r).difference(&set) {
                updates.push((*a, *r, true));
            }
            for d in self.descendants(r).difference(&set) {
                updates.push((*d, *r, false));
            }
        }
        for (target, removed, is_ancestor) in updates {
            let one = Aggregate::of(&self.entries[&removed]);
            let t = self.entries.get_mut(&target).expect("kept entries stay");
            if is_ancestor {
                t.descendants.sub(one);
            } else {
                t.ancestors.sub(one);
            }
        }
        let mut removed = Vec::with_capacity(set.len());
        for r in &set {
            let entry = self.entries.remove(r).expect("filtered to present entries");
            for p in &entry.parents {
                if let Some(parent) = self.entries.get_mut(p) {
                    parent.children.remove(r);
                }
            }
            for c in &entry.children {
                if let Some(child) = self.entries.get_mut(c) {
                    child.parents.remove(r);
                }
            }
            for input in &entry.tx.input {
                self.spent_by.remove(&input.previous_output);
            }
            self.total_vsize -= entry.vsize;
            removed.push(entry);
        }
        removed.sort_by_key(|e| e.seq);
        removed
    }

    /// Removes `txid` and all its descendants; returns them in arrival order.
    pub fn remove_with_descendants(&mut self, txid: &Txid) -> Vec<Entry> {
        if !self.entries.contains_key(txid) {
            return Vec::new();
        }
        let mut set = self.descendants(txid);
        set.insert(*txid);
        self.remove_set(&set)
    }

    /// Empties the mempool, returning its transactions in arrival order (a valid topological
    /// order: a child always arrives after its parents).
    pub fn drain(&mut self) -> Vec<Transaction> {
        let mut entries: Vec<Entry> = std::mem::take(&mut self.entries).into_values().collect();
        entries.sort_by_key(|e| e.seq);
        self.spent_by.clear();
        self.total_vsize = 0;
        entries.into_iter().map(|e| e.tx).collect()
    }

    /// Evicts lowest descendant-score packages until the mempool fits `max_vsize`; each
    /// eviction raises the rolling minimum to the evicted package's rate plus the incremental
    /// relay fee rate (Core's TrimToSize). Returns the evicted txids.
    pub fn trim_to_size(
        &mut self,
        max_vsize: u64,
        incremental_sat_per_kvb: u64,
        now_ms: u64,
    ) -> Vec<Txid> {
        let mut evicted = Vec::new();
        while self.total_vsize > max_vsize {
            let worst = self
                .entries
                .values()
                .min_by(|a, b| {
                    let (fa, va) = a.descendant_score();
                    let (fb, vb) = b.descendant_score();
                    (u128::from(fa) * u128::from(vb))
                        .cmp(&(u128::from(fb) * u128::from(va)))
                        .then(b.seq.cmp(&a.seq))
                })
                .expect("over the cap means not empty");
            let package_rate = rate_sat_per_kvb(worst.descendants.fee_sat, worst.descendants.vsize);
            let txid = worst.txid;
            let bumped = (package_rate + incremental_sat_per_kvb) as f64;
            if bumped > self.rolling_min_sat_per_kvb {
                self.rolling_min_sat_per_kvb = bumped;
                self.block_since_last_bump = false;
                self.last_rolling_update_ms = now_ms;
            }
            evicted.extend(
                self.remove_with_descendants(&txid)
                    .into_iter()
                    .map(|e| e.txid),
            );
        }
        evicted
    }

    /// Notes that a block was connected (the rolling minimum may decay from now on).
    pub fn block_connected(&mut self) {
        self.block_since_last_bump = true;
    }

    /// The mempool's minimum fee rate now, sat/kvB (Core's GetMinFee, without the minimum
    /// relay fee floor, which policy adds).
    pub fn min_fee_sat_per_kvb(&mut self, now_ms: u64, max_vsize: u64, incremental: u64) -> u64 {
        if !self.block_since_last_bump || self.rolling_min_sat_per_kvb == 0.0 {
            return self.rolling_min_sat_per_kvb.round() as u64;
        }
        if now_ms > self.last_rolling_update_ms + 10_000 {
            let mut halflife = ROLLING_FEE_HALFLIFE_MS as f64;
            if self.total_vsize < max_vsize / 4 {
                halflife /= 4.0;
            } else if self.total_vsize < max_vsize / 2 {
                halflife /= 2.0;
            }
            let elapsed = (now_ms - self.last_rolling_update_ms) as f64;
            self.rolling_min_sat_per_kvb /= 2f64.powf(elapsed / halflife);
            self.last_rolling_update_ms = now_ms;
            if self.rolling_min_sat_per_kvb < incremental as f64 / 2.0 {
                self.rolling_min_sat_per_kvb = 0.0;
                return 0;
            }
        }
        (self.rolling_min_sat_per_kvb.round() as u64).max(incremental)
    }
}

#[cfg(test)]
impl Mempool {
    /// Panics unless links, spent outpoints, sizes and cached aggregates agree with a
    /// recomputation from scratch.
    pub fn check_invariants(&self) {
        let mut spent = BTreeMap::new();
        let mut total = 0;
        for (txid, e) in &self.entries {
            assert_eq!(*txid, e.txid);
            total += e.vsize;
            for input in &e.tx.input {
                let previous = spent.insert(input.previous_output, *txid);
                assert!(
                    previous.is_none(),
                    "two mempool transactions spend one outpoint"
                );
                let parent = input.previous_output.txid;
                assert_eq!(
                    self.entries.contains_key(&parent),
                    e.parents.contains(&parent)
                );
            }
            for p in &e.parents {
                assert!(
                    self.entries[p].children.contains(txid),
                    "child link missing"
                );
            }
            let mut anc = Aggregate::of(e);
            for a in self.ancestors(txid) {
                anc.add(Aggregate::of(&self.entries[&a]));
            }
            let mut desc = Aggregate::of(e);
            for d in self.descendants(txid) {
                desc.add(Aggregate::of(&self.entries[&d]));
            }
            assert_eq!(e.ancestors, anc, "ancestor aggregate of {txid}");
            assert_eq!(e.descendants, desc, "descendant aggregate of {txid}");
        }
        assert_eq!(spent, self.spent_by);
        assert_eq!(total, self.total_vsize);
    }
}
