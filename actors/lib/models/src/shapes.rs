//! Shape inference and weight checks: what each layer makes of the shapes it is given.
//!
//! [`infer`] is the single place that knows each layer's shape rule, so a checked model
//! has a known shape for every value and every weight tensor has the length those shapes
//! need; the executor relies on it. The importer uses [`window2d`] to build geometries.

use crate::error::ModelError;
use crate::format::{Layer, Node, RecurrentParams, Window};
use bitai_kernels::{Activation, Fx, Window2d};

/// Context for error messages.
struct At<'a> {
    node: usize,
    name: &'a str,
}

impl At<'_> {
    fn shape(&self, reason: impl Into<String>) -> ModelError {
        ModelError::Shape {
            node: self.node,
            name: self.name.to_string(),
            reason: reason.into(),
        }
    }

    fn weight(&self, what: &'static str, actual: usize, expected: usize) -> Result<(), ModelError> {
        if actual == expected {
            Ok(())
        } else {
            Err(ModelError::WeightLength {
                node: self.node,
                name: self.name.to_string(),
                what,
                expected,
                actual,
            })
        }
    }

    fn opt_weight(
        &self,
        what: &'static str,
        v: &Option<Vec<Fx>>,
        n: usize,
    ) -> Result<(), ModelError> {
        v.as_ref().map_or(Ok(()), |v| self.weight(what, v.len(), n))
    }

    fn one_input<'s>(&self, inputs: &[&'s [usize]]) -> Result<&'s [usize], ModelError> {
        match inputs {
            [one] => Ok(one),
            _ => Err(self.shape(format!("takes one input, given {}", inputs.len()))),
        }
    }

    fn image(&self, inputs: &[&[usize]]) -> Result<(usize, usize, usize), ModelError> {
        match self.one_input(inputs)? {
            &[h, w, c] => Ok((h, w, c)),
            other => Err(self.shape(format!(
                "needs a height x width x channels input, got {other:?}"
            ))),
        }
    }
}

/// The product of `dims`, or an error when it overflows.
fn product(at: &At<'_>, dims: &[usize]) -> Result<usize, ModelError> {
    dims.iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .ok_or_else(|| at.shape(format!("weight shape {dims:?} overflows")))
}

/// The kernel geometry of a window over an image.
pub fn window2d(window: &Window, hwc: (usize, usize, usize)) -> Result<Window2d, String> {
    let pair = |p: (u32, u32)| (p.0 as usize, p.1 as usize);
    Window2d::new(
        (hwc.0, hwc.1),
        hwc.2,
        pair(window.size),
        pair(window.strides),
        pair(window.dilation),
        window.padding,
    )
    .map_err(|e| e.to_string())
}

fn check_activation(at: &At<'_>, act: Activation, softmax_ok: bool) -> Result<(), ModelError> {
    if act == Activation::Softmax && !softmax_ok {
        return Err(at.shape("softmax is not allowed here"));
    }
    Ok(())
}

fn recurrent(
    at: &At<'_>,
    input: &[usize],
    p: &RecurrentParams,
    gates: usize,
) -> Result<Vec<usize>, ModelError> {
    let &[steps, features] = input else {
        return Err(at.shape(format!("needs a steps x features input, got {input:?}")));
    };
    let units = p.units as usize;
    if units == 0 {
        return Err(at.shape("zero units"));
    }
    at.weight(
        "kernel",
        p.kernel.len(),
        product(at, &[features, gates, units])?,
    )?;
    at.weight(
        "recurrent kernel",
        p.recurrent.len(),
        product(at, &[units, gates, units])?,
    )?;
    at.opt_weight("bias", &p.bias, gates * units)?;
    Ok(if p.return_sequences {
        vec![steps, units]
    } else {
        vec![units]
    })
}

/// The output shape of `node` given its inputs' shapes; checks its weights.
pub fn infer(index: usize, node: &Node, inputs: &[&[usize]]) -> Result<Vec<usize>, ModelError> {
    let at = At {
        node: index,
        name: &node.name,
    };
    match &node.layer {
        Layer::Dense {
            units,
            activation,
            kernel,
            bias,
        } => {
            let x = at.one_input(inputs)?;
            let Some((&in_dim, outer)) = x.split_last() else {
                return Err(at.shape("dense needs at least one axis"));
            };
            let units = *units as usize;
            check_activation(&at, *activation, true)?;
            at.weight("kernel", kernel.len(), product(&at, &[in_dim, units])?)?;
            at.opt_weight("bias", bias, units)?;
            Ok(outer.iter().copied().chain([units]).collect())
        }
        Layer::Conv2D {
            filters,
            window,
            activation,
            kernel,
            bias,
        } => {
            let hwc = at.image(inputs)?;
            let g = window2d(window, hwc).map_err(|e| at.shape(e))?;
            let f = *filters as usize;
            check_activation(&at, *activation, true)?;
            let n = product(&at, &[g.kernel_h, g.kernel_w, hwc.2, f])?;
            at.weight("kernel", kernel.len(), n)?;
            at.opt_weight("bias", bias, f)?;
            Ok(vec![g.out_h, g.out_w, f])
        }
        Layer::DepthwiseConv2D {
            depth_multiplier,
            window,
            activation,
            kernel,
            bias,
        } => {
            let hwc = at.image(inputs)?;
            let g = window2d(window, hwc).map_err(|e| at.shape(e))?;
            let out_c = product(&at, &[hwc.2, *depth_multiplier as usize])?;
            check_activation(&at, *activation, true)?;
            let n = product(&at, &[g.kernel_h, g.kernel_w, out_c])?;
            at.weight("kernel", kernel.len(), n)?;
            at.opt_weight("bias", bias, out_c)?;
            Ok(vec![g.out_h, g.out_w, out_c])
        }
        Layer::MaxPooling2D(window) | Layer::AveragePooling2D(window) => {
            let hwc = at.image(inputs)?;
            if window.dilation != (1, 1) {
                return Err(at.shape("pooling has no dilation"));
            }
            let g = window2d(window, hwc).map_err(|e| at.shape(e))?;
            Ok(vec![g.out_h, g.out_w, hwc.2])
        }
        Layer::GlobalAveragePooling2D { keepdims } => {
            let (_, _, c) = at.image(inputs)?;
            Ok(if *keepdims { vec![1, 1, c] } else { vec![c] })
        }
        Layer::ZeroPadding2D { padding } => {
            let (h, w, c) = at.image(inputs)?;
            let p = padding.map(|v| v as usize);
            Ok(vec![h + p[0] + p[1], w + p[2] + p[3], c])
        }
        Layer::Flatten => Ok(vec![at.one_input(inputs)?.iter().product()]),
        Layer::Reshape { target_shape } => {
            let total: usize = at.one_input(inputs)?.iter().product();
            reshape(&at, total, target_shape)
        }
        Layer::Rescaling { scale, offset } => {
            let x = at.one_input(inputs)?;
            let c = x.last().copied().unwrap_or(1);
            for (what, v) in [("scale", scale), ("offset", offset)] {
                if v.len() != 1 && v.len() != c {
                    return Err(
                        at.shape(format!("{what} must have 1 or {c} values, has {}", v.len()))
                    );
                }
            }
            Ok(x.to_vec())
        }
        Layer::BatchNormalization {
            gamma,
            beta,
            moving_mean,
            moving_variance,
            ..
        } => {
            let x = at.one_input(inputs)?;
            let c = *x
                .last()
                .ok_or_else(|| at.shape("needs at least one axis"))?;
            at.opt_weight("gamma", gamma, c)?;
            at.opt_weight("beta", beta, c)?;
            at.weight("moving mean", moving_mean.len(), c)?;
            at.weight("moving variance", moving_variance.len(), c)?;
            Ok(x.to_vec())
        }
        Layer::Add | Layer::Multiply => {
            let first = inputs.first().ok_or_else(|| at.shape("needs inputs"))?;
            if inputs.len() < 2 || inputs.iter().any(|s| s != first) {
                return Err(at.shape(format!(
                    "needs two or more inputs of one shape, got {inputs:?}"
                )));
            }
            Ok(first.to_vec())
        }
        Layer::Concatenate { axis } => concatenate(&at, inputs, *axis),
        Layer::Dropout => Ok(at.one_input(inputs)?.to_vec()),
        Layer::Activation(_) => Ok(at.one_input(inputs)?.to_vec()),
        Layer::Embedding {
            input_dim,
            output_dim,
            table,
        } => {
            let x = at.one_input(inputs)?;
            at.weight(
                "table",
                table.len(),
                *input_dim as usize * *output_dim as usize,
            )?;
            if *output_dim == 0 {
                return Err(at.shape("zero output dimension"));
            }
            Ok(x.iter().copied().chain([*output_dim as usize]).collect())
        }
        Layer::SimpleRnn { activation, params } => {
            check_activation(&at, *activation, false)?;
            recurrent(&at, at.one_input(inputs)?, params, 1)
        }
        Layer::Lstm {
            activation,
            recurrent_activation,
            params,
        } => {
            check_activation(&at, *activation, false)?;
            check_activation(&at, *recurrent_activation, false)?;
            recurrent(&at, at.one_input(inputs)?, params, 4)
        }
    }
}

fn reshape(at: &At<'_>, total: usize, target: &[i64]) -> Result<Vec<usize>, ModelError> {
    let unknown = target.iter().filter(|&&d| d == -1).count();
    if unknown > 1 || target.iter().any(|&d| d == 0 || d < -1) {
        return Err(at.shape(format!("bad target shape {target:?}")));
    }
    let known: usize = target
        .iter()
        .filter(|&&d| d > 0)
        .try_fold(1usize, |acc, &d| acc.checked_mul(usize::try_from(d).ok()?))
        .ok_or_else(|| at.shape("target shape overflows"))?;
    let shape: Vec<usize> = target
        .iter()
        .map(|&d| {
            if d == -1 {
                total / known.max(1)
            } else {
                d as usize
            }
        })
        .collect();
    if shape.iter().product::<usize>() != total {
        return Err(at.shape(format!("cannot reshape {total} values to {target:?}")));
    }
    Ok(shape)
}

fn concatenate(at: &At<'_>, inputs: &[&[usize]], axis: i32) -> Result<Vec<usize>, ModelError> {
    let first = inputs.first().ok_or_else(|| at.shape("needs inputs"))?;
    let rank = first.len() as i64;
    let a = if axis < 0 {
        rank + i64::from(axis)
    } else {
        i64::from(axis)
    };
    if inputs.len() < 2 || !(0..rank).contains(&a) {
        return Err(at.shape(format!(
            "axis {axis} of rank {rank}, {} inputs",
            inputs.len()
        )));
    }
    let a = a as usize;
    let mut out = first.to_vec();
    out[a] = 0;
    for s in inputs {
        let same_rest = s.len() == first.len()
            && s.iter()
                .zip(first.iter())
                .enumerate()
                .all(|(i, (x, y))| i == a || x == y);
        if !same_rest {
            return Err(at.shape(format!("shapes {inputs:?} differ off axis {axis}")));
        }
        out[a] += s[a];
    }
    Ok(out)
}

/// The concatenation axis of a checked node, counted from the front.
pub fn concat_axis(axis: i32, rank: usize) -> usize {
    if axis < 0 {
        (rank as i64 + i64::from(axis)) as usize
    } else {
        axis as usize
    }
}
