//! The AMD path proven end to end without AMD hardware: every example and 200 random graphs
//! compiled for gfx1100 into one code object each, run by the strict RDNA3 emulator through
//! the runtime (`egpu::amd::run_on_device`), and compared with the graph reference
//! interpreter within each element's error bound on gfx1100 (the precision model), and with
//! the kernel-IR interpreter running the same kernels (`Program::run`) within twice that
//! bound (both are within it of the exact value; integer and bool outputs must be equal).

use egpu::amd::run_on_device;
use egpu_ir::interp::{self, EvalError, Reference, Tensor};
use egpu_ir::{Graph, Target};
use egpu_passes::pipeline::{PipelineOptions, compile};
use egpu_runtime::open_device;
use egpu_runtime::program::RunOptions;
use egpu_tests::random_graph;
use egpu_tests::reference::compare_outputs;
use std::collections::BTreeMap;

fn gfx1100() -> Target {
    Target::by_name("gfx1100").expect("gfx1100 is a target")
}

/// Compiles `graph`, runs it on the emulator with `inputs`, and compares with the reference.
fn check(graph: &Graph, inputs: &BTreeMap<String, Tensor>) -> Result<(), String> {
    let options = PipelineOptions {
        target: gfx1100(),
        disabled: vec![],
        simplify: Default::default(),
    };
    let compiled = compile(graph, &options).map_err(|e| format!("compile: {e}"))?;
    let expected = match interp::evaluate_with_bounds(graph, inputs, &gfx1100()) {
        Ok(e) => e,
        // Data divides by zero: nothing to compare (the pipeline tests cover that case).
        Err(EvalError::DivisionByZero { .. }) => return Ok(()),
        Err(e) => return Err(format!("reference: {e}")),
    };
    let mut device = open_device("emu").map_err(|e| format!("open emu: {e}"))?;
    let run = run_on_device(
        device.as_mut(),
        &compiled.program,
        &gfx1100(),
        inputs,
        RunOptions::default(),
    )
    .map_err(|e| format!("emu: {e}"))?;
    compare_outputs(&expected, &run.outputs)?;
    let kir = compiled
        .program
        .run(inputs)
        .map_err(|e| format!("kernel-IR interpreter: {e}"))?;
    let kir: Vec<Reference> = expected
        .iter()
        .zip(kir)
        .map(|(r, (name, value))| Reference {
            name,
            value,
            bound: r.bound.iter().map(|b| 2.0 * b).collect(),
        })
        .collect();
    compare_outputs(&kir, &run.outputs)
        .map_err(|e| format!("against the kernel-IR interpreter: {e}"))
}

#[test]
fn every_example_runs_on_the_emulator_as_the_reference_says() {
    let mut failures = Vec::new();
    for (name, graph) in egpu_tests::examples() {
        let inputs = interp::random_inputs(&graph, 7);
        if let Err(e) = check(&graph, &inputs) {
            failures.push(format!("{name}: {e}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn random_graphs_run_on_the_emulator_as_the_reference_says() {
    let mut failures = Vec::new();
    let graphs = random_graph::sample(200, 21);
    for (i, graph) in graphs.iter().enumerate() {
        let inputs = interp::random_inputs(graph, i as u64);
        if let Err(e) = check(graph, &inputs) {
            failures.push(format!("graph {i}: {e}\n{}", egpu_ir::text::print(graph)));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of 200 random graphs fail:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

/// The robustness issue's generated families at small tensor sizes: a 10,000-op fused
/// chain, 30 softmaxes in a row, 100 outputs, 100 independent branches, a 20-layer mlp.
#[test]
fn large_generated_graphs_run_on_the_emulator_as_the_reference_says() {
    let sizes = [
        ("chain", 10_000),
        ("softmax", 30),
        ("layernorm_gelu", 10),
        ("outputs", 100),
        ("branches", 100),
        ("mlp", 20),
    ];
    let mut failures = Vec::new();
    for (family, n) in sizes {
        let graph = egpu_tests::generated::family(family, n)
            .expect("a known family")
            .unwrap_or_else(|e| panic!("{family} {n}: {e}"));
        let inputs = interp::random_inputs(&graph, 3);
        if let Err(e) = check(&graph, &inputs) {
            failures.push(format!("{family} {n}: {e}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
