//! The AMD backend's instruction selection on every example and benchmark-suite graph as the
//! pass pipeline compiles them for gfx1100: no kernel is malformed for isel (only
//! `Unsupported` for families not written yet), the kernels whose every construct is
//! selectable go through the whole pipeline into a code object, and `llvm-objdump-19`
//! (when installed) decodes that object without an `<unknown>` instruction.

use egpu_codegen_amdgpu::compile_kernel;
use egpu_codegen_amdgpu::isel::{IselError, select_kernel};
use egpu_codegen_amdgpu::{AmdError, compile_program};
use egpu_ir::kernel::Program;
use egpu_ir::{Graph, Target, text};
use egpu_passes::pipeline::{PipelineOptions, compile};
use egpu_passes::simplify::SimplifyOptions;
use egpu_tests::{examples, suite_sources};

fn gfx1100() -> Target {
    Target::by_name("gfx1100").expect("known target")
}

fn program(graph: &Graph) -> Program {
    let options = PipelineOptions {
        target: gfx1100(),
        disabled: Vec::new(),
        simplify: SimplifyOptions::default(),
    };
    compile(graph, &options)
        .unwrap_or_else(|e| panic!("{}: {e}", graph.name()))
        .program
}

fn graphs() -> Vec<(String, Graph)> {
    let mut all = examples();
    for (name, source) in suite_sources() {
        let g = text::parse(&source).unwrap_or_else(|e| panic!("{name}: {e}"));
        all.push((format!("suite/{name}"), g));
    }
    all
}

/// Selects every kernel; fails on anything but `Unsupported`. Returns, per graph, whether
/// every kernel selected, and prints what is still unsupported.
#[test]
fn every_kernel_selects_or_is_unsupported() {
    let target = gfx1100();
    let mut missing = Vec::new();
    for (name, graph) in graphs() {
        for k in &program(&graph).kernels {
            match select_kernel(k, &target) {
                Ok(_) => {}
                Err(IselError::Unsupported { what, .. }) => {
                    missing.push(format!("{name}/{}: {what}", k.name()))
                }
                Err(e) => panic!("{name}: {e}"),
            }
        }
    }
    eprintln!("not yet selectable:\n  {}", missing.join("\n  "));
}

/// Every program whose kernels all select goes through the whole pipeline into a code
/// object that llvm-objdump decodes; `add` (core families only) must be among them.
#[test]
fn selectable_programs_compile_to_code_objects() {
    let target = gfx1100();
    let mut done = Vec::new();
    for (name, graph) in graphs() {
        let program = program(&graph);
        if program
            .kernels
            .iter()
            .any(|k| select_kernel(k, &target).is_err())
        {
            continue;
        }
        for k in &program.kernels {
            compile_kernel(k, &target).unwrap_or_else(|e| panic!("{name}: {e}"));
        }
        match compile_program(&program, &target) {
            Ok((object, _)) => objdump(&name.replace('/', "_"), &object),
            Err(AmdError::Isel(e)) => panic!("{name}: {e}"),
            Err(e) => panic!("{name}: {e}"),
        }
        done.push(name);
    }
    assert!(done.iter().any(|n| n == "add"), "{done:?}");
}

fn objdump(name: &str, object: &[u8]) {
    let Some(tool) = which("llvm-objdump-19") else {
        eprintln!("{name}: llvm-objdump-19 not found, objdump check skipped");
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join(format!("{name}.hsaco"));
    std::fs::write(&path, object).expect("write the code object");
    let out = std::process::Command::new(tool)
        .args(["-d", "--mcpu=gfx1100"])
        .arg(&path)
        .output()
        .expect("run llvm-objdump-19");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{name}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!text.contains("<unknown>"), "{name}:\n{text}");
    assert!(text.contains("s_endpgm"), "{name}:\n{text}");
}

fn which(name: &str) -> Option<std::path::PathBuf> {
    std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .map(|d| d.join(name))
            .find(|p| p.is_file())
    })
}
