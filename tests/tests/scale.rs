//! Graphs far larger than the examples go through the whole pipeline and run on the
//! kernel-IR interpreter, in a debug build on the test harness's ordinary thread stack:
//! nothing on the way may recurse as deep as the graph. Every output is compared with the
//! reference interpreter.

use egpu_ir::interp;
use egpu_ir::{Graph, Target};
use egpu_passes::pipeline::{PipelineOptions, compile};
use egpu_tests::generated;
use egpu_tests::reference::{Verdict, check_program};
use std::time::Instant;

fn options(disabled: &[&str]) -> PipelineOptions {
    PipelineOptions {
        target: Target::by_name("gfx1100").expect("gfx1100 is a target"),
        disabled: disabled.iter().map(|s| s.to_string()).collect(),
        simplify: Default::default(),
    }
}

/// Compiles `graph` for gfx1100 (without the passes in `disabled`), runs it on seeded
/// inputs and compares every output with the reference interpreter ([`check_program`]).
fn compiles_and_matches(graph: &Graph, disabled: &[&str]) {
    let start = Instant::now();
    let compiled = compile(graph, &options(disabled)).unwrap_or_else(|e| panic!("{e}"));
    let compiled_at = start.elapsed();
    let inputs = interp::random_inputs(graph, 7);
    let verdict = check_program(&compiled.program, graph, &compiled.target, &inputs);
    eprintln!(
        "{}: {} nodes, {} kernels: compiled in {compiled_at:?} {:?}, ran in {:?}",
        graph.name(),
        graph.len(),
        compiled.kernel_count(),
        compiled.times,
        start.elapsed() - compiled_at
    );
    assert_eq!(verdict, Ok(Verdict::Agrees), "{}", graph.name());
}

#[test]
fn a_chain_of_100000_elementwise_ops_compiles_and_runs() {
    let graph = generated::elementwise_chain(100_000).unwrap_or_else(|e| panic!("{e}"));
    compiles_and_matches(&graph, &[]);
}

#[test]
fn ten_thousand_independent_branches_compile_and_run() {
    let graph = generated::branches(10_000).unwrap_or_else(|e| panic!("{e}"));
    compiles_and_matches(&graph, &[]);
}

/// Each reshape of a permuted value mixes the previous index into a quotient and a
/// remainder; without a bound the index expression doubles with every step.
#[test]
fn a_chain_of_6000_reshapes_and_permutes_compiles_and_runs() {
    let graph = generated::view_chain(3_000).unwrap_or_else(|e| panic!("{e}"));
    compiles_and_matches(&graph, &[]);
}

/// The same inside the row loop of a reduction kernel.
#[test]
fn a_reduction_over_a_long_view_chain_compiles_and_runs() {
    let mut g = egpu_ir::GraphBuilder::new("reduced_views");
    let x = g
        .input("x", egpu_ir::DType::F32, &[2, 3])
        .unwrap_or_else(|e| panic!("{e}"));
    let mut y = x;
    for _ in 0..500 {
        y = g.reshape(y, &[3, 2]).unwrap_or_else(|e| panic!("{e}"));
        y = g.permute(y, &[1, 0]).unwrap_or_else(|e| panic!("{e}"));
    }
    let m = g
        .binary(egpu_ir::BinaryOp::Mul, y, x)
        .unwrap_or_else(|e| panic!("{e}"));
    let s = g
        .reduce(egpu_ir::ReduceOp::Sum, m, &[1])
        .unwrap_or_else(|e| panic!("{e}"));
    g.output("s", s).unwrap_or_else(|e| panic!("{e}"));
    let graph = g.finish().unwrap_or_else(|e| panic!("{e}"));
    compiles_and_matches(&graph, &[]);
}

/// Every fused pad nests a conditional block in its kernel, so the schedule stores a value
/// every 16 pads; without that, 20,000 chained pads would nest 20,000 blocks deep. Each step
/// shifts the vector right, filling a new value, and every third step adds the input back,
/// so the result depends on the data of the last steps. Simplify is off, so no pad is
/// folded away first.
#[test]
fn a_chain_of_20000_pads_compiles_and_runs() {
    let mut g = egpu_ir::GraphBuilder::new("pads");
    let x = g
        .input("x", egpu_ir::DType::F32, &[4])
        .unwrap_or_else(|e| panic!("{e}"));
    let mut y = x;
    for i in 0..20_000 {
        let fill = egpu_ir::Scalar::Float((i % 7) as f64);
        let p = g.pad(y, &[(1, 0)], fill).unwrap_or_else(|e| panic!("{e}"));
        y = g.shrink(p, &[(0, 4)]).unwrap_or_else(|e| panic!("{e}"));
        if i % 3 == 0 {
            y = g
                .binary(egpu_ir::BinaryOp::Add, y, x)
                .unwrap_or_else(|e| panic!("{e}"));
        }
    }
    g.output("y", y).unwrap_or_else(|e| panic!("{e}"));
    let graph = g.finish().unwrap_or_else(|e| panic!("{e}"));
    compiles_and_matches(&graph, &["simplify"]);
}
