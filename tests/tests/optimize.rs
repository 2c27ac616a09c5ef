//! The optimize pass: the plan it chooses for each example on gfx1100 and sm_90, that every
//! plan is valid for its target, and that the kernels lowered with those plans compute what
//! the reference interpreter computes — the tiled contraction lowering included, on shapes
//! that are not multiples of the tile, batched, in f32 and in f16 with the matrix tile op.
//!
//! Float sums differ by design (the reference accumulates in f64 and rounds once, kernels
//! round at every step), so floats are compared with a tolerance that grows with the
//! longest reduction; outputs start as NaN, so an element a kernel forgets fails.

use egpu_ir::interp::{Tensor, evaluate, random_inputs};
use egpu_ir::kernel::print;
use egpu_ir::{BinaryOp, Conv2dParams, DType, Graph, GraphBuilder, Target};
use egpu_passes::lower::{LoweredKernel, lower, program};
use egpu_passes::optimize::{self, choose_plans};
use egpu_passes::plan::{KernelPlan, ReductionStrategy, TilePlan};
use egpu_passes::schedule::{Schedule, schedule};
use egpu_tests::compare::{compare_within, longest_reduction};
use egpu_tests::{EXAMPLE_NAMES, example};

const TARGETS: [Target; 2] = [Target::GFX1100, Target::SM_90];

// ---------------------------------------------------------------------------------------
// Running and comparing
// ---------------------------------------------------------------------------------------

/// Relative tolerance (against max(|expected|, 1)) after sums of `length` f32 terms and a
/// final rounding to `dtype`: a few units of rounding per term, plus the output's own.
fn tolerance(dtype: DType, length: usize) -> f64 {
    let unit = |bits: i32| 2f64.powi(-bits);
    let output = match dtype {
        DType::F16 => unit(11),
        DType::BF16 => unit(8),
        DType::F64 => unit(53),
        _ => unit(24),
    };
    let step = if dtype == DType::F64 {
        unit(53)
    } else {
        unit(24)
    };
    4.0 * (length.max(1) as f64 * step + output)
}

/// Lowers `graph` with `plans`, runs the program on seeded inputs and compares every
/// output with the reference. Returns the kernels, for checks on their text.
fn check_with(graph: &Graph, s: &Schedule, plans: &[KernelPlan]) -> Result<Vec<String>, String> {
    let kernels: Vec<LoweredKernel> = lower(graph, s, plans).map_err(|e| e.to_string())?;
    let texts = kernels.iter().map(|k| print(&k.kernel)).collect();
    let program = program(graph, s, kernels);
    let inputs = random_inputs(graph, 7);
    let want = evaluate(graph, &inputs).map_err(|e| format!("reference: {e}"))?;
    let got = program.run(&inputs).map_err(|e| e.to_string())?;
    if want.len() != got.len() {
        return Err(format!("{} outputs, expected {}", got.len(), want.len()));
    }
    let length = longest_reduction(graph);
    for ((name, w), (_, g)) in want.iter().zip(&got) {
        compare(name, w, g, length)?;
    }
    Ok(texts)
}

/// The kernel text of a tiled plan must show the tiled lowering (not the fallback).
fn assert_tiled(what: &str, plan: &KernelPlan, text: &str) {
    let Some(tile) = plan.tiling else { return };
    assert!(
        text.contains("shared_a") && text.contains("barrier"),
        "{what}: not tiled\n{text}"
    );
    assert_eq!(
        text.contains("fragment_mma"),
        tile.matrix_tile,
        "{what}\n{text}"
    );
}

// ---------------------------------------------------------------------------------------
// Plans of the examples
// ---------------------------------------------------------------------------------------

/// The plans of `name` on `target`, each checked valid for the target.
fn example_plans(name: &str, target: &Target) -> Vec<KernelPlan> {
    let graph = example(name);
    let s = schedule(&graph).unwrap();
    let plans = choose_plans(&graph, &s, target);
    assert_eq!(plans.len(), s.kernels.len(), "{name}");
    for (group, p) in s.kernels.iter().zip(&plans) {
        let accumulator = group
            .contraction
            .as_ref()
            .map_or(DType::F32, |c| c.accumulator);
        if let Err(e) = optimize::check(p, target, accumulator) {
            panic!("{name} on {}: {}: {e}: {p:?}", target.name, group.name);
        }
    }
    plans
}

fn tiling(p: &KernelPlan) -> Option<(u32, u32, u32, bool)> {
    p.tiling
        .map(|t| (t.tile_m, t.tile_n, t.tile_k, t.matrix_tile))
}

#[test]
fn elementwise_plans() {
    for target in TARGETS {
        for name in ["add", "gelu_chain"] {
            let p = example_plans(name, &target);
            assert_eq!(p[0].vector_width, 4, "{name}: 16-byte f32 accesses");
            assert_eq!(p[0].elements_per_lane, 4, "{name}: one vector per lane");
            // 1024 (add) or 4096 (gelu_chain) vectors: one subgroup per workgroup still
            // leaves CUs idle, so the smallest workgroup.
            assert_eq!(p[0].workgroup_size, 32, "{name}");
            assert_eq!(p[0].tiling, None);
        }
    }
}

#[test]
fn reduction_plans() {
    use ReductionStrategy::*;
    for target in TARGETS {
        let strategy = |name: &str| example_plans(name, &target)[0].reduction;
        assert_eq!(strategy("sum_rows"), Subgroup, "rows of 256");
        assert_eq!(strategy("softmax"), Subgroup, "rows of 256");
        assert_eq!(strategy("layernorm"), Subgroup, "rows of 256");
        let all = example_plans("sum_all", &target)[0];
        assert_eq!(all.reduction, Workgroup, "one row of 65536");
        assert_eq!(all.workgroup_size, target.max_workgroup_size);
        let mlp = example_plans("mlp", &target);
        assert_eq!(
            (mlp[2].reduction, mlp[2].unroll),
            (PerLane, true),
            "rows of 10"
        );
        let attention = example_plans("attention", &target);
        assert_eq!(
            (attention[1].reduction, attention[1].unroll),
            (PerLane, true)
        );
    }
}

#[test]
fn contraction_plans() {
    for target in TARGETS {
        let f32_tile = example_plans("matmul_f32", &target)[0].tiling.unwrap();
        assert!(!f32_tile.matrix_tile);
        let f16_tile = example_plans("matmul_f16", &target)[0].tiling.unwrap();
        assert!(f16_tile.matrix_tile, "{}", target.name);
        // 64×64 outputs: the tiles shrink to 16×16 so that 16 workgroups share the CUs.
        assert_eq!(
            tiling(&example_plans("matmul_f32", &target)[0]),
            Some((16, 16, 16, false))
        );
        assert_eq!(
            tiling(&example_plans("matmul_f16", &target)[0]),
            Some((16, 16, 32, true))
        );
        let mlp = example_plans("mlp", &target);
        assert!(mlp[0].tiling.is_some() && mlp[1].tiling.is_some() && mlp[2].tiling.is_none());
        let attention = example_plans("attention", &target);
        assert!(attention[0].tiling.is_some() && attention[2].tiling.is_some());
        // conv2d: m = 2·16·16, n = 8 output channels, k = 3·3·3.
        assert_eq!(
            tiling(&example_plans("conv2d", &target)[0]),
            Some((16, 8, 16, false))
        );
    }
    // Every tensor-core target takes the matrix tile for f16.
    for target in Target::ALL {
        assert!(
            example_plans("matmul_f16", &target)[0]
                .tiling
                .unwrap()
                .matrix_tile
        );
    }
}

#[test]
fn every_plan_is_valid_for_every_target() {
    for target in Target::ALL {
        for name in EXAMPLE_NAMES {
            for p in example_plans(name, &target) {
                let lanes = p.workgroup_size;
                assert!(lanes <= target.max_workgroup_size, "{name}");
                assert!(lanes.is_multiple_of(target.subgroup_size), "{name}");
                assert_eq!(p.subgroup_size, target.subgroup_size, "{name}");
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Correctness of the examples with their plans
// ---------------------------------------------------------------------------------------

/// Every example on both targets. Targets whose plans for an example are the same make
/// the same kernels, so each distinct set of plans runs once (the interpreter is slow).
#[test]
fn examples_match_the_reference_with_their_plans() {
    let mut failures = Vec::new();
    for name in EXAMPLE_NAMES {
        let graph = example(name);
        let s = schedule(&graph).unwrap();
        let mut checked: Vec<Vec<KernelPlan>> = Vec::new();
        for target in TARGETS {
            let plans = choose_plans(&graph, &s, &target);
            if checked.contains(&plans) {
                continue;
            }
            match check_with(&graph, &s, &plans) {
                Ok(texts) => check_kernels(name, &s, &target, &plans, &texts),
                Err(e) => failures.push(format!("{name} on {}: {e}", target.name)),
            }
            checked.push(plans);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Tiled plans were tiled, and every kernel's shared memory fits the target (exactly what
/// the plan accounted for, when tiled).
fn check_kernels(
    name: &str,
    s: &Schedule,
    target: &Target,
    plans: &[KernelPlan],
    texts: &[String],
) {
    for ((p, text), group) in plans.iter().zip(texts).zip(&s.kernels) {
        let what = format!("{name} {} {}", target.name, group.name);
        assert_tiled(&what, p, text);
        let bytes = shared_bytes(text);
        let budget = target.shared_bytes_default as usize;
        assert!(bytes <= budget, "{what}: {bytes} bytes of shared memory");
        if let (Some(tile), Some(c)) = (p.tiling, &group.contraction) {
            let planned = optimize::tile_shared_bytes(&tile, c.accumulator);
            assert_eq!(bytes, planned, "{what}: shared bytes as planned");
        }
    }
}

/// The shared bytes a printed kernel declares (`shared NAME: DTYPE[LEN]` lines).
fn shared_bytes(text: &str) -> usize {
    text.lines()
        .filter_map(|l| l.trim().strip_prefix("shared "))
        .filter_map(|l| {
            let (_, ty) = l.split_once(": ")?;
            let (dtype, len) = ty.trim_end_matches(']').split_once('[')?;
            Some(DType::from_name(dtype)?.size_bytes() * len.parse::<usize>().ok()?)
        })
        .sum()
}

#[test]
fn f16_matmul_kernel_uses_the_matrix_tile() {
    for target in TARGETS {
        let graph = example("matmul_f16");
        let s = schedule(&graph).unwrap();
        let kernels = lower(&graph, &s, &choose_plans(&graph, &s, &target)).unwrap();
        let text = print(&kernels[0].kernel);
        // Accumulated in fragments (registers) across the k loop: D in shared memory is
        // written once, after the loop, never zeroed or updated inside it.
        assert!(text.contains("fragment_mma"), "{}:\n{text}", target.name);
        assert!(
            !text.contains(" store shared_d"),
            "{}:\n{text}",
            target.name
        );
        let after_loop = text.rfind("fragment_mma").unwrap() < text.find("fragment_store").unwrap();
        assert!(after_loop, "{}:\n{text}", target.name);
        // The operands are staged as the f16 they are, read before their cast.
        assert!(
            text.contains("shared shared_a: f16"),
            "{}:\n{text}",
            target.name
        );
        assert!(!text.contains("cast"), "{}:\n{text}", target.name);
    }
}

// ---------------------------------------------------------------------------------------
// The tiled lowering on awkward shapes and forced plans
// ---------------------------------------------------------------------------------------

/// `a @ b` of `dtype` with the result in `out`, then `relu` if asked.
fn matmul(dtype: DType, a: &[usize], b: &[usize], out: Option<DType>, relu: bool) -> Graph {
    let mut g = GraphBuilder::new("mm");
    let x = g.input("a", dtype, a).unwrap();
    let w = g.input("b", dtype, b).unwrap();
    let mut y = g.matmul(x, w, out).unwrap();
    if relu {
        let zero = g.constant_like(0.0, y).unwrap();
        y = g.binary(BinaryOp::Max, y, zero).unwrap();
    }
    g.output("y", y).unwrap();
    g.finish().unwrap()
}

fn tile(tile_m: u32, tile_n: u32, tile_k: u32, lanes: u32, matrix_tile: bool) -> KernelPlan {
    KernelPlan {
        workgroup_size: lanes,
        subgroup_size: 32,
        unroll: true,
        tiling: Some(TilePlan {
            tile_m,
            tile_n,
            tile_k,
            matrix_tile,
        }),
        ..KernelPlan::default()
    }
}

/// Plain tilings: register blocks of 4×4, 4×2, 2×2 and 1×1, a k step smaller than k.
fn plain_tiles() -> Vec<KernelPlan> {
    vec![
        tile(64, 64, 16, 256, false),
        tile(64, 32, 16, 256, false),
        tile(32, 32, 8, 256, false),
        tile(16, 16, 16, 256, false),
        tile(16, 8, 16, 128, false),
    ]
}

/// Matrix tilings: one subgroup with one tile, four subgroups with one or four tiles each,
/// two subgroups on a 32×16 tile.
fn matrix_tiles() -> Vec<KernelPlan> {
    vec![
        tile(16, 16, 16, 32, true),
        tile(32, 32, 32, 128, true),
        tile(64, 64, 32, 128, true),
        tile(32, 16, 16, 64, true),
    ]
}

/// Runs `graph` (one kernel) with each plan; every plan must tile and match the reference.
fn check_tilings(what: &str, graph: &Graph, plans: &[KernelPlan]) {
    let s = schedule(graph).unwrap();
    assert_eq!(s.kernels.len(), 1, "{what}");
    assert!(s.kernels[0].contraction.is_some(), "{what}");
    let mut failures = Vec::new();
    for p in plans {
        match check_with(graph, &s, &[*p]) {
            Ok(texts) => assert_tiled(&format!("{what} {:?}", p.tiling), p, &texts[0]),
            Err(e) => failures.push(format!("{what} with {:?}: {e}", p.tiling)),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn plain_tiling_on_ragged_and_batched_shapes() {
    let f32 = Some(DType::F32);
    let cases = [
        (
            "f32 37x53 @ 53x29",
            matmul(DType::F32, &[37, 53], &[53, 29], None, false),
        ),
        (
            "f32 batch 3x20x24 @ 24x17",
            matmul(DType::F32, &[3, 20, 24], &[24, 17], None, true),
        ),
        (
            "f32 3x20x24 @ 3x24x17",
            matmul(DType::F32, &[3, 20, 24], &[3, 24, 17], None, false),
        ),
        (
            "f16 37x53 @ 53x29",
            matmul(DType::F16, &[37, 53], &[53, 29], f32, false),
        ),
    ];
    for (what, graph) in &cases {
        check_tilings(what, graph, &plain_tiles());
    }
}

#[test]
fn matrix_tiling_on_ragged_and_batched_shapes() {
    let f32 = Some(DType::F32);
    let cases = [
        (
            "f16 48x80 @ 80x48",
            matmul(DType::F16, &[48, 80], &[80, 48], f32, false),
        ),
        (
            "f16 3x32x48 @ 3x48x16",
            matmul(DType::F16, &[3, 32, 48], &[3, 48, 16], f32, true),
        ),
        (
            "bf16 2x16x32 @ 32x48",
            matmul(DType::BF16, &[2, 16, 32], &[32, 48], f32, false),
        ),
        // Not multiples of 16: the plan never asks for this, the lowering still masks.
        (
            "f16 37x53 @ 53x29",
            matmul(DType::F16, &[37, 53], &[53, 29], f32, false),
        ),
        // An f16 result: the epilogue rounds the f32 sum back to f16.
        (
            "f16 out 32x48 @ 48x32",
            matmul(DType::F16, &[32, 48], &[48, 32], None, true),
        ),
    ];
    for (what, graph) in &cases {
        check_tilings(what, graph, &matrix_tiles());
    }
}

#[test]
fn chosen_plans_on_ragged_and_batched_shapes() {
    let f32 = Some(DType::F32);
    let cases = [
        matmul(DType::F32, &[37, 53], &[53, 29], None, false),
        matmul(DType::F32, &[3, 20, 24], &[24, 17], None, false),
        matmul(DType::F16, &[37, 53], &[53, 29], f32, false),
        matmul(DType::F16, &[3, 32, 48], &[3, 48, 16], f32, false),
    ];
    for target in TARGETS {
        for graph in &cases {
            let s = schedule(graph).unwrap();
            let plans = choose_plans(graph, &s, &target);
            assert!(plans[0].tiling.is_some());
            let texts = check_with(graph, &s, &plans).unwrap_or_else(|e| panic!("{e}"));
            assert_tiled(target.name, &plans[0], &texts[0]);
        }
    }
}

#[test]
fn tiled_convolutions_match_the_reference() {
    let conv = |stride: usize, padding: usize, dilation: usize| {
        let mut g = GraphBuilder::new("conv");
        let x = g.input("x", DType::F32, &[2, 3, 9, 9]).unwrap();
        let w = g.input("w", DType::F32, &[10, 3, 3, 3]).unwrap();
        let b = g.input("b", DType::F32, &[10]).unwrap();
        let p = Conv2dParams {
            stride: [stride; 2],
            padding: [padding; 2],
            dilation: [dilation; 2],
        };
        let y = g.conv2d(x, w, Some(b), &p).unwrap();
        g.output("y", y).unwrap();
        g.finish().unwrap()
    };
    let plans = [tile(16, 8, 16, 128, false), tile(32, 16, 8, 256, false)];
    check_tilings("conv 3x3", &conv(1, 1, 1), &plans);
    check_tilings("conv stride 2", &conv(2, 1, 1), &plans);
    check_tilings("conv dilation 2", &conv(1, 2, 2), &plans);
}

#[test]
fn plans_the_lowering_cannot_tile_fall_back() {
    // A tile plan on a softmax, and a matrix tile asked for f32 operands: the generic
    // lowering takes over, and the results are still right.
    let graph = example("softmax");
    let s = schedule(&graph).unwrap();
    let texts = check_with(&graph, &s, &[tile(16, 16, 16, 256, false)]).unwrap();
    assert!(!texts[0].contains("shared_a"));
    let graph = matmul(DType::F32, &[32, 32], &[32, 32], None, false);
    let s = schedule(&graph).unwrap();
    let texts = check_with(&graph, &s, &[tile(16, 16, 16, 32, true)]).unwrap();
    assert!(!texts[0].contains("matrix_tile"));
}

#[test]
fn large_elementwise_plan_matches_the_reference() {
    // 2^20 outputs: four vectors of four per lane.
    let mut g = GraphBuilder::new("big");
    let a = g.input("a", DType::F32, &[1 << 20]).unwrap();
    let b = g.input("b", DType::F32, &[1 << 20]).unwrap();
    let c = g.binary(BinaryOp::Add, a, b).unwrap();
    g.output("c", c).unwrap();
    let graph = g.finish().unwrap();
    let s = schedule(&graph).unwrap();
    let plans = choose_plans(&graph, &s, &Target::SM_90);
    assert_eq!((plans[0].vector_width, plans[0].elements_per_lane), (4, 16));
    let texts = check_with(&graph, &s, &plans).unwrap_or_else(|e| panic!("{e}"));
    assert!(texts[0].contains("f32x4"), "{}", texts[0]);
}

/// Compares one output within this file's tolerance for reductions of `length` terms.
fn compare(name: &str, want: &Tensor, got: &Tensor, length: usize) -> Result<(), String> {
    compare_within(name, want, got, tolerance(want.dtype, length))
}
