//! Comparing a backend's outputs with the reference, for the tests. Everything goes through
//! the one comparison, [`egpu_ir::interp::compare`]: [`check_outputs`] with the bounds the
//! reference derives from the computation, [`compare_within`] with a tolerance a test
//! chooses itself.

use egpu_ir::interp::{self, Reference, Tensor};
use egpu_ir::{Graph, Op, ReduceOp, Target};
use std::collections::BTreeMap;

/// The longest float sum or product feeding anything (what fixed tolerances scale with).
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

/// Compares every output of a program compiled for `target` (`got`, in graph output order)
/// with the reference, each element within the error bound of its computation. `Err` names
/// the first output that differs and its worst element; a reference that cannot be
/// evaluated is an error too.
pub fn check_outputs(
    graph: &Graph,
    inputs: &BTreeMap<String, Tensor>,
    got: &[(String, Tensor)],
    target: &Target,
) -> Result<(), String> {
    let expected = interp::evaluate_with_bounds(graph, inputs, target)
        .map_err(|e| format!("reference: {e}"))?;
    if expected.len() != got.len() {
        return Err(format!(
            "{} outputs, expected {}",
            got.len(),
            expected.len()
        ));
    }
    for (want, (name, have)) in expected.iter().zip(got) {
        if &want.name != name {
            return Err(format!("output {name} where {} was expected", want.name));
        }
        report(want, have)?;
    }
    Ok(())
}

/// Compares one output: each float within `tol` relative to max(|want|, 1), everything
/// else exactly. `Err` names the worst element.
pub fn compare_within(name: &str, want: &Tensor, got: &Tensor, tol: f64) -> Result<(), String> {
    let float = want.dtype.is_float();
    let reference = Reference::uniform(name, want.clone(), |w| {
        if float { tol * w.abs().max(1.0) } else { 0.0 }
    });
    report(&reference, got)
}

/// `Err` with the worst element when `got` is outside the reference's bounds.
fn report(want: &Reference, got: &Tensor) -> Result<(), String> {
    let w = &want.value;
    if w.dtype != got.dtype || w.shape != got.shape {
        let (name, wd, ws, gd, gs) = (&want.name, w.dtype, &w.shape, got.dtype, &got.shape);
        return Err(format!("{name}: expected {wd}{ws}, got {gd}{gs}"));
    }
    match interp::compare(want, got) {
        None => Ok(()),
        Some(m) => Err(format!(
            "{}[{}]: expected {:e}, got {:e} (allowed {:e}; {} of {} elements differ)",
            want.name,
            m.index,
            m.expected,
            m.got,
            m.allowed,
            m.count,
            w.numel()
        )),
    }
}
