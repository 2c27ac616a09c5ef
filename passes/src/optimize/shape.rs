//! What a kernel group's work looks like, as far as the heuristics care: how many output
//! elements an elementwise kernel has, or how many rows of what length a reduction has, and
//! whether its accesses can be vectorized.

use crate::schedule::KernelGroup;
use egpu_ir::{Graph, NodeId, Op};

/// The work of one kernel group.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Work {
    /// No reduction (or a copy kernel): `elements` independent outputs.
    Elementwise { elements: usize },
    /// Reductions over `rows` rows of `row_len` elements each (every reduce of a group
    /// shares one stage, so the first one's sizes are the group's).
    Reduction { rows: usize, row_len: usize },
}

/// Classifies a group by its first reduce, or by the largest value it writes.
pub(crate) fn work(graph: &Graph, group: &KernelGroup) -> Work {
    let reduce = group.nodes.iter().find_map(|&n| match &graph.node(n).op {
        Op::Reduce { x, .. } => Some((graph.node(*x).shape.numel(), graph.node(n).shape.numel())),
        _ => None,
    });
    match reduce {
        Some((input, rows)) => Work::Reduction {
            rows,
            row_len: input.checked_div(rows).unwrap_or(0),
        },
        None => Work::Elementwise {
            elements: largest_write(graph, group),
        },
    }
}

/// The most elements of any value the group writes (every output element of an elementwise
/// kernel is one unit of work).
fn largest_write(graph: &Graph, group: &KernelGroup) -> usize {
    group
        .writes
        .iter()
        .map(|&w| graph.node(w).shape.numel())
        .max()
        .unwrap_or(0)
}

/// The widest element, in bytes, of any value the group loads or stores.
pub(crate) fn widest_access(graph: &Graph, group: &KernelGroup) -> usize {
    group
        .reads
        .iter()
        .chain(&group.writes)
        .map(|&n| graph.node(n).dtype.size_bytes())
        .max()
        .unwrap_or(1)
}

/// Whether `width` consecutive output elements, aligned to `width` along the last axis, map
/// to `width` consecutive aligned elements of every buffer an elementwise group touches.
///
/// Sufficient, not necessary: every value's last axis is a multiple of `width`, and every
/// movement op leaves the last axis in place, whole and unbroadcast (a reshape keeps the
/// row-major order, so it only needs both last axes to be multiples). Iota along the last
/// axis and broadcasting into the last axis are refused: the lowering would have to build
/// the vector element by element, which it may or may not do.
pub(crate) fn contiguous(graph: &Graph, group: &KernelGroup, width: usize) -> bool {
    let last = |n: NodeId| graph.node(n).shape.dims().last().copied().unwrap_or(1);
    let all = group.nodes.iter().chain(&group.reads).chain(&group.writes);
    all.clone().all(|&n| last(n).is_multiple_of(width))
        && group.nodes.iter().all(|&n| keeps_last_axis(graph, n))
}

/// Whether node `n` keeps elements contiguous along the last axis (see [`contiguous`]).
fn keeps_last_axis(graph: &Graph, n: NodeId) -> bool {
    let node = graph.node(n);
    let Some(&last_len) = node.shape.dims().last() else {
        return true;
    };
    let last = node.shape.rank() - 1;
    let input_last = |x: NodeId| graph.node(x).shape.dims().last().copied();
    match &node.op {
        Op::Iota { axis } => *axis != last,
        Op::Expand { x } => input_last(*x) == Some(last_len),
        Op::Permute { perm, .. } => perm.last() == Some(&last),
        Op::Pad { pads, .. } => pads.last() == Some(&(0, 0)),
        Op::Shrink { ranges, .. } => ranges.last() == Some(&(0, last_len)),
        Op::Flip { axes, .. } => !axes.contains(&last),
        Op::Reduce { .. } => false,
        _ => true,
    }
}
