//! Unit tests of the realization, fusion and memory-plan rules on small built graphs. The
//! cross-crate tests (tests/tests/schedule.rs) check the examples and random graphs.

use super::*;
use egpu_ir::{BinaryOp, GraphBuilder, Op, ReduceOp, Scalar, UnaryOp, text};

fn example(name: &str) -> Graph {
    let path = format!("{}/../examples/{name}.egir", env!("CARGO_MANIFEST_DIR"));
    let source = std::fs::read_to_string(&path).unwrap();
    text::parse(&source).unwrap()
}

fn names(s: &Schedule) -> Vec<&str> {
    s.kernels.iter().map(|k| k.name.as_str()).collect()
}

fn temporaries(s: &Schedule) -> Vec<&Buffer> {
    let temporary = |b: &&Buffer| b.role == BufferRole::Temporary;
    s.buffers.iter().filter(temporary).collect()
}

/// Which kernels (by launch index) compute `node`.
fn computed_by(s: &Schedule, node: NodeId) -> Vec<usize> {
    let computes = |(_, k): &(usize, &KernelGroup)| k.nodes.contains(&node);
    s.kernels
        .iter()
        .enumerate()
        .filter(computes)
        .map(|(i, _)| i)
        .collect()
}

/// Row softmax of an f32[4, 8] input, returning the row max `m` and the result `y`.
fn softmax(b: &mut GraphBuilder, x: NodeId) -> (NodeId, NodeId) {
    let m = b.reduce(ReduceOp::Max, x, &[1]).unwrap();
    let me = b.expand(m, &[4, 8]).unwrap();
    let d = b.binary(BinaryOp::Sub, x, me).unwrap();
    let e = b.unary(UnaryOp::Exp2, d).unwrap();
    let s = b.reduce(ReduceOp::Sum, e, &[1]).unwrap();
    let se = b.expand(s, &[4, 8]).unwrap();
    (m, b.binary(BinaryOp::Div, e, se).unwrap())
}

fn input(b: &mut GraphBuilder, dims: &[usize]) -> NodeId {
    b.input("x", DType::F32, dims).unwrap()
}

#[test]
fn example_kernels_are_named_after_their_main_op() {
    let cases: [(&str, &[&str]); 7] = [
        ("add", &["k0_elementwise"]),
        ("softmax", &["k0_softmax"]),
        ("layernorm", &["k0_layernorm"]),
        ("sum_rows", &["k0_sum"]),
        ("conv2d", &["k0_conv"]),
        ("mlp", &["k0_matmul", "k1_matmul", "k2_log_softmax"]),
        ("attention", &["k0_matmul", "k1_softmax", "k2_matmul"]),
    ];
    for (name, kernels) in cases {
        let s = schedule(&example(name)).unwrap();
        assert_eq!(names(&s), kernels, "{name}");
    }
}

#[test]
fn softmax_keeps_its_rows_in_one_kernel_that_can_also_write_the_max() {
    let mut b = GraphBuilder::new("softmax");
    let x = input(&mut b, &[4, 8]);
    let (m, y) = softmax(&mut b, x);
    b.output("y", y).unwrap();
    b.output("m", m).unwrap();
    let g = b.finish().unwrap();
    let s = schedule(&g).unwrap();
    assert_eq!(names(&s), ["k0_softmax"]);
    assert_eq!(s.kernels[0].writes, [m, y]);
    assert!(temporaries(&s).is_empty());
}

#[test]
fn reductions_over_different_rows_are_split_by_a_temporary() {
    let mut b = GraphBuilder::new("rows_then_all");
    let x = input(&mut b, &[4, 8]);
    let s1 = b.reduce(ReduceOp::Sum, x, &[1]).unwrap();
    let r = b.reshape(s1, &[1, 4]).unwrap();
    let s2 = b.reduce(ReduceOp::Sum, r, &[1]).unwrap();
    b.output("y", s2).unwrap();
    let g = b.finish().unwrap();
    let s = schedule(&g).unwrap();
    assert_eq!(names(&s), ["k0_sum", "k1_sum"]);
    assert_eq!(s.kernels[0].writes, [s1]);
    assert_eq!(s.kernels[1].reads, [s1]);
    assert_eq!(
        s.kernels[1].nodes,
        [r, s2],
        "the reshape is a view of the read"
    );
    assert_eq!(temporaries(&s).len(), 1);
}

#[test]
fn a_reduction_used_by_two_outputs_is_computed_once() {
    let mut b = GraphBuilder::new("two_epilogues");
    let x = input(&mut b, &[4, 8]);
    let sum = b.reduce(ReduceOp::Sum, x, &[1]).unwrap();
    let y1 = b.unary(UnaryOp::Exp2, sum).unwrap();
    let y2 = b.unary(UnaryOp::Log2, sum).unwrap();
    b.output("y1", y1).unwrap();
    b.output("y2", y2).unwrap();
    let g = b.finish().unwrap();
    let s = schedule(&g).unwrap();
    assert_eq!(s.kernels.len(), 1);
    assert_eq!(s.kernels[0].writes, [y1, y2]);
    assert_eq!(computed_by(&s, sum), [0]);
}

#[test]
fn a_cheap_shared_value_is_recomputed_not_stored() {
    let mut b = GraphBuilder::new("two_reductions");
    let x = input(&mut b, &[4, 8]);
    let e = b.unary(UnaryOp::Exp2, x).unwrap();
    let y1 = b.reduce(ReduceOp::Sum, e, &[0]).unwrap();
    let y2 = b.reduce(ReduceOp::Max, e, &[1]).unwrap();
    b.output("y1", y1).unwrap();
    b.output("y2", y2).unwrap();
    let g = b.finish().unwrap();
    let s = schedule(&g).unwrap();
    assert_eq!(names(&s), ["k0_sum", "k1_max"]);
    assert_eq!(computed_by(&s, e), [0, 1]);
    assert_eq!(s.buffer_of(e), None);
    assert!(temporaries(&s).is_empty());
}

/// `a = exp2(v)` feeds a reduction over other rows whose result comes back into `y = v + …`:
/// merging the kernels of `a` and `y` (they share `v`) would make them wait on each other,
/// so `v` is stored instead.
#[test]
fn a_merge_that_would_cycle_stores_the_shared_value() {
    let mut b = GraphBuilder::new("cycle");
    let x = input(&mut b, &[4, 8]);
    let v = b.reduce(ReduceOp::Sum, x, &[1]).unwrap();
    let a = b.unary(UnaryOp::Exp2, v).unwrap();
    let ra = b.reshape(a, &[4]).unwrap();
    let d = b.reduce(ReduceOp::Sum, ra, &[0]).unwrap();
    let rd = b.reshape(d, &[1, 1]).unwrap();
    let ed = b.expand(rd, &[4, 1]).unwrap();
    let y = b.binary(BinaryOp::Add, v, ed).unwrap();
    b.output("y", y).unwrap();
    let g = b.finish().unwrap();
    let s = schedule(&g).unwrap();
    assert!(s.buffer_of(v).is_some(), "{}", s.print(&g));
    assert_eq!(s.kernels.len(), 3, "{}", s.print(&g));
    // Once `v` is a read, `a` is cheap again: recomputed where it is used, never stored.
    assert_eq!(s.buffer_of(a), None);
    let writer = |n: NodeId| s.kernels.iter().position(|k| k.writes.contains(&n));
    assert!(writer(v) < writer(d) && writer(d) < writer(y));
}

#[test]
fn an_input_returned_as_an_output_is_copied() {
    let mut b = GraphBuilder::new("identity");
    let x = input(&mut b, &[4]);
    let z = b.unary(UnaryOp::Exp2, x).unwrap();
    b.output("z", z).unwrap();
    b.output("y", x).unwrap();
    let g = b.finish().unwrap();
    let s = schedule(&g).unwrap();
    assert_eq!(names(&s), ["k0_copy", "k1_elementwise"]);
    let copy = &s.kernels[0];
    assert!(copy.nodes.is_empty());
    assert_eq!(
        (copy.reads.clone(), copy.writes.clone()),
        (vec![x], vec![x])
    );
    assert_eq!(s.buffers_of(x).len(), 2, "its input buffer and output y");
    assert!(s.print(&g).contains("nodes:  -"));
}

#[test]
fn a_constant_output_is_written_but_never_read() {
    let mut b = GraphBuilder::new("constant");
    let x = input(&mut b, &[4]);
    let c = b.constant(Scalar::Float(2.0), DType::F32, &[4]).unwrap();
    let y = b.binary(BinaryOp::Add, x, c).unwrap();
    b.output("c", c).unwrap();
    b.output("y", y).unwrap();
    let g = b.finish().unwrap();
    let s = schedule(&g).unwrap();
    // Both are elementwise over 4 elements and independent: one kernel writes both.
    assert_eq!(s.kernels.len(), 1);
    assert_eq!(s.kernels[0].writes, [c, y]);
    assert_eq!(computed_by(&s, c), [0]);
    assert!(s.kernels.iter().all(|k| !k.reads.contains(&c)));
}

#[test]
fn an_output_returned_twice_has_two_buffers_and_one_writer() {
    let mut b = GraphBuilder::new("twice");
    let x = input(&mut b, &[4]);
    let e = b.unary(UnaryOp::Exp2, x).unwrap();
    b.output("a", e).unwrap();
    b.output("b", e).unwrap();
    let g = b.finish().unwrap();
    let s = schedule(&g).unwrap();
    assert_eq!(s.kernels.len(), 1);
    assert_eq!(s.buffers_of(e), [BufferId(1), BufferId(2)]);
    assert_eq!(s.buffer_of(e), Some(BufferId(1)));
}

#[test]
fn an_elementwise_output_feeding_a_reduction_is_read_back() {
    let mut b = GraphBuilder::new("stored");
    let x = input(&mut b, &[4, 8]);
    let o = b.unary(UnaryOp::Exp2, x).unwrap();
    let y = b.reduce(ReduceOp::Sum, o, &[1]).unwrap();
    b.output("o", o).unwrap();
    b.output("y", y).unwrap();
    let g = b.finish().unwrap();
    let s = schedule(&g).unwrap();
    assert_eq!(names(&s), ["k0_elementwise", "k1_sum"]);
    assert_eq!(s.kernels[1].reads, [o]);
    assert_eq!(computed_by(&s, o), [0]);
}

#[test]
fn a_reduction_result_that_is_permuted_is_stored_first() {
    let mut b = GraphBuilder::new("permuted");
    let x = input(&mut b, &[4, 8]);
    let sum = b.reduce(ReduceOp::Sum, x, &[1]).unwrap();
    let p = b.permute(sum, &[1, 0]).unwrap();
    let y = b.unary(UnaryOp::Neg, p).unwrap();
    b.output("y", y).unwrap();
    let g = b.finish().unwrap();
    let s = schedule(&g).unwrap();
    assert_eq!(names(&s), ["k0_sum", "k1_elementwise"]);
    assert_eq!(s.kernels[1].nodes, [p, y]);
}

#[test]
fn a_row_statistic_expanded_along_other_axes_is_stored_first() {
    let mut b = GraphBuilder::new("broadcast");
    let x = input(&mut b, &[4, 8]);
    let sum = b.reduce(ReduceOp::Sum, x, &[1]).unwrap();
    let wide = b.expand(sum, &[4, 5]).unwrap();
    let y = b.unary(UnaryOp::Neg, wide).unwrap();
    b.output("y", y).unwrap();
    let g = b.finish().unwrap();
    let s = schedule(&g).unwrap();
    assert_eq!(s.kernels.len(), 2);
    assert_eq!(s.kernels[0].writes, [sum]);
}

#[test]
fn dead_nodes_are_not_scheduled() {
    let mut b = GraphBuilder::new("dead");
    let x = input(&mut b, &[4, 8]);
    let dead = b.reduce(ReduceOp::Sum, x, &[0]).unwrap();
    let y = b.unary(UnaryOp::Neg, x).unwrap();
    b.output("y", y).unwrap();
    let g = b.finish().unwrap();
    let s = schedule(&g).unwrap();
    assert_eq!(s.kernels.len(), 1);
    assert!(computed_by(&s, dead).is_empty());
}

/// Sums over axes 3, 2, 1, 0 in turn, casting the second result to `middle`: the third
/// temporary may take the first one's buffer only when their dtypes agree.
fn chain(middle: DType) -> Schedule {
    let mut b = GraphBuilder::new("chain");
    let x = input(&mut b, &[8, 8, 8, 8]);
    let s1 = b.reduce(ReduceOp::Sum, x, &[3]).unwrap();
    let s2 = b.reduce(ReduceOp::Sum, s1, &[2]).unwrap();
    let c = b.cast(s2, middle).unwrap();
    let s3 = b.reduce(ReduceOp::Sum, c, &[1]).unwrap();
    let y = b.reduce(ReduceOp::Sum, s3, &[0]).unwrap();
    b.output("y", y).unwrap();
    schedule(&b.finish().unwrap()).unwrap()
}

#[test]
fn a_dead_temporary_is_reused_by_a_later_one_of_its_dtype() {
    let same = chain(DType::F32);
    assert_eq!(same.kernels.len(), 4);
    let t = temporaries(&same);
    assert_eq!(t.len(), 2);
    assert_eq!((t[0].elements, t[0].holds.len()), (512, 2));
    let other = chain(DType::F64);
    assert_eq!(temporaries(&other).len(), 3);
}

#[test]
fn ready_kernels_launch_in_node_order() {
    let mut b = GraphBuilder::new("independent");
    let x = input(&mut b, &[4, 8]);
    let y2 = b.reduce(ReduceOp::Max, x, &[1]).unwrap();
    let y1 = b.reduce(ReduceOp::Sum, x, &[0]).unwrap();
    b.output("y1", y1).unwrap();
    b.output("y2", y2).unwrap();
    let g = b.finish().unwrap();
    let s = schedule(&g).unwrap();
    assert_eq!(s.kernels[0].writes, [y2]);
    assert_eq!(s.kernels[1].writes, [y1]);
}

#[test]
fn the_plan_prints_kernels_then_buffers() {
    let g = example("softmax");
    let text = schedule(&g).unwrap().print(&g);
    let expected = "\
schedule softmax: 1 kernel, 2 buffers

k0_softmax: 9 nodes, max, sum over 64 rows of 256
  nodes:  t1 t2 t3 t4 t5 t6 t7 t8 y
  reads:  x (b0)
  writes: y (b1)

buffers:
  b0  input x   f32 x 16384  x (in..k0)
  b1  output y  f32 x 16384  y (k0..end)
";
    assert_eq!(text, expected);
}

/// The builder's own composites, not just the stored examples: an f16 matmul with its
/// cast back to f16 is one kernel; a layernorm with weight and bias and a log_softmax of
/// the same rows are one kernel each, and being independent, share one.
#[test]
fn composites_are_one_kernel_each() {
    let mut b = GraphBuilder::new("f16");
    let a = b.input("a", DType::F16, &[8, 16]).unwrap();
    let w = b.input("w", DType::F16, &[16, 4]).unwrap();
    let c = b.matmul(a, w, None).unwrap();
    b.output("c", c).unwrap();
    let s = schedule(&b.finish().unwrap()).unwrap();
    assert_eq!(names(&s), ["k0_matmul"]);

    let mut b = GraphBuilder::new("norms");
    let x = input(&mut b, &[4, 8]);
    let w = b.input("w", DType::F32, &[8]).unwrap();
    let y = b.layernorm(x, Some(w), Some(w), 1e-5).unwrap();
    let z = b.log_softmax(x, -1).unwrap();
    b.output("y", y).unwrap();
    b.output("z", z).unwrap();
    let g = b.finish().unwrap();
    let s = schedule(&g).unwrap();
    assert_eq!(s.kernels.len(), 1, "{}", s.print(&g));
    assert_eq!(s.kernels[0].writes, [y, z]);
    assert_eq!(reduces(&g, &s.kernels[0]), 4);

    let mut b = GraphBuilder::new("norm");
    let x = input(&mut b, &[4, 8]);
    let y = b.log_softmax(x, -1).unwrap();
    b.output("y", y).unwrap();
    assert_eq!(
        names(&schedule(&b.finish().unwrap()).unwrap()),
        ["k0_log_softmax"]
    );
}

fn reduces(g: &Graph, k: &KernelGroup) -> usize {
    let is_reduce = |n: &&NodeId| matches!(g.node(**n).op, Op::Reduce { .. });
    k.nodes.iter().filter(is_reduce).count()
}

/// A third reduction chained on the same rows would re-evaluate the first two passes'
/// operands once more: the value it reduces (the softmax's result) is stored, and the sum
/// starts a kernel of its own.
#[test]
fn a_third_chained_pass_reads_its_operand_from_memory() {
    let mut b = GraphBuilder::new("softmax_sum");
    let x = input(&mut b, &[4, 8]);
    let (_, y) = softmax(&mut b, x);
    let total = b.reduce(ReduceOp::Sum, y, &[1]).unwrap();
    b.output("total", total).unwrap();
    let g = b.finish().unwrap();
    let s = schedule(&g).unwrap();
    assert_eq!(names(&s), ["k0_softmax", "k1_sum"], "{}", s.print(&g));
    assert_eq!(s.kernels[0].writes, [y]);
    assert_eq!(s.kernels[1].reads, [y]);
}

/// Softmax after softmax: each is one kernel of two passes, the first one's result stored
/// between them (not three passes and a cut in the middle of the second).
#[test]
fn chained_softmaxes_are_cut_between_softmaxes() {
    let mut b = GraphBuilder::new("softmax2");
    let x = input(&mut b, &[4, 8]);
    let (m1, y1) = softmax(&mut b, x);
    let (m2, y2) = softmax(&mut b, y1);
    b.output("y", y2).unwrap();
    let g = b.finish().unwrap();
    let s = schedule(&g).unwrap();
    assert_eq!(names(&s), ["k0_softmax", "k1_softmax"], "{}", s.print(&g));
    assert_eq!(computed_by(&s, m1), [0]);
    assert_eq!(computed_by(&s, m2), [1]);
    assert_eq!(s.kernels[0].writes, [y1]);
}

fn elementwise_outputs(n: usize) -> (Graph, Vec<NodeId>) {
    let mut b = GraphBuilder::new("outputs");
    let x = input(&mut b, &[4, 8]);
    let mut outs = Vec::new();
    for i in 0..n {
        let c = b
            .constant(Scalar::Float(i as f64), DType::F32, &[4, 8])
            .unwrap();
        let y = b.binary(BinaryOp::Mul, x, c).unwrap();
        b.output(&format!("y{i}"), y).unwrap();
        outs.push(y);
    }
    (b.finish().unwrap(), outs)
}

#[test]
fn independent_outputs_share_kernels_up_to_the_write_bound() {
    let (g, outs) = elementwise_outputs(20);
    let s = schedule(&g).unwrap();
    let writes: Vec<usize> = s.kernels.iter().map(|k| k.writes.len()).collect();
    assert_eq!(writes, [8, 8, 4]);
    let all: Vec<NodeId> = s.kernels.iter().flat_map(|k| k.writes.clone()).collect();
    assert_eq!(all, outs);
    assert!(s.kernels.iter().all(|k| k.reads.len() == 1));
}

/// Two reductions over the same rows in different outputs: one kernel, one pass.
#[test]
fn independent_reductions_of_the_same_rows_share_a_kernel() {
    let mut b = GraphBuilder::new("stats");
    let x = input(&mut b, &[4, 8]);
    let lo = b.reduce(ReduceOp::Min, x, &[1]).unwrap();
    let hi = b.reduce(ReduceOp::Max, x, &[1]).unwrap();
    b.output("lo", lo).unwrap();
    b.output("hi", hi).unwrap();
    let g = b.finish().unwrap();
    let s = schedule(&g).unwrap();
    assert_eq!(names(&s), ["k0_min_max"], "{}", s.print(&g));
    assert_eq!(s.kernels[0].writes, [lo, hi]);
}

/// `y = exp2(x)` (over 32 elements) and `z = neg(sum(x))` broadcast back to 32 elements
/// have the same space, but `z` waits for the sum's kernel: only kernels that wait for
/// the same depth of others merge, so `y` and `z` stay apart and the order stays valid.
#[test]
fn kernels_at_different_depths_do_not_merge() {
    let mut b = GraphBuilder::new("depths");
    let x = input(&mut b, &[4, 8]);
    let y = b.unary(UnaryOp::Exp2, x).unwrap();
    let total = b.reduce(ReduceOp::Sum, x, &[0, 1]).unwrap();
    let wide = b.expand(total, &[4, 8]).unwrap();
    let z = b.unary(UnaryOp::Neg, wide).unwrap();
    b.output("y", y).unwrap();
    b.output("z", z).unwrap();
    let g = b.finish().unwrap();
    let s = schedule(&g).unwrap();
    let writer = |n: NodeId| s.kernels.iter().position(|k| k.writes.contains(&n));
    assert_ne!(writer(y), writer(z), "{}", s.print(&g));
    assert!(writer(total) < writer(z));
}

/// A 40-op chain feeding two reductions over different rows would be computed by both
/// kernels; it is stored once instead. A short one is still recomputed (see
/// `a_cheap_shared_value_is_recomputed_not_stored`).
#[test]
fn a_long_shared_elementwise_chain_is_stored_once() {
    let mut b = GraphBuilder::new("shared_chain");
    let x = input(&mut b, &[4, 8]);
    let mut e = x;
    let mut chain = Vec::new();
    for _ in 0..40 {
        e = b.unary(UnaryOp::Sin, e).unwrap();
        chain.push(e);
    }
    let y1 = b.reduce(ReduceOp::Sum, e, &[0]).unwrap();
    let y2 = b.reduce(ReduceOp::Max, e, &[1]).unwrap();
    b.output("y1", y1).unwrap();
    b.output("y2", y2).unwrap();
    let g = b.finish().unwrap();
    let s = schedule(&g).unwrap();
    assert!(s.buffer_of(e).is_some(), "{}", s.print(&g));
    for &n in &chain {
        assert_eq!(computed_by(&s, n).len(), 1, "{n}\n{}", s.print(&g));
    }
}

/// Every walk of the schedule is iterative: a 100,000-node chain of softmax-like row
/// stages and elementwise ops schedules without overflowing the (debug) test stack.
#[test]
fn a_deep_graph_schedules_without_recursion() {
    let mut b = GraphBuilder::new("deep");
    let mut x = input(&mut b, &[4, 8]);
    for i in 0..75_000 {
        x = match i % 5 {
            0 => {
                let m = b.reduce(ReduceOp::Max, x, &[1]).unwrap();
                let me = b.expand(m, &[4, 8]).unwrap();
                b.binary(BinaryOp::Sub, x, me).unwrap()
            }
            _ => b.unary(UnaryOp::Neg, x).unwrap(),
        };
    }
    b.output("y", x).unwrap();
    let g = b.finish().unwrap();
    assert!(g.len() > 100_000);
    let s = schedule(&g).unwrap();
    // 15,000 max stages; two chained per kernel.
    assert_eq!(s.kernels.len(), 7_500);
}

/// `n` times `x = shrink(pad(x, [[1, 0]]), [[0, 4]])` on an f32[4] input; the pads in order.
fn pad_chain(n: usize) -> (Graph, Vec<NodeId>) {
    let mut b = GraphBuilder::new("pads");
    let mut x = input(&mut b, &[4]);
    let mut pads = Vec::new();
    for _ in 0..n {
        let p = b.pad(x, &[(1, 0)], Scalar::Float(1.0)).unwrap();
        x = b.shrink(p, &[(0, 4)]).unwrap();
        pads.push(p);
    }
    b.output("y", x).unwrap();
    (b.finish().unwrap(), pads)
}

/// The deepest chain of pads within one kernel: pads on one path of its nodes, counted
/// from the kernel's own nodes (its reads start at depth 0).
fn nested_pads(g: &Graph, k: &KernelGroup) -> usize {
    let mut depth: BTreeMap<NodeId, usize> = BTreeMap::new();
    for &n in &k.nodes {
        let op = &g.node(n).op;
        let operands = op.operands();
        let inner = operands.iter().filter_map(|o| depth.get(o)).max();
        let own = usize::from(matches!(op, Op::Pad { .. }));
        depth.insert(n, inner.copied().unwrap_or(0) + own);
    }
    depth.values().copied().max().unwrap_or(0)
}

/// Each fused pad nests a conditional block in its kernel: 40 chained pads become kernels
/// of 16, 16 and 8 pads, each reading the previous one's last value; 16 stay one kernel.
#[test]
fn a_long_chain_of_pads_is_cut_every_sixteen_pads() {
    let (g, _) = pad_chain(16);
    let s = schedule(&g).unwrap();
    assert_eq!(s.kernels.len(), 1, "{}", s.print(&g));
    assert_eq!(nested_pads(&g, &s.kernels[0]), 16);

    let (g, pads) = pad_chain(40);
    let s = schedule(&g).unwrap();
    let depths: Vec<usize> = s.kernels.iter().map(|k| nested_pads(&g, k)).collect();
    assert_eq!(depths, [16, 16, 8], "{}", s.print(&g));
    for &p in &pads {
        assert_eq!(computed_by(&s, p).len(), 1, "{p}\n{}", s.print(&g));
    }
    // The 17th pad's kernel loads the 16th pad's shrink, written by the first kernel.
    let shrink16 = g.node(pads[16]).op.operands()[0];
    assert_eq!(s.kernels[0].writes, [shrink16]);
    assert_eq!(s.kernels[1].reads, [shrink16]);
}

/// Two chains of 10 pads joined by an add, then 10 more pads: the add sits under 10 pads
/// (the deeper operand, not the sum of both), so the 7th pad after it would nest 17 deep.
/// The value it pads is stored, and the last 4 pads start a kernel of their own.
#[test]
fn pads_after_a_join_count_the_deepest_operand() {
    let mut b = GraphBuilder::new("joined_pads");
    let x = input(&mut b, &[4]);
    let chain = |b: &mut GraphBuilder, mut v: NodeId, n: usize| {
        let mut values = Vec::new();
        for _ in 0..n {
            let p = b.pad(v, &[(0, 1)], Scalar::Float(2.0)).unwrap();
            v = b.shrink(p, &[(1, 5)]).unwrap();
            values.push(v);
        }
        values
    };
    let a = chain(&mut b, x, 10);
    let c = chain(&mut b, x, 10);
    let sum = b.binary(BinaryOp::Add, a[9], c[9]).unwrap();
    let after = chain(&mut b, sum, 10);
    b.output("y", after[9]).unwrap();
    let g = b.finish().unwrap();
    let s = schedule(&g).unwrap();
    let depths: Vec<usize> = s.kernels.iter().map(|k| nested_pads(&g, k)).collect();
    assert_eq!(depths, [16, 4], "{}", s.print(&g));
    assert_eq!(s.kernels[0].writes, [after[5]]);
    assert_eq!(computed_by(&s, sum), [0]);
}

#[test]
fn a_softmax_kernel_carries_its_stage_and_each_nodes_state() {
    let mut b = GraphBuilder::new("softmax");
    let x = input(&mut b, &[4, 8]);
    let (m, y) = softmax(&mut b, x);
    b.output("y", y).unwrap();
    let g = b.finish().unwrap();
    let s = schedule(&g).unwrap();
    let [k] = s.kernels.as_slice() else {
        panic!("{:?}", names(&s));
    };
    let sigma = ReductionStage {
        input: vec![4, 8],
        axes: vec![1],
    };
    assert_eq!(k.stage.as_ref(), Some(&sigma));
    assert_eq!(sigma.output(), [4, 1]);
    assert_eq!(k.states.len(), k.nodes.len());
    let of = |n: NodeId| k.nodes.iter().position(|&m| m == n).map(|i| k.states[i]);
    let node = |state, level| Some(NodeFusion { state, level });
    // max is the first pass's row value, the sum (over exp of the broadcast max) the second.
    assert_eq!(of(m), node(FusionState::Row, 1));
    let sum = g.nodes().find_map(|(id, n)| match n.op {
        Op::Reduce {
            op: ReduceOp::Sum, ..
        } => Some(id),
        _ => None,
    });
    assert_eq!(of(sum.unwrap()), node(FusionState::Row, 2));
    assert_eq!(of(y), node(FusionState::Full, 2));
    // The input is loaded, not computed; nothing of the kernel is plain but its constants.
    assert_eq!(of(x), None);
    assert!(k.contraction.is_none());
}

#[test]
fn an_elementwise_kernel_has_no_stage_and_only_plain_nodes() {
    let s = schedule(&example("add")).unwrap();
    for k in &s.kernels {
        assert_eq!(k.stage, None, "{}", k.name);
        let plain = NodeFusion {
            state: FusionState::Plain,
            level: 0,
        };
        assert!(k.states.iter().all(|&n| n == plain), "{}", k.name);
    }
}

#[test]
fn a_matmul_kernel_carries_its_contraction() {
    let s = schedule(&example("mlp")).unwrap();
    let tiled: Vec<bool> = s.kernels.iter().map(|k| k.contraction.is_some()).collect();
    assert_eq!(tiled, [true, true, false], "{:?}", names(&s));
}
