//! Batch-affine bucket accumulation for one window and one range of buckets.
//!
//! Buckets are affine points. Adding a point to a bucket in affine coordinates needs one
//! inversion, so additions are queued into a batch (each bucket at most once) and the batch's
//! denominators are inverted together with Montgomery's trick: three multiplications each and
//! one inversion per batch, so an addition costs about 5M + 1S instead of a mixed projective
//! addition's 7M + 4S. An empty bucket takes the point as is; `P + (-P)` empties the bucket;
//! `P + P` enters the batch as a doubling (denominator `2y`). A term whose bucket is already
//! in the batch is parked and scheduled again once the batch has run; past `PENDING_CAP`
//! parked terms, it is deferred and added during the reduction in XYZZ coordinates, so
//! adversarial inputs (one base repeated, every digit equal) stay correct and cost at most a
//! mixed addition and `PENDING_CAP` retries per batch each.

use crate::curve::Affine;
use crate::field::MsmField;
use crate::prepare::Term;

/// Independent product chains in a batch: a chain of dependent multiplications runs at the
/// multiplier's latency, four interleaved ones at its throughput.
const CHAINS: usize = 4;

/// The bucket holds a point.
const FULL: u8 = 1;
/// The bucket has an addition waiting in the batch.
const BUSY: u8 = 2;

/// One queued affine addition (or doubling) into a bucket.
#[derive(Clone, Copy)]
struct Op<F> {
    /// The bucket, relative to the range.
    bucket: u32,
    /// The term whose point is added: its index, shifted left once, with the sign (1 for
    /// `-P`) in the low bit. An index rather than a copy of the point keeps an entry at 12
    /// bytes; the term is read again, from cache, when the batch runs.
    source: u32,
    /// `point == bucket`: a doubling.
    double: bool,
    _field: std::marker::PhantomData<F>,
}

/// The buckets of one task, with the batch in flight and the deferred points.
pub struct Buckets<F> {
    /// Each bucket's point (meaningful where its state has `FULL`).
    points: Vec<Affine<F>>,
    /// `FULL` and `BUSY` flags per bucket.
    state: Vec<u8>,
    /// The batch: additions whose denominators are multiplied into `product`.
    batch: Vec<Op<F>>,
    /// `prefix[i]`: the product of the denominators before batch entry `i` in its chain.
    prefix: Vec<F>,
    /// The product of every denominator in each chain: entry `i` is in chain `i % CHAINS`.
    product: [F; CHAINS],
    /// The batch size at which it is executed.
    batch_size: usize,
    /// Terms that met their bucket busy, as (bucket, source), retried after the batch runs.
    pending: Vec<(u32, u32)>,
    /// Points that met their bucket busy with `pending` full, as (bucket, point): added in
    /// the reduction.
    deferred: Vec<(u32, Affine<F>)>,
}

/// At most this many terms wait for a busy bucket; more are deferred to the reduction. A
/// random batch of 512 over 8,192 buckets meets a busy bucket about 16 times; the cap keeps
/// a degenerate input (every term in one bucket) at `PENDING_CAP` retries per batch.
const PENDING_CAP: usize = 64;

impl<F: MsmField> Buckets<F> {
    /// `count` empty buckets, executing batches of `batch_size` additions.
    pub fn new(count: usize, batch_size: usize) -> Self {
        assert!(batch_size > 0, "a batch holds at least one addition");
        Self {
            points: vec![
                Affine {
                    x: F::ZERO,
                    y: F::ZERO
                };
                count
            ],
            state: vec![0; count],
            batch: Vec::with_capacity(batch_size),
            prefix: Vec::with_capacity(batch_size),
            product: [F::ONE; CHAINS],
            batch_size,
            pending: Vec::with_capacity(PENDING_CAP),
            deferred: Vec::new(),
        }
    }

    /// Adds term `index`'s point (negated when `negative`) to bucket `bucket` (now, queued,
    /// pending or deferred); `terms` is the slice `index` points into, the same at every call.
    pub fn add(&mut self, bucket: usize, index: usize, negative: bool, terms: &[Term<F>]) {
        let source = ((index as u32) << 1) | u32::from(negative);
        self.schedule(bucket, source, terms);
        while self.batch.len() >= self.batch_size {
            self.execute(terms);
            self.retry(terms);
        }
    }

    /// Queues one addition, or sets or empties the bucket at once, or parks the term.
    fn schedule(&mut self, bucket: usize, source: u32, terms: &[Term<F>]) {
        let point = terms[(source >> 1) as usize].point.signed(source & 1 == 1);
        let state = self.state[bucket];
        if state & BUSY != 0 {
            if self.pending.len() < PENDING_CAP {
                self.pending.push((bucket as u32, source));
            } else {
                self.deferred.push((bucket as u32, point));
            }
            return;
        }
        if state & FULL == 0 {
            self.points[bucket] = point;
            self.state[bucket] = FULL;
            return;
        }
        let current = self.points[bucket];
        let (denominator, double) = if current.x != point.x {
            (point.x - current.x, false)
        } else if current.y == point.y {
            (current.y.double(), true)
        } else {
            self.state[bucket] = 0;
            return;
        };
        let chain = self.batch.len() % CHAINS;
        self.prefix.push(self.product[chain]);
        self.product[chain] = self.product[chain] * denominator;
        self.batch.push(Op {
            bucket: bucket as u32,
            source,
            double,
            _field: std::marker::PhantomData,
        });
        self.state[bucket] = FULL | BUSY;
    }

    /// Schedules the parked terms again (after a batch ran, their buckets are free unless
    /// another parked term took them first).
    fn retry(&mut self, terms: &[Term<F>]) {
        let pending = std::mem::take(&mut self.pending);
        for &(bucket, source) in &pending {
            self.schedule(bucket as usize, source, terms);
        }
        // Give the allocation back unless a retry parked again (then `pending` has its own).
        if self.pending.is_empty() {
            self.pending = pending;
            self.pending.clear();
        }
    }

    /// Runs the batch: one inversion, then every queued addition.
    pub fn execute(&mut self, terms: &[Term<F>]) {
        if self.batch.is_empty() {
            return;
        }
        let mut inverses = invert_four(&self.product);
        for (i, (op, prefix)) in self.batch.iter().zip(&self.prefix).enumerate().rev() {
            let inverse = &mut inverses[i % CHAINS];
            let bucket = op.bucket as usize;
            let point = terms[(op.source >> 1) as usize]
                .point
                .signed(op.source & 1 == 1);
            let current = self.points[bucket];
            let (numerator, denominator) = if op.double {
                let xx = current.x.square();
                (xx.double() + xx, current.y.double())
            } else {
                (point.y - current.y, point.x - current.x)
            };
            let lambda = numerator * (*inverse * *prefix);
            *inverse = *inverse * denominator;
            let x = lambda.square() - current.x - point.x;
            let y = lambda * (current.x - x) - current.y;
            self.points[bucket] = Affine { x, y };
            self.state[bucket] = FULL;
        }
        self.batch.clear();
        self.prefix.clear();
        self.product = [F::ONE; CHAINS];
    }

    /// Executes the last batch and hands out the settled buckets.
    pub fn finish(mut self, terms: &[Term<F>]) -> Settled<F> {
        // Each round settles at least the first parked term (its bucket is free after the
        // batch), so the loop ends.
        self.execute(terms);
        while !self.pending.is_empty() {
            self.retry(terms);
            self.execute(terms);
        }
        self.deferred
            .sort_unstable_by_key(|&(bucket, _)| std::cmp::Reverse(bucket));
        Settled {
            points: self.points,
            full: self.state,
            deferred: self.deferred,
        }
    }
}

/// The inverses of four non-zero elements with one inversion.
fn invert_four<F: MsmField>(p: &[F; CHAINS]) -> [F; CHAINS] {
    let (p01, p23) = (p[0] * p[1], p[2] * p[3]);
    let inverse = (p01 * p23)
        .invert()
        .expect("no denominator is zero: x coordinates differ, or 2y of an odd-order point");
    let (i01, i23) = (inverse * p23, inverse * p01);
    [i01 * p[1], i01 * p[0], i23 * p[3], i23 * p[2]]
}

/// Buckets with no batch in flight.
pub struct Settled<F> {
    /// Each bucket's point, meaningful where `full` is non-zero.
    pub points: Vec<Affine<F>>,
    /// Non-zero where the bucket holds a point.
    pub full: Vec<u8>,
    /// The deferred (bucket, point) additions, highest bucket first.
    pub deferred: Vec<(u32, Affine<F>)>,
}
