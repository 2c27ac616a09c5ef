//! `--check` judges the computation: the reference carries an error bound per element
//! (running error bound + precision model), and the one comparison accepts what a correct
//! kernel may produce — cancellation, f32 sums cast to f64 — while real kernel faults
//! injected into compiled kernel IR (a shifted index, a dropped term, a missing barrier)
//! are reported.

use egpu_ir::interp::{self, Tensor, compare, evaluate_with_bounds};
use egpu_ir::{DType, Graph, GraphBuilder, ReduceOp, Target};
use egpu_passes::pipeline::{Compiled, PipelineOptions, compile};
use egpu_tests::compare::check_outputs;
use egpu_tests::fault::{Fault, inject};
use std::collections::BTreeMap;

const TARGETS: [Target; 2] = [Target::SM_90, Target::GFX1100];

fn compiled(graph: &Graph, target: Target) -> Compiled {
    let options = PipelineOptions {
        target,
        disabled: vec![],
        simplify: Default::default(),
    };
    compile(graph, &options).unwrap_or_else(|e| panic!("{e}"))
}

/// A graph with one input `x` and one output `y = f(x)`.
fn graph(
    dtype: DType,
    dims: &[usize],
    f: impl Fn(&mut GraphBuilder, egpu_ir::NodeId) -> egpu_ir::NodeId,
) -> Graph {
    let mut b = GraphBuilder::new("g");
    let x = b.input("x", dtype, dims).unwrap();
    let y = f(&mut b, x);
    b.output("y", y).unwrap();
    b.finish().unwrap()
}

fn inputs_of(x: Tensor) -> BTreeMap<String, Tensor> {
    BTreeMap::from([("x".to_string(), x)])
}

/// Each row is [big, small, −big, 0]: its sum is the small difference of two large terms.
/// A kernel adding in f32 loses the small term's low bits (the sum is off by far more than
/// 1e-4 of the result), which is right for f32 and within the bound γ_n·Σ|x|.
#[test]
fn cancellation_passes() {
    let rows = 32;
    let values: Vec<f64> = (0..rows)
        .flat_map(|r| {
            let big = 1.0e6 + 977.0 * r as f64;
            let small = 0.3 + 0.01 * r as f64;
            [big, small, -big, 0.0]
        })
        .collect();
    let x = Tensor::from_f64(DType::F32, &[rows, 4], &values).unwrap();
    let g = graph(DType::F32, &[rows, 4], |b, x| {
        b.reduce(ReduceOp::Sum, x, &[1]).unwrap()
    });
    for target in TARGETS {
        let c = compiled(&g, target);
        let inputs = inputs_of(x.clone());
        let got = c.program.run(&inputs).unwrap();
        let reference = evaluate_with_bounds(&g, &inputs, &target).unwrap();
        let (want, have) = (reference[0].value.to_f64_vec(), got[0].1.to_f64_vec());
        let relative_misses = want
            .iter()
            .zip(&have)
            .filter(|(w, h)| (*w - *h).abs() > 1e-4 * w.abs())
            .count();
        assert!(
            relative_misses > 0,
            "{}: the kernel summed exactly; no cancellation to judge",
            target.name
        );
        assert_eq!(compare(&reference[0], &got[0].1), None, "{}", target.name);
    }
}

/// An f32 sum cast to f64 is judged by the f32 computation, not by f64 precision: it passes
/// on 20 seeds, where the old rule (the output dtype's tolerance, 1e-12 + 1e-10·|expected|
/// for f64) rejects most of them.
#[test]
fn f32_sum_cast_to_f64_passes_on_20_seeds() {
    let g = graph(DType::F32, &[16, 1000], |b, x| {
        let s = b.reduce(ReduceOp::Sum, x, &[1]).unwrap();
        b.cast(s, DType::F64).unwrap()
    });
    for target in TARGETS {
        let c = compiled(&g, target);
        let mut old_rule_rejects = 0;
        for seed in 0..20 {
            let inputs = interp::random_inputs(&g, seed);
            let got = c.program.run(&inputs).unwrap();
            check_outputs(&g, &inputs, &got, &target)
                .unwrap_or_else(|e| panic!("seed {seed}: {e}"));
            let want = interp::evaluate(&g, &inputs).unwrap();
            let (w, h) = (want[0].1.to_f64_vec(), got[0].1.to_f64_vec());
            let outside = |(w, h): (&f64, &f64)| (w - h).abs() > 1e-12 + 1e-10 * w.abs();
            old_rule_rejects += usize::from(w.iter().zip(&h).any(outside));
        }
        assert!(
            old_rule_rejects >= 10,
            "{}: the old rule rejects only {old_rule_rejects} of 20 seeds; the case tests little",
            target.name
        );
    }
}

/// Runs `c` with the kernel `k` replaced by its faulty version; the comparison (or the
/// interpreter, for a race) must report it, and the same program without the fault passes.
fn assert_fault_caught(g: &Graph, target: Target, k: usize, fault: Fault, seed: u64) -> String {
    let c = compiled(g, target);
    let inputs = interp::random_inputs(g, seed);
    let right = c.program.run(&inputs).unwrap();
    check_outputs(g, &inputs, &right, &target).unwrap_or_else(|e| panic!("without the fault: {e}"));
    let mut faulty = c.program.clone();
    faulty.kernels[k] = inject(&c.program.kernels[k], fault).unwrap_or_else(|e| panic!("{e}"));
    match faulty.run(&inputs) {
        Err(e) => format!("run: {e}"),
        Ok(got) => match check_outputs(g, &inputs, &got, &target) {
            Err(e) => format!("check: {e}"),
            Ok(()) => panic!("{} on {}: {fault:?} went unnoticed", g.name(), target.name),
        },
    }
}

/// Every global load of a fused layernorm kernel, shifted by one element, is reported; so is
/// the load of a plain f16 elementwise kernel, whose exact ops must match bit for bit.
#[test]
fn a_shifted_index_is_reported() {
    let layernorm = graph(DType::F32, &[64, 48], |b, x| {
        let y = b.layernorm(x, None, None, 1e-5).unwrap();
        b.gelu(y).unwrap()
    });
    let double = graph(DType::F16, &[512], |b, x| {
        let two = b.constant_like(2.0, x).unwrap();
        b.binary(egpu_ir::BinaryOp::Mul, x, two).unwrap()
    });
    for g in [&layernorm, &double] {
        for target in TARGETS {
            let kernel = &compiled(g, target).program.kernels[0];
            let loads = (0..)
                .take_while(|&nth| inject(kernel, Fault::ShiftLoad { nth }).is_ok())
                .count();
            assert!(loads > 0, "{}: no global load", g.name());
            for nth in 0..loads {
                let report = assert_fault_caught(g, target, 0, Fault::ShiftLoad { nth }, 1);
                assert!(report.starts_with("check: y["), "{report}");
            }
        }
    }
}

#[test]
fn a_dropped_term_is_reported() {
    let sum_rows = graph(DType::F32, &[8, 256], |b, x| {
        b.reduce(ReduceOp::Sum, x, &[1]).unwrap()
    });
    let matmul = {
        let mut b = GraphBuilder::new("mm");
        let x = b.input("x", DType::F32, &[32, 64]).unwrap();
        let w = b.input("w", DType::F32, &[64, 32]).unwrap();
        let y = b.matmul(x, w, None).unwrap();
        b.output("y", y).unwrap();
        b.finish().unwrap()
    };
    let bf16_rows = graph(DType::BF16, &[4, 128], |b, x| b.mean(x, &[1]).unwrap());
    for g in [&sum_rows, &matmul, &bf16_rows] {
        for target in TARGETS {
            let report = assert_fault_caught(g, target, 0, Fault::DropTerm { nth: 0 }, 3);
            assert!(
                report.starts_with("check: y["),
                "{} {}: {report}",
                g.name(),
                target.name
            );
        }
    }
}

/// A workgroup reduction stores per-subgroup sums to shared memory, waits at a barrier and
/// adds them up; without the barrier lanes read shared memory before it is written. The
/// kernel interpreter reports that (a read before the write, or a race) before any
/// comparison.
#[test]
fn a_missing_barrier_is_reported() {
    let g = graph(DType::F32, &[4, 8192], |b, x| {
        b.reduce(ReduceOp::Sum, x, &[1]).unwrap()
    });
    for target in TARGETS {
        let c = compiled(&g, target);
        assert!(
            egpu_ir::kernel::print(&c.program.kernels[0]).contains("barrier"),
            "{}: expected a workgroup reduction with a barrier",
            target.name
        );
        let report = assert_fault_caught(&g, target, 0, Fault::DropBarrier { nth: 0 }, 4);
        assert!(report.starts_with("run: "), "{report}");
        let race = report.contains("race") || report.contains("before it is written");
        assert!(race, "{report}");
    }
}

/// Faults reach the tensor-core path too: its kernel (fragments across the k loop) is
/// copied through the fault injection, and every shifted operand load is reported.
#[test]
fn a_shifted_load_in_a_fragment_matmul_is_reported() {
    let mut b = GraphBuilder::new("mm16");
    let x = b.input("x", DType::F16, &[64, 64]).unwrap();
    let w = b.input("w", DType::F16, &[64, 64]).unwrap();
    let y = b.matmul(x, w, None).unwrap();
    b.output("y", y).unwrap();
    let g = b.finish().unwrap();
    let target = Target::SM_90;
    let kernel = &compiled(&g, target).program.kernels[0];
    let text = egpu_ir::kernel::print(kernel);
    assert!(text.contains("fragment_mma"), "{text}");
    let loads = (0..)
        .take_while(|&nth| inject(kernel, Fault::ShiftLoad { nth }).is_ok())
        .count();
    assert!(loads > 0, "{text}");
    for nth in 0..loads {
        let report = assert_fault_caught(&g, target, 0, Fault::ShiftLoad { nth }, 5);
        assert!(report.starts_with("check: y["), "{report}");
    }
}

/// An all-NaN result where the reference is finite fails, and so does a single NaN.
#[test]
fn nan_where_the_reference_is_finite_fails() {
    let g = graph(DType::F32, &[8, 16], |b, x| b.softmax(x, -1).unwrap());
    let inputs = interp::random_inputs(&g, 5);
    let reference = evaluate_with_bounds(&g, &inputs, &Target::SM_90).unwrap();
    let want = &reference[0].value;
    let nans =
        Tensor::from_f64(DType::F32, want.shape.dims(), &vec![f64::NAN; want.numel()]).unwrap();
    let m = compare(&reference[0], &nans).expect("all NaN must fail");
    assert_eq!(m.count, want.numel());
    let mut one = want.to_f64_vec();
    one[7] = f64::NAN;
    let one = Tensor::from_f64(DType::F32, want.shape.dims(), &one).unwrap();
    assert_eq!(
        compare(&reference[0], &one).map(|m| (m.index, m.count)),
        Some((7, 1))
    );
}

/// The bounds follow the computation: exact elementwise ops allow nothing, approximate
/// functions allow the precision model's bound, sums grow with their length.
#[test]
fn bounds_follow_the_computation() {
    let exact = graph(DType::F32, &[64], |b, x| {
        let y = b.binary(egpu_ir::BinaryOp::Mul, x, x).unwrap();
        b.binary(egpu_ir::BinaryOp::Add, y, x).unwrap()
    });
    let inputs = interp::random_inputs(&exact, 6);
    let r = evaluate_with_bounds(&exact, &inputs, &Target::SM_90).unwrap();
    assert!(r[0].bound.iter().all(|&e| e == 0.0));

    let exp2 = graph(DType::F32, &[64], |b, x| {
        b.unary(egpu_ir::UnaryOp::Exp2, x).unwrap()
    });
    let inputs = interp::random_inputs(&exp2, 7);
    for target in TARGETS {
        let r = evaluate_with_bounds(&exp2, &inputs, &target).unwrap();
        let model = egpu_ir::precision::bound(
            egpu_ir::precision::Family::of(&target),
            egpu_ir::precision::FloatOp::Exp2,
            DType::F32,
        );
        for (&v, &e) in r[0].value.to_f64_vec().iter().zip(&r[0].bound) {
            let ulp = egpu_ir::precision::ulp(v, DType::F32);
            assert!(
                e >= model.ulps * ulp && e <= (model.ulps + 1.0) * ulp,
                "{v}: {e}"
            );
        }
    }

    let sums: Vec<f64> = [16usize, 1024]
        .iter()
        .map(|&n| {
            let g = graph(DType::F32, &[n], |b, x| {
                b.reduce(ReduceOp::Sum, x, &[0]).unwrap()
            });
            let ones = Tensor::from_f64(DType::F32, &[n], &vec![1.0; n]).unwrap();
            evaluate_with_bounds(&g, &inputs_of(ones), &Target::SM_90).unwrap()[0].bound[0]
        })
        .collect();
    // n terms of 1: γ_n·n = n²·2^-24 (plus half an ULP of the result).
    assert!(sums[1] > 1000.0 * sums[0], "{sums:?}");
}

/// `egpu run --check` uses the same comparison: a graph whose row sums cancel passes.
#[test]
fn egpu_run_check_accepts_cancellation() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("cancel.egir");
    std::fs::write(
        &file,
        "graph cancel(x: f32[8, 300]) {\n  big = mul(x, 1000000)\n  y = sum(sub(big, big), axes=[1])\n  z = sum(x, axes=[1])\n  return y, z\n}\n",
    )
    .unwrap();
    let mut out = Vec::new();
    let mut err = Vec::new();
    let path = file.to_string_lossy().into_owned();
    let code = egpu::cli::run(["egpu", "run", &path, "--check"], &mut out, &mut err);
    let (out, err) = (String::from_utf8_lossy(&out), String::from_utf8_lossy(&err));
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("check y: ok") && out.contains("check z: ok"),
        "{out}"
    );
}
