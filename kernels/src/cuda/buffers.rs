//! Moving data to and from the device, and packing kernel parameters.
//!
//! Values cross as raw `i64`s (the bits of [`Fx`]); optional buffers become null pointers,
//! which the kernels test for. A saturation [`Counter`] is one `u64` on the device that the
//! kernels add to atomically: a sum, so its value does not depend on thread order.

use super::BLOCK;
use crate::fixed::{Fx, Saturations};
use crate::ops::{Activation, KernelError, Window2d};
use cust::error::CudaError;
use cust::memory::{CopyDestination, DeviceBuffer, DeviceCopy, DevicePointer};

/// A driver error as a kernel error.
pub(super) fn cuda_err(e: CudaError) -> KernelError {
    KernelError::Cuda(format!("{e:?}"))
}

/// Copies a slice to a new device buffer.
pub(super) fn upload<T: DeviceCopy>(v: &[T]) -> Result<DeviceBuffer<T>, KernelError> {
    DeviceBuffer::from_slice(v).map_err(cuda_err)
}

/// Copies fixed-point values to the device as raw `i64`s.
pub(super) fn upload_fx(v: &[Fx]) -> Result<DeviceBuffer<i64>, KernelError> {
    let raw: Vec<i64> = v.iter().map(|f| f.0).collect();
    upload(&raw)
}

/// Copies an optional buffer (a bias) to the device.
pub(super) fn upload_opt(v: Option<&[Fx]>) -> Result<Option<DeviceBuffer<i64>>, KernelError> {
    v.map(upload_fx).transpose()
}

/// The buffer's pointer, or null for an absent one.
pub(super) fn ptr_or_null(b: &Option<DeviceBuffer<i64>>) -> DevicePointer<i64> {
    b.as_ref()
        .map_or(DevicePointer::null(), |b| b.as_device_ptr())
}

/// Copies a device buffer back into `out` (same length).
pub(super) fn download(buf: &DeviceBuffer<i64>, out: &mut [Fx]) -> Result<(), KernelError> {
    let mut raw = vec![0i64; out.len()];
    buf.copy_to(&mut raw[..]).map_err(cuda_err)?;
    for (o, r) in out.iter_mut().zip(raw) {
        *o = Fx(r);
    }
    Ok(())
}

/// Blocks of [`BLOCK`] threads needed for `n` threads.
pub(super) fn grid(n: usize) -> Result<u32, KernelError> {
    u32::try_from(n.div_ceil(BLOCK as usize))
        .map_err(|_| KernelError::Cuda(format!("{n} threads is too many for one launch")))
}

/// A window geometry in the order of the kernels' `Geom`.
pub(super) fn geometry(g: &Window2d) -> Result<DeviceBuffer<i64>, KernelError> {
    let v = [
        g.in_h,
        g.in_w,
        g.channels,
        g.kernel_h,
        g.kernel_w,
        g.stride_h,
        g.stride_w,
        g.dilation_h,
        g.dilation_w,
        g.pad_top,
        g.pad_left,
        g.out_h,
        g.out_w,
    ];
    upload(&v.map(|d| d as i64))
}

/// (kind, slope, max value, has max, threshold) as the kernels take them.
pub(super) fn activation_params(act: Activation) -> (i32, i64, i64, i32, i64) {
    match act {
        Activation::Linear => (0, 0, 0, 0, 0),
        Activation::Relu {
            negative_slope,
            max_value,
            threshold,
        } => (
            1,
            negative_slope.0,
            max_value.map_or(0, |m| m.0),
            i32::from(max_value.is_some()),
            threshold.0,
        ),
        Activation::LeakyRelu { alpha } => (2, alpha.0, 0, 0, 0),
        Activation::Sigmoid => (3, 0, 0, 0, 0),
        Activation::Tanh => (4, 0, 0, 0, 0),
        Activation::Softmax => (5, 0, 0, 0, 0),
    }
}

/// An activation packed as the recurrent kernels read it (`Act` in `kernels.cu`): kind,
/// slope, max value, has max, threshold.
pub(super) fn packed_activation(act: Activation) -> [i64; 5] {
    let (kind, slope, max_value, has_max, threshold) = activation_params(act);
    [
        i64::from(kind),
        slope,
        max_value,
        i64::from(has_max),
        threshold,
    ]
}

/// A saturation counter on the device.
pub(super) struct Counter(DeviceBuffer<u64>);

impl Counter {
    /// A counter at zero.
    pub(super) fn new() -> Result<Counter, KernelError> {
        Ok(Counter(upload(&[0u64])?))
    }

    /// Its device pointer, for a kernel argument.
    pub(super) fn ptr(&self) -> DevicePointer<u64> {
        self.0.as_device_ptr()
    }

    /// Reads the count (after the stream is synchronised).
    pub(super) fn read(&self) -> Result<Saturations, KernelError> {
        let mut v = [0u64];
        self.0.copy_to(&mut v[..]).map_err(cuda_err)?;
        Ok(Saturations(v[0]))
    }
}
