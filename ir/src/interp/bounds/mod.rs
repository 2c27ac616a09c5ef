//! The reference with error bounds: each value of the graph together with how far a correct
//! kernel's value may be from it, for `egpu run --check` and the tests ([`super::compare`]).
//!
//! Beside every element the evaluator carries `e`, a bound on |kernel − reference|, built
//! as the classic running error bound (Wilkinson; Higham, "Accuracy and Stability of
//! Numerical Algorithms", §3): what the operands' bounds become through the operation (its
//! first-order sensitivity, with exact worst cases where they are cheap: |a|·e_b + |b|·e_a +
//! e_a·e_b for a product) plus the rounding of the step in the precision the kernel actually
//! uses (the node's dtype; f32 for f16/bf16 sums) plus the per-op bound of the precision
//! model ([`crate::precision`]) for the target's family. Inputs and constants are exact
//! (e = 0), and an exact operation (correctly rounded: add, sub, mul, div, ...) on exact
//! operands gives the same bits in a kernel as here, so e stays 0: an elementwise kernel
//! must match bit for bit, and a wrong index or a dropped term shows at once.
//!
//! The rounding terms, with u = 2^-p the unit roundoff of the precision and ulp(v) the
//! spacing at v ([`crate::precision::ulp`]):
//! - elementwise op on perturbed operands: half an ULP for the reference's rounding plus the
//!   model's bound for the kernel's (0.5 ULP when exact): k = 1 in `k·ε·magnitude`.
//! - sum of n terms: γ_n·Σ(|xᵢ| + eᵢ), γ_n = n·u/(1 − n·u): k = n. A kernel may add in any
//!   order (per-lane runs, trees, split rows), and n − 1 roundings of partial sums each at
//!   most u·Σ|xᵢ| is the bound that holds for every order; one more u covers products fused
//!   into the sum. log2(n) would hold only for a pairwise tree, √n only on average.
//! - product of n terms: Π(|xᵢ| + eᵢ)·(1 + u)^n − Π|xᵢ| (every order).
//! - max, min, movement ops: no rounding; the bound moves with the value.
//! - comparisons and `where`: a comparison whose operands are closer than their bounds may
//!   go either way; `where` on such a condition allows either branch.
//!
//! An unbounded element (a log of a value that may be ≤ 0, an integer op on an uncertain
//! value) has e = ∞: any non-NaN value is accepted there.

mod elementwise;
mod reduce;

use super::eval::{check_inputs, eval_node};
use super::{Data, EvalError, Tensor, movement};
use crate::precision::Family;
use crate::{Graph, Node, Op, Scalar, Target};
use cranelift_entity::EntityRef;
use std::collections::BTreeMap;

/// One output of the reference: its name, its value (exactly what
/// [`super::evaluate`] answers) and, per element, how far a correct kernel's value may be
/// from it.
#[derive(Clone, Debug)]
pub struct Reference {
    pub name: String,
    pub value: Tensor,
    pub bound: Vec<f64>,
}

impl Reference {
    /// A reference whose bound is the same for every element (for tests that fix their own
    /// tolerance).
    pub fn uniform(name: &str, value: Tensor, bound: impl Fn(f64) -> f64) -> Reference {
        let bound = value.to_f64_vec().into_iter().map(bound).collect();
        Reference {
            name: name.to_string(),
            value,
            bound,
        }
    }
}

/// Evaluates `graph` on `inputs` as [`super::evaluate`] does (the same values) and bounds
/// each output element's error for kernels compiled for `target`.
pub fn evaluate_with_bounds(
    graph: &Graph,
    inputs: &BTreeMap<String, Tensor>,
    target: &Target,
) -> Result<Vec<Reference>, EvalError> {
    check_inputs(graph, inputs)?;
    let family = Family::of(target);
    let mut values: Vec<Tensor> = Vec::with_capacity(graph.len());
    let mut bounds: Vec<Vec<f64>> = Vec::with_capacity(graph.len());
    for (id, node) in graph.nodes() {
        let tensor = eval_node(id, node, &values, inputs)?;
        let bound = node_bound(node, &tensor, &values, &bounds, family, &id.to_string())?;
        values.push(tensor);
        bounds.push(bound);
    }
    graph
        .outputs()
        .iter()
        .map(|o| {
            let i = o.node.index();
            match (values.get(i), bounds.get(i)) {
                (Some(value), Some(bound)) => Ok(Reference {
                    name: o.name.clone(),
                    value: value.clone(),
                    bound: bound.clone(),
                }),
                _ => Err(super::elementwise::bad_graph(
                    &format!("output '{}'", o.name),
                    "its node is not computed".to_string(),
                )),
            }
        })
        .collect()
}

/// The operand's tensor and bounds (graph order computed them before their user).
struct Operand<'a> {
    value: &'a Tensor,
    bound: &'a [f64],
}

fn operand<'a>(
    values: &'a [Tensor],
    bounds: &'a [Vec<f64>],
    x: crate::NodeId,
    here: &str,
) -> Result<Operand<'a>, EvalError> {
    match (values.get(x.index()), bounds.get(x.index())) {
        (Some(value), Some(bound)) => Ok(Operand { value, bound }),
        _ => Err(super::elementwise::bad_graph(
            here,
            format!("operand {x} is not computed before it"),
        )),
    }
}

/// The bound of every element of `node`, whose value is `out`.
fn node_bound(
    node: &Node,
    out: &Tensor,
    values: &[Tensor],
    bounds: &[Vec<f64>],
    family: Family,
    here: &str,
) -> Result<Vec<f64>, EvalError> {
    let arg = |x: &crate::NodeId| operand(values, bounds, *x, here);
    let n = out.numel();
    let ctx = elementwise::Step {
        family,
        dtype: node.dtype,
    };
    Ok(match &node.op {
        Op::Input { .. } | Op::Const { .. } | Op::Iota { .. } => vec![0.0; n],
        Op::Unary { op, x } => ctx.unary(*op, &arg(x)?),
        Op::Cast { x } => ctx.cast(&arg(x)?),
        Op::Bitcast { x } => arg(x)?
            .bound
            .iter()
            .map(|&e| unknown_unless_zero(e))
            .collect(),
        Op::Binary { op, a, b } => ctx.binary(*op, &arg(a)?, &arg(b)?),
        Op::Where { cond, a, b } => elementwise::select(&arg(cond)?, &arg(a)?, &arg(b)?),
        Op::Reduce { op, x, axes } => reduce::bound(*op, node, &arg(x)?, axes, here)?,
        Op::Reshape { x } => arg(x)?.bound.to_vec(),
        Op::Permute { x, .. }
        | Op::Expand { x }
        | Op::Pad { x, .. }
        | Op::Shrink { x, .. }
        | Op::Flip { x, .. } => moved(&node.op, &arg(x)?, out, here)?,
    })
}

/// Bounds follow their values through a movement op; padding is exact.
fn moved(op: &Op, x: &Operand, out: &Tensor, here: &str) -> Result<Vec<f64>, EvalError> {
    let as_tensor = Tensor {
        dtype: crate::DType::F64,
        shape: x.value.shape.clone(),
        data: Data::Float(x.bound.to_vec()),
    };
    let op = match op {
        Op::Pad { x, pads, .. } => Op::Pad {
            x: *x,
            pads: pads.clone(),
            value: Scalar::Float(0.0),
        },
        other => other.clone(),
    };
    match movement::apply(&op, &as_tensor, &out.shape, here)? {
        Data::Float(v) => Ok(v),
        _ => Err(super::elementwise::bad_graph(
            here,
            "bounds moved to a non-float".to_string(),
        )),
    }
}

/// 0 for an exact operand, unbounded otherwise (bitcasts of perturbed values).
fn unknown_unless_zero(e: f64) -> f64 {
    if e == 0.0 { 0.0 } else { f64::INFINITY }
}
