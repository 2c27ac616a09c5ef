//! The NVIDIA route end to end without a GPU: every example compiled for each NVIDIA target,
//! emitted as PTX, assembled by the resolved ptxas (the cubin travels with its PTX), and run
//! through `egpu::nvidia::run_on_device` and the runtime's `run_program` on the tests' PTX
//! interpreter as the device. The outputs must equal the kernel-IR interpreter's
//! (`Program::run`) bit for bit: the interpreter computes approximate instructions
//! correctly rounded, as the kernel-IR interpreter computes their ops.

use egpu::codegen_ptx::toolchain::{Assembler, Toolchain};
use egpu::nvidia::run_on_device;
use egpu_ir::Target;
use egpu_ir::interp;
use egpu_passes::pipeline::{PipelineOptions, compile};
use egpu_runtime::program::RunOptions;
use egpu_tests::ptx_sim::SimDevice;

fn options(target: Target) -> PipelineOptions {
    PipelineOptions {
        target,
        disabled: vec![],
        simplify: Default::default(),
    }
}

/// The toolchain of the tests: the oracle ptxas when there is one, else the driver-JIT
/// route (the PTX alone travels to the device).
fn toolchain() -> Toolchain {
    match egpu_tests::ptxas::find() {
        Some(path) => Toolchain::local(path, egpu::codegen_ptx::toolchain::HowFound::EnvVar),
        None => Toolchain {
            assembler: Assembler::DriverJit {
                why: "no ptxas in the test environment".into(),
            },
            limits: Default::default(),
        },
    }
}

fn run_examples(target: Target, toolchain: &Toolchain) {
    let mut failures = Vec::new();
    for (name, graph) in egpu_tests::examples() {
        let compiled = compile(&graph, &options(target)).unwrap();
        let inputs = interp::random_inputs(&graph, 7);
        let want = compiled.program.run(&inputs).unwrap();
        let mut device = SimDevice::new(target.name);
        let run = match run_on_device(
            &mut device,
            &compiled.program,
            &target,
            toolchain,
            &inputs,
            RunOptions::default(),
        ) {
            Ok(run) => run,
            Err(e) => {
                failures.push(format!("{name}: {e}"));
                continue;
            }
        };
        for ((out, got), (_, want)) in run.outputs.iter().zip(&want) {
            if !got.same(want) {
                failures.push(format!("{name}: output {out} differs from Program::run"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_example_runs_through_the_runtime_on_the_ptx_interpreter_sm_80() {
    run_examples(Target::SM_80, &toolchain());
}

#[test]
fn every_example_runs_through_the_runtime_on_the_ptx_interpreter_sm_90() {
    run_examples(Target::SM_90, &toolchain());
}

/// Without an assembler the device gets `Binary::Ptx` and the same results come back.
#[test]
fn the_driver_jit_route_gives_the_same_results() {
    let jit = Toolchain {
        assembler: Assembler::DriverJit { why: "test".into() },
        limits: Default::default(),
    };
    run_examples(Target::SM_86, &jit);
}
