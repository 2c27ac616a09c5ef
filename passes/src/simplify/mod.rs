//! E-graph simplification with egg: the form of the graph that computes the same values
//! most cheaply, chosen before fusion (see docs/architecture.md, "Passes").
//!
//! The graph is loaded into an e-graph (`language`: one e-node per primitive, attributes
//! as leaf children; `analysis`: dtype, shape and constant value of every class, with
//! constant folding by the reference interpreter's own arithmetic). Rule families rewrite
//! it until it saturates or a node, iteration or time limit stops it:
//! - `algebra`: identities, each exact in IEEE arithmetic (x·1, x + (−0.0), x − 0.0,
//!   x/1, neg neg, cast to the same dtype, where(c, x, x), …) or exact for integers only
//!   (x·0, x − x, reassociation);
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
//! plus weighted arithmetic, breaking ties by e-node order, so the same graph always
//! simplifies to the same bytes — as long as the run is not cut short by the time limit,
//! the one limit that depends on the machine.

mod algebra;
mod analysis;
mod convert;
mod cost;
mod fold;
mod fusion;
mod language;
mod movement;
mod rules;
#[cfg(test)]
mod tests;

use analysis::GraphAnalysis;
use egg::{Runner, StopReason};
use egpu_ir::{BinaryOp, Graph, GraphError, NodeId, Op, ReduceOp};
use std::collections::BTreeMap;
use std::fmt;
use std::time::{Duration, Instant};

/// How hard to simplify and which rewrites are allowed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SimplifyOptions {
    /// Allow rewrites that change floating-point results (reassociation, x·0 → 0,
    /// x + 0.0 → x, x − x → 0, recip(recip x) → x, constant factors out of float sums, …).
    pub fast_math: bool,
    /// Stop once the e-graph has this many e-nodes.
    pub node_limit: usize,
    /// Stop after this many rounds of rule applications.
    pub iter_limit: usize,
    /// Stop after this long (the result then depends on the machine's speed).
    pub time_limit: Duration,
}

impl Default for SimplifyOptions {
    fn default() -> Self {
        SimplifyOptions {
            fast_math: false,
            node_limit: 20_000,
            iter_limit: 30,
            time_limit: Duration::from_millis(200),
        }
    }
}

/// What the e-graph run did, for debug output.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SimplifyReport {
    /// Why rewriting stopped: `saturated`, `iteration limit 30`,
    /// `node limit 20000 (20417 e-nodes)`, `time limit 200 ms (201.3 ms)`.
    pub stop_reason: String,
    pub iterations: usize,
    pub egraph_nodes: usize,
    pub egraph_classes: usize,
    pub elapsed: Duration,
    /// Nodes of the graph before and after (inputs included).
    pub nodes_before: usize,
    pub nodes_after: usize,
    /// How often each rule changed the e-graph, by rule name (rules that never did are
    /// left out).
    pub rules_applied: BTreeMap<String, usize>,
}

impl fmt::Display for SimplifyReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} -> {} nodes; e-graph {} nodes in {} classes, {} after {} iteration(s), {:.1} ms",
            self.nodes_before,
            self.nodes_after,
            self.egraph_nodes,
            self.egraph_classes,
            self.stop_reason,
            self.iterations,
            self.elapsed.as_secs_f64() * 1e3
        )
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
    let mut loaded = convert::load(graph, analysis)?;
    let egraph = std::mem::replace(&mut loaded.egraph, analysis::EG::new(analysis));
    let rules = rules::all(options.fast_math)?;
    let runner = Runner::default()
        .with_egraph(egraph)
        .with_node_limit(options.node_limit)
        .with_iter_limit(options.iter_limit)
        .with_time_limit(options.time_limit)
        .run(&rules);
    let mut rules_applied = BTreeMap::new();
    for iteration in &runner.iterations {
        for (name, count) in &iteration.applied {
            *rules_applied.entry(name.to_string()).or_insert(0) += count;
        }
    }
    let stop_reason = describe(runner.stop_reason.as_ref(), options);
    let iterations = runner.iterations.len();
    let mut egraph = runner.egraph;
    egraph.rebuild();
    let roots: Vec<_> = loaded.roots.iter().map(|&r| egraph.find(r)).collect();
    let choice = cost::choose(&egraph, &roots);
    let simplified = convert::rebuild(graph, &egraph, &loaded, &choice)?;
    let report = SimplifyReport {
        stop_reason,
        iterations,
        egraph_nodes: egraph.total_number_of_nodes(),
        egraph_classes: egraph.number_of_classes(),
        elapsed: start.elapsed(),
        nodes_before: graph.len(),
        nodes_after: simplified.len(),
        rules_applied,
    };
    Ok((simplified, report))
}

/// Only a bitcast from a float dtype can tell one NaN from another.
fn bitcasts_a_float(graph: &Graph) -> bool {
    graph.nodes().any(|(_, n)| match n.op {
        Op::Bitcast { x } => graph.node(x).dtype.is_float(),
        _ => false,
    })
}

/// egg's stop reason with the limit that was hit (egg carries the value reached).
fn describe(reason: Option<&StopReason>, options: &SimplifyOptions) -> String {
    match reason {
        Some(StopReason::Saturated) => "saturated".to_string(),
        Some(StopReason::IterationLimit(_)) => format!("iteration limit {}", options.iter_limit),
        Some(StopReason::NodeLimit(n)) => {
            format!("node limit {} ({n} e-nodes)", options.node_limit)
        }
        Some(StopReason::TimeLimit(s)) => format!(
            "time limit {} ms ({:.1} ms)",
            options.time_limit.as_millis(),
            s * 1e3
        ),
        Some(StopReason::Other(why)) => why.clone(),
        None => "not run".to_string(),
    }
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
