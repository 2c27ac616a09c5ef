//! The lowering pass end to end: graph → schedule → kernels → kernel-IR interpreter, checked
//! against the reference interpreter on every example (with the default plan and every
//! strategy relevant to it) and on random graphs, plus determinism of the kernel text.
//!
//! Float reductions differ by design: the reference accumulates in f64 and rounds once, a
//! kernel rounds at every step in the dtype. Outputs are compared with a tolerance that
//! grows with the reduction length and the dtype's precision; integers and bools exactly;
//! NaN only where the reference is NaN (outputs start as NaN, so an element a kernel
//! forgets to write fails).
//!
//! Random graphs are compared more strictly: against the reference interpreter on the same
//! graph with every sum and product spelled out as a chain of elementwise ops (rounded at
//! each step, in the reference's order). A kernel that accumulates one element after the
//! other must then match bit for bit; one that combines lanes in a tree is compared
//! within a tolerance where that can only move a value a little, and not at all where it
//! may flip one (a comparison or an integer cast of a reordered sum).

use egpu_ir::interp::{Tensor, evaluate, random_inputs};
use egpu_ir::kernel::print;
use egpu_ir::{DType, Graph, GraphBuilder, NodeId, Op, ReduceOp, text};
use egpu_passes::lower::{lower, program};
use egpu_passes::plan::{KernelPlan, ReductionStrategy};
use egpu_passes::schedule::{Schedule, schedule};
use egpu_tests::compare::{compare_within, longest_reduction};
use egpu_tests::random_graph::{MAX_NUMEL, arb_graph};
use egpu_tests::{EXAMPLE_NAMES, example};
use proptest::prelude::*;
use std::collections::BTreeMap;

// ---------------------------------------------------------------------------------------
// Plans
// ---------------------------------------------------------------------------------------

fn has_reduction(graph: &Graph, s: &Schedule) -> bool {
    s.kernels.iter().any(|k| {
        k.nodes
            .iter()
            .any(|&n| matches!(graph.node(n).op, Op::Reduce { .. }))
    })
}

/// Named plan variants: the default, and each non-default choice that applies to the
/// schedule (reduction strategies only where there is a reduction). Sizes are kept small
/// where they do not change what is exercised: the kernel interpreter runs every lane.
fn variants(graph: &Graph, s: &Schedule) -> Vec<(&'static str, KernelPlan)> {
    let base = KernelPlan::default();
    let mut out = vec![
        ("default", base),
        (
            "vector4_unroll",
            KernelPlan {
                elements_per_lane: 4,
                vector_width: 4,
                unroll: true,
                ..base
            },
        ),
    ];
    if has_reduction(graph, s) {
        out.extend([
            (
                "subgroup",
                KernelPlan {
                    reduction: ReductionStrategy::Subgroup,
                    ..base
                },
            ),
            (
                "workgroup",
                KernelPlan {
                    reduction: ReductionStrategy::Workgroup,
                    workgroup_size: 64,
                    ..base
                },
            ),
        ]);
    } else {
        out.push((
            "elements8_vector2",
            KernelPlan {
                workgroup_size: 64,
                elements_per_lane: 8,
                vector_width: 2,
                ..base
            },
        ));
    }
    out
}

// ---------------------------------------------------------------------------------------
// Running and comparing
// ---------------------------------------------------------------------------------------

/// The program's outputs for `plan` on every kernel.
fn run(
    graph: &Graph,
    s: &Schedule,
    plan: KernelPlan,
    inputs: &BTreeMap<String, Tensor>,
) -> Result<Vec<(String, Tensor)>, String> {
    let plans = vec![plan; s.kernels.len()];
    let kernels = lower(graph, s, &plans).map_err(|e| e.to_string())?;
    let program = program(graph, s, kernels);
    program.run(inputs).map_err(|e| e.to_string())
}

/// The relative tolerance for a float dtype after reductions of `length` elements.
fn tolerance(dtype: DType, length: usize) -> f64 {
    let eps = match dtype {
        DType::F16 => 1e-3,
        DType::BF16 => 8e-3,
        DType::F32 => 1.2e-7,
        _ => 2.3e-16,
    };
    eps * 16.0 * (length.max(1) as f64).sqrt()
}

/// Runs `graph` with `plan` and compares with the reference on `seed`'s inputs.
fn check(graph: &Graph, s: &Schedule, plan: KernelPlan, seed: u64) -> Result<(), String> {
    let inputs = random_inputs(graph, seed);
    let want = evaluate(graph, &inputs).map_err(|e| format!("reference: {e}"))?;
    let got = run(graph, s, plan, &inputs)?;
    if want.len() != got.len() {
        return Err(format!("{} outputs, expected {}", got.len(), want.len()));
    }
    let length = longest_reduction(graph);
    for ((name, w), (_, g)) in want.iter().zip(&got) {
        compare(name, w, g, length)?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Examples
// ---------------------------------------------------------------------------------------

/// Every variant of `name` against the reference; all failures in one message.
fn check_example(name: &str) {
    let graph = example(name);
    let s = schedule(&graph).unwrap_or_else(|e| panic!("{name}: {e}"));
    let mut failures = Vec::new();
    for (variant, plan) in variants(&graph, &s) {
        if let Err(e) = check(&graph, &s, plan, 7) {
            failures.push(format!("{name} ({variant}): {e}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// One test per example, so that the harness runs them in parallel.
macro_rules! example_tests {
    ($($name:ident),* $(,)?) => {
        mod examples {
            $(
                #[test]
                fn $name() {
                    super::check_example(stringify!($name));
                }
            )*
        }
    };
}

example_tests!(
    add, gelu_chain, sum_rows, sum_all, softmax, layernorm, matmul_f32, matmul_f16, mlp, conv2d,
    attention,
);

#[test]
fn lowering_twice_gives_the_same_kernels() {
    for name in EXAMPLE_NAMES {
        let graph = example(name);
        let s = schedule(&graph).unwrap();
        for (variant, plan) in variants(&graph, &s) {
            let plans = vec![plan; s.kernels.len()];
            let text = || -> Vec<String> {
                let kernels = lower(&graph, &s, &plans).unwrap();
                kernels.iter().map(|k| print(&k.kernel)).collect()
            };
            assert_eq!(text(), text(), "{name} ({variant})");
        }
    }
}

/// Softmax with the default plan: one kernel, three passes over each row, and indices
/// with no division or remainder (the expanded max and sum are read at the row).
#[test]
fn softmax_kernel_is_one_loop_per_pass() {
    let graph = example("softmax");
    let s = schedule(&graph).unwrap();
    let kernels = lower(&graph, &s, &[KernelPlan::default()]).unwrap();
    assert_eq!(kernels.len(), 1);
    let text = print(&kernels[0].kernel);
    assert_eq!(text.matches("for ").count(), 3, "{text}");
    for op in [" idiv ", " mod ", " shr ", " and "] {
        assert!(!text.contains(op), "{op} in\n{text}");
    }
}

/// A row whose lanes each hold few elements is held in registers: with a subgroup of 32
/// lanes per row of 256, each lane loads its 8 elements once, and the second pass and the
/// full writes reuse them (no position loops, 8 loads of `x` instead of 3 × 8); the result
/// still matches the reference. A longer share per lane stays one loop per traversal.
#[test]
fn a_short_row_is_loaded_once_and_held_in_registers() {
    let graph = example("softmax");
    let s = schedule(&graph).unwrap();
    let held = KernelPlan {
        reduction: ReductionStrategy::Subgroup,
        ..KernelPlan::default()
    };
    let kernels = lower(&graph, &s, &[held]).unwrap();
    let text = print(&kernels[0].kernel);
    assert_eq!(text.matches("for ").count(), 0, "{text}");
    assert_eq!(text.matches("= load x[").count(), 8, "{text}");
    assert_eq!(text.matches("exp2").count(), 8, "{text}");
    check(&graph, &s, held, 3).unwrap();
    let looped = KernelPlan {
        workgroup_size: 64,
        subgroup_size: 8,
        ..held
    };
    let kernels = lower(&graph, &s, &[looped]).unwrap();
    let text = print(&kernels[0].kernel);
    assert_eq!(text.matches("= load x[").count(), 3, "{text}");
    check(&graph, &s, looped, 3).unwrap();
}

// ---------------------------------------------------------------------------------------
// Random graphs
// ---------------------------------------------------------------------------------------

/// `graph` with every sum and product over more than one element spelled out as a chain of
/// elementwise ops in the reference's order, `((x₀ ⊕ x₁) ⊕ x₂) ⊕ …`, each rounded to the
/// dtype (f32 for f16/bf16, cast back at the end): the reference interpreter then computes exactly what a kernel that accumulates one
/// element after the other in the dtype computes. Max and min are exact in any order and
/// stay as they are.
fn sequential(graph: &Graph) -> Graph {
    let mut b = GraphBuilder::new(graph.name());
    let mut map: Vec<NodeId> = Vec::with_capacity(graph.len());
    for (_, node) in graph.nodes() {
        let id = copy_node(&mut b, graph, node, &map).unwrap_or_else(|e| panic!("{e}"));
        map.push(id);
    }
    for o in graph.outputs() {
        b.output(&o.name, map[o.node.as_u32() as usize]).unwrap();
    }
    b.finish().unwrap()
}

fn copy_node(
    b: &mut GraphBuilder,
    graph: &Graph,
    node: &egpu_ir::Node,
    map: &[NodeId],
) -> Result<NodeId, egpu_ir::GraphError> {
    let m = |x: &NodeId| map[x.as_u32() as usize];
    let dims = node.shape.dims();
    match &node.op {
        Op::Input { name } => b.input(name, node.dtype, dims),
        Op::Const { value } => b.constant(*value, node.dtype, dims),
        Op::Iota { axis } => b.iota(node.dtype, dims, *axis),
        Op::Unary { op, x } => b.unary(*op, m(x)),
        Op::Cast { x } => b.cast(m(x), node.dtype),
        Op::Bitcast { x } => b.bitcast(m(x), node.dtype),
        Op::Binary { op, a, b: y } => b.binary(*op, m(a), m(y)),
        Op::Where { cond, a, b: y } => b.where_(m(cond), m(a), m(y)),
        Op::Reduce { op, x, axes } => {
            let input = graph.node(*x).shape.dims();
            let low_precision = matches!(node.dtype, DType::F16 | DType::BF16);
            match op {
                // Kernels accumulate f16/bf16 sums and products in f32, rounding once.
                ReduceOp::Sum | ReduceOp::Prod if low_precision => {
                    let wide = b.cast(m(x), DType::F32)?;
                    let r = chain(b, *op, wide, input, axes)?;
                    b.cast(r, node.dtype)
                }
                ReduceOp::Sum | ReduceOp::Prod => chain(b, *op, m(x), input, axes),
                _ => b.reduce(*op, m(x), axes),
            }
        }
        Op::Reshape { x } => b.reshape(m(x), dims),
        Op::Permute { x, perm } => b.permute(m(x), perm),
        Op::Expand { x } => b.expand(m(x), dims),
        Op::Pad { x, pads, value } => b.pad(m(x), pads, *value),
        Op::Shrink { x, ranges } => b.shrink(m(x), ranges),
        Op::Flip { x, axes } => b.flip(m(x), axes),
    }
}

/// `op` over `axes` of `x` one element at a time, in row-major order of the reduced axes.
fn chain(
    b: &mut GraphBuilder,
    op: ReduceOp,
    x: NodeId,
    input: &[usize],
    axes: &[usize],
) -> Result<NodeId, egpu_ir::GraphError> {
    let reduced: Vec<usize> = axes.iter().map(|&a| input[a]).collect();
    let length: usize = reduced.iter().product();
    if length == 0 {
        return b.reduce(op, x, axes);
    }
    let binary = match op {
        ReduceOp::Sum => egpu_ir::BinaryOp::Add,
        _ => egpu_ir::BinaryOp::Mul,
    };
    let mut acc = None;
    for p in 0..length {
        let at = egpu_ir::Shape::new(reduced.clone()).unwrap().unravel(p);
        let ranges: Vec<(usize, usize)> = (0..input.len())
            .map(|a| match axes.iter().position(|&r| r == a) {
                Some(k) => (at[k], at[k] + 1),
                None => (0, input[a]),
            })
            .collect();
        let element = b.shrink(x, &ranges)?;
        acc = Some(match acc {
            None => element,
            Some(a) => b.binary(binary, a, element)?,
        });
    }
    match acc {
        Some(a) => Ok(a),
        None => b.reduce(op, x, axes),
    }
}

/// How far a value can be from the sequential oracle when a kernel combines float sums
/// and products in another order (a tree): exact, close (continuous ops of such sums), or
/// unknown (a comparison, cast or truncation of one, which may flip).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Exactness {
    Exact,
    Close,
    Unknown,
}

fn exactness(graph: &Graph) -> Vec<Exactness> {
    let mut out: Vec<Exactness> = Vec::with_capacity(graph.len());
    for (_, node) in graph.nodes() {
        let from = node
            .op
            .operands()
            .iter()
            .map(|x| out[x.as_u32() as usize])
            .max()
            .unwrap_or(Exactness::Exact);
        let e = match &node.op {
            Op::Reduce {
                op: ReduceOp::Sum | ReduceOp::Prod,
                x,
                ..
            } if node.dtype.is_float() && graph.node(*x).shape.numel() > 2 * node.shape.numel() => {
                from.max(Exactness::Close)
            }
            Op::Unary {
                op: egpu_ir::UnaryOp::Trunc,
                ..
            }
            | Op::Cast { .. }
            | Op::Bitcast { .. }
            | Op::Binary { .. }
                if from == Exactness::Close && !continuous(&node.op, node.dtype) =>
            {
                Exactness::Unknown
            }
            _ => from,
        };
        out.push(e);
    }
    out
}

/// Float arithmetic whose result moves little when an operand moves little.
fn continuous(op: &Op, dtype: DType) -> bool {
    use egpu_ir::BinaryOp::*;
    match op {
        Op::Cast { .. } => dtype.is_float(),
        Op::Binary { op, .. } => matches!(op, Add | Sub | Mul | Div | Max | Min),
        _ => false,
    }
}

/// Compares with the sequential oracle: exactly for exact outputs, within tolerance for
/// close ones (both finite), not at all for unknown ones.
fn compare_random(
    graph: &Graph,
    want: &[(String, Tensor)],
    got: &[(String, Tensor)],
    exact_everywhere: bool,
) -> Result<(), String> {
    let e = exactness(graph);
    if want.len() != got.len() {
        return Err(format!("{} outputs, expected {}", got.len(), want.len()));
    }
    for ((o, (name, w)), (_, g)) in graph.outputs().iter().zip(want).zip(got) {
        let class = if exact_everywhere {
            Exactness::Exact
        } else {
            e[o.node.as_u32() as usize]
        };
        match class {
            Exactness::Exact if w.same(g) => {}
            Exactness::Exact => {
                let at = (0..w.numel())
                    .find(|&i| !w.get(i).same(&g.get(i)))
                    .unwrap_or(0);
                return Err(format!(
                    "{name}[{at}]: expected {}, got {} (exactly)",
                    w.get(at),
                    g.get(at)
                ));
            }
            Exactness::Close => {
                // Reordered sums of at most MAX_NUMEL elements; the margin covers the
                // continuous ops after them (none failed at 1x in thousands of cases).
                let tol = tolerance(w.dtype, MAX_NUMEL) * 16.0;
                for (i, (a, b)) in w.to_f64_vec().iter().zip(g.to_f64_vec()).enumerate() {
                    let finite = a.is_finite() && b.is_finite();
                    if finite && (a - b).abs() > tol * a.abs().max(1.0) {
                        return Err(format!("{name}[{i}]: expected {a:e}, got {b:e}"));
                    }
                }
            }
            Exactness::Unknown => {}
        }
    }
    Ok(())
}

/// The plan a case uses besides the default one.
fn other_plan(which: usize) -> KernelPlan {
    let base = KernelPlan::default();
    match which % 6 {
        0 => KernelPlan {
            reduction: ReductionStrategy::Subgroup,
            ..base
        },
        1 => KernelPlan {
            reduction: ReductionStrategy::Workgroup,
            workgroup_size: 64,
            ..base
        },
        2 => KernelPlan {
            elements_per_lane: 4,
            vector_width: 4,
            ..base
        },
        3 => KernelPlan {
            elements_per_lane: 8,
            vector_width: 2,
            unroll: true,
            workgroup_size: 32,
            ..base
        },
        4 => KernelPlan {
            reduction: ReductionStrategy::Subgroup,
            subgroup_size: 8,
            workgroup_size: 32,
            vector_width: 2,
            elements_per_lane: 2,
            ..base
        },
        _ => KernelPlan {
            reduction: ReductionStrategy::Workgroup,
            subgroup_size: 4,
            workgroup_size: 16,
            vector_width: 4,
            elements_per_lane: 4,
            unroll: true,
            ..base
        },
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 256,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    /// Random graphs through schedule → lower → program, with the default plan (compared
    /// exactly with the sequential oracle: it accumulates one element after the other) and
    /// one other plan chosen by the case (exactly where it also accumulates in order).
    #[test]
    fn random_graphs_match_the_reference(
        graph in arb_graph(),
        which in 0usize..6,
        seed in any::<u64>(),
    ) {
        let inputs = random_inputs(&graph, seed);
        // A division by zero makes the reference refuse the graph: nothing to compare.
        prop_assume!(evaluate(&graph, &inputs).is_ok());
        let oracle = sequential(&graph);
        let want = evaluate(&oracle, &inputs).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let s = schedule(&graph).map_err(|e| TestCaseError::fail(e.to_string()))?;
        for plan in [KernelPlan::default(), other_plan(which)] {
            let got = run(&graph, &s, plan, &inputs)
                .map_err(|e| TestCaseError::fail(format!("{plan:?}: {e}\n{}", text::print(&graph))))?;
            let in_order = plan.reduction == ReductionStrategy::PerLane;
            compare_random(&graph, &want, &got, in_order)
                .map_err(|e| TestCaseError::fail(format!("{plan:?}: {e}\n{}", text::print(&graph))))?;
        }
    }
}

/// Graphs of chained row reductions over one stage (softmax- and layernorm-like): row
/// statistics broadcast back over their rows, combined with full values and reduced
/// again, with outputs among both, so kernels have several passes and write row and full
/// values together.
fn arb_row_graph() -> impl Strategy<Value = Graph> {
    (
        0usize..4,
        0usize..3,
        any::<bool>(),
        prop::collection::vec((0u8..7, any::<u64>()), 4..16),
        prop::collection::vec(any::<u16>(), 0..=2),
    )
        .prop_map(|(shape, axes, int, steps, outputs)| {
            row_graph(shape, axes, int, &steps, &outputs)
        })
}

fn row_graph(shape: usize, axes: usize, int: bool, steps: &[(u8, u64)], outputs: &[u16]) -> Graph {
    const SHAPES: [&[usize]; 4] = [&[3, 5], &[2, 3, 4], &[4, 1, 6], &[9]];
    let dims = SHAPES[shape % 4];
    let rank = dims.len();
    let axes: Vec<usize> = match axes {
        0 => vec![rank - 1],
        1 => vec![0],
        _ => (0..rank).collect(),
    };
    let dtype = if int { DType::I32 } else { DType::F32 };
    let mut b = GraphBuilder::new("rows");
    let mut full = vec![
        b.input("x", dtype, dims).unwrap(),
        b.input("w", dtype, dims).unwrap(),
    ];
    let mut rows: Vec<NodeId> = Vec::new();
    let mut last = full[0];
    let binaries = [
        egpu_ir::BinaryOp::Add,
        egpu_ir::BinaryOp::Sub,
        egpu_ir::BinaryOp::Mul,
        egpu_ir::BinaryOp::Max,
    ];
    for &(kind, seed) in steps {
        // Mostly one of the latest values, so that chains grow long.
        let pick = |nodes: &[NodeId], k: u32| {
            let back = (seed >> k) as usize % nodes.len().min(3);
            nodes[nodes.len() - 1 - back]
        };
        let op = binaries[(seed >> 40) as usize % 4];
        let row = !rows.is_empty();
        let (node, is_row) = match kind {
            2 | 3 if row => (b.binary(op, pick(&full, 8), pick(&rows, 16)), false),
            4 if row => (b.binary(op, pick(&rows, 8), pick(&rows, 16)), true),
            5 => (b.binary(op, pick(&full, 8), pick(&full, 16)), false),
            6 => (b.unary(egpu_ir::UnaryOp::Neg, pick(&full, 8)), false),
            _ => {
                let reduce = [ReduceOp::Sum, ReduceOp::Max, ReduceOp::Min][seed as usize % 3];
                (b.reduce(reduce, pick(&full, 8), &axes), true)
            }
        };
        last = node.unwrap();
        if is_row {
            rows.push(last)
        } else {
            full.push(last)
        }
    }
    let all: Vec<NodeId> = full.iter().chain(&rows).copied().collect();
    b.output("last", last).unwrap();
    for (i, &o) in outputs.iter().enumerate() {
        b.output(
            &format!("out{i}"),
            all[all.len() - 1 - usize::from(o) % all.len()],
        )
        .unwrap();
    }
    b.finish().unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 128,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    /// Chained row reductions with the default plan and one other plan, as above.
    #[test]
    fn row_reduction_graphs_match_the_reference(
        graph in arb_row_graph(),
        which in 0usize..6,
        seed in any::<u64>(),
    ) {
        let inputs = random_inputs(&graph, seed);
        let want = evaluate(&sequential(&graph), &inputs)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        let s = schedule(&graph).map_err(|e| TestCaseError::fail(e.to_string()))?;
        for plan in [KernelPlan::default(), other_plan(which)] {
            let fail = |e: String| TestCaseError::fail(format!("{plan:?}: {e}\n{}", text::print(&graph)));
            let got = run(&graph, &s, plan, &inputs).map_err(fail)?;
            let in_order = plan.reduction == ReductionStrategy::PerLane;
            compare_random(&graph, &want, &got, in_order).map_err(fail)?;
        }
    }
}

/// f16 and bf16 sums accumulate in f32: a row of 4096 ones sums to 4096 with one lane per
/// row, where f16 accumulation would stall at 2048 (2048 + 1 rounds back to 2048).
#[test]
fn half_precision_sums_accumulate_in_f32() {
    for dtype in [DType::F16, DType::BF16] {
        let mut b = GraphBuilder::new("sum");
        let x = b.input("x", dtype, &[2, 4096]).unwrap();
        let y = b.reduce(ReduceOp::Sum, x, &[1]).unwrap();
        b.output("y", y).unwrap();
        let graph = b.finish().unwrap();
        let s = schedule(&graph).unwrap();
        let kernels = lower(&graph, &s, &[KernelPlan::default()]).unwrap();
        let printed = egpu_ir::kernel::print(&kernels[0].kernel);
        assert!(printed.contains("acc0: f32 = init"), "{printed}");
        let program = program(&graph, &s, kernels);
        let ones = Tensor::from_f64(dtype, &[2, 4096], &[1.0; 8192]).unwrap();
        let out = program
            .run(&BTreeMap::from([("x".to_string(), ones)]))
            .unwrap();
        assert_eq!(out[0].1.to_f64_vec(), vec![4096.0, 4096.0], "{dtype}");
    }
}

/// Compares one output within this file's tolerance for reductions of `length` terms.
fn compare(name: &str, want: &Tensor, got: &Tensor, length: usize) -> Result<(), String> {
    compare_within(name, want, got, tolerance(want.dtype, length))
}
