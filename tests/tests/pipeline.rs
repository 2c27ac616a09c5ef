//! The whole pass pipeline (simplify → schedule → optimize → lower) on every example and on
//! random graphs, for gfx1100 and sm_90: snapshots of every stage, kernel counts, and the
//! kernels' results on the kernel-IR interpreter against the reference interpreter.

use egpu_ir::interp;
use egpu_ir::{DType, Graph, GraphBuilder, Target, text};
use egpu_passes::pipeline::{Compiled, PipelineOptions, Stage, compile};
use egpu_passes::simplify::SimplifyOptions;
use egpu_tests::large_graph;
use egpu_tests::random_graph::arb_graph;
use egpu_tests::reference::{Verdict, check_program};
use egpu_tests::stage_text::{
    SNAPSHOT_TARGETS, assert_no_orphan_snapshots, compile_for_snapshots, kernels_by_target,
    shared_stages,
};
use egpu_tests::{EXAMPLE_NAMES, example_sources, examples};
use proptest::prelude::*;
use std::collections::BTreeMap;

/// The snapshot targets, used for the reference checks too.
const TARGETS: [&str; 2] = SNAPSHOT_TARGETS;

fn options(target: &str, disabled: &[&str]) -> PipelineOptions {
    PipelineOptions {
        target: Target::by_name(target).expect("known target"),
        disabled: disabled.iter().map(|s| s.to_string()).collect(),
        simplify: SimplifyOptions::default(),
    }
}

/// Runs the compiled program on seeded inputs and compares every output with the reference.
fn check_against_reference(compiled: &Compiled, graph: &Graph, seed: u64) -> Result<(), String> {
    check_with_inputs(compiled, graph, &interp::random_inputs(graph, seed))
}

/// The program must agree with the reference; inputs the reference refuses (a division by
/// zero) are a failure here, where the graphs and inputs are chosen by hand.
fn check_with_inputs(
    compiled: &Compiled,
    graph: &Graph,
    inputs: &BTreeMap<String, interp::Tensor>,
) -> Result<(), String> {
    match check_program(&compiled.program, graph, &compiled.target, inputs)? {
        Verdict::Agrees => Ok(()),
        Verdict::DivisionByZero => Err("the reference divides by zero".to_string()),
    }
}

/// Per example, two snapshots: `NAME_stages` (simplified graph and schedule, shared by the
/// targets) and `NAME_kernels` (plans, kernel IR and launches, targets with the same text in
/// one section). The graph stage is the example file itself, so it is asserted, not stored.
#[test]
fn every_stage_of_every_example_is_snapshotted() {
    for (name, source) in example_sources() {
        let per_target = compile_for_snapshots(&name, &source);
        let stages = shared_stages(&per_target).unwrap_or_else(|e| panic!("{name}: {e}"));
        insta::assert_snapshot!(format!("{name}_stages"), stages);
        insta::assert_snapshot!(format!("{name}_kernels"), kernels_by_target(&per_target));
    }
}

/// Every `pipeline__*.snap` file is one the test above writes, and no `examples__*.snap`
/// remains (the example files are their own record).
#[test]
fn no_orphan_snapshots() {
    assert_no_orphan_snapshots("pipeline", &EXAMPLE_NAMES, &["examples__"]);
}

#[test]
fn kernel_counts_after_the_whole_pipeline() {
    let at_most = |name: &str| match name {
        "sum_all" | "conv2d" => 2,
        "mlp" | "attention" => 3,
        _ => 1,
    };
    for (name, graph) in examples() {
        for target in TARGETS {
            let n = compile(&graph, &options(target, &[]))
                .unwrap()
                .kernel_count();
            assert!(
                n >= 1 && n <= at_most(&name),
                "{name} on {target}: {n} kernels"
            );
        }
    }
}

#[test]
fn examples_compute_what_the_reference_computes_on_both_targets() {
    for (name, graph) in examples() {
        for target in TARGETS {
            let compiled = compile(&graph, &options(target, &[])).unwrap();
            check_against_reference(&compiled, &graph, 3)
                .unwrap_or_else(|e| panic!("{name} on {target}: {e}"));
        }
    }
}

#[test]
fn compiling_is_deterministic() {
    for (name, graph) in examples() {
        let a = compile(&graph, &options("sm_90", &[]))
            .unwrap()
            .stage_text(Stage::Kernels);
        let b = compile(&graph, &options("sm_90", &[]))
            .unwrap()
            .stage_text(Stage::Kernels);
        assert_eq!(a, b, "{name}");
    }
}

#[test]
fn passes_can_be_disabled_for_bisecting() {
    let (_, graph) = examples()
        .into_iter()
        .find(|(n, _)| n == "layernorm")
        .unwrap();
    let plain = compile(&graph, &options("gfx1100", &["simplify", "optimize"])).unwrap();
    assert!(plain.simplify_report.is_none());
    assert_eq!(
        plain.stage_text(Stage::Simplified),
        plain.stage_text(Stage::Graph)
    );
    assert!(
        plain
            .plans
            .iter()
            .all(|p| p.vector_width == 1 && p.tiling.is_none())
    );
    check_against_reference(&plain, &graph, 5).unwrap();
    let full = compile(&graph, &options("gfx1100", &[])).unwrap();
    assert_ne!(
        full.stage_text(Stage::Simplified),
        full.stage_text(Stage::Graph),
        "layernorm simplifies"
    );
    let err = compile(&graph, &options("gfx1100", &["schedule"])).unwrap_err();
    assert!(err.to_string().contains("unknown pass 'schedule'"), "{err}");
}

/// 30 layers of matmul + bias + relu: the e-graph must stop within its limits and the
/// program must still compute the right thing.
#[test]
fn a_30_layer_mlp_compiles_within_limits_and_is_correct() {
    let mut b = GraphBuilder::new("mlp30");
    let mut h = b.input("x", DType::F32, &[16, 64]).unwrap();
    for layer in 0..30 {
        let w = b
            .input(&format!("w{layer}"), DType::F32, &[64, 64])
            .unwrap();
        let bias = b.input(&format!("b{layer}"), DType::F32, &[64]).unwrap();
        let m = b.matmul(h, w, None).unwrap();
        let a = b.binary(egpu_ir::BinaryOp::Add, m, bias).unwrap();
        h = b.relu(a).unwrap();
    }
    b.output("y", h).unwrap();
    let graph = b.finish().unwrap();
    let compiled = compile(&graph, &options("sm_90", &[])).unwrap();
    let report = compiled.simplify_report.as_ref().unwrap();
    assert!(
        report.egraph_nodes <= SimplifyOptions::default().node_limit + 1000,
        "{report}"
    );
    assert!(!report.stop_reason.is_empty());
    assert_eq!(compiled.kernel_count(), 30);
    // Weights scaled to [-1/8, 1/8) keep activations near 1 through 30 layers, so the f32
    // tolerance measures rounding, not growth.
    let mut inputs = interp::random_inputs(&graph, 7);
    for (name, tensor) in inputs.iter_mut() {
        if name.starts_with('w') {
            let scaled: Vec<f64> = tensor.to_f64_vec().iter().map(|v| v / 8.0).collect();
            *tensor = interp::Tensor::from_f64(DType::F32, &tensor.shape, &scaled).unwrap();
        }
    }
    check_with_inputs(&compiled, &graph, &inputs).unwrap();
}

/// The graphs of the `schedule_lower` fuzz target (1,000 to 4,000 nodes of elementwise
/// chains, reductions, movement ops and several outputs) on a few fixed byte strings: every
/// stage copes with them and the kernels compute what the reference computes.
#[test]
fn large_random_graphs_compute_what_the_reference_computes() {
    // The last two were found by the `schedule_lower` fuzz target: simplify once chose nodes
    // that formed a cycle.
    let found = include_bytes!("../../fuzz/regressions/schedule_lower/simplify_cycle.bin");
    // Found by the 5-minute run after the settle-order extraction: tree costs saturated at
    // u128::MAX and a tie chose a node reading its own class.
    let saturated =
        include_bytes!("../../fuzz/regressions/schedule_lower/saturated_cost_cycle.bin");
    let inputs: [&[u8]; 5] = [b"", b"\x07\x0f\xff\xffegpu", &[9; 300], found, saturated];
    for data in inputs {
        let graph = large_graph::build(data).unwrap();
        assert!(graph.len() >= large_graph::MIN_NODES, "{}", graph.len());
        assert!(!graph.outputs().is_empty());
        for target in TARGETS {
            let compiled = compile(&graph, &options(target, &[]))
                .unwrap_or_else(|e| panic!("{data:?} on {target}: {e}"));
            check_against_reference(&compiled, &graph, 1)
                .unwrap_or_else(|e| panic!("{data:?} on {target}: {e}"));
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    /// Inputs on which the reference divides by zero are rejected (proptest draws another
    /// case), so 200 cases are compared; every other disagreement fails.
    #[test]
    fn random_graphs_compute_what_the_reference_computes(graph in arb_graph(), seed in 0u64..1000) {
        let inputs = interp::random_inputs(&graph, seed);
        for target in TARGETS {
            let fail = |e: String| TestCaseError::fail(format!("{target}: {e}\n{}", text::print(&graph)));
            let compiled = compile(&graph, &options(target, &[])).map_err(|e| fail(e.to_string()))?;
            match check_program(&compiled.program, &graph, &compiled.target, &inputs).map_err(fail)? {
                Verdict::Agrees => {}
                Verdict::DivisionByZero => {
                    return Err(TestCaseError::reject("the reference divides by zero"));
                }
            }
        }
    }
}
