//! One Keras layer config to one layer of ours, reading its weights in `get_weights()` order.

use super::{config_err, ImportError, WeightReader};
use crate::format::{Layer, RecurrentParams, Window};
use bitai_kernels::{Activation, Fx, Padding};
use serde_json::Value;

/// The class name, layer name and config of a layer entry.
pub(super) fn header(layer: &Value) -> Result<(String, String, &Value), ImportError> {
    let class = layer
        .get("class_name")
        .and_then(Value::as_str)
        .ok_or_else(|| config_err("?", "layer without class_name"))?;
    let config = layer
        .get("config")
        .ok_or_else(|| config_err("?", "layer without config"))?;
    let name = layer
        .get("name")
        .or_else(|| config.get("name"))
        .and_then(Value::as_str)
        .ok_or_else(|| config_err("?", "layer without name"))?;
    Ok((class.to_string(), name.to_string(), config))
}

/// Typed access to a layer's config.
struct Cfg<'a> {
    name: &'a str,
    config: &'a Value,
}

impl Cfg<'_> {
    fn get(&self, key: &str) -> Option<&Value> {
        self.config.get(key).filter(|v| !v.is_null())
    }

    fn err(&self, reason: impl Into<String>) -> ImportError {
        config_err(self.name, reason)
    }

    fn f64_or(&self, key: &str, default: f64) -> Result<f64, ImportError> {
        match self.get(key) {
            None => Ok(default),
            Some(v) => v
                .as_f64()
                .ok_or_else(|| self.err(format!("{key} is not a number"))),
        }
    }

    fn fx_or(&self, key: &str, default: f64) -> Result<Fx, ImportError> {
        fx(self, self.f64_or(key, default)?)
    }

    fn uint(&self, key: &str) -> Result<u32, ImportError> {
        self.get(key)
            .and_then(Value::as_u64)
            .and_then(|v| u32::try_from(v).ok())
            .ok_or_else(|| self.err(format!("{key} is missing or not a size")))
    }

    fn bool_or(&self, key: &str, default: bool) -> Result<bool, ImportError> {
        match self.get(key) {
            None => Ok(default),
            Some(v) => v
                .as_bool()
                .ok_or_else(|| self.err(format!("{key} is not a boolean"))),
        }
    }

    fn pair_or(&self, key: &str, default: Option<(u32, u32)>) -> Result<(u32, u32), ImportError> {
        let as_u32 = |v: &Value| v.as_u64().and_then(|v| u32::try_from(v).ok());
        match self.get(key) {
            None => default.ok_or_else(|| self.err(format!("{key} is missing"))),
            Some(Value::Array(a)) if a.len() == 2 => match (as_u32(&a[0]), as_u32(&a[1])) {
                (Some(x), Some(y)) => Ok((x, y)),
                _ => Err(self.err(format!("{key} is not a pair of sizes"))),
            },
            Some(v) => as_u32(v)
                .map(|x| (x, x))
                .ok_or_else(|| self.err(format!("{key} is not a size"))),
        }
    }

    fn padding(&self) -> Result<Padding, ImportError> {
        match self
            .get("padding")
            .and_then(Value::as_str)
            .unwrap_or("valid")
        {
            "valid" => Ok(Padding::Valid),
            "same" => Ok(Padding::Same),
            other => Err(self.err(format!("padding {other:?} is not supported"))),
        }
    }

    fn channels_last(&self) -> Result<(), ImportError> {
        match self.get("data_format").and_then(Value::as_str) {
            None | Some("channels_last") => Ok(()),
            Some(other) => Err(self.err(format!("data_format {other} is not supported"))),
        }
    }

    fn require_false(&self, keys: &[&str]) -> Result<(), ImportError> {
        for key in keys {
            if self.bool_or(key, false)? {
                return Err(self.err(format!("{key}=true is not supported")));
            }
        }
        Ok(())
    }

    fn activation(&self, key: &str, default: &str) -> Result<Activation, ImportError> {
        let name = match self.get(key) {
            None => default,
            Some(v) => v
                .as_str()
                .ok_or_else(|| self.err(format!("{key} is not a built-in activation name")))?,
        };
        let unsupported = || ImportError::UnsupportedActivation {
            layer: self.name.to_string(),
            activation: name.to_string(),
        };
        Ok(match name {
            "linear" => Activation::Linear,
            "relu" => Activation::RELU,
            "relu6" => Activation::Relu {
                negative_slope: Fx::ZERO,
                max_value: Some(Fx::from_int(6).0),
                threshold: Fx::ZERO,
            },
            "leaky_relu" => Activation::LeakyRelu {
                alpha: fx(self, 0.2)?,
            },
            "sigmoid" => Activation::Sigmoid,
            "tanh" => Activation::Tanh,
            "softmax" => Activation::Softmax,
            _ => return Err(unsupported()),
        })
    }

    fn window(&self, size_key: &str, pooling: bool) -> Result<Window, ImportError> {
        let size = self.pair_or(size_key, None)?;
        Ok(Window {
            size,
            strides: self.pair_or("strides", Some(if pooling { size } else { (1, 1) }))?,
            dilation: if pooling {
                (1, 1)
            } else {
                self.pair_or("dilation_rate", Some((1, 1)))?
            },
            padding: self.padding()?,
        })
    }
}

fn fx(cfg: &Cfg<'_>, v: f64) -> Result<Fx, ImportError> {
    Fx::from_f64(v)
        .map(|(f, _)| f)
        .map_err(|_| cfg.err("parameter is not a number"))
}

fn last_dim(cfg: &Cfg<'_>, shapes: &[Vec<usize>]) -> Result<usize, ImportError> {
    shapes
        .first()
        .and_then(|s| s.last().copied())
        .ok_or_else(|| cfg.err("needs an input with at least one axis"))
}

fn channels(cfg: &Cfg<'_>, shapes: &[Vec<usize>]) -> Result<usize, ImportError> {
    match shapes.first().map(Vec::as_slice) {
        Some(&[_, _, c]) => Ok(c),
        other => Err(cfg.err(format!(
            "needs a height x width x channels input, got {other:?}"
        ))),
    }
}

/// The product of `dims`, or an error when it overflows.
fn product(cfg: &Cfg<'_>, dims: &[usize]) -> Result<usize, ImportError> {
    dims.iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .ok_or_else(|| cfg.err(format!("weight shape {dims:?} overflows")))
}

/// A scalar or list parameter (Rescaling's scale and offset).
fn scalar_or_list(cfg: &Cfg<'_>, key: &str, default: f64) -> Result<Vec<Fx>, ImportError> {
    match cfg.get(key) {
        None => Ok(vec![fx(cfg, default)?]),
        Some(Value::Array(a)) => a
            .iter()
            .map(|v| {
                v.as_f64()
                    .ok_or_else(|| cfg.err(format!("{key} holds a non-number")))
            })
            .map(|v| v.and_then(|v| fx(cfg, v)))
            .collect(),
        Some(v) => Ok(vec![fx(
            cfg,
            v.as_f64()
                .ok_or_else(|| cfg.err(format!("{key} is not a number")))?,
        )?]),
    }
}

/// Converts one layer; `shapes` are its inputs' shapes, `w` the weights still to read.
pub(super) fn convert(
    layer: &Value,
    name: &str,
    shapes: &[Vec<usize>],
    w: &mut WeightReader<'_>,
) -> Result<Layer, ImportError> {
    let (class, _, config) = header(layer)?;
    let cfg = Cfg { name, config };
    let bias = |w: &mut WeightReader<'_>, n: usize| -> Result<Option<Vec<Fx>>, ImportError> {
        if cfg.bool_or("use_bias", true)? {
            Ok(Some(w.take(name, n)?))
        } else {
            Ok(None)
        }
    };
    Ok(match class.as_str() {
        "Dense" => {
            let units = cfg.uint("units")?;
            let kernel = w.take(
                name,
                product(&cfg, &[last_dim(&cfg, shapes)?, units as usize])?,
            )?;
            Layer::Dense {
                units,
                activation: cfg.activation("activation", "linear")?,
                kernel,
                bias: bias(w, units as usize)?,
            }
        }
        "Conv2D" => {
            cfg.channels_last()?;
            if cfg.get("groups").and_then(Value::as_u64).unwrap_or(1) != 1 {
                return Err(cfg.err("grouped convolution is not supported"));
            }
            let window = cfg.window("kernel_size", false)?;
            let filters = cfg.uint("filters")?;
            let (kh, kw) = (window.size.0 as usize, window.size.1 as usize);
            let n = product(&cfg, &[kh, kw, channels(&cfg, shapes)?, filters as usize])?;
            let kernel = w.take(name, n)?;
            let activation = cfg.activation("activation", "linear")?;
            Layer::Conv2D {
                filters,
                window,
                activation,
                kernel,
                bias: bias(w, filters as usize)?,
            }
        }
        "DepthwiseConv2D" => {
            cfg.channels_last()?;
            let window = cfg.window("kernel_size", false)?;
            let depth_multiplier = cfg.uint("depth_multiplier")?;
            let out_c = product(&cfg, &[channels(&cfg, shapes)?, depth_multiplier as usize])?;
            let dims = [window.size.0 as usize, window.size.1 as usize, out_c];
            let kernel = w.take(name, product(&cfg, &dims)?)?;
            let activation = cfg.activation("activation", "linear")?;
            Layer::DepthwiseConv2D {
                depth_multiplier,
                window,
                activation,
                kernel,
                bias: bias(w, out_c)?,
            }
        }
        "MaxPooling2D" => {
            cfg.channels_last()?;
            Layer::MaxPooling2D(cfg.window("pool_size", true)?)
        }
        "AveragePooling2D" => {
            cfg.channels_last()?;
            Layer::AveragePooling2D(cfg.window("pool_size", true)?)
        }
        "GlobalAveragePooling2D" => {
            cfg.channels_last()?;
            Layer::GlobalAveragePooling2D {
                keepdims: cfg.bool_or("keepdims", false)?,
            }
        }
        "ZeroPadding2D" => {
            cfg.channels_last()?;
            let p = cfg
                .get("padding")
                .ok_or_else(|| cfg.err("padding is missing"))?;
            let sub = |i: usize| {
                Cfg {
                    name,
                    config: &serde_json::json!({ "p": p.get(i) }),
                }
                .pair_or("p", None)
            };
            let padding = match p {
                Value::Array(a) if a.len() == 2 && a[0].is_array() => {
                    let (rows, cols) = (sub(0)?, sub(1)?);
                    [rows.0, rows.1, cols.0, cols.1]
                }
                _ => {
                    let (r, c) = cfg.pair_or("padding", None)?;
                    [r, r, c, c]
                }
            };
            Layer::ZeroPadding2D { padding }
        }
        "Flatten" => Layer::Flatten,
        "Reshape" => {
            let target = cfg
                .get("target_shape")
                .and_then(Value::as_array)
                .ok_or_else(|| cfg.err("target_shape is missing"))?;
            let target_shape = target
                .iter()
                .map(|d| {
                    d.as_i64()
                        .ok_or_else(|| cfg.err("target_shape holds a non-integer"))
                })
                .collect::<Result<_, _>>()?;
            Layer::Reshape { target_shape }
        }
        "Rescaling" => Layer::Rescaling {
            scale: scalar_or_list(&cfg, "scale", 1.0)?,
            offset: scalar_or_list(&cfg, "offset", 0.0)?,
        },
        "BatchNormalization" => {
            let rank = shapes.first().map_or(0, Vec::len) as i64;
            let axis = cfg.get("axis").and_then(Value::as_i64).unwrap_or(-1);
            if axis != -1 && axis != rank {
                return Err(cfg.err(format!("axis {axis} is not the last axis")));
            }
            let c = last_dim(&cfg, shapes)?;
            let gamma = if cfg.bool_or("scale", true)? {
                Some(w.take(name, c)?)
            } else {
                None
            };
            let beta = if cfg.bool_or("center", true)? {
                Some(w.take(name, c)?)
            } else {
                None
            };
            Layer::BatchNormalization {
                epsilon: cfg.fx_or("epsilon", 1e-3)?,
                gamma,
                beta,
                moving_mean: w.take(name, c)?,
                moving_variance: w.take(name, c)?,
            }
        }
        "Add" => Layer::Add,
        "Multiply" => Layer::Multiply,
        "Concatenate" => Layer::Concatenate {
            axis: i32::try_from(cfg.get("axis").and_then(Value::as_i64).unwrap_or(-1))
                .map_err(|_| cfg.err("axis out of range"))?,
        },
        "Dropout" | "SpatialDropout2D" => Layer::Dropout,
        "Embedding" => {
            cfg.require_false(&["mask_zero"])?;
            let (input_dim, output_dim) = (cfg.uint("input_dim")?, cfg.uint("output_dim")?);
            let n = (input_dim as usize)
                .checked_mul(output_dim as usize)
                .ok_or_else(|| cfg.err("table too large"))?;
            Layer::Embedding {
                input_dim,
                output_dim,
                table: w.take(name, n)?,
            }
        }
        "SimpleRNN" | "LSTM" => {
            cfg.require_false(&["return_state", "go_backwards", "stateful"])?;
            let gates = if class == "LSTM" { 4 } else { 1 };
            let units = cfg.uint("units")?;
            let width = product(&cfg, &[gates, units as usize])?;
            let kernel = w.take(name, product(&cfg, &[last_dim(&cfg, shapes)?, width])?)?;
            let recurrent = w.take(name, product(&cfg, &[units as usize, width])?)?;
            let params = RecurrentParams {
                units,
                return_sequences: cfg.bool_or("return_sequences", false)?,
                kernel,
                recurrent,
                bias: bias(w, width)?,
            };
            let activation = cfg.activation("activation", "tanh")?;
            if gates == 4 {
                let recurrent_activation = cfg.activation("recurrent_activation", "sigmoid")?;
                Layer::Lstm {
                    activation,
                    recurrent_activation,
                    params,
                }
            } else {
                Layer::SimpleRnn { activation, params }
            }
        }
        "Activation" => Layer::Activation(cfg.activation("activation", "linear")?),
        "ReLU" => {
            let max_value = match cfg.get("max_value") {
                None => None,
                Some(_) => Some(cfg.fx_or("max_value", 0.0)?),
            };
            Layer::Activation(Activation::Relu {
                negative_slope: cfg.fx_or("negative_slope", 0.0)?,
                max_value,
                threshold: cfg.fx_or("threshold", 0.0)?,
            })
        }
        "LeakyReLU" => {
            let slope = cfg.f64_or("negative_slope", cfg.f64_or("alpha", 0.3)?)?;
            Layer::Activation(Activation::LeakyRelu {
                alpha: fx(&cfg, slope)?,
            })
        }
        "Softmax" => {
            if cfg.get("axis").and_then(Value::as_i64).unwrap_or(-1) != -1 {
                return Err(cfg.err("softmax over an axis other than the last"));
            }
            Layer::Activation(Activation::Softmax)
        }
        other => {
            return Err(ImportError::UnsupportedLayer {
                layer: name.to_string(),
                class: other.to_string(),
            })
        }
    })
}
