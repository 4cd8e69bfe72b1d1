//! Global average pooling and the recurrent layers (`SimpleRNN`, `LSTM`) on the device.
//!
//! Global pooling is one thread per channel summing the positions in ascending order, as the
//! CPU reference does. A recurrent layer's steps depend on each other, so each step is one
//! launch of one thread per unit; the launches share the backend's stream, which runs them
//! in order, and the host waits only once, after the last step. The state `h` lives in two
//! device buffers used in turn (step `t` reads one and writes the other), the LSTM's cell
//! state in a third that only unit `j`'s thread touches at index `j`. Each thread computes
//! its pre-activations in the CPU's order (bias, inputs, state) and counts its saturations
//! like `cpu/recurrent.rs`, so outputs and counts match the CPU bit for bit.
#![allow(unsafe_code)] // launching a CUDA kernel is `unsafe` in cust

use super::buffers::{
    cuda_err, download, grid, packed_activation, ptr_or_null, upload, upload_fx, upload_opt,
    Counter,
};
use super::{CudaBackend, BLOCK};
use crate::backend::RecurrentWeights;
use crate::cpu::{pool, recurrent};
use crate::fixed::{Fx, Saturations};
use crate::ops::{Activation, KernelError, RecurrentShape};
use cust::launch;
use cust::memory::DeviceBuffer;

/// Which recurrent kernel to run, with its activations.
#[derive(Clone, Copy, Debug)]
pub(super) enum Cell {
    /// `SimpleRNN` with its activation.
    Simple(Activation),
    /// `LSTM` with its activation and recurrent activation.
    Lstm(Activation, Activation),
}

impl Cell {
    fn gates(self) -> usize {
        match self {
            Cell::Simple(_) => 1,
            Cell::Lstm(..) => 4,
        }
    }

    /// The kernel's name in the PTX.
    pub(super) fn kernel_name(self) -> &'static str {
        match self {
            Cell::Simple(_) => "simple_rnn_step",
            Cell::Lstm(..) => "lstm_step",
        }
    }

    /// The activations packed for the kernel (`Act` in `kernels.cu`, five values each).
    pub(super) fn packed(self) -> Vec<i64> {
        match self {
            Cell::Simple(a) => packed_activation(a).to_vec(),
            Cell::Lstm(a, r) => [packed_activation(a), packed_activation(r)].concat(),
        }
    }
}

/// Where step `t` writes its state in the output: (first index, whether it writes at all).
pub(super) fn emit_at(shape: &RecurrentShape, t: usize) -> (u64, i32) {
    if shape.return_sequences {
        ((t * shape.units) as u64, 1)
    } else {
        (0, i32::from(t + 1 == shape.steps))
    }
}

impl CudaBackend {
    /// [`crate::Backend::global_avg_pool`] on the device.
    pub(super) fn global_avg_pool_on_device(
        &self,
        x: &[Fx],
        positions: usize,
        channels: usize,
        out: &mut [Fx],
    ) -> Result<(), KernelError> {
        pool::check_global_pool(x, positions, channels, out)?;
        if out.is_empty() {
            return Ok(());
        }
        self.bind()?;
        let (xb, ob) = (upload_fx(x)?, upload_fx(out)?);
        let func = self
            .module
            .get_function("global_avg_pool")
            .map_err(cuda_err)?;
        let stream = &self.stream;
        // SAFETY: the arguments match `global_avg_pool(const i64 *x, u64 positions, u64
        // channels, i64 *out)` in cuda/kernels.cu in number, order and width.
        // `check_global_pool` made `x` `positions * channels` and `out` `channels` long, and
        // `positions > 0` (the kernel divides by it); threads from `channels` on return at
        // once, thread `ch` reads `x[p * channels + ch]` for `p < positions` and writes only
        // `out[ch]`. The buffers live until the end of this function, after `self.sync()`.
        unsafe {
            launch!(func<<<grid(channels)?, BLOCK, 0, stream>>>(
                xb.as_device_ptr(), positions as u64, channels as u64, ob.as_device_ptr()
            ))
            .map_err(cuda_err)?;
        }
        self.sync()?;
        download(&ob, out)
    }

    /// A recurrent layer over one sequence on the device, state starting at zero.
    pub(super) fn recurrent_on_device(
        &self,
        x: &[Fx],
        shape: &RecurrentShape,
        w: &RecurrentWeights<'_>,
        cell: Cell,
        out: &mut [Fx],
    ) -> Result<Saturations, KernelError> {
        recurrent::check(x, shape, w, cell.gates(), out)?;
        if shape.steps == 0 || shape.units == 0 {
            // Nothing to compute: the output (if any) is the zero state.
            out.fill(Fx::ZERO);
            return Ok(Saturations::default());
        }
        self.bind()?;
        let u = shape.units;
        let (xb, kb, rb, bb) = (
            upload_fx(x)?,
            upload_fx(w.kernel)?,
            upload_fx(w.recurrent)?,
            upload_opt(w.bias)?,
        );
        let dims = upload(&[shape.input_dim as u64, u as u64])?;
        let acts = upload(&cell.packed())?;
        let zeros = vec![0i64; u];
        let h: [DeviceBuffer<i64>; 2] = [upload(&zeros)?, upload(&zeros)?];
        let c = upload(&zeros)?;
        let (ob, sats) = (upload_fx(out)?, Counter::new()?);
        let func = self
            .module
            .get_function(cell.kernel_name())
            .map_err(cuda_err)?;
        let stream = &self.stream;
        let blocks = grid(u)?;
        for t in 0..shape.steps {
            let (h_prev, h_next) = (&h[t % 2], &h[(t + 1) % 2]);
            let (out_base, emit) = emit_at(shape, t);
            // SAFETY: each arm's arguments match its kernel in cuda/kernels.cu in number,
            // order and width: `simple_rnn_step(x, u64 t, const u64 *dims, kernel, recurrent,
            // bias, act, h_prev, h_next, out, u64 out_base, int emit, u64 *sats)`, and
            // `lstm_step` with the cell state `c` between `h_next` and `out`; `func` is the
            // kernel `cell.kernel_name()` names, so each arm launches its own. `recurrent::check`
            // sized `x` (`steps * input_dim`, and `t < steps`), `kernel` (`input_dim * width`),
            // `recurrent` (`units * width`) and the bias (`width`) for `width = gates * units`;
            // `dims` holds the two `u64`s the kernels read, `acts` the 5 (or 10 for the LSTM)
            // values of `Act`, `h`, `c` `units` each, and `out` `output_len()`, which
            // `out_base + units` never exceeds when `emit` is set (`emit_at`). Threads from
            // `units` on return at once; thread `j` writes only `h_next[j]`, `c[j]` and
            // `out[out_base + j]`, and `h_prev`, `h_next` are different buffers, so no thread
            // reads what another of its step writes. The steps run in order on one stream and
            // the buffers live until the end of this function, after `self.sync()`. (If a later
            // step's launch fails, `?` returns with earlier steps possibly queued: the buffers
            // are then freed by `cuMemFree`, which waits for the device's pending work.)
            unsafe {
                match cell {
                    Cell::Simple(_) => launch!(func<<<blocks, BLOCK, 0, stream>>>(
                        xb.as_device_ptr(), t as u64, dims.as_device_ptr(), kb.as_device_ptr(),
                        rb.as_device_ptr(), ptr_or_null(&bb), acts.as_device_ptr(),
                        h_prev.as_device_ptr(), h_next.as_device_ptr(), ob.as_device_ptr(),
                        out_base, emit, sats.ptr()
                    )),
                    Cell::Lstm(..) => launch!(func<<<blocks, BLOCK, 0, stream>>>(
                        xb.as_device_ptr(), t as u64, dims.as_device_ptr(), kb.as_device_ptr(),
                        rb.as_device_ptr(), ptr_or_null(&bb), acts.as_device_ptr(),
                        h_prev.as_device_ptr(), h_next.as_device_ptr(), c.as_device_ptr(),
                        ob.as_device_ptr(), out_base, emit, sats.ptr()
                    )),
                }
                .map_err(cuda_err)?;
            }
        }
        self.sync()?;
        download(&ob, out)?;
        sats.read()
    }
}
