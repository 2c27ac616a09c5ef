//! Edge-value kernels for the float families (`tests/data/kir/float_{unary,binary}_*.kir`):
//! every unary op (exp2, log2, sqrt, recip, sin, neg, trunc) and binary op (add, sub, mul,
//! div, max, min, fma, cmplt, cmpeq, cmpne) of each float dtype over NaN, ±inf, ±0,
//! subnormals, the extremes, exact-division cases and large sin arguments. Here they run on
//! the kernel-IR interpreter and each output is checked against Rust's IEEE arithmetic
//! rounded to the dtype (so the kernels compute what their layout says); once the RDNA3
//! emulator lands, the same inputs run there and [`accepts`] compares with the precision
//! model (`egpu_ir::precision`, family AMD).

use egpu_ir::interp::Tensor;
use egpu_ir::kernel::text::parse;
use egpu_ir::kernel::{Kernel, run, verify};
use egpu_ir::precision::{Family, FloatOp, bound};
use egpu_ir::{DType, Target, round_float};
use std::path::Path;

const N: usize = 1024;
const UNARY: [&str; 7] = ["exp2", "log2", "sqrt", "recip", "sin", "neg", "trunc"];
const BINARY: [&str; 7] = ["add", "sub", "mul", "div", "max", "min", "fma"];
const DTYPES: [(DType, &str); 4] = [
    (DType::F16, "f16"),
    (DType::BF16, "bf16"),
    (DType::F32, "f32"),
    (DType::F64, "f64"),
];

fn kernel(name: &str) -> Kernel {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/kir")
        .join(format!("{name}.kir"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    let k = parse(&text).unwrap_or_else(|e| panic!("{}", e.render(name, &text)));
    if let Err(errors) = verify(&k, Some(&Target::GFX1100)) {
        panic!("{name}: {errors:?}");
    }
    k
}

/// 32 edge values of a dtype (rounded to it): zeros, ±1, 1/3-type quotients, extremes,
/// subnormals, infinities, NaN, large sin arguments.
pub fn edges(dt: DType) -> Vec<f64> {
    let (max, min_normal, min_sub) = match dt {
        DType::F16 => (65504.0, 2f64.powi(-14), 2f64.powi(-24)),
        DType::BF16 => (3.389_531_389_251_535e38, 2f64.powi(-126), 2f64.powi(-133)),
        DType::F32 => (f64::from(f32::MAX), 2f64.powi(-126), 2f64.powi(-149)),
        _ => (f64::MAX, f64::MIN_POSITIVE, 2f64.powi(-1074)),
    };
    let v = [
        0.0,
        -0.0,
        1.0,
        -1.0,
        3.0,
        0.1,
        -7.25,
        10.0,
        0.5,
        1e-3,
        max,
        -max,
        min_normal,
        -min_normal,
        min_sub,
        -min_sub,
        min_sub * 3.0,
        min_normal * 0.75,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NAN,
        std::f64::consts::PI,
        355.0,
        -22.0,
        1e4,
        60000.0,
        -126.5,
        -140.25,
        100.5,
        2.0,
        1e-30,
        1e30,
    ];
    v.iter().map(|x| round_float(*x, dt)).collect()
}

fn tensor(dt: DType, v: &[f64]) -> Tensor {
    Tensor::from_f64(dt, &[v.len()], v).unwrap_or_else(|e| panic!("{e}"))
}

/// The unary kernel's inputs: every edge value, then a spread of magnitudes.
pub fn unary_inputs(dt: DType) -> Vec<f64> {
    let e = edges(dt);
    (0..N)
        .map(|i| match e.get(i) {
            Some(x) => *x,
            None => {
                let t = i as f64 / N as f64;
                round_float(
                    (t * 80.0 - 40.0).exp2() * if i % 2 == 0 { 1.0 } else { -1.0 },
                    dt,
                )
            }
        })
        .collect()
}

/// The binary kernel's inputs: a and b run over all pairs of edge values, c over edges.
pub fn binary_inputs(dt: DType) -> [Vec<f64>; 3] {
    let e = edges(dt);
    let a = (0..N).map(|i| e[i / 32]).collect();
    let b = (0..N).map(|i| e[i % 32]).collect();
    let c = (0..N).map(|i| e[(i * 7) % 32]).collect();
    [a, b, c]
}

fn exact_unary(op: &str, x: f64) -> f64 {
    match op {
        "exp2" => x.exp2(),
        "log2" => x.log2(),
        "sqrt" => x.sqrt(),
        "recip" => 1.0 / x,
        "sin" => x.sin(),
        "neg" => -x,
        _ => x.trunc(),
    }
}

fn float_op(op: &str) -> Option<FloatOp> {
    Some(match op {
        "exp2" => FloatOp::Exp2,
        "log2" => FloatOp::Log2,
        "sqrt" => FloatOp::Sqrt,
        "recip" => FloatOp::Recip,
        "sin" => FloatOp::Sin,
        _ => return None,
    })
}

/// Whether `got` is acceptable for unary `op` of `x` on `dt` (precision model, family AMD;
/// neg and trunc exact).
pub fn accepts(op: &str, dt: DType, x: f64, got: f64) -> bool {
    let exact = exact_unary(op, x);
    match float_op(op) {
        Some(f) => bound(Family::Amd, f, dt).accepts(dt, exact, x, got),
        None => same(got, round_float(exact, dt)),
    }
}

fn same(a: f64, b: f64) -> bool {
    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
}

#[test]
fn unary_kernels_compute_their_layout() {
    for (dt, name) in DTYPES {
        let k = kernel(&format!("float_unary_{name}"));
        let x = unary_inputs(dt);
        let mut bufs = [tensor(dt, &x), tensor(dt, &vec![0.0; N * UNARY.len()])];
        run(&k, &mut bufs, &[]).unwrap_or_else(|e| panic!("{e}"));
        let out = bufs[1].to_f64_vec();
        for (i, &xi) in x.iter().enumerate() {
            for (j, op) in UNARY.iter().enumerate() {
                let got = out[i * UNARY.len() + j];
                // the interpreter is exact: within the bound, and for f64 libm's own error
                let ok = accepts(op, dt, xi, got)
                    || (dt == DType::F64 && {
                        let e = exact_unary(op, xi);
                        (got - e).abs() <= egpu_ir::precision::ulp(e, dt)
                    });
                assert!(ok, "{name} {op} {xi:e}: {got:e}");
            }
        }
    }
}

#[test]
fn binary_kernels_compute_their_layout() {
    for (dt, name) in DTYPES {
        let k = kernel(&format!("float_binary_{name}"));
        let [a, b, c] = binary_inputs(dt);
        let mut bufs = [
            tensor(dt, &a),
            tensor(dt, &b),
            tensor(dt, &c),
            tensor(dt, &vec![0.0; N * BINARY.len()]),
            tensor(DType::I32, &vec![0.0; N * 3]),
        ];
        run(&k, &mut bufs, &[]).unwrap_or_else(|e| panic!("{e}"));
        let out = bufs[3].to_f64_vec();
        let cmp = bufs[4].to_f64_vec();
        for i in 0..N {
            let (x, y, z) = (a[i], b[i], c[i]);
            let r = |v: f64| round_float(v, dt);
            let want = [
                r(x + y),
                r(x - y),
                r(x * y),
                r(x / y),
                if x.is_nan() || y.is_nan() {
                    f64::NAN
                } else if x == y {
                    if x.is_sign_positive() { x } else { y }
                } else {
                    x.max(y)
                },
                if x.is_nan() || y.is_nan() {
                    f64::NAN
                } else if x == y {
                    if x.is_sign_negative() { x } else { y }
                } else {
                    x.min(y)
                },
                egpu_ir::kernel::fma(x, y, z, dt),
            ];
            for (j, w) in want.iter().enumerate() {
                let got = out[i * BINARY.len() + j];
                assert!(same(got, *w), "{name} {} {x:e} {y:e}: {got:e}", BINARY[j]);
            }
            let wc = [x < y, x == y, x != y].map(f64::from);
            assert_eq!(&cmp[i * 3..i * 3 + 3], &wc, "{name} compares {x:e} {y:e}");
        }
    }
}
