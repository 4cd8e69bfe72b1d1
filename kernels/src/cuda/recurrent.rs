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

use super::buffers::{
    download, packed_activation, ptr_or_null, upload, upload_fx, upload_opt, Counter,
};
use super::CudaBackend;
use crate::backend::RecurrentWeights;
use crate::cpu::{pool, recurrent};
use crate::fixed::{Fx, Saturations};
use crate::ops::{Activation, KernelError, RecurrentShape};
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
        // global_avg_pool(x, u64 positions, u64 channels, out): check_global_pool sized x and
        // out and made positions > 0 (the kernel divides by it).
        launch_kernel!(self, "global_avg_pool", channels;
            xb.as_device_ptr(), positions as u64, channels as u64, ob.as_device_ptr()
        )?;
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
        let name = cell.kernel_name();
        for t in 0..shape.steps {
            let (h_prev, h_next) = (&h[t % 2], &h[(t + 1) % 2]);
            let (out_base, emit) = emit_at(shape, t);
            // simple_rnn_step(x, u64 t, u64 *dims, kernel, recurrent, bias or null, act,
            // h_prev, h_next, out, u64 out_base, int emit, sats), and lstm_step with the cell
            // state c after h_next: recurrent::check sized x (steps * input_dim, t < steps),
            // kernel, recurrent and bias for gates * units columns; dims holds the two u64 the
            // kernels read, acts 5 values per activation, h and c units each; emit_at keeps
            // out_base + units within out when emit is set. h_prev and h_next are different
            // buffers, so no thread reads what another thread of its step writes.
            match cell {
                Cell::Simple(_) => launch_kernel!(queue self, name, u;
                    xb.as_device_ptr(), t as u64, dims.as_device_ptr(), kb.as_device_ptr(),
                    rb.as_device_ptr(), ptr_or_null(&bb), acts.as_device_ptr(),
                    h_prev.as_device_ptr(), h_next.as_device_ptr(), ob.as_device_ptr(),
                    out_base, emit, sats.ptr()
                ),
                Cell::Lstm(..) => launch_kernel!(queue self, name, u;
                    xb.as_device_ptr(), t as u64, dims.as_device_ptr(), kb.as_device_ptr(),
                    rb.as_device_ptr(), ptr_or_null(&bb), acts.as_device_ptr(),
                    h_prev.as_device_ptr(), h_next.as_device_ptr(), c.as_device_ptr(),
                    ob.as_device_ptr(), out_base, emit, sats.ptr()
                ),
            }?;
        }
        self.sync()?;
        download(&ob, out)?;
        sats.read()
    }
}
