//! The schedule pass (fusion into kernels, launch order, buffers) on every example and on
//! random graphs. The structural checks here recompute everything they rely on (which nodes
//! are live, which kernel writes and reads what, when each value is live) from the graph
//! and the schedule's public fields, so they do not trust the pass's own bookkeeping.
//!
//! The invariant on recomputation: every node an output depends on, other than inputs,
//! constants and iota, is computed by at least one kernel; a node computed by several
//! kernels must be cheap, meaning no reduce is upstream of it inside any kernel that
//! computes it (a reduction's work is never repeated).

use egpu_ir::kernel::BufferRole;
use egpu_ir::{BinaryOp, DType, Graph, GraphBuilder, NodeId, Op, ReduceOp, UnaryOp, text};
use egpu_passes::schedule::{KernelGroup, Schedule, schedule};
use egpu_tests::example;
use egpu_tests::random_graph::arb_graph;
use proptest::prelude::*;
use std::collections::{BTreeMap, BTreeSet};

/// The most kernels each example may become (issue 3); the first number is the least.
const KERNEL_COUNTS: [(&str, usize, usize); 11] = [
    ("add", 1, 1),
    ("gelu_chain", 1, 1),
    ("sum_rows", 1, 1),
    ("sum_all", 1, 2),
    ("softmax", 1, 1),
    ("layernorm", 1, 1),
    ("matmul_f32", 1, 1),
    ("matmul_f16", 1, 1),
    ("mlp", 1, 3),
    ("conv2d", 1, 2),
    ("attention", 1, 3),
];

#[test]
fn examples_reach_their_kernel_counts() {
    for (name, least, most) in KERNEL_COUNTS {
        let graph = example(name);
        let s = schedule(&graph).unwrap_or_else(|e| panic!("{name}: {e}"));
        let n = s.kernels.len();
        assert!(
            (least..=most).contains(&n),
            "{name}: {n} kernels, wanted {least}..={most}\n{}",
            s.print(&graph)
        );
    }
}

/// Softmax, layernorm and log_softmax keep their rows on chip: all of their reductions are
/// in one kernel, not just few kernels overall.
#[test]
fn row_reductions_share_one_kernel() {
    for (name, reductions) in [("softmax", 2), ("layernorm", 2), ("mlp", 2)] {
        let graph = example(name);
        let s = schedule(&graph).unwrap();
        let most = s
            .kernels
            .iter()
            .map(|k| reduces(&graph, k).len())
            .max()
            .unwrap_or(0);
        assert_eq!(most, reductions, "{name}\n{}", s.print(&graph));
    }
}

#[test]
fn examples_are_structurally_sound() {
    for (name, _, _) in KERNEL_COUNTS {
        let graph = example(name);
        let s = schedule(&graph).unwrap();
        if let Err(e) = check(&graph, &s) {
            panic!("{name}: {e}\n{}", s.print(&graph));
        }
    }
}

#[test]
fn scheduling_is_deterministic() {
    for (name, _, _) in KERNEL_COUNTS {
        let graph = example(name);
        let first = schedule(&graph).unwrap();
        let second = schedule(&graph).unwrap();
        assert_eq!(first, second, "{name}");
        assert_eq!(first.print(&graph), second.print(&graph), "{name}");
    }
}

#[test]
fn printed_plans() {
    for name in ["attention", "mlp"] {
        let graph = example(name);
        let s = schedule(&graph).unwrap();
        insta::assert_snapshot!(format!("schedule_{name}"), s.print(&graph));
    }
}

/// Four reductions over different rows, one after the other: four kernels and three
/// temporaries, of which the third can take the first's buffer (dead after kernel 1).
#[test]
fn a_chain_of_reductions_reuses_a_temporary() {
    let mut b = GraphBuilder::new("chain");
    let x = b.input("x", DType::F32, &[8, 8, 8, 8]).unwrap();
    let mut v = x;
    for axis in [3, 2, 1, 0] {
        v = b.reduce(ReduceOp::Sum, v, &[axis]).unwrap();
    }
    b.output("y", v).unwrap();
    let graph = b.finish().unwrap();
    let s = schedule(&graph).unwrap();
    check(&graph, &s).unwrap();
    assert_eq!(s.kernels.len(), 4, "{}", s.print(&graph));
    let temporaries: Vec<_> = s
        .buffers
        .iter()
        .filter(|b| b.role == BufferRole::Temporary)
        .collect();
    assert_eq!(temporaries.len(), 2, "{}", s.print(&graph));
    assert!(
        temporaries.iter().any(|b| b.holds.len() == 2),
        "{}",
        s.print(&graph)
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn random_graphs_schedule_soundly(graph in arb_graph()) {
        let s = schedule(&graph).map_err(|e| TestCaseError::fail(e.to_string()))?;
        if let Err(e) = check(&graph, &s) {
            let message = format!("{e}\n{}\n{}", text::print(&graph), s.print(&graph));
            return Err(TestCaseError::fail(message));
        }
        prop_assert_eq!(s.print(&graph), schedule(&graph).map(|t| t.print(&graph)).unwrap_or_default());
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// The general generator rarely chains reductions; this one mostly does.
    #[test]
    fn reduction_heavy_graphs_schedule_soundly(graph in arb_reduction_graph()) {
        let s = schedule(&graph).map_err(|e| TestCaseError::fail(e.to_string()))?;
        if let Err(e) = check(&graph, &s) {
            let message = format!("{e}\n{}\n{}", text::print(&graph), s.print(&graph));
            return Err(TestCaseError::fail(message));
        }
    }
}

// ---------------------------------------------------------------------------------------
// Reduction-heavy random graphs: f32 tensors of one base shape and its reductions,
// combined by broadcasting (so row statistics are expanded back, as in softmax), with
// some reshapes and permutes to break row structure.

fn arb_reduction_graph() -> impl Strategy<Value = Graph> {
    let steps = prop::collection::vec((0u8..6, any::<u64>()), 1..24);
    let outputs = prop::collection::vec(any::<u16>(), 1..=3);
    (steps, outputs).prop_map(|(steps, outputs)| reduction_graph(&steps, &outputs))
}

fn reduction_graph(steps: &[(u8, u64)], outputs: &[u16]) -> Graph {
    const BASE: [usize; 3] = [2, 3, 4];
    let mut b = GraphBuilder::new("reductions");
    let mut nodes = Vec::new();
    for name in ["x", "w"] {
        nodes.extend(b.input(name, DType::F32, &BASE).ok());
    }
    for &(kind, seed) in steps {
        // Mostly one of the last few values, so chains grow long.
        let pick = |k: u64| {
            let r = (seed >> (8 * k)) as usize;
            let back = if r & 1 == 0 { r >> 1 } else { (r >> 1) % 4 };
            nodes[nodes.len() - 1 - back % nodes.len()]
        };
        let (x, y) = (pick(0), pick(1));
        let rank = b.shape(x).rank();
        let made = match kind {
            0 | 1 => {
                // Few axis sets, so reductions over the same rows meet often.
                let choices: [&[usize]; 3] = [&[2], &[1, 2], &[0]];
                let axes = choices[(seed >> 16) as usize % 3];
                let axes: Vec<usize> = axes.iter().copied().filter(|&a| a < rank).collect();
                let op = if kind == 0 {
                    ReduceOp::Sum
                } else {
                    ReduceOp::Max
                };
                b.reduce(op, x, if axes.is_empty() { &[0] } else { &axes })
                    .ok()
            }
            2 => {
                let ops = [BinaryOp::Add, BinaryOp::Sub, BinaryOp::Mul, BinaryOp::Max];
                b.binary(ops[(seed >> 24) as usize % 4], x, y).ok()
            }
            3 => b.unary(UnaryOp::Exp2, x).ok(),
            4 => {
                let n = b.shape(x).numel();
                b.reshape(x, &[n]).ok()
            }
            _ => {
                let perm: Vec<usize> = (0..rank).rev().collect();
                b.permute(x, &perm).ok()
            }
        };
        nodes.extend(made);
    }
    for (i, &o) in outputs.iter().enumerate() {
        let node = nodes[nodes.len() - 1 - usize::from(o) % nodes.len().min(3)];
        let _ = b.output(&format!("out{i}"), node);
    }
    match b.finish() {
        Ok(g) => g,
        Err(e) => panic!("a generated graph has outputs: {e}"),
    }
}

// ---------------------------------------------------------------------------------------
// Structural checks, each independent of the pass's internals.

fn check(graph: &Graph, s: &Schedule) -> Result<(), String> {
    check_names(s)?;
    check_coverage(graph, s)?;
    check_closure(graph, s)?;
    check_order(graph, s)?;
    check_outputs(graph, s)?;
    check_rows(graph, s)?;
    check_passes(graph, s)?;
    check_buffers(graph, s)?;
    check_liveness(graph, s)
}

fn is_input(graph: &Graph, n: NodeId) -> bool {
    matches!(graph.node(n).op, Op::Input { .. })
}

fn is_source(graph: &Graph, n: NodeId) -> bool {
    matches!(graph.node(n).op, Op::Const { .. } | Op::Iota { .. })
}

fn reduces(graph: &Graph, kernel: &KernelGroup) -> Vec<NodeId> {
    let is_reduce = |n: &&NodeId| matches!(graph.node(**n).op, Op::Reduce { .. });
    kernel.nodes.iter().filter(is_reduce).copied().collect()
}

/// Nodes some output depends on.
fn live(graph: &Graph) -> BTreeSet<NodeId> {
    let mut live = BTreeSet::new();
    let mut stack: Vec<NodeId> = graph.outputs().iter().map(|o| o.node).collect();
    while let Some(n) = stack.pop() {
        if live.insert(n) {
            stack.extend(graph.node(n).op.operands());
        }
    }
    live
}

/// Kernel `i` is called `k<i>_<something>` and names are unique.
fn check_names(s: &Schedule) -> Result<(), String> {
    for (i, k) in s.kernels.iter().enumerate() {
        if !k.name.starts_with(&format!("k{i}_")) {
            return Err(format!("kernel {i} is called {}", k.name));
        }
    }
    Ok(())
}

/// Every live non-source node is computed somewhere; dead nodes and inputs nowhere; a node
/// computed by several kernels has no reduce upstream of it in any of them.
fn check_coverage(graph: &Graph, s: &Schedule) -> Result<(), String> {
    let live = live(graph);
    let mut computed_by: BTreeMap<NodeId, Vec<usize>> = BTreeMap::new();
    for (k, kernel) in s.kernels.iter().enumerate() {
        for &n in &kernel.nodes {
            if !live.contains(&n) || is_input(graph, n) {
                return Err(format!(
                    "{} computes {n}, a dead node or input",
                    kernel.name
                ));
            }
            computed_by.entry(n).or_default().push(k);
        }
    }
    for &n in &live {
        if is_input(graph, n) || is_source(graph, n) {
            continue;
        }
        let kernels = computed_by.get(&n).cloned().unwrap_or_default();
        if kernels.is_empty() {
            return Err(format!("no kernel computes live node {n}"));
        }
        if kernels.len() > 1 {
            for &k in &kernels {
                if reduce_upstream(graph, &s.kernels[k], n) {
                    return Err(format!("{n} is recomputed but has a reduce upstream"));
                }
            }
        }
    }
    Ok(())
}

/// Whether `n` or an operand reached through nodes of the same kernel is a reduce.
fn reduce_upstream(graph: &Graph, kernel: &KernelGroup, n: NodeId) -> bool {
    let mut stack = vec![n];
    let mut seen = BTreeSet::new();
    while let Some(m) = stack.pop() {
        if !seen.insert(m) || !kernel.nodes.contains(&m) {
            continue;
        }
        if matches!(graph.node(m).op, Op::Reduce { .. }) {
            return true;
        }
        stack.extend(graph.node(m).op.operands());
    }
    false
}

/// Within a kernel: nodes in graph order; each operand is computed here or read; every read
/// is used; every write is computed here, or is an input copied by a kernel that reads it.
fn check_closure(graph: &Graph, s: &Schedule) -> Result<(), String> {
    for kernel in &s.kernels {
        let name = &kernel.name;
        if kernel.nodes.windows(2).any(|w| w[0] >= w[1]) {
            return Err(format!("{name}: nodes are not in graph order"));
        }
        let nodes: BTreeSet<NodeId> = kernel.nodes.iter().copied().collect();
        let reads: BTreeSet<NodeId> = kernel.reads.iter().copied().collect();
        let mut used = BTreeSet::new();
        for &n in &kernel.nodes {
            for operand in graph.node(n).op.operands() {
                if !nodes.contains(&operand) && !reads.contains(&operand) {
                    return Err(format!(
                        "{name}: {n} uses {operand}, neither computed nor read"
                    ));
                }
                used.insert(operand);
            }
        }
        for &w in &kernel.writes {
            let copied = is_input(graph, w) && reads.contains(&w);
            if !nodes.contains(&w) && !copied {
                return Err(format!("{name} writes {w} but does not compute it"));
            }
            used.insert(w);
        }
        if let Some(r) = reads
            .iter()
            .find(|r| !used.contains(r) || nodes.contains(r))
        {
            return Err(format!(
                "{name} reads {r} without using it, or also computes it"
            ));
        }
    }
    Ok(())
}

/// Every read is an input or written by an earlier kernel; each value has one writer.
fn check_order(graph: &Graph, s: &Schedule) -> Result<(), String> {
    let mut writer: BTreeMap<NodeId, usize> = BTreeMap::new();
    for (k, kernel) in s.kernels.iter().enumerate() {
        for &w in kernel.writes.iter().filter(|&&w| !is_input(graph, w)) {
            if writer.insert(w, k).is_some() {
                return Err(format!("{w} is written by two kernels"));
            }
        }
    }
    for (k, kernel) in s.kernels.iter().enumerate() {
        for &r in &kernel.reads {
            let ok = is_input(graph, r) || writer.get(&r).is_some_and(|&w| w < k);
            if !ok {
                return Err(format!("{} reads {r} before it is written", kernel.name));
            }
        }
    }
    Ok(())
}

/// Every output is written by some kernel into an output buffer of its name.
fn check_outputs(graph: &Graph, s: &Schedule) -> Result<(), String> {
    for output in graph.outputs() {
        if !s.kernels.iter().any(|k| k.writes.contains(&output.node)) {
            return Err(format!("output {} is never written", output.name));
        }
        let has_buffer = s
            .buffers
            .iter()
            .any(|b| b.role == BufferRole::Output(output.name.clone()) && b.holds == [output.node]);
        if !has_buffer {
            return Err(format!("output {} has no buffer of its own", output.name));
        }
    }
    Ok(())
}

/// The reductions of one kernel all work on the same rows: same result shape (kept axes)
/// and same number of elements reduced per row.
fn check_rows(graph: &Graph, s: &Schedule) -> Result<(), String> {
    for kernel in &s.kernels {
        let rows: BTreeSet<(Vec<usize>, usize)> = reduces(graph, kernel)
            .into_iter()
            .map(|r| {
                let out = graph.node(r).shape.clone();
                let input = match graph.node(r).op {
                    Op::Reduce { x, .. } => graph.node(x).shape.numel(),
                    _ => 0,
                };
                (out.to_vec(), input / out.numel().max(1))
            })
            .collect();
        if rows.len() > 1 {
            return Err(format!(
                "{} reduces over different rows: {rows:?}",
                kernel.name
            ));
        }
    }
    Ok(())
}

/// The cost model (issue 7): within a kernel, no reduction depends on more than one other
/// reduction chained before it, so each value is evaluated in at most two row loops plus
/// the store loop. Recomputed here by walking each kernel's nodes in graph order.
fn check_passes(graph: &Graph, s: &Schedule) -> Result<(), String> {
    for kernel in &s.kernels {
        let inside: BTreeSet<NodeId> = kernel.nodes.iter().copied().collect();
        let mut chained: BTreeMap<NodeId, usize> = BTreeMap::new();
        for &n in &kernel.nodes {
            let before = graph
                .node(n)
                .op
                .operands()
                .into_iter()
                .filter(|o| inside.contains(o) && !kernel.reads.contains(o))
                .map(|o| chained.get(&o).copied().unwrap_or(0))
                .max()
                .unwrap_or(0);
            let own = usize::from(matches!(graph.node(n).op, Op::Reduce { .. }));
            chained.insert(n, before + own);
            if before + own > 2 {
                return Err(format!(
                    "{} chains {} reductions at {n}",
                    kernel.name,
                    before + own
                ));
            }
        }
    }
    Ok(())
}

/// Buffer ids are positions; every stored value has a buffer of its dtype that is large
/// enough; inputs and outputs have their own; temporaries hold neither.
fn check_buffers(graph: &Graph, s: &Schedule) -> Result<(), String> {
    for (i, b) in s.buffers.iter().enumerate() {
        if b.id.0 != i {
            return Err(format!("buffer {i} has id {}", b.id));
        }
        for &v in &b.holds {
            let node = graph.node(v);
            if node.dtype != b.dtype || node.shape.numel() > b.elements {
                return Err(format!("{} cannot hold {v}", b.id));
            }
        }
    }
    for &input in graph.inputs() {
        let name = graph.input_name(input).to_string();
        let own = s
            .buffers
            .iter()
            .any(|b| b.role == BufferRole::Input(name.clone()));
        if !own || s.buffer_of(input).is_none() {
            return Err(format!("input {name} has no buffer"));
        }
    }
    let outputs: BTreeSet<NodeId> = graph.outputs().iter().map(|o| o.node).collect();
    for kernel in &s.kernels {
        for &w in &kernel.writes {
            if s.buffer_of(w).is_none() {
                return Err(format!("{} writes {w}, which has no buffer", kernel.name));
            }
        }
    }
    for b in s.buffers.iter().filter(|b| b.role == BufferRole::Temporary) {
        if b.holds
            .iter()
            .any(|v| outputs.contains(v) || is_input(graph, *v))
        {
            return Err(format!("temporary {} holds an input or output", b.id));
        }
    }
    Ok(())
}

/// Values sharing a buffer are never live at once. A value is live from the kernel that
/// writes it (before the first for an input) to the last kernel that reads it (after the
/// last for an output); a kernel that reads one value and writes another needs both.
fn check_liveness(graph: &Graph, s: &Schedule) -> Result<(), String> {
    let end = s.kernels.len() as i64;
    let outputs: BTreeSet<NodeId> = graph.outputs().iter().map(|o| o.node).collect();
    let interval = |v: NodeId| {
        let position = |f: &dyn Fn(&KernelGroup) -> bool| s.kernels.iter().position(f);
        let written = position(&|k| k.writes.contains(&v) && !is_input(graph, v));
        let start = written.map_or(-1, |w| w as i64);
        let read = s.kernels.iter().rposition(|k| k.reads.contains(&v));
        let last = read.map_or(start, |r| r as i64).max(start);
        let stop = if outputs.contains(&v) { end } else { last };
        (start, stop)
    };
    for b in &s.buffers {
        let spans: Vec<(NodeId, (i64, i64))> = b.holds.iter().map(|&v| (v, interval(v))).collect();
        for (i, (v, (s1, e1))) in spans.iter().enumerate() {
            for (w, (s2, e2)) in spans.iter().skip(i + 1) {
                if s1 <= e2 && s2 <= e1 {
                    return Err(format!("{v} and {w} share {} while both are live", b.id));
                }
            }
        }
    }
    Ok(())
}

/// Chains of softmaxes and layernorm+gelu blocks: one kernel per block, each with its two
/// reductions, and structurally sound (the checks above, pass bound included).
#[test]
fn chained_row_blocks_are_one_kernel_each() {
    let mut b = GraphBuilder::new("blocks");
    let mut h = b.input("x", DType::F32, &[4, 16]).unwrap();
    for _ in 0..6 {
        h = b.softmax(h, -1).unwrap();
        h = b.layernorm(h, None, None, 1e-5).unwrap();
        h = b.gelu(h).unwrap();
    }
    b.output("y", h).unwrap();
    let graph = b.finish().unwrap();
    let s = schedule(&graph).unwrap();
    check(&graph, &s).unwrap_or_else(|e| panic!("{e}\n{}", s.print(&graph)));
    assert_eq!(s.kernels.len(), 12, "{}", s.print(&graph));
    assert!(s.kernels.iter().all(|k| reduces(&graph, k).len() == 2));
}

/// 2,000 repetitions of a pattern whose first grouping has a cycle (a row sum feeds both a
/// reduction over the other axis and, through it, its own epilogue): the cycles are broken
/// (one per strongly connected component and round, so the rounds halve the cycles left),
/// the schedule is sound, and nothing recurses as deep as the kernel graph.
#[test]
fn many_cycles_in_a_deep_graph_are_all_broken() {
    let mut b = GraphBuilder::new("cycles");
    let mut x = b.input("x", DType::F32, &[4, 8]).unwrap();
    for _ in 0..2_000 {
        let v = b.reduce(ReduceOp::Sum, x, &[1]).unwrap();
        let a = b.unary(UnaryOp::Exp2, v).unwrap();
        let ra = b.reshape(a, &[4]).unwrap();
        let d = b.reduce(ReduceOp::Sum, ra, &[0]).unwrap();
        let rd = b.reshape(d, &[1, 1]).unwrap();
        let ed = b.expand(rd, &[4, 1]).unwrap();
        let y = b.binary(BinaryOp::Add, v, ed).unwrap();
        let wide = b.expand(y, &[4, 8]).unwrap();
        x = b.binary(BinaryOp::Sub, x, wide).unwrap();
    }
    b.output("y", x).unwrap();
    let graph = b.finish().unwrap();
    let s = schedule(&graph).unwrap();
    if let Err(e) = check(&graph, &s) {
        panic!("{e}");
    }
    assert!(s.kernels.len() >= 2 * 2_000);
}
