//! The float families end to end on the RDNA3 emulator: the edge-value kernels of
//! `codegen-amdgpu/tests/data/kir/float_{unary,binary}_*.kir` (every float op of f16, bf16,
//! f32 and f64 over NaN, ±inf, ±0, subnormals, the extremes, exact-division cases and large
//! sin arguments) compiled for gfx1100 and run on the `emu` device. Exact operations must
//! give the interpreter's bits; the approximate ones (exp2, log2, sqrt, recip, sin) must lie
//! within the precision model's AMD bound of the exact value (f64 libm, which is within
//! 1 ULP itself for f64: there one more ULP is allowed).

use egpu_codegen_amdgpu::compile_kernel;
use egpu_codegen_amdgpu::object::CodeObject;
use egpu_ir::interp::Tensor;
use egpu_ir::kernel::text::parse;
use egpu_ir::kernel::{Kernel, run};
use egpu_ir::precision::{Family, FloatOp, bound, ulp};
use egpu_ir::{DType, Target, round_float};
use egpu_runtime::bytes::{from_bytes, to_bytes};
use egpu_runtime::{Arg, Binary, Device, EmuDevice};
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
        .join("../codegen-amdgpu/tests/data/kir")
        .join(format!("{name}.kir"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    parse(&text).unwrap_or_else(|e| panic!("{}", e.render(name, &text)))
}

/// The same 32 edge values as codegen-amdgpu/tests/float_kernels.rs.
fn edges(dt: DType) -> Vec<f64> {
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

fn unary_inputs(dt: DType) -> Vec<f64> {
    let e = edges(dt);
    (0..N)
        .map(|i| match e.get(i) {
            Some(x) => *x,
            None => {
                let t = i as f64 / N as f64;
                let s = if i % 2 == 0 { 1.0 } else { -1.0 };
                round_float((t * 80.0 - 40.0).exp2() * s, dt)
            }
        })
        .collect()
}

fn binary_inputs(dt: DType) -> [Vec<f64>; 3] {
    let e = edges(dt);
    [
        (0..N).map(|i| e[i / 32]).collect(),
        (0..N).map(|i| e[i % 32]).collect(),
        (0..N).map(|i| e[(i * 7) % 32]).collect(),
    ]
}

fn tensor(dt: DType, v: &[f64]) -> Tensor {
    Tensor::from_f64(dt, &[v.len()], v).unwrap_or_else(|e| panic!("{e}"))
}

/// Runs `k` on the emulator with `buffers` (inputs filled, outputs any contents) and
/// returns every buffer afterwards.
fn on_emu(k: &Kernel, buffers: &[Tensor]) -> Vec<Tensor> {
    let target = Target::GFX1100;
    let compiled = compile_kernel(k, &target).unwrap_or_else(|e| panic!("{}: {e}", k.name()));
    let object = CodeObject::write(&[compiled.code()]).unwrap_or_else(|e| panic!("{e}"));
    let mut dev = EmuDevice::new();
    let handle = dev
        .load(&Binary::CodeObject(object), k.name())
        .unwrap_or_else(|e| panic!("{e}"));
    let mut ids = Vec::new();
    for t in buffers {
        let bytes = to_bytes(t);
        let id = dev.alloc(bytes.len()).unwrap_or_else(|e| panic!("{e}"));
        dev.upload(id, &bytes).unwrap_or_else(|e| panic!("{e}"));
        ids.push(id);
    }
    let args: Vec<Arg> = ids.iter().map(|id| Arg::Buffer(*id)).collect();
    dev.launch(handle, k.launch(), &args)
        .unwrap_or_else(|e| panic!("{}: {e}", k.name()));
    buffers
        .iter()
        .zip(&ids)
        .map(|(t, id)| {
            let mut out = vec![0u8; to_bytes(t).len()];
            dev.download(*id, &mut out)
                .unwrap_or_else(|e| panic!("{e}"));
            from_bytes(t.dtype, t.shape.clone(), &out).unwrap_or_else(|e| panic!("{e}"))
        })
        .collect()
}

fn same(a: f64, b: f64) -> bool {
    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
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

#[test]
fn unary_float_ops_on_the_emulator() {
    let mut failures = Vec::new();
    for (dt, name) in DTYPES {
        let k = kernel(&format!("float_unary_{name}"));
        let x = unary_inputs(dt);
        let bufs = [tensor(dt, &x), tensor(dt, &vec![0.0; N * UNARY.len()])];
        let out = on_emu(&k, &bufs)[1].to_f64_vec();
        for (i, &xi) in x.iter().enumerate() {
            for (j, op) in UNARY.iter().enumerate() {
                let got = out[i * UNARY.len() + j];
                let exact = exact_unary(op, xi);
                let ok = match float_op(op) {
                    Some(f) => {
                        bound(Family::Amd, f, dt).accepts(dt, exact, xi, got)
                            || (dt == DType::F64
                                && !f.eq(&FloatOp::Sqrt)
                                && !f.eq(&FloatOp::Recip)
                                && (got - exact).abs() <= 2.0 * ulp(exact, dt))
                    }
                    None => same(got, round_float(exact, dt)),
                };
                if !ok {
                    failures.push(format!("{name} {op} {xi:e}: got {got:e}, exact {exact:e}"));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn binary_float_ops_on_the_emulator() {
    let mut failures = Vec::new();
    for (dt, name) in DTYPES {
        let k = kernel(&format!("float_binary_{name}"));
        let [a, b, c] = binary_inputs(dt);
        let bufs = [
            tensor(dt, &a),
            tensor(dt, &b),
            tensor(dt, &c),
            tensor(dt, &vec![0.0; N * BINARY.len()]),
            tensor(DType::I32, &vec![0.0; N * 3]),
        ];
        let mut want = bufs.clone();
        run(&k, &mut want, &[]).unwrap_or_else(|e| panic!("{e}"));
        let got = on_emu(&k, &bufs);
        for (slot, ops) in [(3usize, &BINARY[..]), (4, &["cmplt", "cmpeq", "cmpne"][..])] {
            let (g, w) = (got[slot].to_f64_vec(), want[slot].to_f64_vec());
            for (e, (gv, wv)) in g.iter().zip(&w).enumerate() {
                // the emulator's v_div_fmas_f64 rounds the FMA and then its 2^-128 scaling
                // (hardware fuses them): a subnormal f64 quotient may be 1 ULP off there
                let subnormal_f64 = dt == DType::F64 && wv.abs() < f64::MIN_POSITIVE;
                let near = subnormal_f64 && (gv - wv).abs() <= ulp(*wv, dt);
                if !same(*gv, *wv) && !near {
                    let i = e / ops.len();
                    let op = ops[e % ops.len()];
                    failures.push(format!(
                        "{name} {op} {:e} {:e} {:e}: got {gv:e}, want {wv:e}",
                        a[i], b[i], c[i]
                    ));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
