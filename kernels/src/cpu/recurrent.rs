//! Recurrent layers over one sequence: Keras' `SimpleRNN` and `LSTM`.
//!
//! The state starts at zero. At every step each pre-activation `z[j] = b[j] + sum_i x[i]
//! K[i, j] + sum_k h[k] U[k, j]` is one exact accumulator (bias, then inputs, then state,
//! each in ascending order) rounded once. The LSTM cell update `c = f c + i g` is one exact
//! sum too. Steps are sequential by nature and these layers are small, so this runs on one
//! thread.

use super::elementwise::activate;
use super::linear::Acc;
use crate::backend::RecurrentWeights;
use crate::fixed::{Fx, Saturations};
use crate::ops::{check_len, Activation, KernelError, RecurrentShape};

/// Checks the buffers of a recurrent layer with `gates` gates (1 for `SimpleRNN`, 4 for
/// `LSTM`).
pub fn check(
    x: &[Fx],
    shape: &RecurrentShape,
    w: &RecurrentWeights<'_>,
    gates: usize,
    out: &[Fx],
) -> Result<(), KernelError> {
    let width = gates * shape.units;
    check_len("recurrent input", x.len(), shape.steps * shape.input_dim)?;
    check_len("recurrent kernel", w.kernel.len(), shape.input_dim * width)?;
    check_len(
        "recurrent state kernel",
        w.recurrent.len(),
        shape.units * width,
    )?;
    if let Some(b) = w.bias {
        check_len("recurrent bias", b.len(), width)?;
    }
    check_len("recurrent output", out.len(), shape.output_len())
}

/// The pre-activations `z` (length `gates * units`) of one step.
fn pre_activations(
    x_t: &[Fx],
    h: &[Fx],
    w: &RecurrentWeights<'_>,
    z: &mut [Fx],
    sats: &mut Saturations,
) {
    let width = z.len();
    for (j, zj) in z.iter_mut().enumerate() {
        let mut acc = Acc::with_bias(w.bias.map(|b| b[j]));
        for (i, &xi) in x_t.iter().enumerate() {
            acc.mac(xi, w.kernel[i * width + j]);
        }
        for (k, &hk) in h.iter().enumerate() {
            acc.mac(hk, w.recurrent[k * width + j]);
        }
        let (v, s) = acc.finish();
        sats.record(s);
        *zj = v;
    }
}

/// Writes the state of step `t` to the output when the layer returns it.
fn emit(shape: &RecurrentShape, t: usize, h: &[Fx], out: &mut [Fx]) {
    if shape.return_sequences {
        out[t * shape.units..(t + 1) * shape.units].copy_from_slice(h);
    } else if t + 1 == shape.steps {
        out.copy_from_slice(h);
    }
}

/// `h = act(x K + h U + b)` at every step.
pub fn simple_rnn(
    x: &[Fx],
    shape: &RecurrentShape,
    w: &RecurrentWeights<'_>,
    activation: Activation,
    out: &mut [Fx],
) -> Result<Saturations, KernelError> {
    check(x, shape, w, 1, out)?;
    let mut sats = Saturations::default();
    let mut h = vec![Fx::ZERO; shape.units];
    let mut z = vec![Fx::ZERO; shape.units];
    if shape.steps == 0 {
        out.fill(Fx::ZERO);
    }
    for t in 0..shape.steps {
        let x_t = &x[t * shape.input_dim..(t + 1) * shape.input_dim];
        pre_activations(x_t, &h, w, &mut z, &mut sats);
        for (hj, &zj) in h.iter_mut().zip(&z) {
            *hj = activate(activation, zj, &mut sats);
        }
        emit(shape, t, &h, out);
    }
    Ok(sats)
}

/// The LSTM: gates i, f, g (cell input), o in Keras' column order.
pub fn lstm(
    x: &[Fx],
    shape: &RecurrentShape,
    w: &RecurrentWeights<'_>,
    activation: Activation,
    recurrent_activation: Activation,
    out: &mut [Fx],
) -> Result<Saturations, KernelError> {
    check(x, shape, w, 4, out)?;
    let u = shape.units;
    let mut sats = Saturations::default();
    let mut h = vec![Fx::ZERO; u];
    let mut c = vec![Fx::ZERO; u];
    let mut z = vec![Fx::ZERO; 4 * u];
    if shape.steps == 0 {
        out.fill(Fx::ZERO);
    }
    for t in 0..shape.steps {
        let x_t = &x[t * shape.input_dim..(t + 1) * shape.input_dim];
        pre_activations(x_t, &h, w, &mut z, &mut sats);
        for j in 0..u {
            let i_gate = activate(recurrent_activation, z[j], &mut sats);
            let f_gate = activate(recurrent_activation, z[u + j], &mut sats);
            let g = activate(activation, z[2 * u + j], &mut sats);
            let o_gate = activate(recurrent_activation, z[3 * u + j], &mut sats);
            let mut acc = Acc::with_bias(None);
            acc.mac(f_gate, c[j]);
            acc.mac(i_gate, g);
            let (c_new, s1) = acc.finish();
            let (h_new, s2) = o_gate.mul_sat(activate(activation, c_new, &mut sats));
            sats.record(s1);
            sats.record(s2);
            c[j] = c_new;
            h[j] = h_new;
        }
        emit(shape, t, &h, out);
    }
    Ok(sats)
}
