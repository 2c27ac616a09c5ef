//! Error bounds through reductions: every summation order a kernel may use is covered.

use super::Operand;
use super::elementwise::bad_graph_here;
use crate::interp::EvalError;
use crate::interp::reduce::{shapes_fit, target_indices};
use crate::precision::{accumulation_dtype, ulp};
use crate::{DType, Node, ReduceOp};

/// Per output element of a reduction: the terms' magnitudes and bounds, combined.
#[derive(Clone, Copy, Default)]
struct Group {
    count: usize,
    /// Σ(|xᵢ| + eᵢ) for sums; Π(|xᵢ| + eᵢ) for products.
    magnitude: f64,
    /// Π|xᵢ| for products.
    exact_magnitude: f64,
    /// Σeᵢ for sums, max eᵢ for max/min.
    error: f64,
    /// Whether any term has a nonzero bound.
    perturbed: bool,
}

/// The bound of each element of the reduction `node` of `x` over `axes`.
pub(super) fn bound(
    op: ReduceOp,
    node: &Node,
    x: &Operand,
    axes: &[usize],
    here: &str,
) -> Result<Vec<f64>, EvalError> {
    if !shapes_fit(&x.value.shape, axes, &node.shape) {
        let message = format!("cannot reduce {} to {}", x.value.shape, node.shape);
        return Err(bad_graph_here(here, message));
    }
    let targets = target_indices(&x.value.shape, &node.shape);
    let n = node.shape.numel();
    let mut groups = vec![Group::default(); n];
    for ((&v, &e), &t) in x.value.to_f64_vec().iter().zip(x.bound).zip(&targets) {
        if let Some(g) = groups.get_mut(t) {
            add_term(g, op, v, e);
        }
    }
    let results = exact_values(x, &targets, n, op);
    Ok(groups
        .iter()
        .zip(results)
        .map(|(g, v)| finish(g, op, node.dtype, v))
        .collect())
}

fn add_term(g: &mut Group, op: ReduceOp, v: f64, e: f64) {
    if g.count == 0 {
        g.magnitude = if op == ReduceOp::Prod { 1.0 } else { 0.0 };
        g.exact_magnitude = 1.0;
    }
    g.count += 1;
    g.perturbed |= e != 0.0;
    match op {
        ReduceOp::Sum => {
            g.magnitude += v.abs() + e;
            g.error += e;
        }
        ReduceOp::Prod => {
            g.magnitude *= v.abs() + e;
            g.exact_magnitude *= v.abs();
        }
        ReduceOp::Max | ReduceOp::Min => g.error = g.error.max(e),
    }
}

/// The exact reduction of each group, in f64 (the reference's value before its rounding).
fn exact_values(x: &Operand, targets: &[usize], n: usize, op: ReduceOp) -> Vec<f64> {
    let mut acc = vec![if op == ReduceOp::Prod { 1.0 } else { 0.0 }; n];
    if matches!(op, ReduceOp::Sum | ReduceOp::Prod) {
        for (&v, &t) in x.value.to_f64_vec().iter().zip(targets) {
            if let Some(a) = acc.get_mut(t) {
                *a = if op == ReduceOp::Sum { *a + v } else { *a * v };
            }
        }
    }
    acc
}

/// γ_n = n·u/(1 − n·u), u = 2^-p: the relative error of n roundings in precision p.
fn gamma(n: usize, dtype: DType) -> f64 {
    let u = 2f64.powi(-(dtype.float_precision().unwrap_or(53) as i32));
    let nu = n as f64 * u;
    if nu < 1.0 {
        nu / (1.0 - nu)
    } else {
        f64::INFINITY
    }
}

fn finish(g: &Group, op: ReduceOp, dtype: DType, exact: f64) -> f64 {
    if !dtype.is_float() {
        return match op {
            _ if !g.perturbed => 0.0,
            ReduceOp::Max | ReduceOp::Min | ReduceOp::Sum => g.error,
            ReduceOp::Prod => f64::INFINITY,
        };
    }
    let acc = accumulation_dtype(op, dtype);
    let e = match op {
        ReduceOp::Max | ReduceOp::Min => return g.error,
        // A single exact term is copied, not rounded.
        _ if g.count <= 1 && !g.perturbed => return 0.0,
        // n − 1 partial sums, one fused product, every order: γ_n·Σ(|xᵢ| + eᵢ).
        ReduceOp::Sum => g.error + gamma(g.count, acc) * g.magnitude,
        ReduceOp::Prod => g.magnitude * (1.0 + gamma(g.count, acc)) - g.exact_magnitude,
    };
    // The reference rounds the exact value once; a kernel accumulating wider rounds its
    // accumulator to the dtype once more.
    let reference = 0.5 * ulp(exact, dtype);
    let narrowing = if acc == dtype {
        0.0
    } else {
        0.5 * ulp(exact.abs() + e, dtype)
    };
    let total = e + reference + narrowing;
    if total.is_nan() { f64::INFINITY } else { total }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::interp::SplitMix64;

    fn sum_bound(values: &[f64], dtype: DType) -> f64 {
        let mut g = Group::default();
        for &v in values {
            add_term(&mut g, ReduceOp::Sum, v, 0.0);
        }
        finish(&g, ReduceOp::Sum, dtype, values.iter().sum())
    }

    /// f32 sums in several orders a kernel may use (sequential, reversed, pairwise, strided
    /// per lane) stay within the bound of the exactly rounded sum.
    #[test]
    fn every_summation_order_is_within_the_bound() {
        let mut rng = SplitMix64(11);
        for n in [3usize, 64, 1000, 4096] {
            let values: Vec<f64> = (0..n)
                .map(|_| {
                    f64::from(((rng.next() >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0) as f32)
                        * 1.0e3
                })
                .collect();
            let reference = crate::round_float(values.iter().sum(), DType::F32);
            let bound = sum_bound(&values, DType::F32);
            let f = |v: f64| v as f32;
            let sequential = values.iter().fold(0f32, |a, &v| a + f(v));
            let reversed = values.iter().rev().fold(0f32, |a, &v| a + f(v));
            let mut level: Vec<f32> = values.iter().map(|&v| f(v)).collect();
            while level.len() > 1 {
                level = level.chunks(2).map(|c| c.iter().sum()).collect();
            }
            let lanes: f32 = (0..32)
                .map(|l| {
                    values
                        .iter()
                        .skip(l)
                        .step_by(32)
                        .fold(0f32, |a, &v| a + f(v))
                })
                .sum();
            for (name, got) in [
                ("seq", sequential),
                ("rev", reversed),
                ("tree", level[0]),
                ("lanes", lanes),
            ] {
                let diff = (f64::from(got) - reference).abs();
                assert!(diff <= bound, "n={n} {name}: {diff} > {bound}");
            }
        }
    }

    /// f16 sums are bounded at f32 precision (the accumulator) plus the final rounding.
    #[test]
    fn half_sums_accumulate_in_f32() {
        let ones = vec![1.0; 4096];
        let half = sum_bound(&ones, DType::F16);
        let single = sum_bound(&ones, DType::F32);
        // γ_4096(f32)·4096 in both; then half an f16 ULP of 4096 (the ULP is 4) for the
        // reference's rounding and half for the kernel's final one, instead of half an f32 ULP.
        assert!(
            half > single + 3.9 && half < single + 4.0,
            "{half} vs {single}"
        );
    }
}
