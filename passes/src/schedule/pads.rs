//! Bounded nesting: a fused pad is lowered as `if (index in range) { value = operand }`, with
//! the operand computed inside the block, so a chain of pads in one kernel nests one block
//! per pad. Every later walk of a kernel (printer, verifier, interpreter, optimizer, code
//! generators) may follow that nesting, so it must not grow with the graph: a pad whose
//! operand already sits under [`MAX_NESTED_PADS`] pads of its kernel reads that operand from
//! memory, and the next kernel starts again at depth 0 (see the module doc of `schedule`).
//!
//! A pad's operand is always plain: a pad of a row or full value is a conflict of the
//! analysis (it would need values of other rows), and a zero pad opens no block. Realizing
//! a plain value changes no fusion state, so this is one forward sweep after the analysis.

use super::realize::Realization;
use super::{index, node_ids};
use egpu_ir::{Graph, Op};

/// The most pads chained within one kernel, i.e. the deepest nesting of pad blocks a
/// kernel's IR gets. Convolutions and pooling pad once; 16 leaves room for hand-written
/// stencils while keeping every kernel shallow.
pub(crate) const MAX_NESTED_PADS: u32 = 16;

/// Realizes the operand of every pad that would nest deeper than [`MAX_NESTED_PADS`].
pub(crate) fn bound(graph: &Graph, r: &mut Realization) {
    let ids = node_ids(graph);
    // Pads chained before each node within its kernel (the node itself included): the
    // deepest of its unrealized operands, plus one for a pad that opens a block. Operands
    // come before their users, so one sweep in node order sees every operand settled.
    let mut depth = vec![0u32; ids.len()];
    for (i, &id) in ids.iter().enumerate() {
        if !r.live[i] {
            continue;
        }
        let op = &graph.node(id).op;
        let mut deepest = 0;
        for operand in op.each_operand() {
            let j = index(operand);
            if opens_block(op) && depth[j] >= MAX_NESTED_PADS {
                r.cut[j] = true;
            }
            if !r.cut[j] {
                deepest = deepest.max(depth[j]);
            }
        }
        depth[i] = deepest + u32::from(opens_block(op));
    }
}

/// A pad that adds elements is lowered as a conditional block; a zero pad is the identity.
fn opens_block(op: &Op) -> bool {
    match op {
        Op::Pad { pads, .. } => pads.iter().any(|&(before, after)| before > 0 || after > 0),
        _ => false,
    }
}
