//! The CUDA backend (feature `cuda`): the kernels of `cuda/kernels.cu`, through `cust`.
//!
//! The PTX is compiled by `cuda/ci.sh` with nvcc 13.0 (PTX ISA 9.0, `compute_80`, which a
//! driver for CUDA 13.0 loads on Ampere and Hopper) and committed, so building this needs no
//! nvcc. Each kernel runs one thread per output with the CPU reference's integer
//! arithmetic in the same order, so the bits match the CPU. Every operation of [`Backend`]
//! has a kernel: dense, convolutions, pooling (windowed and global), activations, the
//! per-channel affine map, the elementwise sum and product, and the recurrent layers
//! (`SimpleRNN`, `LSTM`: one launch per time step, one thread per unit; see
//! `cuda/recurrent.rs`). Every launch goes through `launch_kernel!`, which holds the
//! backend's one `unsafe` block and states what the callers must keep for it to be sound.
//! Buffers are copied to the device and back on every call: simple and correct; keeping
//! activations resident is left for later.
//!
//! The global-pool and recurrent kernels were written without a GPU: they are compiled
//! (ptxas for sm_80 and sm_90), their host code is linked against a stub driver, and their
//! device code run on the host by g++ (`cuda/emulate.cpp`) matches the CPU reference, but
//! `tests/cuda_vs_cpu.rs`, which checks them on hardware, has not yet run on a device.
#![allow(unsafe_code)] // `launch_kernel!` (below) wraps cust's `unsafe` `launch!`

/// Launches kernel `$name` of [`PTX`] on `$backend`'s stream with `$threads` threads (blocks
/// of [`BLOCK`]) and the arguments after `;` in the kernel's order, then waits for the
/// stream; with `queue` first it only queues the launch (the recurrent steps, which wait once
/// after the last). A missing kernel, a grid too large or a driver error is a
/// [`KernelError::Cuda`]. Evaluates to `Result<(), KernelError>`.
///
/// Every launch of the backend goes through here. Its `unsafe` is sound only if each caller
/// keeps the contract the SAFETY comment states (the comment above each call names the
/// kernel's parameters and the check that sized its buffers). The arguments are evaluated
/// inside the `unsafe` block (cust's `launch!` takes their addresses): pass only safe
/// expressions.
macro_rules! launch_kernel {
    (queue $backend:expr, $name:expr, $threads:expr; $($arg:expr),+ $(,)?) => {{
        let backend: &$crate::cuda::CudaBackend = $backend;
        backend
            .module
            .get_function($name)
            .map_err($crate::cuda::buffers::cuda_err)
            .and_then(|func| {
                let blocks = $crate::cuda::buffers::grid($threads)?;
                let stream = &backend.stream;
                // SAFETY: `func` is a kernel of the module loaded in the backend's context,
                // which `bind()` made current before the caller allocated its buffers.
                // cuLaunchKernel reads one parameter per kernel argument, as wide as the
                // kernel declares it: the caller passes exactly the kernel's parameters
                // (cuda/kernels.cu) in order, as device pointers (`DevicePointer` is
                // `repr(transparent)` over the 64-bit `CUdeviceptr`; null for an absent bias,
                // which the kernels test) or `u64`, `i64`, `i32` where the kernel has `u64`,
                // `i64`, `int`; cust's `launch!` requires them `DeviceCopy` and keeps the
                // array of their addresses alive through the call, which copies the values.
                // The grid has at least `$threads` threads, every kernel returns at once on a
                // thread index at or past its bound (`$threads`), and the caller's `check_*`
                // sized every buffer for the indices the threads below it touch. Each thread
                // writes only its own outputs, the saturation counter by `atomicAdd`. The
                // buffers are the caller's locals, freed at its end: after it has waited for
                // the stream (the arm below, or the recurrent loop), or, where it returns early
                // between two queued launches, by `cuMemFree`, which waits for the device's
                // pending work. The host reads buffers back only after that wait.
                unsafe {
                    ::cust::launch!(func<<<blocks, $crate::cuda::BLOCK, 0, stream>>>($($arg),+))
                }
                .map_err($crate::cuda::buffers::cuda_err)
            })
    }};
    ($backend:expr, $name:expr, $threads:expr; $($arg:expr),+ $(,)?) => {{
        let backend: &$crate::cuda::CudaBackend = $backend;
        launch_kernel!(queue backend, $name, $threads; $($arg),+).and_then(|()| backend.sync())
    }};
}

mod buffers;
mod recurrent;
#[cfg(test)]
mod tests;

use crate::backend::{Backend, RecurrentWeights};
use crate::cpu::{elementwise, linear, pool};
use crate::fixed::{Fx, Saturations};
use crate::ops::{check_len, Activation, KernelError, RecurrentShape, Window2d};
use buffers::{
    activation_params, cuda_err, download, geometry, ptr_or_null, upload_fx, upload_opt, Counter,
};
use cust::context::{Context, CurrentContext};
use cust::device::Device;
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
        // pool2d(x, geom, out, int mode): check_pool sized x and out; gb holds Geom's 13 values.
        launch_kernel!(self, "pool2d", out.len();
            xb.as_device_ptr(), gb.as_device_ptr(), ob.as_device_ptr(), mode
        )?;
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
        // binary(a, b, out, u64 len, int op, sats): check_binary made a, b, out len long.
        launch_kernel!(self, "binary", out.len();
            ab.as_device_ptr(), bb.as_device_ptr(), ob.as_device_ptr(), out.len() as u64, op,
            sats.ptr()
        )?;
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
        // dense(x, kernel, bias or null, out, u64 rows, u64 in_dim, u64 out_dim, sats):
        // check_dense sized x, kernel, bias and out (rows * out_dim threads).
        launch_kernel!(self, "dense", out.len();
            xb.as_device_ptr(), kb.as_device_ptr(), ptr_or_null(&bb), ob.as_device_ptr(),
            rows as u64, in_dim as u64, out_dim as u64, sats.ptr()
        )?;
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
        // conv2d(x, geom, kernel, bias or null, out, u64 filters, sats): sized by check_conv.
        launch_kernel!(self, "conv2d", out.len();
            xb.as_device_ptr(), gb.as_device_ptr(), kb.as_device_ptr(), ptr_or_null(&bb),
            ob.as_device_ptr(), filters as u64, sats.ptr()
        )?;
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
        // depthwise_conv2d(x, geom, kernel, bias or null, out, u64 multiplier, sats): sized
        // by check_depthwise.
        launch_kernel!(self, "depthwise_conv2d", out.len();
            xb.as_device_ptr(), gb.as_device_ptr(), kb.as_device_ptr(), ptr_or_null(&bb),
            ob.as_device_ptr(), multiplier as u64, sats.ptr()
        )?;
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
        // activation(data, u64 len, u64 last_dim, int kind, i64 slope, i64 max_value, int
        // has_max, i64 threshold, sats), the types of activation_params: check_rows made
        // last_dim > 0 divide len; softmax (kind 5) has a thread per row, the others per value.
        launch_kernel!(self, "activation", threads;
            db.as_device_ptr(), data.len() as u64, last_dim as u64, kind, slope, max_value,
            has_max, threshold, sats.ptr()
        )?;
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
        // affine_channels(data, u64 len, scale, shift, u64 channels, sats): check_affine made
        // scale and shift one non-zero length, channels.
        launch_kernel!(self, "affine_channels", data.len();
            db.as_device_ptr(), data.len() as u64, ab.as_device_ptr(), bb.as_device_ptr(),
            scale.len() as u64, sats.ptr()
        )?;
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
