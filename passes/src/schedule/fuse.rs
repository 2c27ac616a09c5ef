//! Grouping realized values into kernels and ordering the kernels (see the module doc of
//! `schedule`).

use super::realize::{Fusion, Realization};
use super::{KernelGroup, ScheduleError, horizontal, index, node_ids, print};
use egpu_ir::{Graph, NodeId, Op};
use petgraph::Direction;
use petgraph::algo::kosaraju_scc;
use petgraph::graph::{DiGraph, NodeIndex};
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// What grouping found: the kernels in launch order, or a shared node that must be realized
/// because merging the kernels around it made them depend on each other.
pub(crate) enum Grouping {
    Kernels(Vec<KernelGroup>),
    /// One shared node per cycle of the kernel graph, ascending.
    Realize(Vec<usize>),
}

/// One kernel under construction, by node position.
#[derive(Default)]
pub(crate) struct Group {
    /// The values it writes, ascending.
    pub roots: Vec<usize>,
    /// The nodes it computes, ascending (graph order).
    pub nodes: Vec<usize>,
    /// The realized values it loads, ascending.
    pub reads: Vec<usize>,
    /// Its non-plain nodes that were in the cones of several of its roots (why it merged).
    pub shared: Vec<usize>,
}

/// Forms the kernels for one realization and orders them.
pub(crate) fn group(graph: &Graph, r: &Realization) -> Result<Grouping, ScheduleError> {
    let ids = node_ids(graph);
    let roots = roots(graph, r);
    let mut mark = vec![usize::MAX; ids.len()];
    let cones: Vec<Vec<usize>> = roots
        .iter()
        .enumerate()
        .map(|(k, &root)| cone(graph, &ids, r, root, &mut mark, k))
        .collect();
    let groups = merge(graph, &ids, r, &roots, &cones);
    let order = match launch_order(graph, &ids, &groups)? {
        Order::Sorted(order) => order,
        Order::Cyclic(nodes) => return Ok(Grouping::Realize(nodes)),
    };
    let groups = horizontal::merge(graph, &ids, groups, &order)?;
    // Merging kernels of one depth keeps the kernel graph acyclic (see `horizontal`).
    let order = match launch_order(graph, &ids, &groups)? {
        Order::Sorted(order) => order,
        Order::Cyclic(nodes) => return Ok(Grouping::Realize(nodes)),
    };
    let kernels = order
        .iter()
        .enumerate()
        .filter_map(|(k, &g)| groups.get(g).map(|group| kernel(graph, &ids, k, group)))
        .collect();
    Ok(Grouping::Kernels(kernels))
}

/// The values some kernel must write: realized live values (inputs excluded, they are in
/// memory already) and every output, ascending.
fn roots(graph: &Graph, r: &Realization) -> Vec<usize> {
    let is_input = is_input(graph);
    let mut roots: Vec<usize> = (0..graph.len())
        .filter(|&i| r.cut[i] && r.live[i] && !is_input[i])
        .collect();
    roots.extend(graph.outputs().iter().map(|o| index(o.node)));
    roots.sort_unstable();
    roots.dedup();
    roots
}

/// The nodes a root's kernel computes: the root and its operands, followed back until
/// realized values. An input returned as an output computes nothing (a copy). `mark` holds,
/// per node, the last cone that visited it, so one allocation serves every root.
fn cone(
    graph: &Graph,
    ids: &[NodeId],
    r: &Realization,
    root: usize,
    mark: &mut [usize],
    k: usize,
) -> Vec<usize> {
    let Some(&root_id) = ids.get(root) else {
        return Vec::new();
    };
    if matches!(graph.node(root_id).op, Op::Input { .. }) {
        return Vec::new();
    }
    let mut cone = Vec::new();
    let mut stack = vec![root];
    mark[root] = k;
    while let Some(i) = stack.pop() {
        cone.push(i);
        for operand in graph.node(ids[i]).op.each_operand() {
            let j = index(operand);
            if !r.cut[j] && mark[j] != k {
                mark[j] = k;
                stack.push(j);
            }
        }
    }
    cone.sort_unstable();
    cone
}

/// Merges roots whose cones share a non-plain node (computing a reduction, or anything
/// after one, twice would cost a whole extra pass over its rows); plain nodes may be shared
/// and are recomputed in each kernel. Groups come out ordered by their smallest root.
fn merge(
    graph: &Graph,
    ids: &[NodeId],
    r: &Realization,
    roots: &[usize],
    cones: &[Vec<usize>],
) -> Vec<Group> {
    let mut parent: Vec<usize> = (0..roots.len()).collect();
    let mut owner: Vec<Option<usize>> = vec![None; ids.len()];
    let mut shared = vec![false; ids.len()];
    for (k, cone) in cones.iter().enumerate() {
        for &i in cone.iter().filter(|&&i| r.fusion[i] != Fusion::Plain) {
            match owner[i] {
                None => owner[i] = Some(k),
                Some(o) => {
                    shared[i] = true;
                    union(&mut parent, o, k);
                }
            }
        }
    }
    let mut slot: Vec<Option<usize>> = vec![None; roots.len()];
    let mut groups: Vec<Group> = Vec::new();
    for (k, (&root, cone)) in roots.iter().zip(cones).enumerate() {
        let rep = find(&mut parent, k);
        let g = *slot[rep].get_or_insert_with(|| {
            groups.push(Group::default());
            groups.len() - 1
        });
        if let Some(group) = groups.get_mut(g) {
            group.roots.push(root);
            group.nodes.extend(cone);
        }
    }
    for group in &mut groups {
        finish(graph, ids, r, group, &shared);
    }
    groups
}

/// Sorts a group's nodes and derives what it reads and which of its nodes are shared.
fn finish(graph: &Graph, ids: &[NodeId], r: &Realization, group: &mut Group, shared: &[bool]) {
    group.nodes.sort_unstable();
    group.nodes.dedup();
    for &i in &group.nodes {
        let operands = graph.node(ids[i]).op.each_operand();
        group
            .reads
            .extend(operands.map(index).filter(|&j| r.cut[j]));
    }
    // A copy kernel (an input returned as an output) reads the input it writes.
    for &root in &group.roots {
        if matches!(graph.node(ids[root]).op, Op::Input { .. }) {
            group.reads.push(root);
        }
    }
    group.reads.sort_unstable();
    group.reads.dedup();
    group.shared = group.nodes.iter().copied().filter(|&i| shared[i]).collect();
}

fn find(parent: &mut [usize], mut k: usize) -> usize {
    while parent[k] != k {
        parent[k] = parent[parent[k]];
        k = parent[k];
    }
    k
}

/// Joins two sets, keeping the smaller representative so results do not depend on order.
fn union(parent: &mut [usize], a: usize, b: usize) {
    let (a, b) = (find(parent, a), find(parent, b));
    let (low, high) = if a < b { (a, b) } else { (b, a) };
    parent[high] = low;
}

/// Which nodes are graph inputs, by position.
pub(crate) fn is_input(graph: &Graph) -> Vec<bool> {
    let mut is_input = vec![false; graph.len()];
    for &i in graph.inputs() {
        is_input[index(i)] = true;
    }
    is_input
}

enum Order {
    /// Group indices in launch order.
    Sorted(Vec<usize>),
    /// No order exists; realizing these shared nodes (one per cycle) splits a group on
    /// each cycle.
    Cyclic(Vec<usize>),
}

/// Kahn's algorithm on the kernel graph (edge: writer → reader), always launching the ready
/// kernel with the smallest written node, so the order is deterministic.
fn launch_order(graph: &Graph, ids: &[NodeId], groups: &[Group]) -> Result<Order, ScheduleError> {
    let dag = kernel_graph(graph, ids, groups)?;
    let mut indegree: Vec<usize> = dag
        .node_indices()
        .map(|v| dag.neighbors_directed(v, Direction::Incoming).count())
        .collect();
    let key = |g: usize| groups.get(g).and_then(|x| x.roots.first().copied());
    let mut ready: BinaryHeap<Reverse<(Option<usize>, usize)>> = (0..groups.len())
        .filter(|&g| indegree[g] == 0)
        .map(|g| Reverse((key(g), g)))
        .collect();
    let mut order = Vec::with_capacity(groups.len());
    while let Some(Reverse((_, g))) = ready.pop() {
        order.push(g);
        for next in dag.neighbors_directed(NodeIndex::new(g), Direction::Outgoing) {
            let n = next.index();
            indegree[n] -= 1;
            if indegree[n] == 0 {
                ready.push(Reverse((key(n), n)));
            }
        }
    }
    if order.len() == groups.len() {
        return Ok(Order::Sorted(order));
    }
    cycle_breaker(ids, groups, &dag).map(Order::Cyclic)
}

/// The kernel graph: one petgraph node per group (same index), an edge from the group that
/// writes a value to each group that reads it. Inputs have no writer: a copy kernel that
/// returns an input stores it elsewhere, and readers load the input's own buffer.
pub(crate) fn kernel_graph(
    graph: &Graph,
    ids: &[NodeId],
    groups: &[Group],
) -> Result<DiGraph<(), ()>, ScheduleError> {
    let is_input = is_input(graph);
    let mut writer: Vec<Option<usize>> = vec![None; ids.len()];
    for (g, group) in groups.iter().enumerate() {
        for &root in group.roots.iter().filter(|&&root| !is_input[root]) {
            writer[root] = Some(g);
        }
    }
    let mut edges = Vec::new();
    for (g, group) in groups.iter().enumerate() {
        for &read in &group.reads {
            match writer[read] {
                Some(w) => edges.push((w, g)),
                None if is_input[read] => {}
                None => return Err(ScheduleError::Unwritten { node: ids[read] }),
            }
        }
    }
    // One edge per pair of kernels, however many values pass between them.
    edges.sort_unstable();
    edges.dedup();
    let mut dag = DiGraph::<(), ()>::with_capacity(groups.len(), edges.len());
    for _ in groups {
        dag.add_node(());
    }
    for (w, g) in edges {
        dag.add_edge(NodeIndex::new(w), NodeIndex::new(g), ());
    }
    Ok(dag)
}

/// For each cycle of the kernel graph (a strongly connected component of several kernels,
/// or a self-loop), the smallest shared node of its groups: realizing it undoes the merge
/// that made the cycle. All cycles are broken in one round, ascending. (Kosaraju's
/// algorithm: petgraph's is iterative, its Tarjan recurses as deep as the kernel graph.)
fn cycle_breaker(
    ids: &[NodeId],
    groups: &[Group],
    dag: &DiGraph<(), ()>,
) -> Result<Vec<usize>, ScheduleError> {
    let on_cycle =
        |scc: &Vec<NodeIndex>| scc.len() > 1 || scc.iter().any(|&v| dag.contains_edge(v, v));
    let mut candidates: Vec<usize> = kosaraju_scc(dag)
        .iter()
        .filter(|scc| on_cycle(scc))
        .filter_map(|scc| {
            scc.iter()
                .filter_map(|v| groups.get(v.index()))
                .filter_map(|group| group.shared.first().copied())
                .min()
        })
        .collect();
    candidates.sort_unstable();
    candidates.dedup();
    match candidates.is_empty() {
        false => Ok(candidates),
        true => {
            let root = groups.iter().find_map(|g| g.roots.first().copied());
            Err(ScheduleError::Cycle {
                node: root
                    .and_then(|r| ids.get(r).copied())
                    .unwrap_or(NodeId::from_u32(0)),
            })
        }
    }
}

/// The public form of a group: node ids and the kernel's name.
fn kernel(graph: &Graph, ids: &[NodeId], k: usize, group: &Group) -> KernelGroup {
    let to_ids = |v: &[usize]| v.iter().map(|&i| ids[i]).collect::<Vec<NodeId>>();
    let nodes = to_ids(&group.nodes);
    KernelGroup {
        name: format!("k{k}_{}", print::main_op(graph, &nodes)),
        nodes,
        reads: to_ids(&group.reads),
        writes: to_ids(&group.roots),
        // Recorded once the kernels are final (`schedule`).
        stage: None,
        states: Vec::new(),
        contraction: None,
    }
}
