//! Our own RDNA3 code on the `emu` device: every example graph and random graphs compiled
//! for gfx1100 by the AMD backend (isel → regalloc → waitcnt → hazards → code object) run
//! on the strict emulator and must match the reference interpreter within each
//! computation's error bound. A graph the backend cannot compile yet is reported and
//! skipped; everything that compiles must run clean (no strict-check failure) and match.

use egpu_codegen_amdgpu::compile_program;
use egpu_ir::Graph;
use egpu_ir::{Target, interp};
use egpu_passes::pipeline::{PipelineOptions, compile};
use egpu_passes::simplify::SimplifyOptions;
use egpu_runtime::program::{RunOptions, run_program};
use egpu_runtime::{Binary, EmuDevice};
use egpu_tests::compare::check_outputs;
use egpu_tests::{examples, random_graph};

#[test]
fn examples_run_on_the_emulator_and_match_the_reference() {
    check_all(examples());
}

#[test]
fn random_graphs_run_on_the_emulator_and_match_the_reference() {
    let graphs = random_graph::sample(60, 11);
    check_all(
        graphs
            .into_iter()
            .enumerate()
            .map(|(i, g)| (format!("random {i}"), g))
            .collect(),
    );
}

/// Compiles and runs each graph; panics listing every failure.
fn check_all(graphs: Vec<(String, Graph)>) {
    let target = Target::by_name("gfx1100").expect("gfx1100 is a target");
    let options = PipelineOptions {
        target,
        disabled: Vec::new(),
        simplify: SimplifyOptions::default(),
    };
    let (mut ran, mut skipped, mut failures) = (0, Vec::new(), Vec::new());
    for (name, graph) in graphs {
        let program = match compile(&graph, &options) {
            Ok(c) => c.program,
            Err(e) => {
                failures.push(format!("{name}: pipeline: {e}"));
                continue;
            }
        };
        let code = match compile_program(&program, &target) {
            Ok((code, _)) => code,
            Err(e) => {
                skipped.push(format!("{name}: {e}"));
                continue;
            }
        };
        let binaries: Vec<Binary> = program
            .kernels
            .iter()
            .map(|_| Binary::CodeObject(code.clone()))
            .collect();
        let inputs = interp::random_inputs(&graph, 0);
        let mut dev = EmuDevice::new();
        match run_program(
            &mut dev,
            &program,
            &binaries,
            &inputs,
            RunOptions::default(),
        ) {
            Ok(run) => match check_outputs(&graph, &inputs, &run.outputs, &target) {
                Ok(()) => ran += 1,
                // The graph is undefined on these inputs (e.g. an integer division by zero).
                Err(e) if e.starts_with("reference:") => skipped.push(format!("{name}: {e}")),
                Err(e) => failures.push(format!("{name}: wrong result: {e}")),
            },
            Err(e) => failures.push(format!("{name}: {e}")),
        }
    }
    println!("{ran} graphs ran and matched; {} skipped:", skipped.len());
    for s in &skipped {
        println!("  skipped {s}");
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
