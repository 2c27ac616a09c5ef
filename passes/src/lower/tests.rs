//! The index simplifier's rules, view composition, and the shape of lowered kernels (the
//! end-to-end comparisons with the reference interpreter are in tests/tests/lower.rs).

use super::index::{Ix, Sym};
use super::view::{flatten, source, unravel};
use super::{lower, program};
use crate::plan::{KernelPlan, ReductionStrategy};
use crate::schedule::schedule;
use egpu_ir::interp::{evaluate, random_inputs};
use egpu_ir::kernel::print;
use egpu_ir::{Graph, Op, text};

fn vars(extents: &[i128]) -> (Sym, Vec<Ix>) {
    let mut sym = Sym::new();
    let vs = extents
        .iter()
        .map(|&e| {
            let v = sym.new_var(e);
            sym.var(v)
        })
        .collect();
    (sym, vs)
}

// ----- simplifier -----

#[test]
fn div_and_mod_of_a_row_major_index() {
    let (sym, v) = vars(&[64, 256]);
    let (i, j) = (&v[0], &v[1]);
    let flat = sym.add(&sym.scale(i, 256), j);
    assert_eq!(sym.div(&flat, 256), *i);
    assert_eq!(sym.rem(&flat, 256), *j);
    // And the pieces go back together.
    let back = sym.add(&sym.scale(&sym.div(&flat, 256), 256), &sym.rem(&flat, 256));
    assert_eq!(back, flat);
}

#[test]
fn small_values_need_no_division() {
    let (sym, v) = vars(&[100]);
    assert_eq!(sym.rem(&v[0], 100), v[0]);
    assert_eq!(sym.div(&v[0], 100), Ix::zero());
    assert_eq!(sym.rem(&v[0], 128), v[0]);
    // Within one period the remainder is an offset.
    let shifted = sym.add_const(&v[0], 300);
    assert_eq!(sym.div(&shifted, 400), Ix::zero());
    let (sym2, w) = vars(&[50]);
    let x = sym2.add_const(&w[0], 200);
    assert_eq!(sym2.rem(&x, 100), sym2.add_const(&w[0], 0));
    assert_eq!(sym2.div(&x, 100), Ix::constant(2));
}

#[test]
fn constants_fold_and_identities_vanish() {
    let (sym, v) = vars(&[10, 1]);
    assert_eq!(sym.div(&Ix::constant(17), 5), Ix::constant(3));
    assert_eq!(sym.rem(&Ix::constant(17), 5), Ix::constant(2));
    assert_eq!(sym.scale(&v[0], 1), v[0]);
    assert_eq!(sym.add(&v[0], &Ix::zero()), v[0]);
    assert_eq!(sym.div(&v[0], 1), v[0]);
    assert_eq!(sym.rem(&v[0], 1), Ix::zero());
    // A variable that can only be 0 is 0.
    assert_eq!(v[1], Ix::zero());
    // Like terms combine.
    let twice = sym.add(&v[0], &v[0]);
    assert_eq!(twice, sym.scale(&v[0], 2));
    assert_eq!(sym.sub(&twice, &twice), Ix::zero());
}

#[test]
fn coefficients_split_around_the_divisor() {
    // (19·a + b) div 18 = a + (a + b) div 18 = a when a + b < 18.
    let (sym, v) = vars(&[3, 16]);
    let x = sym.add(&sym.scale(&v[0], 19), &v[1]);
    assert_eq!(sym.div(&x, 18), v[0]);
    assert_eq!(sym.rem(&x, 18), sym.add(&v[0], &v[1]));
}

#[test]
fn common_factors_keep_lanes_contiguous() {
    // (8·c + 4 + t) mod 256 with t < 4: 8·(c mod 32) + 4 + t, contiguous in t.
    let (sym, v) = vars(&[1000, 4]);
    let (c, t) = (&v[0], &v[1]);
    let x = sym.add_const(&sym.add(&sym.scale(c, 8), t), 4);
    let m = sym.rem(&x, 256);
    let want = sym.add_const(&sym.add(&sym.scale(&sym.rem(c, 32), 8), t), 4);
    assert_eq!(m, want);
    assert_eq!(sym.div(&x, 256), sym.div(c, 32));
}

#[test]
fn nested_divisions_merge() {
    let (sym, v) = vars(&[100_000]);
    let x = sym.div(&sym.div(&v[0], 8), 4);
    assert_eq!(x, sym.div(&v[0], 32));
    let y = sym.rem(&sym.rem(&v[0], 64), 16);
    assert_eq!(y, sym.rem(&v[0], 16));
}

#[test]
fn negative_operands_are_left_alone() {
    // (a - 3) may be negative: truncating division must stay as it is.
    let (sym, v) = vars(&[10]);
    let x = sym.add_const(&v[0], -3);
    let d = sym.div(&x, 4);
    assert_eq!(d.to_string(), "((v0 + -3) div 4)");
    let (lo, hi) = sym.bounds(&d);
    assert!(lo <= 0 && hi >= 1, "{lo}..{hi}");
}

#[test]
fn bounds_and_magnitude() {
    let (sym, v) = vars(&[64, 256]);
    let flat = sym.add(&sym.scale(&v[0], 256), &v[1]);
    assert_eq!(sym.bounds(&flat), (0, 64 * 256 - 1));
    assert_eq!(sym.bounds(&sym.rem(&sym.div(&flat, 3), 7)), (0, 6));
    let big = sym.scale(&flat, 1 << 20);
    assert!(sym.magnitude(&big) > i128::from(i32::MAX));
    assert!(sym.magnitude(&flat) < 1 << 15);
}

#[test]
fn substitution_simplifies_again() {
    let (sym, v) = vars(&[16, 4]);
    let x = sym.rem(&sym.add(&sym.scale(&v[0], 4), &v[1]), 4);
    assert_eq!(x, v[1]);
    let mut sym2 = Sym::new();
    let a = sym2.new_var(16);
    let b = sym2.new_var(4);
    let e = sym2.add(&sym2.scale(&sym2.var(a), 4), &sym2.var(b));
    let at = sym2.substitute(&sym2.div(&e, 4), b, &Ix::constant(3));
    assert_eq!(at, sym2.var(a));
}

// ----- views -----

#[test]
fn reshape_of_reshape_is_one_flat_index() {
    let (sym, v) = vars(&[64, 256]);
    // [64, 256] → [16384] → [64, 256]: the index comes back unchanged.
    let flat = flatten(&sym, &v, &[64, 256]);
    let back = unravel(&sym, &flat, &[64, 256]);
    assert_eq!(back, v);
    // [4, 64, 64] → [256, 64]: row = 64·a + b.
    let (sym, w) = vars(&[4, 64, 64]);
    let reshape = Op::Reshape {
        x: egpu_ir::NodeId::from_u32(0),
    };
    let src = source(&sym, &reshape, &[256, 64], &[4, 64, 64], &w).unwrap();
    assert_eq!(src.index[0], sym.add(&sym.scale(&w[0], 64), &w[1]));
    assert_eq!(src.index[1], w[2]);
}

#[test]
fn digits_put_back_together_are_the_number() {
    // unravel over [2, 8, 16, 16] then flatten: r.
    let (sym, v) = vars(&[4096]);
    let digits = unravel(&sym, &v[0], &[2, 8, 16, 16]);
    assert_eq!(flatten(&sym, &digits, &[2, 8, 16, 16]), v[0]);
    // Part of the digits: r mod 256.
    let low = flatten(&sym, &digits[2..], &[16, 16]);
    assert_eq!(low, sym.rem(&v[0], 256));
}

#[test]
fn pads_report_only_unproven_bounds() {
    let (sym, v) = vars(&[18, 18]);
    let pad = Op::Pad {
        x: egpu_ir::NodeId::from_u32(0),
        pads: vec![(1, 1), (0, 0)],
        value: egpu_ir::Scalar::Float(0.0),
    };
    let src = source(&sym, &pad, &[16, 18], &[18, 18], &v).unwrap();
    assert_eq!(src.valid.len(), 1);
    assert_eq!(src.index[0], sym.add_const(&v[0], -1));
    assert_eq!(src.index[1], v[1]);
}

// ----- kernels -----

fn example(name: &str) -> Graph {
    let source = match name {
        "softmax" => include_str!("../../../examples/softmax.egir"),
        "layernorm" => include_str!("../../../examples/layernorm.egir"),
        "matmul_f32" => include_str!("../../../examples/matmul_f32.egir"),
        "conv2d" => include_str!("../../../examples/conv2d.egir"),
        "gelu_chain" => include_str!("../../../examples/gelu_chain.egir"),
        _ => include_str!("../../../examples/add.egir"),
    };
    text::parse(source).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn kernels_text(graph: &Graph, plan: KernelPlan) -> String {
    let s = schedule(graph).unwrap();
    let plans = vec![plan; s.kernels.len()];
    let kernels = lower(graph, &s, &plans).unwrap_or_else(|e| panic!("{e}"));
    kernels.iter().map(|k| print(&k.kernel)).collect()
}

#[test]
fn softmax_indices_need_no_division() {
    let text = kernels_text(&example("softmax"), KernelPlan::default());
    for op in [" idiv ", " mod ", " shr ", " and "] {
        assert!(!text.contains(op), "{op} in\n{text}");
    }
}

#[test]
fn index_arithmetic_is_i32_when_it_fits() {
    let text = kernels_text(&example("matmul_f32"), KernelPlan::default());
    assert!(!text.contains("i64"), "{text}");
}

#[test]
fn lowering_is_deterministic() {
    for name in ["softmax", "conv2d", "layernorm"] {
        let graph = example(name);
        for reduction in [
            ReductionStrategy::PerLane,
            ReductionStrategy::Subgroup,
            ReductionStrategy::Workgroup,
        ] {
            let plan = KernelPlan {
                reduction,
                ..KernelPlan::default()
            };
            assert_eq!(kernels_text(&graph, plan), kernels_text(&graph, plan));
        }
    }
}

/// Lowers `graph` with `plan`, runs it and compares with the reference (floats within
/// 1e-4 relative, everything else exactly).
fn run_and_compare(graph: &Graph, plan: KernelPlan, seed: u64) {
    let s = schedule(graph).unwrap();
    let kernels = lower(graph, &s, &vec![plan; s.kernels.len()]).unwrap_or_else(|e| panic!("{e}"));
    let program = program(graph, &s, kernels);
    let inputs = random_inputs(graph, seed);
    let want = evaluate(graph, &inputs).unwrap();
    let got = program
        .run(&inputs)
        .unwrap_or_else(|e| panic!("{plan:?}: {e}"));
    assert_eq!(want.len(), got.len());
    for ((name, w), (_, g)) in want.iter().zip(&got) {
        assert_eq!(w.shape, g.shape, "{name}");
        for (a, b) in w.to_f64_vec().iter().zip(g.to_f64_vec()) {
            let ok =
                (a.is_nan() && b.is_nan()) || *a == b || (a - b).abs() <= 1e-4 * a.abs().max(1.0);
            assert!(ok, "{name} with {plan:?}: {a} vs {b}");
        }
    }
}

fn strategies() -> Vec<KernelPlan> {
    let base = KernelPlan::default();
    vec![
        base,
        KernelPlan {
            reduction: ReductionStrategy::Subgroup,
            vector_width: 4,
            elements_per_lane: 4,
            ..base
        },
        KernelPlan {
            reduction: ReductionStrategy::Workgroup,
            workgroup_size: 64,
            vector_width: 2,
            elements_per_lane: 2,
            unroll: true,
            ..base
        },
    ]
}

#[test]
fn small_examples_run_close_to_the_reference() {
    for name in ["softmax", "layernorm", "gelu_chain", "add"] {
        for plan in strategies() {
            run_and_compare(&example(name), plan, 1);
        }
    }
}

fn parse(source: &str) -> Graph {
    text::parse(source).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn empty_tensors_and_empty_reductions() {
    // Rows of length 0 reduce to the identity; tensors of no element launch one masked
    // workgroup.
    let graph = parse(
        "graph g(x: f32[3, 0], y: i32[0]) {\n\
         s = sum(x, axes=[1])\n\
         m = max(x, axes=[1])\n\
         e = add(y, y)\n\
         return s, m, e\n}",
    );
    for plan in strategies() {
        run_and_compare(&graph, plan, 3);
    }
}

#[test]
fn copies_and_aliased_outputs() {
    // An input returned as is (a copy kernel, its output named like the input) and one
    // value returned under two names (stored to both buffers).
    let graph = parse(
        "graph g(x: f32[5]) {\n\
         y = mul(x, 2)\n\
         return x, y, z=y\n}",
    );
    for plan in strategies() {
        run_and_compare(&graph, plan, 5);
    }
}

#[test]
fn column_and_multi_axis_reductions() {
    // Reduced axes that are not innermost: positions are strided in memory.
    let graph = parse(
        "graph g(x: f32[6, 4, 8]) {\n\
         a = sum(x, axes=[0])\n\
         b = max(x, axes=[0, 2])\n\
         c = sub(x, expand(b, shape=[6, 4, 8]))\n\
         return a, c\n}",
    );
    for plan in strategies() {
        run_and_compare(&graph, plan, 9);
    }
}

#[test]
fn views_pads_flips_and_iota() {
    let graph = parse(
        "graph g(x: f32[4, 6], n: i32[6]) {\n\
         p = pad(flip(x, axes=[1]), pads=[[1, 2], [0, 3]], value=-1.5)\n\
         q = shrink(permute(p, perm=[1, 0]), ranges=[[1, 8], [0, 5]])\n\
         r = reshape(q, shape=[5, 7])\n\
         i = cast(iota(dtype=i32, shape=[5, 7], axis=0), to=f32)\n\
         d = idiv(n, pad(shrink(n, ranges=[[1, 5]]), pads=[[1, 1]], value=1))\n\
         o = add(r, i)\n\
         return o, d\n}",
    );
    for plan in strategies() {
        run_and_compare(&graph, plan, 11);
    }
}

#[test]
fn large_tensors_index_in_i64() {
    // 2^34 elements: flat indices need 64 bits; nothing is run.
    let graph = parse("graph g(x: f32[131072, 131072]) {\n y = neg(x)\n return y\n}");
    let text = kernels_text(&graph, KernelPlan::default());
    assert!(text.contains("i64"), "{text}");
    // 2^34 workgroups of one lane do not fit in grid x alone.
    let one_lane = KernelPlan {
        workgroup_size: 1,
        ..KernelPlan::default()
    };
    let text = kernels_text(&graph, one_lane);
    assert!(text.contains("workgroup_id.y"), "{text}");
}

#[test]
fn plans_are_checked() {
    let graph = example("softmax");
    let s = schedule(&graph).unwrap();
    let bad = KernelPlan {
        reduction: ReductionStrategy::Subgroup,
        workgroup_size: 48,
        ..KernelPlan::default()
    };
    let e = lower(&graph, &s, &[bad]).err().map(|e| e.to_string());
    assert!(e.is_some_and(|e| e.contains("whole subgroups")));
    let e = lower(&graph, &s, &[]).err().map(|e| e.to_string());
    assert!(e.is_some_and(|e| e.contains("0 plans for 1 kernels")));
}
