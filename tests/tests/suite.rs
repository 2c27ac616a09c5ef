//! The benchmark suite of `docs/architecture.md` at full size (`benches/suite/`), compiled
//! for gfx1100 and sm_90, so that the optimizer's decisions at real sizes are visible and
//! reviewable: per graph one snapshot of the target-independent stages and one of the plans
//! and kernel IR. Compile only: the graphs are far too big for the interpreters.

use egpu_ir::{DType, text};
use egpu_tests::stage_text::{
    assert_no_orphan_snapshots, compile_for_snapshots, kernels_by_target, shared_stages,
};
use egpu_tests::{SUITE_NAMES, suite_sources};

/// The inputs of each suite graph as the architecture document's table gives them
/// (2^26 = 67108864).
fn full_size_inputs(name: &str) -> Vec<(DType, Vec<usize>)> {
    let f32 = |dims: &[usize]| (DType::F32, dims.to_vec());
    let f16 = |dims: &[usize]| (DType::F16, dims.to_vec());
    match name {
        "add" => vec![f32(&[1 << 26]), f32(&[1 << 26])],
        "gelu_chain" => vec![f32(&[8192, 8192]), f32(&[8192]), f32(&[8192])],
        "sum_rows" => vec![f32(&[16384, 8192])],
        "sum_all" => vec![f32(&[1 << 26])],
        "softmax" => vec![f32(&[16384, 4096])],
        "layernorm" => vec![f32(&[16384, 4096]), f32(&[4096]), f32(&[4096])],
        "matmul_f32" => vec![f32(&[4096, 4096]), f32(&[4096, 4096])],
        "matmul_f16" => vec![f16(&[8192, 8192]), f16(&[8192, 8192])],
        _ => vec![],
    }
}

#[test]
fn the_suite_is_complete_canonical_and_full_size() {
    let sources = suite_sources();
    let names: Vec<&str> = sources.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, SUITE_NAMES);
    for (name, source) in &sources {
        let graph = text::parse(source).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            &text::print(&graph),
            source,
            "benches/suite/{name}.egir is not in canonical form (run egpu fmt)"
        );
        let inputs: Vec<(DType, Vec<usize>)> = graph
            .inputs()
            .iter()
            .map(|&id| {
                let node = graph.node(id);
                (node.dtype, node.shape.dims().to_vec())
            })
            .collect();
        assert_eq!(inputs, full_size_inputs(name), "{name}: inputs");
    }
}

#[test]
fn the_full_size_suite_compiles_and_is_snapshotted() {
    for (name, source) in suite_sources() {
        let per_target = compile_for_snapshots(&name, &source);
        for (_, compiled) in &per_target {
            assert_eq!(
                compiled.plans.len(),
                compiled.program.kernels.len(),
                "{name}"
            );
        }
        let stages = shared_stages(&per_target).unwrap_or_else(|e| panic!("{name}: {e}"));
        insta::assert_snapshot!(format!("{name}_stages"), stages);
        insta::assert_snapshot!(format!("{name}_kernels"), kernels_by_target(&per_target));
    }
}

/// Every `suite__*.snap` file is one the test above writes.
#[test]
fn no_orphan_suite_snapshots() {
    assert_no_orphan_snapshots("suite", &SUITE_NAMES, &[]);
}
