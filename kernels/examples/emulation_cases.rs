//! Writes seeded cases for `cuda/emulate.cpp`: inputs of global average pooling, SimpleRNN
//! and LSTM with the CPU reference's outputs and saturation counts.
//!
//! `emulate.cpp` runs the device code of `cuda/kernels.cu` on the host (compiled by g++,
//! one emulated thread after another) on these inputs and requires the same bits and
//! counts. That checks the port of the integer arithmetic without a GPU; it says nothing
//! about nvcc's code generation or the hardware, which only `tests/cuda_vs_cpu.rs` on a
//! device checks. `cuda/ci.sh` runs both programs.
//!
//! Usage: `cargo run -p bitai-kernels --example emulation_cases -- OUT [CASES]`. The file is
//! a flat list of little-endian `i64`s; each case is
//! - global pool: `0, positions, channels, x.., expected..`;
//! - recurrent: `gates (1 or 4), steps, input_dim, units, return_sequences, has_bias,
//!   activation[5], recurrent_activation[5], x.., kernel.., recurrent.., bias.. (if any),
//!   output_len, expected.., saturations`.

use bitai_kernels::{
    Activation, Backend, CpuBackend, Fx, RecurrentShape, RecurrentWeights, Saturations,
};
use std::io::Write;

/// splitmix64, so the cases are the same on every machine.
struct Gen(u64);

impl Gen {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// Mostly values up to ±8, one in fifty anywhere in the range (they saturate).
    fn values(&mut self, n: usize) -> Vec<Fx> {
        (0..n)
            .map(|_| {
                let r = self.next() as i64;
                if self.below(50) == 0 {
                    Fx(r)
                } else {
                    Fx(r >> 28)
                }
            })
            .collect()
    }

    /// Weights: mostly below ±1/2, sometimes below ±2, sometimes like [`Gen::values`].
    fn weights(&mut self, n: usize) -> Vec<Fx> {
        match self.below(4) {
            0 => self.values(n),
            1 => (0..n).map(|_| Fx((self.next() as i64) >> 31)).collect(),
            _ => (0..n).map(|_| Fx((self.next() as i64) >> 33)).collect(),
        }
    }

    /// An activation and its packing as the kernels read it (`Act` in `kernels.cu`: kind,
    /// slope, max value, has max, threshold; `cuda::tests` checks the host packs the same).
    fn activation(&mut self) -> (Activation, [i64; 5]) {
        match self.below(7) {
            0 => (Activation::Linear, [0; 5]),
            1 => (Activation::RELU, [1, 0, 0, 0, 0]),
            2 => (
                Activation::Relu {
                    negative_slope: Fx(1 << 30),
                    max_value: Some(Fx(6 << 32)),
                    threshold: Fx(1 << 31),
                },
                [1, 1 << 30, 6 << 32, 1, 1 << 31],
            ),
            3 => (
                Activation::LeakyRelu { alpha: Fx(3 << 29) },
                [2, 3 << 29, 0, 0, 0],
            ),
            4 => (Activation::Sigmoid, [3, 0, 0, 0, 0]),
            _ => (Activation::Tanh, [4, 0, 0, 0, 0]),
        }
    }
}

fn raw(values: &[Fx]) -> impl Iterator<Item = i64> + '_ {
    values.iter().map(|f| f.0)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = args.next().ok_or("usage: emulation_cases OUT [CASES]")?;
    let cases: usize = args.next().map_or(Ok(200), |c| c.parse())?;
    let cpu = CpuBackend::new(1)?;
    let mut g = Gen(7);
    let mut v: Vec<i64> = Vec::new();
    let mut saturations = Saturations::default();
    for case in 0..cases {
        let positions = 1 + g.below(300);
        let channels = 1 + g.below(if case % 10 == 0 { 600 } else { 50 });
        let x = g.values(positions * channels);
        let mut out = vec![Fx::ZERO; channels];
        cpu.global_avg_pool(&x, positions, channels, &mut out)?;
        v.extend([0, positions as i64, channels as i64]);
        v.extend(raw(&x).chain(raw(&out)));

        let units = 1 + g.below(if case % 10 == 1 { 300 } else { 40 });
        let shape = RecurrentShape {
            steps: g.below(16),
            input_dim: g.below(24),
            units,
            return_sequences: g.below(2) == 0,
        };
        let x = g.values(shape.steps * shape.input_dim);
        for gates in [1usize, 4] {
            let width = gates * units;
            let (k, r, b) = (
                g.weights(shape.input_dim * width),
                g.weights(units * width),
                g.weights(width),
            );
            let has_bias = case % 3 != 0;
            let w = RecurrentWeights {
                kernel: &k,
                recurrent: &r,
                bias: has_bias.then_some(&b[..]),
            };
            let ((act, act_packed), (rec, rec_packed)) = (g.activation(), g.activation());
            let mut out = vec![Fx(7); shape.output_len()];
            let sats = if gates == 1 {
                cpu.simple_rnn(&x, &shape, &w, act, &mut out)?
            } else {
                cpu.lstm(&x, &shape, &w, act, rec, &mut out)?
            };
            saturations.add(sats);
            v.extend([
                gates as i64,
                shape.steps as i64,
                shape.input_dim as i64,
                units as i64,
                i64::from(shape.return_sequences),
                i64::from(has_bias),
            ]);
            v.extend(act_packed.into_iter().chain(rec_packed));
            v.extend(raw(&x).chain(raw(&k)).chain(raw(&r)));
            if has_bias {
                v.extend(raw(&b));
            }
            v.push(out.len() as i64);
            v.extend(raw(&out));
            v.push(sats.0 as i64);
        }
    }
    let mut file = std::io::BufWriter::new(std::fs::File::create(&path)?);
    for x in v {
        file.write_all(&x.to_le_bytes())?;
    }
    file.flush()?;
    println!(
        "{} cases ({cases} global pools, {cases} SimpleRNN, {cases} LSTM) -> {path}; \
         {} saturations in the recurrent cases",
        3 * cases,
        saturations.0
    );
    Ok(())
}
