//! The CPU reference backend: the definition of every operation's bits.
//!
//! [`CpuBackend`] owns a rayon pool of a chosen size. Work is split over independent outputs
//! (output rows of an image, spans of a dense layer's outputs, chunks of an elementwise
//! buffer); each output is computed by the same sequential code whatever the split, and the
//! saturation counts are integer sums, so the result does not depend on the thread count.
//! Recurrent layers and global pooling run on one thread (provided trait methods).

pub mod elementwise;
pub mod linear;
pub mod pool;
pub mod recurrent;

#[cfg(test)]
mod tests;

use crate::backend::Backend;
use crate::fixed::{Fx, Saturations};
use crate::ops::{Activation, KernelError, Window2d};
use rayon::prelude::*;

/// Below this many multiply-accumulates a task is not worth a thread.
const MACS_PER_TASK_MIN: usize = 16 * 1024;
/// Elementwise chunk length per task.
const ELEMENTS_PER_TASK: usize = 16 * 1024;

/// The CPU reference backend on a pool of `threads` threads.
pub struct CpuBackend {
    pool: rayon::ThreadPool,
    threads: usize,
}

impl std::fmt::Debug for CpuBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CpuBackend")
            .field("threads", &self.threads)
            .finish()
    }
}

impl CpuBackend {
    /// A backend with `threads` worker threads (at least one).
    pub fn new(threads: usize) -> Result<CpuBackend, KernelError> {
        let threads = threads.max(1);
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .thread_name(|i| format!("bitai-kernels-{i}"))
            .build()
            .map_err(|e| KernelError::ThreadPool(e.to_string()))?;
        Ok(CpuBackend { pool, threads })
    }

    /// The number of worker threads.
    pub fn threads(&self) -> usize {
        self.threads
    }

    /// Output rows per task so that a task does at least `MACS_PER_TASK_MIN` products.
    fn rows_per_task(&self, macs_per_row: usize) -> usize {
        MACS_PER_TASK_MIN.div_ceil(macs_per_row.max(1)).max(1)
    }

    /// Runs `f` on output bands of `band` values each, summing the saturation counts.
    fn bands<F>(&self, out: &mut [Fx], band: usize, f: F) -> Saturations
    where
        F: Fn(usize, &mut [Fx]) -> Saturations + Sync + Send,
    {
        let band = band.max(1);
        if self.threads == 1 || out.len() <= band {
            return f(0, out);
        }
        let total = self.pool.install(|| {
            out.par_chunks_mut(band)
                .enumerate()
                .map(|(k, chunk)| f(k * band, chunk).0)
                .sum()
        });
        Saturations(total)
    }
}

impl Backend for CpuBackend {
    fn name(&self) -> String {
        format!("cpu({} threads)", self.threads)
    }

    fn dense(
        &self,
        x: &[Fx],
        rows: usize,
        in_dim: usize,
        out_dim: usize,
        kernel: &[Fx],
        bias: Option<&[Fx]>,
        out: &mut [Fx],
    ) -> Result<Saturations, KernelError> {
        linear::check_dense(x, rows, (in_dim, out_dim), kernel, bias, out)?;
        let band = self.rows_per_task(in_dim);
        Ok(self.bands(out, band, |first, span| {
            linear::dense_span(x, (in_dim, out_dim), kernel, bias, first, span)
        }))
    }

    fn conv2d(
        &self,
        x: &[Fx],
        geom: &Window2d,
        filters: usize,
        kernel: &[Fx],
        bias: Option<&[Fx]>,
        out: &mut [Fx],
    ) -> Result<Saturations, KernelError> {
        linear::check_conv(x, geom, filters, kernel, bias, out)?;
        let row_len = geom.out_w * filters;
        let macs = row_len * geom.kernel_h * geom.kernel_w * geom.channels;
        let band = self.rows_per_task(macs) * row_len;
        Ok(self.bands(out, band, |first, rows| {
            linear::conv_rows(x, geom, filters, kernel, bias, first / row_len, rows)
        }))
    }

    fn depthwise_conv2d(
        &self,
        x: &[Fx],
        geom: &Window2d,
        multiplier: usize,
        kernel: &[Fx],
        bias: Option<&[Fx]>,
        out: &mut [Fx],
    ) -> Result<Saturations, KernelError> {
        linear::check_depthwise(x, geom, multiplier, kernel, bias, out)?;
        let row_len = geom.out_w * geom.channels * multiplier;
        let band = self.rows_per_task(row_len * geom.kernel_h * geom.kernel_w) * row_len;
        Ok(self.bands(out, band, |first, rows| {
            linear::depthwise_rows(x, geom, multiplier, kernel, bias, first / row_len, rows)
        }))
    }

    fn max_pool2d(&self, x: &[Fx], geom: &Window2d, out: &mut [Fx]) -> Result<(), KernelError> {
        pool::check_pool(x, geom, out)?;
        let row_len = geom.out_w * geom.channels;
        let band = self.rows_per_task(row_len * geom.kernel_h * geom.kernel_w) * row_len;
        self.bands(out, band, |first, rows| {
            pool::max_pool_rows(x, geom, first / row_len, rows);
            Saturations::default()
        });
        Ok(())
    }

    fn avg_pool2d(&self, x: &[Fx], geom: &Window2d, out: &mut [Fx]) -> Result<(), KernelError> {
        pool::check_pool(x, geom, out)?;
        let row_len = geom.out_w * geom.channels;
        let band = self.rows_per_task(row_len * geom.kernel_h * geom.kernel_w) * row_len;
        self.bands(out, band, |first, rows| {
            pool::avg_pool_rows(x, geom, first / row_len, rows);
            Saturations::default()
        });
        Ok(())
    }

    fn activation(
        &self,
        act: Activation,
        data: &mut [Fx],
        last_dim: usize,
    ) -> Result<Saturations, KernelError> {
        elementwise::check_rows(data.len(), last_dim)?;
        // Whole softmax rows per task.
        let band = ELEMENTS_PER_TASK.div_ceil(last_dim) * last_dim;
        Ok(self.bands(data, band, |_, chunk| {
            elementwise::activation(act, chunk, last_dim).expect("bands hold whole rows")
        }))
    }

    fn affine_channels(
        &self,
        data: &mut [Fx],
        scale: &[Fx],
        shift: &[Fx],
    ) -> Result<Saturations, KernelError> {
        elementwise::check_affine(data.len(), scale, shift)?;
        let band = ELEMENTS_PER_TASK.div_ceil(scale.len()) * scale.len();
        Ok(self.bands(data, band, |_, chunk| {
            elementwise::affine_slice(chunk, scale, shift)
        }))
    }

    fn add(&self, a: &[Fx], b: &[Fx], out: &mut [Fx]) -> Result<Saturations, KernelError> {
        elementwise::check_binary(a, b, out)?;
        Ok(self.bands(out, ELEMENTS_PER_TASK, |first, chunk| {
            let n = chunk.len();
            elementwise::add_slice(&a[first..first + n], &b[first..first + n], chunk)
        }))
    }

    fn multiply(&self, a: &[Fx], b: &[Fx], out: &mut [Fx]) -> Result<Saturations, KernelError> {
        elementwise::check_binary(a, b, out)?;
        Ok(self.bands(out, ELEMENTS_PER_TASK, |first, chunk| {
            let n = chunk.len();
            elementwise::multiply_slice(&a[first..first + n], &b[first..first + n], chunk)
        }))
    }
}
