//! Element-by-element comparison of a backend's output with the reference, for tests that
//! choose their own tolerance (scaled with the longest reduction a result went through).

use egpu_ir::interp::{Data, Tensor};
use egpu_ir::{Graph, Op, ReduceOp};

/// The longest float sum or product feeding anything (what tolerances scale with).
pub fn longest_reduction(graph: &Graph) -> usize {
    graph
        .nodes()
        .filter_map(|(_, n)| match &n.op {
            Op::Reduce {
                op: ReduceOp::Sum | ReduceOp::Prod,
                x,
                ..
            } => Some(graph.node(*x).shape.numel() / n.shape.numel().max(1)),
            _ => None,
        })
        .max()
        .unwrap_or(1)
}

/// Whether `got` is within relative tolerance `tol` of `want` (against max(|want|, 1));
/// NaN only where the reference is NaN, and the same infinity where it is infinite.
pub fn close(want: f64, got: f64, tol: f64) -> bool {
    if want.is_nan() || got.is_nan() {
        return want.is_nan() && got.is_nan();
    }
    if want.is_infinite() || got.is_infinite() {
        return want == got;
    }
    (want - got).abs() <= tol * want.abs().max(1.0)
}

/// Compares one output: floats within `tol`, everything else exactly. `Err` names the
/// worst element.
pub fn compare_within(name: &str, want: &Tensor, got: &Tensor, tol: f64) -> Result<(), String> {
    if want.dtype != got.dtype || want.numel() != got.numel() {
        return Err(format!(
            "{name}: expected {}{}, got {}{}",
            want.dtype, want.shape, got.dtype, got.shape
        ));
    }
    let (Data::Float(w), Data::Float(g)) = (&want.data, &got.data) else {
        let at = (0..want.numel()).find(|&i| !want.get(i).same(&got.get(i)));
        return match at {
            None => Ok(()),
            Some(i) => Err(format!(
                "{name}[{i}]: expected {}, got {}",
                want.get(i),
                got.get(i)
            )),
        };
    };
    let worst = w
        .iter()
        .zip(g)
        .enumerate()
        .filter(|(_, (w, g))| !close(**w, **g, tol))
        .max_by(|a, b| {
            let d = |(w, g): (&f64, &f64)| (w - g).abs();
            d(a.1).total_cmp(&d(b.1))
        });
    match worst {
        None => Ok(()),
        Some((i, (w, g))) => Err(format!(
            "{name}[{i}]: expected {w:e}, got {g:e} (tol {tol:e})"
        )),
    }
}
