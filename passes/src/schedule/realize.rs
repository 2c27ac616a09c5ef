//! Which values are written to memory: the fusion state of every live node and the conflicts
//! that force a value to be realized (see the module doc of `schedule`).

use super::{index, node_ids};
use egpu_ir::{Graph, Node, NodeId, Op};

/// A reduction stage: the reduce's input shape and its (sorted) axes. Two reductions can
/// share a kernel's row loop only if their stages are equal.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Stage {
    input: Vec<usize>,
    axes: Vec<usize>,
}

impl Stage {
    /// The reduce's result shape: the input with the reduced axes set to 1.
    fn output(&self) -> Vec<usize> {
        let mut dims = self.input.clone();
        for &a in &self.axes {
            if let Some(d) = dims.get_mut(a) {
                *d = 1;
            }
        }
        dims
    }
}

/// A node's state within the kernel that computes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Fusion {
    /// No reduction of its own kernel upstream: computable at any index.
    Plain,
    /// One value per row of the stage (an index into `Realization::stages`).
    Row(usize),
    /// Shaped like the stage's input: one value per (row, position).
    Full(usize),
}

/// The result of the analysis: which nodes are live and realized, and each one's state.
pub(crate) struct Realization {
    /// Some output depends on the node.
    pub live: Vec<bool>,
    /// The node is stored to memory and its consumers load it (inputs included).
    pub cut: Vec<bool>,
    /// The node's state inside its own kernel (plain for dead nodes).
    pub fusion: Vec<Fusion>,
}

/// Nodes realized before any analysis: the graph inputs, which live in memory already.
pub(crate) fn initial_cut(graph: &Graph) -> Vec<bool> {
    let mut cut = vec![false; graph.len()];
    for &id in graph.inputs() {
        cut[index(id)] = true;
    }
    cut
}

/// The node at position `i` could not join its operand's kernel: realize `operand`.
struct Conflict {
    operand: usize,
}

/// Computes every live node's state, realizing operands where they conflict, until no
/// conflict is left. `cut` only grows, so this ends after at most `graph.len()` conflicts.
pub(crate) fn analyze(graph: &Graph, mut cut: Vec<bool>) -> Realization {
    let ids = node_ids(graph);
    let live = live_nodes(graph);
    let mut fusion = vec![Fusion::Plain; ids.len()];
    let mut stages = Vec::new();
    let outputs: Vec<usize> = graph.outputs().iter().map(|o| index(o.node)).collect();
    let mut i = 0;
    while let Some(&id) = ids.get(i) {
        if !live[i] {
            i += 1;
            continue;
        }
        let seen = |j: usize| if cut[j] { Fusion::Plain } else { fusion[j] };
        match state(graph, graph.node(id), &seen, &mut stages) {
            Ok(state) => {
                fusion[i] = state;
                // A plain output is stored anyway: consumers load it instead of redoing it.
                if state == Fusion::Plain && outputs.contains(&i) && !is_source(&graph.node(id).op)
                {
                    cut[i] = true;
                }
                i += 1;
            }
            Err(Conflict { operand }) => {
                let source = view_source(graph, &ids, operand);
                cut[source] = true;
                // Only consumers of `source` change; they all come after it.
                i = source + 1;
            }
        }
    }
    Realization { live, cut, fusion }
}

/// Constants and iota: recomputed wherever they are used, never loaded.
fn is_source(op: &Op) -> bool {
    matches!(op, Op::Const { .. } | Op::Iota { .. })
}

/// Marks the nodes some output depends on (walking operands backwards from the outputs).
fn live_nodes(graph: &Graph) -> Vec<bool> {
    let mut live = vec![false; graph.len()];
    for output in graph.outputs() {
        live[index(output.node)] = true;
    }
    // Operands come before their users, so one backward sweep reaches every ancestor.
    let ids = node_ids(graph);
    for (i, &id) in ids.iter().enumerate().rev() {
        if live[i] {
            for operand in graph.node(id).op.operands() {
                live[index(operand)] = true;
            }
        }
    }
    live
}

/// Follows movement ops back to the value they view: realizing that value turns the whole
/// chain of views into plain reads.
fn view_source(graph: &Graph, ids: &[NodeId], mut i: usize) -> usize {
    while let Some(&id) = ids.get(i) {
        match &graph.node(id).op {
            Op::Reshape { x }
            | Op::Permute { x, .. }
            | Op::Expand { x }
            | Op::Pad { x, .. }
            | Op::Shrink { x, .. }
            | Op::Flip { x, .. } => i = index(*x),
            _ => break,
        }
    }
    i
}

/// The state of one node from its operands' states as its kernel sees them (`seen`).
fn state(
    graph: &Graph,
    node: &Node,
    seen: &dyn Fn(usize) -> Fusion,
    stages: &mut Vec<Stage>,
) -> Result<Fusion, Conflict> {
    match &node.op {
        Op::Input { .. } | Op::Const { .. } | Op::Iota { .. } => Ok(Fusion::Plain),
        Op::Unary { .. } | Op::Cast { .. } | Op::Bitcast { .. } => elementwise(node, seen),
        Op::Binary { .. } | Op::Where { .. } => elementwise(node, seen),
        Op::Reduce { x, axes, .. } => {
            let stage = Stage {
                input: graph.node(*x).shape.to_vec(),
                axes: axes.clone(),
            };
            reduce(index(*x), stage, seen, stages)
        }
        Op::Reshape { x }
        | Op::Permute { x, .. }
        | Op::Expand { x }
        | Op::Pad { x, .. }
        | Op::Shrink { x, .. }
        | Op::Flip { x, .. } => {
            let from = graph.node(*x).shape.to_vec();
            movement(node, index(*x), &from, seen, stages)
        }
    }
}

/// Elementwise ops join their operands' states; operands of two different stages cannot be
/// computed in one row loop, so the later one is realized. Operands have equal shapes, so a
/// row and a full value of one stage only meet when the stage reduces size-1 axes only, and
/// then both index the same element: the result is full.
fn elementwise(node: &Node, seen: &dyn Fn(usize) -> Fusion) -> Result<Fusion, Conflict> {
    let mut joined = Fusion::Plain;
    for operand in node.op.operands() {
        let i = index(operand);
        joined = match (joined, seen(i)) {
            (a, Fusion::Plain) => a,
            (Fusion::Plain, b) => b,
            (Fusion::Row(a), Fusion::Row(b)) if a == b => Fusion::Row(a),
            (Fusion::Row(a) | Fusion::Full(a), Fusion::Row(b) | Fusion::Full(b)) if a == b => {
                Fusion::Full(a)
            }
            _ => return Err(Conflict { operand: i }),
        };
    }
    Ok(joined)
}

/// A reduce starts a stage from a plain operand, or continues the stage of a full operand
/// with the same signature (softmax's sum after its max). Anything else is another row
/// loop, so the operand is realized.
fn reduce(
    x: usize,
    stage: Stage,
    seen: &dyn Fn(usize) -> Fusion,
    stages: &mut Vec<Stage>,
) -> Result<Fusion, Conflict> {
    let same = |s: usize| stages.get(s) == Some(&stage);
    match seen(x) {
        Fusion::Plain => Ok(Fusion::Row(intern(stages, stage))),
        Fusion::Full(s) if same(s) => Ok(Fusion::Row(s)),
        // A row value shaped like the stage's input: the stage reduces size-1 axes only.
        Fusion::Row(s) if same(s) && stage.output() == stage.input => Ok(Fusion::Row(s)),
        _ => Err(Conflict { operand: x }),
    }
}

/// The index of `stage` in `stages`, adding it if new.
fn intern(stages: &mut Vec<Stage>, stage: Stage) -> usize {
    match stages.iter().position(|s| *s == stage) {
        Some(i) => i,
        None => {
            stages.push(stage);
            stages.len() - 1
        }
    }
}

/// Views of plain values stay plain. A row value may be reshaped (row order is flat order)
/// or expanded back from the stage's output shape to its input shape (the broadcast of a
/// row statistic); any other view would need values from other rows.
fn movement(
    node: &Node,
    x: usize,
    from: &[usize],
    seen: &dyn Fn(usize) -> Fusion,
    stages: &[Stage],
) -> Result<Fusion, Conflict> {
    let state = seen(x);
    if state == Fusion::Plain || node.op.is_identity_view(from, &node.shape) {
        return Ok(state);
    }
    match (state, &node.op) {
        (Fusion::Row(s), Op::Reshape { .. }) => Ok(Fusion::Row(s)),
        (Fusion::Row(s), Op::Expand { .. }) => match stages.get(s) {
            Some(stage) if stage.output() == from && stage.input == node.shape.dims() => {
                Ok(Fusion::Full(s))
            }
            _ => Err(Conflict { operand: x }),
        },
        _ => Err(Conflict { operand: x }),
    }
}
