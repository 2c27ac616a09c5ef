//! Movement operations, materialized: each output element is copied from the input element
//! its index maps to (or is the pad value).

use super::elementwise::bad_graph;
use super::index::source_indices;
use super::{EvalError, Tensor};
use crate::{Op, Scalar, Shape};

/// The data of `op` (permute, expand, pad, shrink or flip) applied to `x`, giving `out`.
pub(super) fn apply(
    op: &Op,
    x: &Tensor,
    out: &Shape,
    node: &str,
) -> Result<super::Data, EvalError> {
    let input = &x.shape;
    if !shapes_fit(op, input, out) {
        return Err(bad_graph(node, format!("cannot map {input} to {out}")));
    }
    let strides = input.strides();
    let dims = out.dims();
    let (sources, fill) = match op {
        Op::Permute { perm, .. } => (
            source_indices(dims, |o| Some(permuted(o, perm, &strides))),
            None,
        ),
        Op::Expand { .. } => (
            source_indices(dims, |o| Some(expanded(o, input, &strides))),
            None,
        ),
        Op::Pad { pads, value, .. } => (
            source_indices(dims, |o| padded(o, pads, input, &strides)),
            Some(*value),
        ),
        Op::Shrink { ranges, .. } => (
            source_indices(dims, |o| Some(shrunk(o, ranges, &strides))),
            None,
        ),
        Op::Flip { axes, .. } => (
            source_indices(dims, |o| Some(flipped(o, axes, input, &strides))),
            None,
        ),
        _ => (Vec::new(), None),
    };
    let fill = fill.unwrap_or(Scalar::Bool(false));
    x.data
        .gather(&sources, fill, x.dtype)
        .ok_or_else(|| bad_graph(node, format!("an index of {out} maps outside {input}")))
}

/// Whether `out` is the shape `op` gives from `input`, as the builder guarantees; checked so
/// that a graph assembled by other means cannot make the index functions below panic.
fn shapes_fit(op: &Op, input: &Shape, out: &Shape) -> bool {
    let (rank, o) = (input.rank(), out.dims());
    if o.len() != rank {
        return false;
    }
    let per_axis = |fits: &dyn Fn(usize) -> bool| (0..rank).all(fits);
    match op {
        Op::Permute { perm, .. } => {
            perm.len() == rank && per_axis(&|i| perm[i] < rank && o[i] == input[perm[i]])
        }
        Op::Expand { .. } => per_axis(&|i| o[i] == input[i] || input[i] == 1),
        Op::Pad { pads, .. } => {
            let grown = |i: usize| input[i].checked_add(pads[i].0)?.checked_add(pads[i].1);
            pads.len() == rank && per_axis(&|i| Some(o[i]) == grown(i))
        }
        Op::Shrink { ranges, .. } => {
            let fits = |i: usize| ranges[i].0 <= ranges[i].1 && ranges[i].1 <= input[i];
            ranges.len() == rank && per_axis(&|i| fits(i) && o[i] == ranges[i].1 - ranges[i].0)
        }
        Op::Flip { axes, .. } => axes.iter().all(|&a| a < rank) && o == input.dims(),
        _ => false,
    }
}

/// Output axis `i` is input axis `perm[i]`.
fn permuted(o: &[usize], perm: &[usize], strides: &[usize]) -> usize {
    o.iter().zip(perm).map(|(&i, &p)| i * strides[p]).sum()
}

/// A size-1 input axis always reads its one element.
fn expanded(o: &[usize], input: &Shape, strides: &[usize]) -> usize {
    o.iter()
        .zip(input.iter())
        .zip(strides)
        .map(|((&i, &d), &s)| if d == 1 { 0 } else { i * s })
        .sum()
}

/// The input element, or `None` where the index lies in the padding.
fn padded(o: &[usize], pads: &[(usize, usize)], input: &Shape, strides: &[usize]) -> Option<usize> {
    let mut flat = 0;
    for (axis, &i) in o.iter().enumerate() {
        let inner = i.checked_sub(pads[axis].0).filter(|&j| j < input[axis])?;
        flat += inner * strides[axis];
    }
    Some(flat)
}

fn shrunk(o: &[usize], ranges: &[(usize, usize)], strides: &[usize]) -> usize {
    o.iter()
        .zip(ranges)
        .zip(strides)
        .map(|((&i, &(start, _)), &s)| (i + start) * s)
        .sum()
}

fn flipped(o: &[usize], axes: &[usize], input: &Shape, strides: &[usize]) -> usize {
    let at = |axis: usize, i: usize| {
        if axes.contains(&axis) {
            input[axis] - 1 - i
        } else {
            i
        }
    };
    o.iter()
        .enumerate()
        .map(|(axis, &i)| at(axis, i) * strides[axis])
        .sum()
}
