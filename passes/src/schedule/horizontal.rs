//! Horizontal fusion: independent kernels over the same iteration space become one kernel
//! that writes all of their values, so inputs they share are loaded once and one launch
//! replaces several (see the module doc of `schedule`).
//!
//! Two kernels may merge when neither needs the other's writes, directly or through other
//! kernels. The *depth* of a kernel (the longest chain of kernels it waits for) decides
//! that cheaply: a path between two kernels strictly increases depth, so kernels of one
//! depth are independent, and a merged kernel still waits only for shallower kernels and
//! feeds only deeper ones, so the kernel graph stays acyclic.

use super::fuse::{Group, kernel_graph};
use super::{ScheduleError, print};
use egpu_ir::{Graph, NodeId, Op};
use petgraph::Direction;
use petgraph::graph::NodeIndex;
use std::collections::HashMap;

/// The most values one merged kernel writes: enough to share the loads of a handful of
/// outputs, few enough that its parameter list and register use stay small.
pub(crate) const MAX_WRITES: usize = 8;

/// The most buffers (loads counted per member kernel, plus writes) a merged kernel binds.
const MAX_BUFFERS: usize = 32;

/// What a kernel iterates over; only kernels with equal spaces merge.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Space {
    /// An elementwise kernel over this many elements.
    Elements(usize),
    /// A reduction kernel over the rows of this stage (reduce input shape, sorted axes).
    Rows(Vec<usize>, Vec<usize>),
}

/// Merges independent groups of equal depth and space, in launch order, at most
/// [`MAX_WRITES`] writes each. `order` is a launch order of `groups`. Copies and tiled
/// contractions (matmul, conv: lowered by their own scheme) stay alone.
pub(crate) fn merge(
    graph: &Graph,
    ids: &[NodeId],
    groups: Vec<Group>,
    order: &[usize],
) -> Result<Vec<Group>, ScheduleError> {
    let depth = depths(graph, ids, &groups, order)?;
    // Per (depth, space): the merged group now filling up.
    let mut open: HashMap<(usize, Space), usize> = HashMap::new();
    let mut merged: Vec<Group> = Vec::with_capacity(groups.len());
    let mut slots: Vec<Option<Group>> = groups.into_iter().map(Some).collect();
    for &g in order {
        let Some(group) = slots.get_mut(g).and_then(Option::take) else {
            continue;
        };
        let Some(space) = space(graph, ids, &group) else {
            merged.push(group);
            continue;
        };
        let key = (depth[g], space);
        match open.get(&key).copied() {
            Some(m) if fits(&merged[m], &group) => absorb(&mut merged[m], group),
            _ => {
                open.insert(key, merged.len());
                merged.push(group);
            }
        }
    }
    Ok(merged)
}

/// The depth of each group: 0 for groups that read only inputs, else one more than the
/// deepest group whose writes it reads.
fn depths(
    graph: &Graph,
    ids: &[NodeId],
    groups: &[Group],
    order: &[usize],
) -> Result<Vec<usize>, ScheduleError> {
    let dag = kernel_graph(graph, ids, groups)?;
    let mut depth = vec![0; groups.len()];
    for &g in order {
        let deepest = dag
            .neighbors_directed(NodeIndex::new(g), Direction::Incoming)
            .map(|p| depth[p.index()] + 1)
            .max();
        depth[g] = deepest.unwrap_or(0);
    }
    Ok(depth)
}

/// The space of a group, or `None` for groups that never merge.
fn space(graph: &Graph, ids: &[NodeId], group: &Group) -> Option<Space> {
    if group.nodes.is_empty() {
        return None;
    }
    let nodes: Vec<NodeId> = group.nodes.iter().map(|&i| ids[i]).collect();
    let reduce = nodes.iter().find_map(|&n| match &graph.node(n).op {
        Op::Reduce { x, axes, .. } => Some((*x, axes.clone())),
        _ => None,
    });
    match reduce {
        None => {
            let root = ids[*group.roots.first()?];
            Some(Space::Elements(graph.node(root).shape.numel()))
        }
        Some((x, mut axes)) => {
            // A matmul-shaped sum (what `main_op` names matmul or conv).
            if print::is_contraction(graph, x) {
                return None;
            }
            axes.sort_unstable();
            axes.dedup();
            Some(Space::Rows(graph.node(x).shape.to_vec(), axes))
        }
    }
}

/// Whether `group` may join `into` within the bounds.
fn fits(into: &Group, group: &Group) -> bool {
    let writes = into.roots.len() + group.roots.len();
    let buffers = writes + into.reads.len() + group.reads.len();
    writes <= MAX_WRITES && buffers <= MAX_BUFFERS
}

/// Adds `group`'s roots, nodes and reads to `into`, keeping each list ascending and
/// without repeats (plain nodes both computed are computed once).
fn absorb(into: &mut Group, group: Group) {
    let join = |a: &mut Vec<usize>, b: Vec<usize>| {
        a.extend(b);
        a.sort_unstable();
        a.dedup();
    };
    join(&mut into.roots, group.roots);
    join(&mut into.nodes, group.nodes);
    join(&mut into.reads, group.reads);
    join(&mut into.shared, group.shared);
}
