//! The cpu device driven through the `Device` trait (`run_program`: byte buffers,
//! allocation, upload, launches, download) gives exactly what `Program::run` gives — the
//! kernel-IR interpreter's own whole-program executor — on compiled examples.

use egpu_ir::interp::random_inputs;
use egpu_ir::{Target, text};
use egpu_passes::pipeline::{PipelineOptions, compile};
use egpu_runtime::program::{RunOptions, run_program};
use egpu_runtime::{Binary, CpuDevice};
use std::path::Path;

fn check(example: &str, target: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../examples")
        .join(format!("{example}.egir"));
    let source = std::fs::read_to_string(&path).unwrap();
    let graph = text::parse(&source).unwrap();
    let options = PipelineOptions {
        target: Target::by_name(target).unwrap(),
        disabled: vec![],
        simplify: Default::default(),
    };
    let program = compile(&graph, &options).unwrap().program;
    let inputs = random_inputs(&graph, 7);
    let want = program.run(&inputs).unwrap();
    let binaries: Vec<Binary> = program.kernels.iter().cloned().map(Binary::Kir).collect();
    let options = RunOptions {
        time_launches: true,
        ..RunOptions::default()
    };
    let got = run_program(&mut CpuDevice::new(), &program, &binaries, &inputs, options).unwrap();
    assert_eq!(got.launch_ms.len(), program.launches.len(), "{example}");
    assert_eq!(got.outputs.len(), want.len(), "{example}");
    for ((want_name, want), (name, got)) in want.iter().zip(&got.outputs) {
        assert_eq!(name, want_name, "{example}");
        assert!(
            want.same(got),
            "{example}: output {name} differs from Program::run"
        );
    }
}

#[test]
fn row_reductions_match_program_run() {
    check("softmax", "sm_90");
    check("layernorm", "sm_80");
    check("sum_rows", "gfx1100");
}

#[test]
fn matrix_products_match_program_run() {
    // f16 inputs go through the f16 byte encoding; the matmuls use shared-memory tiles.
    check("matmul_f16", "sm_90");
    check("matmul_f32", "sm_86");
    check("mlp", "sm_89");
}

#[test]
fn elementwise_and_whole_reductions_match_program_run() {
    check("gelu_chain", "sm_90");
    check("sum_all", "sm_90");
    check("add", "gfx1100");
}

#[test]
fn attention_and_convolution_match_program_run() {
    check("attention", "sm_90");
    check("conv2d", "sm_80");
}
