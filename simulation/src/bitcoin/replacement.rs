//! BIP-125 replacement checks (rules 2 to 6; rule 1 sits in `policy` because it depends on
//! `full_rbf`), in Bitcoin Core's order: the eviction count (rule 5), no new unconfirmed
//! inputs (rule 2), no spending of what is replaced, a higher fee rate than each directly
//! replaced transaction (rule 6), then more absolute fee than everything evicted (rule 3) by
//! at least the incremental relay fee for the replacement's own size (rule 4).

use super::mempool::{Entry, Mempool};
use bitai_bitcoin::{BroadcastReject, ReplacementViolation};
use bitcoin::{Amount, Txid};
use std::collections::BTreeSet;

/// What a replacement is checked against.
pub(crate) struct ReplacementLimits {
    /// BIP-125 rule 5 maximum.
    pub evictions_max: u64,
    /// Incremental relay fee rate (rule 4), sat/kvB.
    pub incremental_sat_per_kvb: u64,
}

/// Checks `replacement` (not yet in the mempool; `ancestors` are its in-mempool ancestors)
/// against the mempool transactions it directly conflicts with, `direct`. Returns every
/// transaction it would evict: the direct conflicts and their descendants.
pub(crate) fn check_replacement(
    mempool: &Mempool,
    limits: &ReplacementLimits,
    replacement: &Entry,
    ancestors: &BTreeSet<Txid>,
    direct: &BTreeSet<Txid>,
) -> Result<BTreeSet<Txid>, BroadcastReject> {
    let refuse = |v| Err(BroadcastReject::Replacement(v));

    // Rule 5, first on the cached counts (an upper bound), then on the exact set.
    let upper_bound: u64 = direct
        .iter()
        .map(|c| mempool.entries[c].descendants.count)
        .sum();
    let mut evicted = BTreeSet::new();
    if upper_bound <= limits.evictions_max {
        for c in direct {
            evicted.insert(*c);
            evicted.extend(mempool.descendants(c));
        }
    }
    let count = if evicted.is_empty() {
        upper_bound
    } else {
        evicted.len() as u64
    };
    if count > limits.evictions_max {
        return refuse(ReplacementViolation::TooManyEvictions {
            count: count as usize,
            max: limits.evictions_max as usize,
        });
    }

    // Spending an output of a transaction it replaces: invalid, checked first as Core 31 does
    // (it has no rule 2 any more).
    if ancestors.iter().any(|a| evicted.contains(a)) {
        return Err(BroadcastReject::Invalid {
            reason: "bad-txns-spends-conflicting-tx".into(),
        });
    }

    // Rule 2: every unconfirmed input must be spent from a transaction the originals spent
    // from already.
    let original_parents: BTreeSet<Txid> = direct
        .iter()
        .flat_map(|c| {
            mempool.entries[c]
                .tx
                .input
                .iter()
                .map(|i| i.previous_output.txid)
        })
        .collect();
    for input in &replacement.tx.input {
        let parent = input.previous_output.txid;
        if mempool.entries.contains_key(&parent) && !original_parents.contains(&parent) {
            return refuse(ReplacementViolation::NewUnconfirmedInput);
        }
    }

    // Rule 6: a strictly higher fee rate than each directly replaced transaction.
    let new_rate = (
        u128::from(replacement.fee_sat),
        u128::from(replacement.vsize),
    );
    for c in direct {
        let old = &mempool.entries[c];
        if new_rate.0 * u128::from(old.vsize) <= u128::from(old.fee_sat) * new_rate.1 {
            return refuse(ReplacementViolation::FeeRateNotHigher);
        }
    }

    // Rules 3 and 4.
    let evicted_fee_sat: u64 = evicted.iter().map(|t| mempool.entries[t].fee_sat).sum();
    if replacement.fee_sat < evicted_fee_sat {
        return refuse(ReplacementViolation::FeeNotHigher {
            replacement: Amount::from_sat(replacement.fee_sat),
            evicted: Amount::from_sat(evicted_fee_sat),
        });
    }
    let paid = replacement.fee_sat - evicted_fee_sat;
    let required = limits.incremental_sat_per_kvb * replacement.vsize / 1000;
    if paid < required {
        return refuse(ReplacementViolation::InsufficientIncrement {
            paid: Amount::from_sat(paid),
            required: Amount::from_sat(required),
        });
    }
    Ok(evicted)
}
