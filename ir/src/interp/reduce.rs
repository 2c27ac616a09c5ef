//! Reductions over a set of axes, each kept with size 1.
//!
//! Elements are combined in row-major order of the input, so the result is deterministic.
//! Float sums and products accumulate in f64 and are rounded once to the dtype at the end;
//! integer sums and products wrap at the dtype's width. An empty reduction gives the
//! identity: 0 for sum, 1 for prod, the lowest value (-inf for floats) for max and the
//! highest (+inf) for min.

use super::elementwise::{bad_graph, float_max, float_min};
use super::index::for_each_index;
use super::{Data, EvalError, Tensor};
use crate::{DType, ReduceOp, Shape, round_float, wrap_int};

/// `op` over `axes` of `x`, giving `out` (the input's shape with those axes set to 1).
pub(super) fn reduce(
    op: ReduceOp,
    x: &Tensor,
    axes: &[usize],
    out: &Shape,
    node: &str,
) -> Result<Data, EvalError> {
    if !shapes_fit(&x.shape, axes, out) {
        return Err(bad_graph(
            node,
            format!("cannot reduce {} to {out}", x.shape),
        ));
    }
    let targets = target_indices(&x.shape, out);
    match &x.data {
        Data::Float(v) => Ok(Data::Float(reduce_floats(
            op,
            v,
            &targets,
            out.numel(),
            x.dtype,
        ))),
        Data::Int(v) => Ok(Data::Int(reduce_ints(
            op,
            v,
            &targets,
            out.numel(),
            x.dtype,
        ))),
        Data::Bool(_) => Err(bad_graph(node, "cannot reduce bool values".to_string())),
    }
}

/// Whether `out` is `input` with `axes` (all in range) set to 1.
pub(super) fn shapes_fit(input: &Shape, axes: &[usize], out: &Shape) -> bool {
    let kept = |i: usize, d: usize| if axes.contains(&i) { 1 } else { d };
    axes.iter().all(|&a| a < input.rank())
        && out.rank() == input.rank()
        && input.iter().enumerate().all(|(i, &d)| out[i] == kept(i, d))
}

/// For each input element in row-major order, the output element it is combined into.
pub(super) fn target_indices(input: &Shape, out: &Shape) -> Vec<usize> {
    // A reduced axis has size 1 in `out`, so zeroing its stride sends it to index 0.
    let strides: Vec<usize> = out
        .strides()
        .iter()
        .zip(out.iter())
        .map(|(&s, &d)| if d == 1 { 0 } else { s })
        .collect();
    let mut targets = Vec::with_capacity(input.numel());
    for_each_index(input, |i| {
        targets.push(i.iter().zip(&strides).map(|(&i, &s)| i * s).sum())
    });
    targets
}

fn reduce_floats(op: ReduceOp, v: &[f64], targets: &[usize], n: usize, dtype: DType) -> Vec<f64> {
    let combine = |a: f64, b: f64| match op {
        ReduceOp::Sum => a + b,
        ReduceOp::Prod => a * b,
        ReduceOp::Max => float_max(a, b),
        ReduceOp::Min => float_min(a, b),
    };
    let identity = match op {
        ReduceOp::Sum => 0.0,
        ReduceOp::Prod => 1.0,
        ReduceOp::Max => f64::NEG_INFINITY,
        ReduceOp::Min => f64::INFINITY,
    };
    // Starting from the first element rather than the identity keeps the sum of -0.0s -0.0.
    let acc = accumulate(v, targets, n, combine);
    acc.into_iter()
        .map(|a| round_float(a.unwrap_or(identity), dtype))
        .collect()
}

fn reduce_ints(op: ReduceOp, v: &[i128], targets: &[usize], n: usize, dtype: DType) -> Vec<i128> {
    // i128 wrapping keeps the low 64 bits exact; wrapping to the dtype after each step makes
    // the intermediate values those of a dtype-width accumulator.
    let combine = |a: i128, b: i128| match op {
        ReduceOp::Sum => wrap_int(a.wrapping_add(b), dtype),
        ReduceOp::Prod => wrap_int(a.wrapping_mul(b), dtype),
        ReduceOp::Max => a.max(b),
        ReduceOp::Min => a.min(b),
    };
    let (lo, hi) = dtype.int_range().unwrap_or((0, 0));
    let identity = match op {
        ReduceOp::Sum => 0,
        ReduceOp::Prod => 1,
        ReduceOp::Max => lo,
        ReduceOp::Min => hi,
    };
    let acc = accumulate(v, targets, n, combine);
    acc.into_iter().map(|a| a.unwrap_or(identity)).collect()
}

/// Combines element `i` into accumulator `targets[i]`, in order; `None` where no element
/// arrived.
fn accumulate<T: Copy>(
    v: &[T],
    targets: &[usize],
    n: usize,
    combine: impl Fn(T, T) -> T,
) -> Vec<Option<T>> {
    let mut acc: Vec<Option<T>> = vec![None; n];
    for (&x, &t) in v.iter().zip(targets) {
        if let Some(slot) = acc.get_mut(t) {
            *slot = Some(slot.map_or(x, |a| combine(a, x)));
        }
    }
    acc
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tensor(dtype: DType, dims: &[usize], data: Data) -> Tensor {
        Tensor {
            dtype,
            shape: Shape::new(dims.to_vec()).unwrap_or_default(),
            data,
        }
    }

    fn shape(dims: &[usize]) -> Shape {
        Shape::new(dims.to_vec()).unwrap_or_default()
    }

    #[test]
    fn sums_rows_and_columns() {
        let x = tensor(DType::I32, &[2, 3], Data::Int(vec![1, 2, 3, 4, 5, 6]));
        let rows = reduce(ReduceOp::Sum, &x, &[1], &shape(&[2, 1]), "n0");
        assert_eq!(rows, Ok(Data::Int(vec![6, 15])));
        let cols = reduce(ReduceOp::Max, &x, &[0], &shape(&[1, 3]), "n0");
        assert_eq!(cols, Ok(Data::Int(vec![4, 5, 6])));
    }

    #[test]
    fn empty_reductions_give_the_identity() {
        let x = tensor(DType::F32, &[2, 0], Data::Float(vec![]));
        let out = shape(&[2, 1]);
        assert_eq!(
            reduce(ReduceOp::Prod, &x, &[1], &out, "n0"),
            Ok(Data::Float(vec![1.0, 1.0]))
        );
        let max = reduce(ReduceOp::Max, &x, &[1], &out, "n0");
        assert_eq!(max, Ok(Data::Float(vec![f64::NEG_INFINITY; 2])));
    }

    #[test]
    fn a_sum_of_negative_zeros_is_negative_zero() {
        let x = tensor(DType::F32, &[2], Data::Float(vec![-0.0, -0.0]));
        let sum = reduce(ReduceOp::Sum, &x, &[0], &shape(&[1]), "n0");
        assert!(matches!(sum, Ok(Data::Float(v)) if v[0].is_sign_negative()));
    }
}
