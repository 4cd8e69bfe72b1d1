//! Host-side checks of the CUDA backend that need no device: the committed PTX has every
//! kernel the host launches, and the parameters are packed the way the kernels read them.

use super::buffers::packed_activation;
use super::recurrent::{emit_at, Cell};
use super::PTX;
use crate::fixed::Fx;
use crate::ops::{Activation, RecurrentShape};

#[test]
fn ptx_has_every_kernel_the_host_launches() {
    let cells = [
        Cell::Simple(Activation::Tanh),
        Cell::Lstm(Activation::Tanh, Activation::Sigmoid),
    ];
    let names = [
        "dense",
        "conv2d",
        "depthwise_conv2d",
        "pool2d",
        "activation",
        "affine_channels",
        "binary",
        "global_avg_pool",
    ]
    .into_iter()
    .chain(cells.map(Cell::kernel_name));
    for name in names {
        let entry = format!(".visible .entry {name}(");
        assert!(PTX.contains(&entry), "kernels.ptx lacks {name}");
    }
    // PTX ISA 9.0: what a CUDA 13.0 driver loads.
    assert!(PTX.contains(".version 9.0"), "PTX version changed");
}

#[test]
fn activations_are_packed_in_the_kernels_order() {
    let relu = Activation::Relu {
        negative_slope: Fx(3),
        max_value: Some(Fx(5)),
        threshold: Fx(-7),
    };
    // Act in kernels.cu: kind, slope, max value, has max, threshold.
    assert_eq!(packed_activation(relu), [1, 3, 5, 1, -7]);
    assert_eq!(
        packed_activation(Activation::LeakyRelu { alpha: Fx(9) }),
        [2, 9, 0, 0, 0]
    );
    assert_eq!(packed_activation(Activation::Sigmoid), [3, 0, 0, 0, 0]);
    let lstm = Cell::Lstm(Activation::Tanh, Activation::Sigmoid).packed();
    assert_eq!(lstm, vec![4, 0, 0, 0, 0, 3, 0, 0, 0, 0]);
}

#[test]
fn steps_write_where_the_cpu_reference_does() {
    let mut shape = RecurrentShape {
        steps: 3,
        input_dim: 2,
        units: 5,
        return_sequences: true,
    };
    let all: Vec<_> = (0..3).map(|t| emit_at(&shape, t)).collect();
    assert_eq!(all, vec![(0, 1), (5, 1), (10, 1)]);
    shape.return_sequences = false;
    let last: Vec<_> = (0..3).map(|t| emit_at(&shape, t)).collect();
    assert_eq!(last, vec![(0, 0), (0, 0), (0, 1)]);
}
