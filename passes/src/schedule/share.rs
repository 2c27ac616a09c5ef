//! Bounded recomputation across kernels: a plain value is recomputed in every kernel that
//! uses it, which is free for a load plus a few ops but multiplies work when a long
//! elementwise chain feeds many kernels. A plain value in the cones of two or more roots
//! whose recomputation would cost at least [`SHARED_WORK_LIMIT`] ops is realized instead
//! (see the module doc of `schedule`).
//!
//! Realizing a plain value never changes any node's fusion state (a read is plain, and so
//! was the value), so this runs once after the analysis, without another round.

use super::realize::{Fusion, Realization};
use super::{fuse, index, node_ids};
use egpu_ir::{Graph, Op};

/// Recomputing up to this many ops in each kernel that needs them is cheaper than a store
/// and a load; from this many on, the value is stored once.
pub(crate) const SHARED_WORK_LIMIT: u32 = 32;

/// Which roots' cones a node is in so far.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Owner {
    None,
    One(usize),
    Many,
}

impl Owner {
    fn join(self, other: Owner) -> Owner {
        match (self, other) {
            (Owner::None, o) | (o, Owner::None) => o,
            (Owner::One(a), Owner::One(b)) if a == b => Owner::One(a),
            _ => Owner::Many,
        }
    }
}

/// Realizes the expensive plain values that several kernels would recompute.
pub(crate) fn bound(graph: &Graph, r: &mut Realization) {
    let ids = node_ids(graph);
    let work = work(graph, &ids, r);
    let is_input = fuse::is_input(graph);
    let mut is_output = vec![false; ids.len()];
    for output in graph.outputs() {
        is_output[index(output.node)] = true;
    }
    let mut owner = vec![Owner::None; ids.len()];
    // Users come after their operands, so a backward sweep sees every user of a node
    // before the node itself: its owner is final when it is reached.
    for (i, &id) in ids.iter().enumerate().rev() {
        if !r.live[i] || is_input[i] {
            continue;
        }
        let op = &graph.node(id).op;
        let expensive = owner[i] == Owner::Many
            && r.fusion[i] == Fusion::Plain
            && work[i] >= SHARED_WORK_LIMIT
            && !is_view(op);
        if expensive {
            r.cut[i] = true;
        }
        let passes_on = if r.cut[i] || is_output[i] {
            Owner::One(i)
        } else {
            owner[i]
        };
        for operand in op.each_operand() {
            let j = index(operand);
            owner[j] = owner[j].join(passes_on);
        }
    }
}

/// An upper bound of the ops a kernel runs to compute each node from its reads: 1 plus its
/// operands' work (a shared operand counted once per use), saturating at the limit.
fn work(graph: &Graph, ids: &[egpu_ir::NodeId], r: &Realization) -> Vec<u32> {
    let mut work = vec![0u32; ids.len()];
    for (i, &id) in ids.iter().enumerate() {
        let op = &graph.node(id).op;
        if !r.live[i] || matches!(op, Op::Input { .. } | Op::Const { .. } | Op::Iota { .. }) {
            continue;
        }
        let operands: u32 = op
            .each_operand()
            .map(index)
            .filter(|&j| !r.cut[j])
            .map(|j| work[j])
            .fold(0, u32::saturating_add);
        work[i] = operands.saturating_add(1).min(SHARED_WORK_LIMIT);
    }
    work
}

fn is_view(op: &Op) -> bool {
    matches!(
        op,
        Op::Reshape { .. }
            | Op::Permute { .. }
            | Op::Expand { .. }
            | Op::Pad { .. }
            | Op::Shrink { .. }
            | Op::Flip { .. }
    )
}
