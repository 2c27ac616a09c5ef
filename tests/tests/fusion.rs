//! Fusion at scale (issue 7): the kernel IR of chained softmaxes and layernorm+gelu blocks
//! grows linearly with the chain, independent outputs share kernels, and graphs of
//! thousands of fused ops or outputs compile and compute what the reference interpreter
//! computes, within the normal (debug) test run.

use egpu_ir::interp;
use egpu_ir::{BinaryOp, DType, Graph, GraphBuilder, Scalar, Target, UnaryOp};
use egpu_passes::pipeline::{Compiled, PipelineOptions, Stage, compile};
use egpu_passes::plan::ReductionStrategy;
use egpu_passes::simplify::SimplifyOptions;
use egpu_tests::generated;
use egpu_tests::reference::{Verdict, check_program};

/// Compiles for sm_90; `simplify` off where a test asserts the schedule of the graph
/// exactly as built.
fn compile_with(graph: &Graph, simplify: bool) -> Compiled {
    let disabled = if simplify {
        vec![]
    } else {
        vec!["simplify".to_string()]
    };
    let options = PipelineOptions {
        target: Target::by_name("sm_90").expect("known target"),
        disabled,
        simplify: SimplifyOptions::default(),
    };
    compile(graph, &options).unwrap_or_else(|e| panic!("{}: {e}", graph.name()))
}

/// Runs the program on seeded inputs; every output must match the reference interpreter
/// within the error bounds of its computation ([`check_program`]).
fn assert_matches_reference(compiled: &Compiled, graph: &Graph) {
    let inputs = interp::random_inputs(graph, 11);
    let verdict = check_program(&compiled.program, graph, &compiled.target, &inputs)
        .unwrap_or_else(|e| panic!("{}: {e}", graph.name()));
    assert_eq!(verdict, Verdict::Agrees, "{}", graph.name());
}

fn kernel_lines(compiled: &Compiled) -> usize {
    compiled.stage_text(Stage::Kernels).lines().count()
}

/// `n` chained softmaxes on an input of shape `dims` (the scaling family of
/// `egpu_tests::generated`).
fn softmax_chain(n: usize, dims: &[usize]) -> Graph {
    generated::softmax_chain_with_dims(n, dims).unwrap_or_else(|e| panic!("softmax chain: {e}"))
}

/// `n` chained `gelu(layernorm(x))` blocks on an input of shape `dims`.
fn layernorm_gelu_chain(n: usize, dims: &[usize]) -> Graph {
    generated::layernorm_gelu_chain_with_dims(n, dims)
        .unwrap_or_else(|e| panic!("layernorm-gelu chain: {e}"))
}

/// Kernel IR lines at n, 2n and 4n blocks: each doubling at most 2.2 times the lines (a
/// quadratic kernel would give 4).
fn assert_linear(build: fn(usize, &[usize]) -> Graph) {
    let mut lines = Vec::new();
    for n in [10, 20, 40] {
        let graph = build(n, &[4, 32]);
        let compiled = compile_with(&graph, true);
        assert_matches_reference(&compiled, &graph);
        lines.push(kernel_lines(&compiled));
    }
    for pair in lines.windows(2) {
        let ratio = pair[1] as f64 / pair[0] as f64;
        assert!(ratio <= 2.2, "kernel lines at 10, 20, 40 blocks: {lines:?}");
    }
}

#[test]
fn kernel_ir_of_a_softmax_chain_grows_linearly() {
    assert_linear(softmax_chain);
}

#[test]
fn kernel_ir_of_a_layernorm_gelu_chain_grows_linearly() {
    assert_linear(layernorm_gelu_chain);
}

/// One softmax stays one kernel with both reductions (max, sum); a chain is cut between
/// softmaxes, one kernel each, not in the middle of one.
#[test]
fn a_softmax_chain_is_one_kernel_per_softmax() {
    let graph = softmax_chain(3, &[4, 32]);
    let compiled = compile_with(&graph, true);
    let names: Vec<&str> = compiled
        .schedule
        .kernels
        .iter()
        .map(|k| k.name.as_str())
        .collect();
    assert_eq!(names, ["k0_softmax", "k1_softmax", "k2_softmax"]);
    assert_matches_reference(&compiled, &graph);
}

/// Five integer outputs of one elementwise expression: one kernel writing all five (the
/// inputs are loaded by one kernel, not five).
#[test]
fn five_outputs_of_one_expression_are_one_kernel() {
    let mut b = GraphBuilder::new("five");
    let x = b.input("x", DType::I32, &[3, 50]).unwrap();
    let y = b.input("y", DType::I32, &[3, 50]).unwrap();
    let xy = b.binary(BinaryOp::Mul, x, y).unwrap();
    let e = b.binary(BinaryOp::Add, xy, x).unwrap();
    let ops = [
        BinaryOp::Add,
        BinaryOp::Sub,
        BinaryOp::Max,
        BinaryOp::Xor,
        BinaryOp::Min,
    ];
    for (i, op) in ops.into_iter().enumerate() {
        let o = b.binary(op, e, y).unwrap();
        b.output(&format!("o{i}"), o).unwrap();
    }
    let graph = b.finish().unwrap();
    for simplify in [false, true] {
        let compiled = compile_with(&graph, simplify);
        assert_eq!(compiled.kernel_count(), 1, "simplify {simplify}");
        assert_eq!(compiled.schedule.kernels[0].writes.len(), 5);
        assert_eq!(compiled.program.launches.len(), 1);
        assert_matches_reference(&compiled, &graph);
    }
}

#[test]
fn a_thousand_chained_softmaxes_compile_and_run() {
    let graph = softmax_chain(1000, &[2, 8]);
    let compiled = compile_with(&graph, true);
    assert_eq!(compiled.kernel_count(), 1000);
    assert_matches_reference(&compiled, &graph);
}

#[test]
fn a_thousand_layernorm_gelu_blocks_compile_and_run() {
    let graph = layernorm_gelu_chain(1000, &[2, 8]);
    let compiled = compile_with(&graph, true);
    assert_eq!(compiled.kernel_count(), 1000);
    assert_matches_reference(&compiled, &graph);
}

/// 10,000 outputs `x·i + x` of one input: horizontal fusion packs them eight to a kernel.
#[test]
fn ten_thousand_outputs_compile_and_run() {
    let mut b = GraphBuilder::new("outputs");
    let x = b.input("x", DType::F32, &[4]).unwrap();
    for i in 0..10_000 {
        let c = b
            .constant(Scalar::Float(i as f64), DType::F32, &[4])
            .unwrap();
        let m = b.binary(BinaryOp::Mul, x, c).unwrap();
        let y = b.binary(BinaryOp::Add, m, x).unwrap();
        b.output(&format!("y{i}"), y).unwrap();
    }
    let graph = b.finish().unwrap();
    let compiled = compile_with(&graph, true);
    assert_eq!(compiled.kernel_count(), 10_000 / 8);
    assert_matches_reference(&compiled, &graph);
}

/// A 100,000-op elementwise chain is one kernel (nothing in the schedule recurses).
#[test]
fn a_long_elementwise_chain_schedules_into_one_kernel() {
    let mut b = GraphBuilder::new("chain");
    let mut x = b.input("x", DType::F32, &[4]).unwrap();
    for i in 0..100_000 {
        let op = if i % 2 == 0 {
            UnaryOp::Neg
        } else {
            UnaryOp::Trunc
        };
        x = b.unary(op, x).unwrap();
    }
    b.output("y", x).unwrap();
    let graph = b.finish().unwrap();
    let s = egpu_passes::schedule::schedule(&graph).unwrap();
    assert_eq!(s.kernels.len(), 1);
    assert_eq!(s.kernels[0].nodes.len(), 100_000);
}

/// Independent row reductions and row-wise composites over the same rows (softmax,
/// layernorm, log_softmax, a sum and a max) share kernels, within the write bound, and
/// compute what the reference computes with every reduction strategy the targets choose
/// (rows of 256 get subgroup or workgroup reductions).
#[test]
fn independent_row_kernels_merge_and_stay_correct() {
    let mut b = GraphBuilder::new("row_kernels");
    let x = b.input("x", DType::F32, &[64, 256]).unwrap();
    let softmax = b.softmax(x, -1).unwrap();
    let norm = b.layernorm(x, None, None, 1e-5).unwrap();
    let log_softmax = b.log_softmax(x, -1).unwrap();
    let total = b.reduce(egpu_ir::ReduceOp::Sum, x, &[1]).unwrap();
    let top = b.reduce(egpu_ir::ReduceOp::Max, x, &[1]).unwrap();
    for (name, value) in [
        ("softmax", softmax),
        ("norm", norm),
        ("log_softmax", log_softmax),
        ("total", total),
        ("top", top),
    ] {
        b.output(name, value).unwrap();
    }
    let graph = b.finish().unwrap();
    for target in ["sm_90", "gfx1100"] {
        let options = PipelineOptions {
            target: Target::by_name(target).expect("known target"),
            disabled: vec![],
            simplify: SimplifyOptions::default(),
        };
        let compiled = compile(&graph, &options).unwrap();
        assert_eq!(
            compiled.kernel_count(),
            1,
            "{target}\n{}",
            compiled.stage_text(Stage::Schedule)
        );
        assert_ne!(compiled.plans[0].reduction, ReductionStrategy::PerLane);
        assert_matches_reference(&compiled, &graph);
    }
}

/// A 40-op chain ending in a bool mask feeds, through two different selects, reductions
/// over different rows in two kernels: the mask (the last value both need) is stored once,
/// as a bool temporary, instead of being recomputed by both, and the results still match
/// the reference.
#[test]
fn a_long_shared_chain_is_stored_once_and_stays_correct() {
    let mut b = GraphBuilder::new("shared_chain");
    let x = b.input("x", DType::F32, &[8, 16]).unwrap();
    let mut e = x;
    for _ in 0..40 {
        e = b.unary(UnaryOp::Sin, e).unwrap();
    }
    let zero = b
        .constant(Scalar::Float(0.0), DType::F32, &[8, 16])
        .unwrap();
    let mask = b.binary(BinaryOp::CmpLt, e, zero).unwrap();
    let below = b.where_(mask, x, zero).unwrap();
    let above = b.where_(mask, zero, x).unwrap();
    let down = b.reduce(egpu_ir::ReduceOp::Sum, below, &[0]).unwrap();
    let across = b.reduce(egpu_ir::ReduceOp::Max, above, &[1]).unwrap();
    b.output("down", down).unwrap();
    b.output("across", across).unwrap();
    let graph = b.finish().unwrap();
    let compiled = compile_with(&graph, false);
    let schedule = &compiled.schedule;
    let holds_mask = schedule
        .buffer_of(mask)
        .and_then(|id| schedule.buffers.get(id.0));
    assert!(
        holds_mask.is_some_and(|buffer| buffer.dtype == DType::Bool),
        "{}",
        compiled.stage_text(Stage::Schedule)
    );
    let computing = |n| {
        schedule
            .kernels
            .iter()
            .filter(|k| k.nodes.contains(&n))
            .count()
    };
    assert_eq!(computing(e), 1);
    assert_matches_reference(&compiled, &graph);
}
