//! Recognizing contraction (matmul-shaped) kernel groups: `sum(mul(A, B))` where A and B are
//! views of realized buffers, broadcast against each other the way `GraphBuilder::matmul`
//! and `conv2d` build them. The roles of the reduce's input axes (batch, m, n, k) follow
//! from which operand is broadcast along each axis.
//!
//! The schedule recognizes each kernel once, when its groups are final, and records the
//! result in [`KernelGroup::contraction`]: `optimize` (which tiles it) and `lower` (which
//! emits the tiled kernel) read it from there instead of recognizing it again.

use super::KernelGroup;
use egpu_ir::{BinaryOp, DType, Graph, NodeId, Op, ReduceOp};
use std::collections::HashSet;

/// One side of a contraction: the multiply's operand and the buffer it is a view of.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Operand {
    /// The multiply's operand (shaped like the reduce's input).
    pub node: NodeId,
    /// The realized value (a graph input or an earlier kernel's write) the view reads.
    pub source: NodeId,
    /// The dtype `source` holds: f16 for an f16 matmul whose operands are cast to f32.
    pub dtype: DType,
    /// Whether the view converts the source (`cast`) on its way to the multiply.
    pub cast: bool,
}

/// A contraction group: `sum over k of mul(A, B)`, then an elementwise epilogue.
///
/// Axes are those of the reduce's input shape (`dims`); each falls in exactly one role:
/// - `k`: reduced;
/// - `m`: A varies along it, B is broadcast (A's rows);
/// - `n`: B varies along it, A is broadcast (B's columns);
/// - `batch`: both vary (or both are broadcast, or its size is 1).
///
/// The sizes are the products of their axes' lengths, so a convolution (m = N·OH·OW, n = O,
/// k = C·KH·KW) is a matmul over flattened axes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Contraction {
    pub reduce: NodeId,
    pub mul: NodeId,
    /// The operand that varies along the m axes.
    pub a: Operand,
    /// The operand that varies along the n axes.
    pub b: Operand,
    /// The reduce's input shape.
    pub dims: Vec<usize>,
    pub batch_axes: Vec<usize>,
    pub m_axes: Vec<usize>,
    pub n_axes: Vec<usize>,
    pub k_axes: Vec<usize>,
    pub batch: usize,
    pub m: usize,
    pub n: usize,
    pub k: usize,
    /// The dtype of the products and of the sum (the multiply's dtype).
    pub accumulator: DType,
}

impl Contraction {
    /// The number of output rows: one per (batch, m, n), the reduce's result elements.
    pub fn rows(&self) -> usize {
        self.batch.saturating_mul(self.m).saturating_mul(self.n)
    }

    /// The dtype both operands hold in memory, if they hold the same one.
    pub fn operand_dtype(&self) -> Option<DType> {
        (self.a.dtype == self.b.dtype).then_some(self.a.dtype)
    }
}

/// The contraction a kernel group computes, if it is one (see [`Contraction`]): exactly one
/// reduce, a `Sum`, of a multiply of two buffer views; every node depending on the reduce
/// is elementwise or a reshape with one element per output row, so that a value's flat index
/// is its row number (what a tiled lowering relies on to apply the epilogue per element).
pub(crate) fn recognize(graph: &Graph, group: &KernelGroup) -> Option<Contraction> {
    let reduce = single_reduce(graph, group)?;
    let Op::Reduce {
        op: ReduceOp::Sum,
        x: mul,
        axes,
    } = &graph.node(reduce).op
    else {
        return None;
    };
    let (mul, axes) = (*mul, axes.clone());
    let Op::Binary {
        op: BinaryOp::Mul,
        a,
        b,
    } = graph.node(mul).op
    else {
        return None;
    };
    // Membership is asked once per node walked: sets keep recognition linear in the group.
    let members = Members {
        nodes: group.nodes.iter().copied().collect(),
        reads: group.reads.iter().copied().collect(),
    };
    if !members.nodes.contains(&mul) {
        return None;
    }
    let a = operand(graph, &members, a)?;
    let b = operand(graph, &members, b)?;
    let dims = graph.node(mul).shape.dims().to_vec();
    let roles = Roles::of(graph, &dims, &axes, a.node, b.node)?;
    let found = roles.contraction(reduce, mul, a, b, dims, graph.node(mul).dtype);
    epilogue_is_rowwise(graph, group, reduce, found.rows()).then_some(found)
}

/// The nodes a group computes and the values it loads.
struct Members {
    nodes: HashSet<NodeId>,
    reads: HashSet<NodeId>,
}

/// The group's only reduce node, or `None` when it has none or several.
fn single_reduce(graph: &Graph, group: &KernelGroup) -> Option<NodeId> {
    let mut reduces = group
        .nodes
        .iter()
        .copied()
        .filter(|&n| matches!(graph.node(n).op, Op::Reduce { .. }));
    let first = reduces.next()?;
    reduces.next().is_none().then_some(first)
}

/// Follows a multiply operand down through movement ops and at most one cast to the
/// realized value it views; `None` if anything else (arithmetic, constants) is on the way.
fn operand(graph: &Graph, group: &Members, node: NodeId) -> Option<Operand> {
    let mut at = node;
    let mut cast = false;
    // Each step moves to an operand, which comes earlier in the graph, so this ends; the
    // bound only guards against a malformed group.
    for _ in 0..=graph.len() {
        if !group.nodes.contains(&at) {
            let realized = group.reads.contains(&at);
            return realized.then(|| Operand {
                node,
                source: at,
                dtype: graph.node(at).dtype,
                cast,
            });
        }
        at = match &graph.node(at).op {
            Op::Reshape { x }
            | Op::Permute { x, .. }
            | Op::Expand { x }
            | Op::Pad { x, .. }
            | Op::Shrink { x, .. }
            | Op::Flip { x, .. } => *x,
            Op::Cast { x } if !cast => {
                cast = true;
                *x
            }
            _ => return None,
        };
    }
    None
}

/// The axes along which a multiply operand is broadcast: those its top `expand` grows from
/// length 1. A view without a top-level expand varies along every axis.
fn broadcast_axes(graph: &Graph, node: NodeId) -> Vec<bool> {
    let out = graph.node(node).shape.dims();
    let Op::Expand { x } = graph.node(node).op else {
        return vec![false; out.len()];
    };
    let input = graph.node(x).shape.dims();
    if input.len() != out.len() {
        return vec![false; out.len()];
    }
    input
        .iter()
        .zip(out)
        .map(|(&i, &o)| i == 1 && o != 1)
        .collect()
}

/// The reduce input's axes sorted into their roles.
struct Roles {
    batch: Vec<usize>,
    m: Vec<usize>,
    n: Vec<usize>,
    k: Vec<usize>,
}

impl Roles {
    /// Sorts every axis of `dims`; `a` and `b` are the multiply's operands. Returns `None`
    /// when neither operand varies along the m axes or the n axes in the way a contraction
    /// needs (e.g. no reduced axis).
    fn of(graph: &Graph, dims: &[usize], axes: &[usize], a: NodeId, b: NodeId) -> Option<Roles> {
        let (a_bcast, b_bcast) = (broadcast_axes(graph, a), broadcast_axes(graph, b));
        let mut roles = Roles {
            batch: vec![],
            m: vec![],
            n: vec![],
            k: vec![],
        };
        for axis in 0..dims.len() {
            let (ab, bb) = (a_bcast.get(axis)?, b_bcast.get(axis)?);
            let list = match (axes.contains(&axis), ab, bb) {
                (true, _, _) => &mut roles.k,
                (false, false, true) => &mut roles.m,
                (false, true, false) => &mut roles.n,
                _ => &mut roles.batch,
            };
            list.push(axis);
        }
        (!roles.k.is_empty()).then_some(roles)
    }

    fn contraction(
        self,
        reduce: NodeId,
        mul: NodeId,
        a: Operand,
        b: Operand,
        dims: Vec<usize>,
        accumulator: DType,
    ) -> Contraction {
        let size = |axes: &[usize]| axes.iter().filter_map(|&i| dims.get(i)).product();
        Contraction {
            reduce,
            mul,
            a,
            b,
            batch: size(&self.batch),
            m: size(&self.m),
            n: size(&self.n),
            k: size(&self.k),
            batch_axes: self.batch,
            m_axes: self.m,
            n_axes: self.n,
            k_axes: self.k,
            dims,
            accumulator,
        }
    }
}

/// Whether every node of the group after the reduce keeps one element per output row:
/// elementwise ops, casts and reshapes of `rows` elements, and whether every value the group
/// writes is one of them (so the kernel writes nothing but the epilogue's results).
fn epilogue_is_rowwise(graph: &Graph, group: &KernelGroup, reduce: NodeId, rows: usize) -> bool {
    let mut after = HashSet::from([reduce]);
    for &id in &group.nodes {
        let node = graph.node(id);
        if id == reduce || !node.op.each_operand().any(|o| after.contains(&o)) {
            continue;
        }
        let rowwise = matches!(
            node.op,
            Op::Unary { .. }
                | Op::Binary { .. }
                | Op::Where { .. }
                | Op::Cast { .. }
                | Op::Bitcast { .. }
                | Op::Reshape { .. }
        );
        if !rowwise || node.shape.numel() != rows {
            return false;
        }
        after.insert(id);
    }
    !group.writes.is_empty() && group.writes.iter().all(|w| after.contains(w))
}
