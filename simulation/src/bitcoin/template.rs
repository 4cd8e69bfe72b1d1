//! Block template selection by ancestor-package fee rate, as Bitcoin Core's
//! `BlockAssembler::addPackageTxs` does: repeatedly take the transaction whose package (itself
//! plus its not-yet-selected ancestors) pays the best fee rate, add the package in
//! topological order, and lower the package aggregates of its descendants. Candidates sit in
//! an ordered set keyed by package fee rate, so a block of n transactions costs
//! O(n · d · log n), d being the (policy-bounded) descendant count.

use super::mempool::{Aggregate, Mempool};
use bitcoin::Txid;
use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};

/// Core gives up after this many packages in a row that do not fit, once the block is nearly
/// full (MAX_CONSECUTIVE_FAILURES).
const CONSECUTIVE_FAILURES_MAX: u32 = 1_000;

/// Weight kept free for the header and the coinbase (Core's default -blockmaxweight is the
/// consensus maximum less 4000).
pub(crate) const COINBASE_RESERVED_WEIGHT_WU: u64 = 4_000;

/// A candidate package in the queue: best fee rate first, then earliest arrival.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Candidate {
    package: Aggregate,
    seq: u64,
    txid: Txid,
}

impl Ord for Candidate {
    fn cmp(&self, other: &Self) -> Ordering {
        let mine = u128::from(self.package.fee_sat) * u128::from(other.package.vsize);
        let theirs = u128::from(other.package.fee_sat) * u128::from(self.package.vsize);
        theirs
            .cmp(&mine)
            .then(self.seq.cmp(&other.seq))
            .then(self.txid.cmp(&other.txid))
    }
}

impl PartialOrd for Candidate {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// What the miner leaves out.
pub(crate) struct TemplateRules<'a> {
    /// Weight available to the transactions.
    pub weight_max_wu: u64,
    /// Packages below this fee rate are not mined, sat/kvB.
    pub min_fee_rate_sat_per_kvb: u64,
    /// These transactions and their descendants are not mined.
    pub exclude: &'a BTreeSet<Txid>,
}

impl Mempool {
    /// The transactions of the next block, in a valid order.
    pub(crate) fn select_template(&self, rules: &TemplateRules<'_>) -> Vec<Txid> {
        let mut excluded = BTreeSet::new();
        for t in rules
            .exclude
            .iter()
            .filter(|t| self.entries.contains_key(*t))
        {
            excluded.insert(*t);
            excluded.extend(self.descendants(t));
        }
        let mut packages: BTreeMap<Txid, Candidate> = BTreeMap::new();
        let mut queue: BTreeSet<Candidate> = BTreeSet::new();
        for e in self
            .entries
            .values()
            .filter(|e| !excluded.contains(&e.txid))
        {
            let c = Candidate {
                package: e.ancestors,
                seq: e.seq,
                txid: e.txid,
            };
            packages.insert(e.txid, c);
            queue.insert(c);
        }
        let mut selected: BTreeSet<Txid> = BTreeSet::new();
        let mut block: Vec<Txid> = Vec::new();
        let mut weight_wu = 0u64;
        let mut failures = 0u32;
        while let Some(top) = queue.pop_first() {
            packages.remove(&top.txid);
            let rate_ok = u128::from(top.package.fee_sat) * 1000
                >= u128::from(rules.min_fee_rate_sat_per_kvb) * u128::from(top.package.vsize);
            if !rate_ok {
                break;
            }
            if weight_wu + top.package.weight > rules.weight_max_wu {
                failures += 1;
                if failures > CONSECUTIVE_FAILURES_MAX
                    && weight_wu + COINBASE_RESERVED_WEIGHT_WU > rules.weight_max_wu
                {
                    break;
                }
                continue;
            }
            failures = 0;
            let mut package: Vec<Txid> = self
                .ancestors(&top.txid)
                .into_iter()
                .filter(|a| !selected.contains(a))
                .collect();
            package.push(top.txid);
            // Fewer in-mempool ancestors first is a topological order.
            package.sort_by_key(|t| (self.entries[t].ancestors.count, self.entries[t].seq));
            for t in &package {
                if let Some(c) = packages.remove(t) {
                    queue.remove(&c);
                }
                selected.insert(*t);
                block.push(*t);
                weight_wu += self.entries[t].weight;
            }
            for t in &package {
                let one = Aggregate::of(&self.entries[t]);
                for d in self.descendants(t) {
                    if let Some(mut c) = packages.remove(&d) {
                        queue.remove(&c);
                        c.package.sub(one);
                        packages.insert(d, c);
                        queue.insert(c);
                    }
                }
            }
        }
        block
    }
}
