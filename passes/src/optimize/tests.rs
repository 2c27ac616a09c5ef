//! Unit tests of the heuristics and of the contractions the schedule recognizes (which the
//! heuristics tile) on small built graphs; the
//! plans of the examples and end-to-end correctness are in `tests/tests/optimize.rs`.

use super::heuristics::{launch_lanes, reduction_strategy, tile_plan};
use super::*;
use crate::plan::ReductionStrategy;
use crate::schedule::Contraction;
use crate::schedule::schedule;
use egpu_ir::{BinaryOp, DType, GraphBuilder, ReduceOp, Scalar, UnaryOp};

/// `[batch.., m, k] @ [k, n]` of `dtype`, plus `epilogue` applied to the result.
fn matmul(dtype: DType, a: &[usize], b: &[usize], relu: bool) -> Graph {
    let mut g = GraphBuilder::new("mm");
    let x = g.input("a", dtype, a).unwrap();
    let w = g.input("b", dtype, b).unwrap();
    let out = if dtype == DType::F32 || dtype == DType::F64 {
        None
    } else {
        Some(DType::F32)
    };
    let mut y = g.matmul(x, w, out).unwrap();
    if relu {
        let zero = g.constant_like(0.0, y).unwrap();
        y = g.binary(BinaryOp::Max, y, zero).unwrap();
    }
    g.output("y", y).unwrap();
    g.finish().unwrap()
}

fn plans(graph: &Graph, target: &Target) -> (Schedule, Vec<KernelPlan>) {
    let s = schedule(graph).unwrap();
    let p = choose_plans(graph, &s, target);
    (s, p)
}

fn only_contraction(graph: &Graph) -> Option<Contraction> {
    let s = schedule(graph).unwrap();
    assert_eq!(s.kernels.len(), 1);
    s.kernels[0].contraction.clone()
}

#[test]
fn matmul_sizes_and_roles() {
    let c = only_contraction(&matmul(DType::F32, &[37, 53], &[53, 29], true)).unwrap();
    assert_eq!((c.batch, c.m, c.n, c.k), (1, 37, 29, 53));
    assert_eq!((c.m_axes, c.k_axes, c.n_axes), (vec![0], vec![1], vec![2]));
    assert_eq!(c.accumulator, DType::F32);
    assert!(!c.a.cast && !c.b.cast);

    // B is shared by every batch: the batch axis is one more m axis.
    let c = only_contraction(&matmul(DType::F16, &[3, 20, 32], &[32, 48], false)).unwrap();
    assert_eq!((c.batch, c.m, c.n, c.k), (1, 60, 48, 32));
    assert_eq!(c.m_axes, vec![0, 1]);
    assert_eq!(c.operand_dtype(), Some(DType::F16));
    assert!(c.a.cast && c.b.cast);
    assert_eq!(c.rows(), 3 * 20 * 48);
    // Both operands batched: a batch axis.
    let c = only_contraction(&matmul(DType::F32, &[3, 20, 24], &[3, 24, 17], false)).unwrap();
    assert_eq!((c.batch, c.m, c.n, c.k), (3, 20, 17, 24));
    assert_eq!(c.batch_axes, vec![0]);
}

#[test]
fn conv2d_is_a_contraction_over_channels_and_window() {
    let mut g = GraphBuilder::new("conv");
    let x = g.input("x", DType::F32, &[2, 3, 8, 8]).unwrap();
    let w = g.input("w", DType::F32, &[4, 3, 3, 3]).unwrap();
    let p = egpu_ir::Conv2dParams {
        stride: [1, 1],
        padding: [1, 1],
        dilation: [1, 1],
    };
    let y = g.conv2d(x, w, None, &p).unwrap();
    g.output("y", y).unwrap();
    let c = only_contraction(&g.finish().unwrap()).unwrap();
    assert_eq!((c.batch, c.m, c.n, c.k), (1, 2 * 8 * 8, 4, 27));
}

#[test]
fn non_contractions_are_refused() {
    // A sum of a product with an arithmetic prologue, and a max of a product.
    let mut g = GraphBuilder::new("nc");
    let a = g.input("a", DType::F32, &[16, 16]).unwrap();
    let e = g.unary(UnaryOp::Exp2, a).unwrap();
    let p = g.binary(BinaryOp::Mul, e, a).unwrap();
    let s = g.reduce(ReduceOp::Sum, p, &[1]).unwrap();
    let q = g.binary(BinaryOp::Mul, a, a).unwrap();
    let m = g.reduce(ReduceOp::Max, q, &[1]).unwrap();
    g.output("s", s).unwrap();
    g.output("m", m).unwrap();
    let graph = g.finish().unwrap();
    let s = schedule(&graph).unwrap();
    for k in &s.kernels {
        assert_eq!(k.contraction, None, "{}", k.name);
    }
}

#[test]
fn launch_lanes_fill_the_gpu_then_default() {
    let t = Target::SM_90;
    assert_eq!(launch_lanes(1, &t), 32);
    assert_eq!(launch_lanes(1024, &t), 32);
    assert_eq!(launch_lanes(264 * 100, &t), 96);
    assert_eq!(launch_lanes(1 << 30, &t), 256);
    for items in [0, 5, 1000, 1 << 20, u64::MAX] {
        for t in Target::ALL {
            let lanes = launch_lanes(items, &t);
            assert!(lanes.is_multiple_of(t.subgroup_size) && lanes <= t.max_workgroup_size);
        }
    }
}

#[test]
fn reduction_strategy_by_row_length() {
    let t = Target::GFX1100;
    assert_eq!(reduction_strategy(64, 10, &t), ReductionStrategy::PerLane);
    assert_eq!(reduction_strategy(64, 32, &t), ReductionStrategy::PerLane);
    assert_eq!(reduction_strategy(64, 33, &t), ReductionStrategy::Subgroup);
    assert_eq!(
        reduction_strategy(64, 1024, &t),
        ReductionStrategy::Subgroup
    );
    assert_eq!(
        reduction_strategy(64, 1025, &t),
        ReductionStrategy::Workgroup
    );
    assert_eq!(
        reduction_strategy(1, 65536, &t),
        ReductionStrategy::Workgroup
    );
    // Enough rows to fill every lane twice: a lane per row.
    assert_eq!(
        reduction_strategy(1 << 20, 256, &t),
        ReductionStrategy::PerLane
    );
    assert_eq!(
        reduction_strategy(1 << 20, 4096, &t),
        ReductionStrategy::Workgroup
    );
}

#[test]
fn matrix_tile_support_per_target() {
    for t in Target::ALL {
        assert!(supports_matrix_tile(&t, DType::F16), "{}", t.name);
        assert!(supports_matrix_tile(&t, DType::BF16), "{}", t.name);
        assert!(!supports_matrix_tile(&t, DType::F32), "{}", t.name);
    }
}

#[test]
fn matrix_tile_only_for_half_operands_on_multiples_of_16() {
    for t in [Target::GFX1100, Target::SM_80, Target::SM_90] {
        let tile = |g: &Graph| only_contraction(g).and_then(|c| tile_plan(&c, &t));
        let half = tile(&matmul(DType::F16, &[64, 128], &[128, 64], false)).unwrap();
        assert!(half.matrix_tile);
        let bf = tile(&matmul(DType::BF16, &[32, 64], &[64, 48], true)).unwrap();
        assert!(bf.matrix_tile);
        let ragged = tile(&matmul(DType::F16, &[37, 53], &[53, 29], false)).unwrap();
        assert!(!ragged.matrix_tile);
        let single = tile(&matmul(DType::F32, &[64, 128], &[128, 64], false)).unwrap();
        assert!(!single.matrix_tile);
    }
}

#[test]
fn tiles_fit_shared_memory_and_lanes() {
    let graphs = [
        matmul(DType::F32, &[4096, 4096], &[4096, 4096], false),
        matmul(DType::F64, &[4096, 4096], &[4096, 4096], false),
        matmul(DType::F16, &[8192, 8192], &[8192, 8192], false),
        matmul(DType::F32, &[37, 53], &[53, 29], true),
    ];
    for graph in &graphs {
        let c = only_contraction(graph).unwrap();
        for t in Target::ALL {
            let (_, p) = plans(graph, &t);
            let tile = p[0].tiling.unwrap();
            assert!(tile_shared_bytes(&tile, c.accumulator) <= t.shared_bytes_default as usize);
            check(&p[0], &t, c.accumulator).unwrap();
        }
    }
    // Large problems keep the largest tile: 64×64 with 4×4 outputs per lane.
    let (_, p) = plans(&graphs[0], &Target::SM_90);
    let tile = p[0].tiling.unwrap();
    assert_eq!((tile.tile_m, tile.tile_n, tile.tile_k), (64, 64, 16));
    assert_eq!(p[0].workgroup_size, 256);
    let (_, p) = plans(&graphs[2], &Target::GFX1100);
    let tile = p[0].tiling.unwrap();
    assert_eq!(
        (tile.tile_m, tile.tile_n, tile.tile_k, tile.matrix_tile),
        (64, 64, 32, true)
    );
    assert_eq!(p[0].workgroup_size, 128);
}

#[test]
fn thin_contractions_are_not_tiled() {
    // A matrix-vector product: n = 1, nothing to reuse across columns.
    let graph = matmul(DType::F32, &[256, 512], &[512, 1], false);
    let (_, p) = plans(&graph, &Target::SM_90);
    assert_eq!(p[0].tiling, None);
    assert_eq!(p[0].reduction, ReductionStrategy::Subgroup);
}

#[test]
fn elementwise_vector_width_needs_a_contiguous_last_axis() {
    let build = |dims: &[usize], transpose: bool| {
        let mut g = GraphBuilder::new("ew");
        let a = g.input("a", DType::F32, dims).unwrap();
        let b = g.input("b", DType::F32, dims).unwrap();
        let b = if transpose {
            g.permute(b, &[1, 0]).unwrap()
        } else {
            b
        };
        let a = if transpose {
            g.permute(a, &[1, 0]).unwrap()
        } else {
            a
        };
        let c = g.binary(BinaryOp::Add, a, b).unwrap();
        g.output("c", c).unwrap();
        g.finish().unwrap()
    };
    let t = Target::GFX1100;
    assert_eq!(plans(&build(&[64, 64], false), &t).1[0].vector_width, 4);
    assert_eq!(plans(&build(&[64, 6], false), &t).1[0].vector_width, 2);
    assert_eq!(plans(&build(&[64, 7], false), &t).1[0].vector_width, 1);
    assert_eq!(plans(&build(&[64, 64], true), &t).1[0].vector_width, 1);

    let mut g = GraphBuilder::new("half");
    let a = g.input("a", DType::F16, &[1 << 24]).unwrap();
    let b = g.unary(UnaryOp::Neg, a).unwrap();
    g.output("b", b).unwrap();
    let graph = g.finish().unwrap();
    let p = plans(&graph, &t).1[0];
    // 2^24 f16 outputs: four vectors of 8 per lane, and enough of them for full workgroups.
    assert_eq!((p.vector_width, p.elements_per_lane), (8, 32));
    assert_eq!(p.workgroup_size, 256);
}

#[test]
fn scalar_broadcast_stays_scalar() {
    let mut g = GraphBuilder::new("bcast");
    let a = g.input("a", DType::F32, &[256]).unwrap();
    let s = g.input("s", DType::F32, &[1]).unwrap();
    let e = g.expand(s, &[256]).unwrap();
    let c = g.binary(BinaryOp::Mul, a, e).unwrap();
    let k = g.constant(Scalar::Float(2.0), DType::F32, &[256]).unwrap();
    let d = g.binary(BinaryOp::Add, c, k).unwrap();
    g.output("d", d).unwrap();
    let graph = g.finish().unwrap();
    assert_eq!(plans(&graph, &Target::SM_80).1[0].vector_width, 1);
}

#[test]
fn check_refuses_bad_plans() {
    let t = Target::SM_90;
    let good = KernelPlan {
        subgroup_size: 32,
        ..KernelPlan::default()
    };
    check(&good, &t, DType::F32).unwrap();
    let bad = [
        KernelPlan {
            workgroup_size: 48,
            ..good
        },
        KernelPlan {
            workgroup_size: 2048,
            ..good
        },
        KernelPlan {
            vector_width: 3,
            ..good
        },
        KernelPlan {
            tiling: Some(TilePlan {
                tile_m: 128,
                tile_n: 128,
                tile_k: 64,
                matrix_tile: false,
            }),
            ..good
        },
        KernelPlan {
            tiling: Some(TilePlan {
                tile_m: 24,
                tile_n: 16,
                tile_k: 16,
                matrix_tile: true,
            }),
            workgroup_size: 32,
            ..good
        },
    ];
    for plan in bad {
        assert!(check(&plan, &t, DType::F32).is_err(), "{plan:?}");
    }
}
