//! A short, readable summary of a tensor: min, max, mean and the first values.

use egpu_ir::interp::Tensor;
use egpu_ir::{DType, Scalar};

/// How many leading values `summarize` shows.
const FIRST: usize = 8;

/// Two lines: `min … max … mean …` (NaNs counted apart) and the first values.
pub fn summarize(tensor: &Tensor) -> String {
    let values: Vec<f64> = tensor.to_f64_vec();
    let nans = values.iter().filter(|v| v.is_nan()).count();
    let finite: Vec<f64> = values.iter().copied().filter(|v| !v.is_nan()).collect();
    let mut text = String::from("  ");
    if finite.is_empty() {
        text += "no non-NaN values";
    } else {
        let min = finite.iter().copied().fold(f64::INFINITY, f64::min);
        let max = finite.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let mean = finite.iter().sum::<f64>() / finite.len() as f64;
        let dtype = tensor.dtype;
        text += &format!(
            "min {}  max {}  mean {mean:.6}",
            value(dtype, min),
            value(dtype, max)
        );
    }
    if nans > 0 {
        text += &format!("  ({nans} NaN)");
    }
    let first: Vec<String> = tensor
        .scalars()
        .take(FIRST)
        .map(|s| scalar(tensor.dtype, s))
        .collect();
    let more = if tensor.numel() > FIRST { ", …" } else { "" };
    text += &format!("\n  first [{}{more}]\n", first.join(", "));
    text
}

/// A value printed the way its dtype would print it (shortest round-trip text).
fn value(dtype: DType, v: f64) -> String {
    match dtype {
        DType::F16 => format!("{}", half::f16::from_f64(v)),
        DType::BF16 => format!("{}", half::bf16::from_f64(v)),
        DType::F32 => format!("{:?}", v as f32),
        DType::F64 => format!("{v:?}"),
        DType::Bool => format!("{}", v != 0.0),
        _ => format!("{}", v as i128),
    }
}

fn scalar(dtype: DType, s: Scalar) -> String {
    match s {
        Scalar::Float(f) => value(dtype, f),
        other => other.to_string(),
    }
}
