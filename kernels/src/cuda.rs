//! The CUDA backend (feature `cuda`): the kernels of `cuda/kernels.cu`, through `cust`.
//!
//! The PTX is compiled by `cuda/ci.sh` with nvcc 13.0 (PTX ISA 9.0, `compute_80`, which a
//! driver for CUDA 13.0 loads on Ampere and Hopper) and committed, so building this needs no
//! nvcc. Each kernel runs one thread per output with the CPU reference's integer
//! arithmetic in the same order, so the bits match the CPU. Every operation of [`Backend`]
//! has a kernel: dense, convolutions, pooling (windowed and global), activations, the
//! per-channel affine map, the elementwise sum and product, and the recurrent layers
//! (`SimpleRNN`, `LSTM`: one launch per time step, one thread per unit; see
//! `cuda/recurrent.rs`). Buffers are copied to the device and back on every call: simple and
//! correct; keeping activations resident is left for later.
//!
//! The global-pool and recurrent kernels were written without a GPU: they are compiled
//! (ptxas for sm_80 and sm_90), their host code is linked against a stub driver, and their
//! device code run on the host by g++ (`cuda/emulate.cpp`) matches the CPU reference, but
//! `tests/cuda_vs_cpu.rs`, which checks them on hardware, has not yet run on a device.
#![allow(unsafe_code)] // launching a CUDA kernel is `unsafe` in cust

mod buffers;
mod recurrent;
#[cfg(test)]
mod tests;

use crate::backend::{Backend, RecurrentWeights};
use crate::cpu::{elementwise, linear, pool};
use crate::fixed::{Fx, Saturations};
use crate::ops::{check_len, Activation, KernelError, RecurrentShape, Window2d};
use buffers::{
    activation_params, cuda_err, download, geometry, grid, ptr_or_null, upload_fx, upload_opt,
    Counter,
};
use cust::context::{Context, CurrentContext};
use cust::device::Device;
use cust::launch;
use cust::module::Module;
use cust::stream::{Stream, StreamFlags};
use recurrent::Cell;

/// The PTX of `cuda/kernels.cu`.
pub const PTX: &str = include_str!("../cuda/kernels.ptx");
/// Threads per block.
const BLOCK: u32 = 256;

/// A CUDA device with the kernels loaded.
pub struct CudaBackend {
    context: Context,
    module: Module,
    stream: Stream,
    device_name: String,
}

impl std::fmt::Debug for CudaBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CudaBackend")
            .field("device", &self.device_name)
            .finish()
    }
}

impl CudaBackend {
    /// Initialises CUDA on device 0 and loads the kernels; fails where there is no device.
    pub fn new() -> Result<CudaBackend, KernelError> {
        let context = cust::quick_init().map_err(cuda_err)?;
        let device_name = Device::get_device(0)
            .and_then(|d| d.name())
            .unwrap_or_else(|_| "unknown device".to_string());
        let module = Module::from_ptx(PTX, &[]).map_err(cuda_err)?;
        let stream = Stream::new(StreamFlags::NON_BLOCKING, None).map_err(cuda_err)?;
        Ok(CudaBackend {
            context,
            module,
            stream,
            device_name,
        })
    }

    /// The device's name.
    pub fn device_name(&self) -> &str {
        &self.device_name
    }

    /// Makes the context current on the calling thread (CUDA contexts are per thread).
    fn bind(&self) -> Result<(), KernelError> {
        CurrentContext::set_current(&self.context).map_err(cuda_err)
    }

    fn sync(&self) -> Result<(), KernelError> {
        self.stream.synchronize().map_err(cuda_err)
    }

    fn pool(
        &self,
        x: &[Fx],
        geom: &Window2d,
        out: &mut [Fx],
        mode: i32,
    ) -> Result<(), KernelError> {
        pool::check_pool(x, geom, out)?;
        if out.is_empty() {
            return Ok(());
        }
        self.bind()?;
        let (xb, gb, ob) = (upload_fx(x)?, geometry(geom)?, upload_fx(out)?);
        let func = self.module.get_function("pool2d").map_err(cuda_err)?;
        let stream = &self.stream;
        // SAFETY: the arguments match `pool2d(const i64 *x, const i64 *geom, i64 *out, int
        // mode)` in cuda/kernels.cu in number, order and width (device pointers to `i64`,
        // `mode` an `i32`); `gb` holds the 13 values `load_geom` reads. `check_pool` made
        // `x.len() == in_h * in_w * channels` and `out.len() == out_h * out_w * channels`, the
        // grid has at least `out.len()` threads, each thread past that returns at once, and
        // the others read `x` only at rows `< in_h`, columns `< in_w`, channel `< channels`
        // and write only `out[idx]`. The buffers live until the end of this function, after
        // `self.sync()` has waited for the kernel, which also comes before `download` reads.
        unsafe {
            launch!(func<<<grid(out.len())?, BLOCK, 0, stream>>>(
                xb.as_device_ptr(), gb.as_device_ptr(), ob.as_device_ptr(), mode
            ))
            .map_err(cuda_err)?;
        }
        self.sync()?;
        download(&ob, out)
    }

    fn binary(
        &self,
        a: &[Fx],
        b: &[Fx],
        out: &mut [Fx],
        op: i32,
    ) -> Result<Saturations, KernelError> {
        elementwise::check_binary(a, b, out)?;
        if out.is_empty() {
            return Ok(Saturations::default());
        }
        self.bind()?;
        let (ab, bb, ob, sats) = (
            upload_fx(a)?,
            upload_fx(b)?,
            upload_fx(out)?,
            Counter::new()?,
        );
        let func = self.module.get_function("binary").map_err(cuda_err)?;
        let stream = &self.stream;
        // SAFETY: the arguments match `binary(const i64 *a, const i64 *b, i64 *out, u64 len,
        // int op, u64 *sats)` in cuda/kernels.cu in number, order and width. `check_binary`
        // made `a`, `b` and `out` the same length, passed as `len`; threads from `len` on
        // return at once, the others read `a[idx]`, `b[idx]`, write only `out[idx]` and add to
        // the one-`u64` counter atomically. The buffers live until the end of this function,
        // after `self.sync()` has waited for the kernel, before `download` and `sats.read()`.
        unsafe {
            launch!(func<<<grid(out.len())?, BLOCK, 0, stream>>>(
                ab.as_device_ptr(), bb.as_device_ptr(), ob.as_device_ptr(), out.len() as u64, op,
                sats.ptr()
            ))
            .map_err(cuda_err)?;
        }
        self.sync()?;
        download(&ob, out)?;
        sats.read()
    }
}

impl Backend for CudaBackend {
    fn name(&self) -> String {
        format!("cuda({})", self.device_name)
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
        if out.is_empty() || x.is_empty() {
            return Ok(linear::dense_span(
                x,
                (in_dim, out_dim),
                kernel,
                bias,
                0,
                out,
            ));
        }
        self.bind()?;
        let (xb, kb, bb) = (upload_fx(x)?, upload_fx(kernel)?, upload_opt(bias)?);
        let (ob, sats) = (upload_fx(out)?, Counter::new()?);
        let func = self.module.get_function("dense").map_err(cuda_err)?;
        let stream = &self.stream;
        // SAFETY: the arguments match `dense(const i64 *x, const i64 *kernel, const i64 *bias,
        // i64 *out, u64 rows, u64 in_dim, u64 out_dim, u64 *sats)` in cuda/kernels.cu in
        // number, order and width; an absent bias is a null pointer, which the kernel tests.
        // `check_dense` made `x` `rows * in_dim`, `kernel` `in_dim * out_dim`, the bias
        // `out_dim` and `out` `rows * out_dim` long; threads from `rows * out_dim` on return at
        // once, the others read row `idx / out_dim` of `x` and column `idx % out_dim` of
        // `kernel`, write only `out[idx]` and add to the counter atomically. The buffers live
        // until the end of this function, after `self.sync()` has waited for the kernel.
        unsafe {
            launch!(func<<<grid(out.len())?, BLOCK, 0, stream>>>(
                xb.as_device_ptr(), kb.as_device_ptr(), ptr_or_null(&bb), ob.as_device_ptr(),
                rows as u64, in_dim as u64, out_dim as u64, sats.ptr()
            ))
            .map_err(cuda_err)?;
        }
        self.sync()?;
        download(&ob, out)?;
        sats.read()
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
        self.bind()?;
        let (xb, gb, kb, bb) = (
            upload_fx(x)?,
            geometry(geom)?,
            upload_fx(kernel)?,
            upload_opt(bias)?,
        );
        let (ob, sats) = (upload_fx(out)?, Counter::new()?);
        let func = self.module.get_function("conv2d").map_err(cuda_err)?;
        let stream = &self.stream;
        // SAFETY: the arguments match `conv2d(const i64 *x, const i64 *geom, const i64
        // *kernel, const i64 *bias, i64 *out, u64 filters, u64 *sats)` in cuda/kernels.cu in
        // number, order and width; `gb` holds the 13 values of `Geom`, an absent bias is null.
        // `check_conv` made `x` `in_h * in_w * channels`, `kernel` `kernel_h * kernel_w *
        // channels * filters`, the bias `filters` and `out` `out_h * out_w * filters` long;
        // threads from `out.len()` on return at once, the others read `x` only inside the
        // input (padding taps are skipped) and write only `out[idx]`. The buffers live until
        // the end of this function, after `self.sync()` has waited for the kernel.
        unsafe {
            launch!(func<<<grid(out.len())?, BLOCK, 0, stream>>>(
                xb.as_device_ptr(), gb.as_device_ptr(), kb.as_device_ptr(), ptr_or_null(&bb),
                ob.as_device_ptr(), filters as u64, sats.ptr()
            ))
            .map_err(cuda_err)?;
        }
        self.sync()?;
        download(&ob, out)?;
        sats.read()
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
        self.bind()?;
        let (xb, gb, kb, bb) = (
            upload_fx(x)?,
            geometry(geom)?,
            upload_fx(kernel)?,
            upload_opt(bias)?,
        );
        let (ob, sats) = (upload_fx(out)?, Counter::new()?);
        let func = self
            .module
            .get_function("depthwise_conv2d")
            .map_err(cuda_err)?;
        let stream = &self.stream;
        // SAFETY: the arguments match `depthwise_conv2d(const i64 *x, const i64 *geom, const
        // i64 *kernel, const i64 *bias, i64 *out, u64 multiplier, u64 *sats)` in
        // cuda/kernels.cu in number, order and width; an absent bias is null.
        // `check_depthwise` made `x` `in_h * in_w * channels`, `kernel` `kernel_h * kernel_w *
        // channels * multiplier`, the bias `channels * multiplier` and `out` `out_h * out_w *
        // channels * multiplier` long; threads from `out.len()` on return at once, the others
        // read `x` only inside the input at channel `o / multiplier < channels` and write only
        // `out[idx]`. The buffers live until the end of this function, after `self.sync()`.
        unsafe {
            launch!(func<<<grid(out.len())?, BLOCK, 0, stream>>>(
                xb.as_device_ptr(), gb.as_device_ptr(), kb.as_device_ptr(), ptr_or_null(&bb),
                ob.as_device_ptr(), multiplier as u64, sats.ptr()
            ))
            .map_err(cuda_err)?;
        }
        self.sync()?;
        download(&ob, out)?;
        sats.read()
    }

    fn max_pool2d(&self, x: &[Fx], geom: &Window2d, out: &mut [Fx]) -> Result<(), KernelError> {
        self.pool(x, geom, out, 0)
    }

    fn avg_pool2d(&self, x: &[Fx], geom: &Window2d, out: &mut [Fx]) -> Result<(), KernelError> {
        self.pool(x, geom, out, 1)
    }

    fn activation(
        &self,
        act: Activation,
        data: &mut [Fx],
        last_dim: usize,
    ) -> Result<Saturations, KernelError> {
        elementwise::check_rows(data.len(), last_dim)?;
        if act == Activation::Linear || data.is_empty() {
            return Ok(Saturations::default());
        }
        self.bind()?;
        let (db, sats) = (upload_fx(data)?, Counter::new()?);
        let threads = if act == Activation::Softmax {
            data.len() / last_dim
        } else {
            data.len()
        };
        let (kind, slope, max_value, has_max, threshold) = activation_params(act);
        let func = self.module.get_function("activation").map_err(cuda_err)?;
        let stream = &self.stream;
        // SAFETY: the arguments match `activation(i64 *data, u64 len, u64 last_dim, int kind,
        // i64 slope, i64 max_value, int has_max, i64 threshold, u64 *sats)` in cuda/kernels.cu
        // in number, order and width (`activation_params` gives `i32, i64, i64, i32, i64`).
        // `check_rows` made `last_dim > 0` divide `data.len()`. For softmax (`kind` 5) the
        // grid covers `len / last_dim` threads, the kernel's bound for that kind, and thread
        // `idx` touches only its own row `data[idx * last_dim..][..last_dim]`; otherwise it
        // covers `len` threads and each touches only `data[idx]`. The buffers live until the
        // end of this function, after `self.sync()` has waited for the kernel.
        unsafe {
            launch!(func<<<grid(threads)?, BLOCK, 0, stream>>>(
                db.as_device_ptr(), data.len() as u64, last_dim as u64, kind, slope, max_value,
                has_max, threshold, sats.ptr()
            ))
            .map_err(cuda_err)?;
        }
        self.sync()?;
        download(&db, data)?;
        sats.read()
    }

    fn affine_channels(
        &self,
        data: &mut [Fx],
        scale: &[Fx],
        shift: &[Fx],
    ) -> Result<Saturations, KernelError> {
        elementwise::check_affine(data.len(), scale, shift)?;
        check_len("affine scale", scale.len(), shift.len())?;
        if data.is_empty() {
            return Ok(Saturations::default());
        }
        self.bind()?;
        let (db, ab, bb, sats) = (
            upload_fx(data)?,
            upload_fx(scale)?,
            upload_fx(shift)?,
            Counter::new()?,
        );
        let func = self
            .module
            .get_function("affine_channels")
            .map_err(cuda_err)?;
        let stream = &self.stream;
        // SAFETY: the arguments match `affine_channels(i64 *data, u64 len, const i64 *scale,
        // const i64 *shift, u64 channels, u64 *sats)` in cuda/kernels.cu in number, order and
        // width. `check_affine` and `check_len` made `scale` and `shift` the same non-zero
        // length `channels`, so `idx % channels` indexes both; threads from `len` on return at
        // once, the others write only `data[idx]`. The buffers live until the end of this
        // function, after `self.sync()` has waited for the kernel.
        unsafe {
            launch!(func<<<grid(data.len())?, BLOCK, 0, stream>>>(
                db.as_device_ptr(), data.len() as u64, ab.as_device_ptr(), bb.as_device_ptr(),
                scale.len() as u64, sats.ptr()
            ))
            .map_err(cuda_err)?;
        }
        self.sync()?;
        download(&db, data)?;
        sats.read()
    }

    fn add(&self, a: &[Fx], b: &[Fx], out: &mut [Fx]) -> Result<Saturations, KernelError> {
        self.binary(a, b, out, 0)
    }

    fn multiply(&self, a: &[Fx], b: &[Fx], out: &mut [Fx]) -> Result<Saturations, KernelError> {
        self.binary(a, b, out, 1)
    }

    fn global_avg_pool(
        &self,
        x: &[Fx],
        positions: usize,
        channels: usize,
        out: &mut [Fx],
    ) -> Result<(), KernelError> {
        self.global_avg_pool_on_device(x, positions, channels, out)
    }

    fn simple_rnn(
        &self,
        x: &[Fx],
        shape: &RecurrentShape,
        weights: &RecurrentWeights<'_>,
        activation: Activation,
        out: &mut [Fx],
    ) -> Result<Saturations, KernelError> {
        self.recurrent_on_device(x, shape, weights, Cell::Simple(activation), out)
    }

    fn lstm(
        &self,
        x: &[Fx],
        shape: &RecurrentShape,
        weights: &RecurrentWeights<'_>,
        activation: Activation,
        recurrent_activation: Activation,
        out: &mut [Fx],
    ) -> Result<Saturations, KernelError> {
        let cell = Cell::Lstm(activation, recurrent_activation);
        self.recurrent_on_device(x, shape, weights, cell, out)
    }
}
