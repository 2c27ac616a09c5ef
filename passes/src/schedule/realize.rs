//! Which values are written to memory: the fusion state of every live node and the conflicts
//! that force a value to be realized (see the module doc of `schedule`).

use super::{ReductionStage, index, node_ids};
use egpu_ir::{Graph, Node, NodeId, Op};
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};

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
    /// Reductions of its own kernel chained before the node, itself included (0 if plain).
    pub level: Vec<u32>,
    /// The stages that `Fusion::Row` and `Fusion::Full` number.
    pub stages: Vec<ReductionStage>,
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

/// The most reductions one kernel chains, one row loop (pass) each. Every pass evaluates its
/// operand from the kernel's loads, through the elementwise work of every earlier pass, so
/// unbounded chains cost N² (see the module doc of `schedule`). Two is what softmax,
/// log_softmax and layernorm need: max then sum, mean then variance.
pub(crate) const MAX_CHAINED_PASSES: u32 = 2;

/// What the analysis knows of one node inside its own kernel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Seen {
    fusion: Fusion,
    /// Reductions of its kernel chained before it (itself included); 0 for plain nodes.
    level: u32,
}

const PLAIN: Seen = Seen {
    fusion: Fusion::Plain,
    level: 0,
};

/// Computes every live node's state, realizing operands where they conflict, until no
/// conflict is left. `cut` only grows, so this ends after at most `graph.len()` conflicts.
///
/// One sweep in graph order; a realized node only changes how its users see it, so after a
/// conflict only the users already visited are queued again (smallest first, so operands
/// are settled before their users), and a revisited node whose state did not change stops
/// the wave. Each node is revisited only when something upstream of it was realized.
pub(crate) fn analyze(graph: &Graph, mut cut: Vec<bool>) -> Realization {
    let ids = node_ids(graph);
    let live = live_nodes(graph);
    let users = live_users(graph, &ids, &live);
    let mut is_output = vec![false; ids.len()];
    for output in graph.outputs() {
        is_output[index(output.node)] = true;
    }
    let mut seen_as = vec![PLAIN; ids.len()];
    let mut stages = Stages::default();
    let mut again = Revisits::new(ids.len());
    let mut next = 0;
    loop {
        let i = match again.pop() {
            Some(i) => i,
            None if next < ids.len() => {
                next += 1;
                next - 1
            }
            None => break,
        };
        if !live[i] {
            continue;
        }
        let id = ids[i];
        let seen = |j: usize| if cut[j] { PLAIN } else { seen_as[j] };
        match state(graph, graph.node(id), &seen, &mut stages) {
            Ok(state) => {
                let changed = seen_as[i] != state;
                seen_as[i] = state;
                // A plain output is stored anyway: consumers load it instead of redoing it.
                let stored = state.fusion == Fusion::Plain
                    && is_output[i]
                    && !is_source(&graph.node(id).op)
                    && !cut[i];
                if stored {
                    cut[i] = true;
                }
                if changed || stored {
                    again.push_all(&users[i], next);
                }
            }
            Err(Conflict { operand }) => {
                let source = view_source(graph, &ids, operand);
                cut[source] = true;
                again.push_all(&users[source], next);
                again.push_all(&[i], next);
            }
        }
    }
    let fusion = seen_as.iter().map(|s| s.fusion).collect();
    let level = seen_as.iter().map(|s| s.level).collect();
    Realization {
        live,
        cut,
        fusion,
        level,
        stages: stages.list,
    }
}

/// Visited nodes to recompute, smallest first, each queued at most once at a time.
struct Revisits {
    heap: BinaryHeap<Reverse<usize>>,
    queued: Vec<bool>,
}

impl Revisits {
    fn new(n: usize) -> Revisits {
        Revisits {
            heap: BinaryHeap::new(),
            queued: vec![false; n],
        }
    }

    /// Queues the nodes of `nodes` below `next` (the others have not been visited yet).
    fn push_all(&mut self, nodes: &[usize], next: usize) {
        for &j in nodes.iter().filter(|&&j| j < next) {
            if !self.queued[j] {
                self.queued[j] = true;
                self.heap.push(Reverse(j));
            }
        }
    }

    fn pop(&mut self) -> Option<usize> {
        let Reverse(j) = self.heap.pop()?;
        self.queued[j] = false;
        Some(j)
    }
}

/// The live users of each node, by position.
fn live_users(graph: &Graph, ids: &[NodeId], live: &[bool]) -> Vec<Vec<usize>> {
    let mut users = vec![Vec::new(); ids.len()];
    for (i, &id) in ids.iter().enumerate().filter(|&(i, _)| live[i]) {
        for operand in graph.node(id).op.each_operand() {
            users[index(operand)].push(i);
        }
    }
    users
}

/// The distinct stages seen so far, each with a small number.
#[derive(Default)]
struct Stages {
    list: Vec<ReductionStage>,
    numbers: HashMap<ReductionStage, usize>,
}

impl Stages {
    /// The number of `stage`, adding it if new.
    fn intern(&mut self, stage: ReductionStage) -> usize {
        if let Some(&s) = self.numbers.get(&stage) {
            return s;
        }
        self.list.push(stage.clone());
        self.numbers.insert(stage, self.list.len() - 1);
        self.list.len() - 1
    }

    fn get(&self, s: usize) -> Option<&ReductionStage> {
        self.list.get(s)
    }
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
            for operand in graph.node(id).op.each_operand() {
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
    seen: &dyn Fn(usize) -> Seen,
    stages: &mut Stages,
) -> Result<Seen, Conflict> {
    match &node.op {
        Op::Input { .. } | Op::Const { .. } | Op::Iota { .. } => Ok(PLAIN),
        Op::Unary { .. } | Op::Cast { .. } | Op::Bitcast { .. } => elementwise(node, seen),
        Op::Binary { .. } | Op::Where { .. } => elementwise(node, seen),
        Op::Reduce { x, axes, .. } => {
            let stage = ReductionStage::new(graph.node(*x).shape.to_vec(), axes);
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
fn elementwise(node: &Node, seen: &dyn Fn(usize) -> Seen) -> Result<Seen, Conflict> {
    let mut joined = Fusion::Plain;
    let mut level = 0;
    for operand in node.op.each_operand() {
        let i = index(operand);
        let operand = seen(i);
        level = level.max(operand.level);
        joined = match (joined, operand.fusion) {
            (a, Fusion::Plain) => a,
            (Fusion::Plain, b) => b,
            (Fusion::Row(a), Fusion::Row(b)) if a == b => Fusion::Row(a),
            (Fusion::Row(a) | Fusion::Full(a), Fusion::Row(b) | Fusion::Full(b)) if a == b => {
                Fusion::Full(a)
            }
            _ => return Err(Conflict { operand: i }),
        };
    }
    Ok(Seen {
        fusion: joined,
        level,
    })
}

/// A reduce starts a stage from a plain operand, or continues the stage of a full operand
/// with the same signature (softmax's sum after its max) while the kernel has chained fewer
/// than [`MAX_CHAINED_PASSES`] reductions. Anything else is another row loop, so the
/// operand is realized.
fn reduce(
    x: usize,
    stage: ReductionStage,
    seen: &dyn Fn(usize) -> Seen,
    stages: &mut Stages,
) -> Result<Seen, Conflict> {
    let same = |s: usize| stages.get(s) == Some(&stage);
    let operand = seen(x);
    let row = |s: usize| {
        Ok(Seen {
            fusion: Fusion::Row(s),
            level: operand.level + 1,
        })
    };
    if operand.level >= MAX_CHAINED_PASSES {
        return Err(Conflict { operand: x });
    }
    match operand.fusion {
        Fusion::Plain => row(stages.intern(stage)),
        Fusion::Full(s) if same(s) => row(s),
        // A row value shaped like the stage's input: the stage reduces size-1 axes only.
        Fusion::Row(s) if same(s) && stage.output() == stage.input => row(s),
        _ => Err(Conflict { operand: x }),
    }
}

/// Views of plain values stay plain. A row value may be reshaped (row order is flat order)
/// or expanded back from the stage's output shape to its input shape (the broadcast of a
/// row statistic); any other view would need values from other rows.
fn movement(
    node: &Node,
    x: usize,
    from: &[usize],
    seen: &dyn Fn(usize) -> Seen,
    stages: &Stages,
) -> Result<Seen, Conflict> {
    let operand = seen(x);
    if operand.fusion == Fusion::Plain || node.op.is_identity_view(from, &node.shape) {
        return Ok(operand);
    }
    let fusion = match (operand.fusion, &node.op) {
        (Fusion::Row(s), Op::Reshape { .. }) => Fusion::Row(s),
        (Fusion::Row(s), Op::Expand { .. }) => match stages.get(s) {
            Some(stage) if stage.output() == from && stage.input == node.shape.dims() => {
                Fusion::Full(s)
            }
            _ => return Err(Conflict { operand: x }),
        },
        _ => return Err(Conflict { operand: x }),
    };
    Ok(Seen {
        fusion,
        level: operand.level,
    })
}
