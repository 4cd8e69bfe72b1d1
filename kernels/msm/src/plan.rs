//! How to cut an MSM into tasks: window width, bucket ranges per window, batch size.
//!
//! A task is one window and one range of its buckets: it scans every term's digit, adds the
//! terms whose bucket falls in its range, then reduces its buckets. Splitting a window's
//! buckets into ranges (rather than its terms into chunks) keeps the reduction's total work
//! unchanged and shrinks each task's bucket array, at the price of re-reading the digits.
//! The plan minimises a cost model, in field multiplications, of the slowest thread:
//! `ceil(tasks / threads)` rounds of one task each.

/// The shape of an MSM's work.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Plan {
    /// The window width `c`: digits in `[-2^(c-1), 2^(c-1)]`, `2^(c-1)` buckets.
    pub window_bits: u32,
    /// The number of windows.
    pub windows: u32,
    /// Bucket ranges per window.
    pub splits: u32,
    /// Additions per batch inversion (the top window may use fewer: [`Plan::batch_size_for`]).
    pub batch_size: usize,
    /// The magnitude bits the top window holds: its digits reach only `2^top_bits`, so a
    /// width that leaves it a few bits crowds every term into a few buckets.
    pub top_bits: u32,
    /// The batch size was fixed by the caller: every window uses it as is.
    pub batch_fixed: bool,
}

/// Cost of one batch-affine bucket addition, in multiplications (with memory traffic).
const ADD_COST: f64 = 7.0;
/// Cost of one inversion, shared by a batch.
const INVERT_COST: f64 = 120.0;
/// Extra cost of a deferred addition (a mixed projective one) over a batched one.
const DEFER_COST: f64 = 8.0;
/// Cost of reading one term's digit in a task that does not keep it (a mispredicted branch
/// half the time with two ranges).
const SCAN_COST: f64 = 2.0;
/// Cost of one bucket in the reduction (a mixed and a projective addition).
const REDUCE_COST: f64 = 30.0;
/// Bucket bytes per task that stay in cache (half of a 1 MiB L2: the batch and the terms
/// stream through the other half).
const CACHE_BYTES: f64 = 512.0 * 1024.0;
/// Extra cost of an addition per `CACHE_BYTES` of buckets beyond the first (fitted on the
/// 2-core VM, 2^18 G1, one thread: 2^14 buckets (1 MiB) cost about 1.5 more per addition,
/// 2^15 (2 MiB) about 4).
const MISS_COST: f64 = 1.5;
/// The widest window: `2^15` buckets of at most 128 bytes (G2) stay within 4 MiB.
const MAX_WINDOW_BITS: u32 = 16;
/// At most this many bucket ranges per window.
const MAX_SPLITS: u32 = 8;

impl Plan {
    /// The cheapest plan for `terms` terms of at most `bits` bits on `threads` threads,
    /// with the window width fixed when `window_bits` is given.
    /// `point_bytes` is the size of one affine bucket; `fixed` fixes the window width and the
    /// ranges per window where given.
    pub fn choose(
        terms: usize,
        bits: u32,
        threads: usize,
        point_bytes: usize,
        fixed: (Option<u32>, Option<u32>),
    ) -> Plan {
        let (window_bits, splits) = fixed;
        let widths = match window_bits {
            Some(c) => c..=c,
            None => 1..=MAX_WINDOW_BITS,
        };
        let mut best: Option<(f64, Plan)> = None;
        for c in widths {
            let most = 1 << (c - 1);
            let all = match splits {
                Some(s) => s.clamp(1, most)..=s.clamp(1, most),
                None => 1..=MAX_SPLITS.min(most),
            };
            for splits in all {
                let plan = Plan::new(c, bits, splits);
                let cost = plan.cost(terms, threads.max(1), point_bytes);
                if best.is_none_or(|(b, _)| cost < b) {
                    best = Some((cost, plan));
                }
            }
        }
        best.map_or(Plan::new(1, bits, 1), |(_, plan)| plan)
    }

    /// Width `c` for `bits`-bit magnitudes, `splits` ranges per window.
    pub(crate) fn new(window_bits: u32, bits: u32, splits: u32) -> Plan {
        let buckets = Self::bucket_count_for(window_bits) / splits as usize;
        let windows = crate::booth::window_count(bits, window_bits);
        Plan {
            window_bits,
            windows,
            splits,
            batch_size: (buckets / 16).clamp(1, 512),
            top_bits: bits - (windows - 1) * window_bits,
            batch_fixed: false,
        }
    }

    /// The modelled time of the slowest thread.
    fn cost(&self, terms: usize, threads: usize, point_bytes: usize) -> f64 {
        let buckets = self.bucket_count() as f64;
        let splits = f64::from(self.splits);
        let terms = terms as f64;
        // Buckets beyond the core's share of L2 turn each addition's bucket access into a miss.
        let bucket_bytes = buckets / splits * point_bytes as f64;
        let miss = MISS_COST * (bucket_bytes / CACHE_BYTES - 1.0).max(0.0);
        let task = |window: u32| {
            let batch = self.batch_size_for(window) as f64;
            let used = (self.used_buckets(window) as f64 / splits).max(1.0);
            // A bucket is busy with probability about (half a batch) / (buckets in use).
            let deferred = (batch / 2.0 / used).min(1.0);
            let add = ADD_COST + INVERT_COST / batch + DEFER_COST * deferred + miss;
            (add * terms + REDUCE_COST * buckets) / splits + SCAN_COST * terms
        };
        let slowest = task(0).max(task(self.windows - 1));
        let tasks = (self.windows * self.splits) as usize;
        tasks.div_ceil(threads) as f64 * slowest
    }

    /// The buckets window `window`'s digits can reach: all but in the top window.
    fn used_buckets(&self, window: u32) -> usize {
        if window + 1 == self.windows && self.top_bits < self.window_bits - 1 {
            1 << self.top_bits
        } else {
            self.bucket_count()
        }
    }

    /// The batch size for window `window`: at most a sixteenth of the buckets in use, so
    /// that few terms meet a busy bucket.
    pub fn batch_size_for(&self, window: u32) -> usize {
        if self.batch_fixed {
            return self.batch_size;
        }
        let used = self.used_buckets(window) / self.splits as usize;
        self.batch_size.min((used / 16).max(1))
    }

    /// Buckets per window: `2^(c-1)`.
    pub fn bucket_count(&self) -> usize {
        Self::bucket_count_for(self.window_bits)
    }

    fn bucket_count_for(window_bits: u32) -> usize {
        1 << (window_bits - 1)
    }

    /// The bucket range `[lo, hi)` of split `split`.
    pub fn range(&self, split: u32) -> (usize, usize) {
        let count = self.bucket_count();
        let splits = self.splits as usize;
        let split = split as usize;
        (count * split / splits, count * (split + 1) / splits)
    }
}

#[cfg(test)]
mod tests;
