//! E-graph simplification with egg: the form of the graph that computes the same values
//! most cheaply, chosen before fusion (see docs/architecture.md, "Passes").
//!
//! The graph is cut into regions of a bounded number of nodes (`region`; a graph of up
//! to [`SimplifyOptions::region_nodes`] nodes is one region). Each region is loaded into
//! its own e-graph (`convert`; `language`: one e-node per primitive, attributes as leaf
//! children; `analysis`: dtype, shape and constant value of every class, with constant
//! folding by the reference interpreter's own arithmetic). Rule families rewrite it until
//! it saturates or a limit that counts work (rounds, e-nodes, matches per rule) stops it
//! (`saturate`):
//! - `algebra`: identities, each exact in IEEE arithmetic (x·1, x + (−0.0), x − 0.0,
//!   x/1, neg neg, cast to the same dtype, where(c, x, x), …) or exact for integers only
//!   (x·0, x − x);
//! - `reassociate`: sums and products in a canonical n-ary form, constants folded
//!   (integers always, floats under fast-math), in place of associativity and
//!   commutativity rules, whose e-graphs grow exponentially;
//! - `movement`: canonical forms of views (reshape∘reshape, permute∘permute, identity
//!   views, size-1 permutes as reshapes, shrink∘shrink, reductions over size-1 axes);
//! - `fusion`: elementwise ops moved before views, reductions of expands, constant
//!   factors out of sums; matmul-shaped reductions are left recognisable.
//!
//! By default every rewrite gives bit-identical results in the reference interpreter.
//! A few are exact except for which NaN they produce (float max(x, x) → x): those are
//! on unless the graph bitcasts a float, the only way to see a NaN's bits. Rewrites that
//! change rounding (reassociation, x·0 → 0, …) need [`SimplifyOptions::fast_math`].
//!
//! Extraction (`cost`) picks each class's cheapest node by estimated memory traffic
//! plus weighted arithmetic, breaking ties by e-node order. A run stopped by a limit
//! still extracts the best it found. No limit depends on time, so the same graph and
//! options always simplify to the same bytes, however busy the machine is.

mod algebra;
mod analysis;
mod convert;
mod cost;
mod fold;
mod fusion;
mod language;
mod movement;
mod reassociate;
mod region;
mod report;
mod rules;
mod saturate;
#[cfg(test)]
mod tests;

pub use report::SimplifyReport;

use analysis::GraphAnalysis;
use egpu_ir::{BinaryOp, Graph, GraphError, NodeId, Op, ReduceOp};
use std::time::Instant;

/// How hard to simplify and which rewrites are allowed. Every limit counts work.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SimplifyOptions {
    /// Allow rewrites that change floating-point results (reassociation, x·0 → 0,
    /// x + 0.0 → x, x − x → 0, recip(recip x) → x, constant factors out of float sums, …).
    pub fast_math: bool,
    /// Stop a region's rewriting once its e-graph has this many e-nodes.
    pub node_limit: usize,
    /// Stop a region's rewriting after this many rounds of rule applications.
    pub iter_limit: usize,
    /// A rule that matches more often than this in one round sits that round and a few
    /// more out (egg's backoff scheduler; the limit doubles each time).
    pub match_limit: usize,
    /// The most graph nodes (inputs aside) one region, and so one e-graph, holds.
    pub region_nodes: usize,
}

impl Default for SimplifyOptions {
    fn default() -> Self {
        SimplifyOptions {
            fast_math: false,
            node_limit: 20_000,
            iter_limit: 30,
            match_limit: 1_000,
            region_nodes: 1_000,
        }
    }
}

/// Simplification failed: a rule or the rebuilt graph is wrong (a bug, reported instead of
/// a panic or a wrong graph).
#[derive(Clone, Debug, thiserror::Error)]
pub enum SimplifyError {
    #[error("rule '{name}' is malformed: {message}")]
    Rule { name: String, message: String },
    #[error("cannot rebuild the graph: {0}")]
    Rebuild(String),
    #[error("cannot rebuild the graph: {0}")]
    Graph(#[from] GraphError),
}

/// The simplest equivalent of `graph` that the rules find within the limits: same inputs
/// (names, dtypes, shapes, order) and outputs (names, dtypes, shapes, order); input and
/// output names kept, intermediate values keep their name where their e-class had one.
pub fn simplify(
    graph: &Graph,
    options: &SimplifyOptions,
) -> Result<(Graph, SimplifyReport), SimplifyError> {
    let start = Instant::now();
    let analysis = GraphAnalysis {
        fast_math: options.fast_math,
        nan_quiet: !bitcasts_a_float(graph),
    };
    let rules = rules::all(options.fast_math)?;
    let mut report = SimplifyReport::new();
    let simplified = region::simplify_regions(graph, options, analysis, &rules, &mut report)?;
    report.nodes_before = graph.len();
    report.nodes_after = simplified.len();
    report.elapsed = start.elapsed();
    Ok((simplified, report))
}

/// Only a bitcast from a float dtype can tell one NaN from another.
fn bitcasts_a_float(graph: &Graph) -> bool {
    graph.nodes().any(|(_, n)| match n.op {
        Op::Bitcast { x } => graph.node(x).dtype.is_float(),
        _ => false,
    })
}

/// Whether `node` is a matrix product as the builder writes it, and as simplify keeps it:
/// `sum(mul(expand(a), expand(b)), axes=[k])` where each operand is broadcast along an axis
/// the other is not, and the reduced axis `k` is broadcast in neither. (Casts, reshapes and
/// other views may sit below the expands.) Schedule and optimize look for this shape.
pub fn is_matmul_reduce(graph: &Graph, node: NodeId) -> bool {
    let Op::Reduce {
        op: ReduceOp::Sum,
        x,
        axes,
    } = &graph.node(node).op
    else {
        return false;
    };
    let Op::Binary {
        op: BinaryOp::Mul,
        a,
        b,
    } = graph.node(*x).op
    else {
        return false;
    };
    let (Some(ba), Some(bb)) = (broadcast_axes(graph, a), broadcast_axes(graph, b)) else {
        return false;
    };
    let k_not_broadcast =
        axes.len() == 1 && axes.iter().all(|k| !ba.contains(k) && !bb.contains(k));
    k_not_broadcast && ba.iter().any(|d| !bb.contains(d)) && bb.iter().any(|d| !ba.contains(d))
}

/// The axes an expand node grows, if `id` is an expand.
fn broadcast_axes(graph: &Graph, id: NodeId) -> Option<Vec<usize>> {
    let Op::Expand { x } = graph.node(id).op else {
        return None;
    };
    let (from, to) = (&graph.node(x).shape, &graph.node(id).shape);
    Some(
        (0..to.rank())
            .filter(|&i| from.get(i) != to.get(i))
            .collect(),
    )
}
