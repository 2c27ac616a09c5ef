//! Tests of the float families: every sequence is legal for the encoder and assembles with
//! `llvm-mc-19` (the oracle for the text), keeps VCC intact between `v_div_scale` and
//! `v_div_fmas`, and computes, on the one-lane evaluator ([`super::float_eval`]), results
//! that the precision model (`egpu_ir::precision`, family AMD) accepts against exact values
//! from Rust's IEEE arithmetic, `egpu_ir::round_float` and the interpreter's `kernel::fma`.

use super::float_eval::Eval;
use super::{Piece, Sel};
use crate::isa::{Inst, Operand};
use crate::mir::{MInst, Mir, RegClass, Slot};
use egpu_ir::kernel::{Kernel, KernelBuilder, Launch};
use egpu_ir::precision::{Family, FloatOp, bound};
use egpu_ir::{BinaryOp, DType, Target, UnaryOp, round_float};

fn kernel() -> Kernel {
    match KernelBuilder::new("float_test", Launch::linear(1, 32), 32).finish() {
        Ok(k) => k,
        Err(e) => panic!("{e}"),
    }
}

type Build = dyn Fn(&mut Sel, &[Piece]) -> Piece;

/// A selected sequence: its machine IR, input registers and result register.
struct Seq {
    mir: Mir,
    ins: Vec<Piece>,
    in_dwords: u8,
    out: Piece,
    dwords: u8,
}

thread_local! {
    /// Whether [`select`] gives the sequence its operands in SGPRs (uniform values) rather
    /// than VGPRs.
    static SCALAR_INPUTS: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

fn select(inputs: usize, dwords: u8, build: &Build) -> Seq {
    let k = kernel();
    let t = Target::GFX1100;
    let mut sel = Sel::new(&k, &t);
    let class = if SCALAR_INPUTS.get() {
        RegClass::S
    } else {
        RegClass::V
    };
    let ins: Vec<Piece> = (0..inputs).map(|_| sel.new_piece(class, dwords)).collect();
    let out = build(&mut sel, &ins);
    let out_dwords = sel.mir.info(out.reg).dwords.min(2);
    Seq {
        mir: sel.mir,
        ins,
        in_dwords: dwords,
        out,
        dwords: out_dwords,
    }
}

impl Seq {
    fn eval(&self, inputs: &[u64]) -> u64 {
        let mut ev = Eval::default();
        for (p, v) in self.ins.iter().zip(inputs) {
            ev.set(p.reg, p.offset, *v, self.in_dwords);
        }
        ev.run(&self.mir);
        ev.get(self.out.reg, self.out.offset, self.dwords)
    }
}

fn binary(op: BinaryOp, dt: DType) -> Seq {
    let dw = if dt == DType::F64 { 2 } else { 1 };
    select(
        2,
        dw,
        &move |s, p| match super::select::binary(s, op, dt, p[0], p[1]) {
            Ok(r) => r,
            Err(e) => panic!("{e}"),
        },
    )
}

fn unary(op: UnaryOp, dt: DType) -> Seq {
    let dw = if dt == DType::F64 { 2 } else { 1 };
    select(
        1,
        dw,
        &move |s, p| match super::select::unary(s, op, dt, p[0]) {
            Ok(r) => r,
            Err(e) => panic!("{e}"),
        },
    )
}

fn fma(dt: DType) -> Seq {
    let dw = if dt == DType::F64 { 2 } else { 1 };
    select(
        3,
        dw,
        &move |s, p| match super::select::fma(s, dt, p[0], p[1], p[2]) {
            Ok(r) => r,
            Err(e) => panic!("{e}"),
        },
    )
}

// ---- values and bits per dtype ----

fn to_bits(v: f64, dt: DType) -> u64 {
    egpu_ir::Scalar::Float(v).to_bits(dt)
}

fn from_bits(b: u64, dt: DType) -> f64 {
    match egpu_ir::Scalar::from_bits(b, dt) {
        egpu_ir::Scalar::Float(f) => f,
        other => panic!("{other:?}"),
    }
}

/// Edge values of a dtype: zeros, ±1, the extremes, subnormals, infinities, NaN, and
/// some ordinary values.
fn edges(dt: DType) -> Vec<f64> {
    let (max, min_normal, min_sub) = match dt {
        DType::F16 => (65504.0, 2f64.powi(-14), 2f64.powi(-24)),
        DType::BF16 => (3.389_531_389_251_535e38, 2f64.powi(-126), 2f64.powi(-133)),
        DType::F32 => (f64::from(f32::MAX), 2f64.powi(-126), 2f64.powi(-149)),
        _ => (f64::MAX, f64::MIN_POSITIVE, 2f64.powi(-1074)),
    };
    let mut v = vec![
        0.0,
        -0.0,
        1.0,
        -1.0,
        0.5,
        3.0,
        -7.25,
        0.1,
        1.0 / 3.0,
        100.5,
        -1000.0,
        max,
        -max,
        min_normal,
        min_sub,
        -min_sub,
        min_sub * 3.0,
        min_normal * 0.75,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NAN,
    ];
    // a deterministic spread of magnitudes
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    for _ in 0..40 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let m = 1.0 + (seed >> 11) as f64 / (1u64 << 53) as f64;
        let e = (seed % 41) as i32 - 20;
        let s = if seed & 1 == 1 { -1.0 } else { 1.0 };
        v.push(s * m * 2f64.powi(e));
    }
    v.into_iter().map(|x| round_float(x, dt)).collect()
}

fn same(a: f64, b: f64) -> bool {
    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
}

/// The upper half of a 16-bit float result must be zero (the value representation).
fn check_upper(bits: u64, dt: DType, what: &str) {
    if matches!(dt, DType::F16 | DType::BF16) {
        assert_eq!(bits >> 16, 0, "{what}: upper half not zero: {bits:#x}");
    }
}

type Arith = fn(f64, f64) -> f64;
type Compare = fn(f64, f64) -> bool;

const FLOATS: [DType; 4] = [DType::F16, DType::BF16, DType::F32, DType::F64];
const SMALL: [DType; 3] = [DType::F16, DType::BF16, DType::F64];

#[test]
fn exact_binary_ops_match_correct_rounding() {
    let ops: [(BinaryOp, Arith); 3] = [
        (BinaryOp::Add, |a, b| a + b),
        (BinaryOp::Sub, |a, b| a - b),
        (BinaryOp::Mul, |a, b| a * b),
    ];
    for dt in SMALL {
        let xs = edges(dt);
        for (op, f) in ops {
            let seq = binary(op, dt);
            for &a in &xs {
                for &b in &xs {
                    let got = seq.eval(&[to_bits(a, dt), to_bits(b, dt)]);
                    check_upper(got, dt, "arith");
                    let want = if dt == DType::F64 {
                        f(a, b)
                    } else {
                        round_float(f(a, b), dt)
                    };
                    let g = from_bits(got, dt);
                    assert!(
                        same(g, want),
                        "{op:?} {dt:?} {a:e} {b:e}: got {g:e}, want {want:e}"
                    );
                }
            }
        }
    }
}

#[test]
fn division_is_correctly_rounded() {
    for dt in FLOATS {
        let seq = binary(BinaryOp::Div, dt);
        let mut xs = edges(dt);
        // keep the Newton steps in range (the model leaves v_div_scale's scaling out)
        let lim = if dt == DType::F64 { 1e150 } else { 1e18 };
        xs.retain(|x| !x.is_finite() || *x == 0.0 || (x.abs() < lim && x.abs() > 1.0 / lim));
        if dt != DType::F16 {
            // tiny quotients, denormal ones among them (1e-37 / 1000)
            xs.push(round_float(1e-30, dt));
            xs.push(round_float(1e-37, dt));
        }
        let max = if dt == DType::F64 {
            f64::MAX
        } else {
            f64::from(f32::MAX)
        };
        for &a in &xs {
            for &b in &xs {
                let q = (a / b).abs();
                if q.is_finite() && q > max / 4.0 && a.is_finite() && b != 0.0 {
                    continue; // the overflow path of v_div_scale is not modelled
                }
                let got = seq.eval(&[to_bits(a, dt), to_bits(b, dt)]);
                check_upper(got, dt, "div");
                let want = if dt == DType::F64 {
                    a / b
                } else {
                    round_float(a / b, dt)
                };
                let g = from_bits(got, dt);
                assert!(
                    same(g, want),
                    "div {dt:?} {a:e} / {b:e}: got {g:e}, want {want:e}"
                );
            }
        }
    }
}

#[test]
fn fma_is_fused_and_rounded_once() {
    for dt in [DType::F16, DType::BF16, DType::F64] {
        let seq = fma(dt);
        let xs: Vec<f64> = edges(dt).into_iter().step_by(3).collect();
        let mut cases = Vec::new();
        for &a in &xs {
            for &b in &xs {
                for &c in &xs {
                    cases.push((a, b, c));
                }
            }
        }
        // ties and near-ties after the product: 1 + 2^-p·(1 ± 2^-k)
        let p = if dt == DType::BF16 { 8 } else { 11 };
        let e = 2f64.powi(-p);
        cases.push((1.0 + e, 1.0 + e, -1.0));
        cases.push((1.0 + 2.0 * e, 1.0 - e, e * e));
        cases.push((1.0 + e, 1.0 - e, 2.0 * e * e));
        for (a, b, c) in cases {
            let (a, b, c) = (round_float(a, dt), round_float(b, dt), round_float(c, dt));
            let p = (a * b).abs();
            if dt == DType::BF16 && p != 0.0 && p < 2f64.powi(-149) {
                continue; // a product below f32's range: the documented bf16 limitation
            }
            let bits = [to_bits(a, dt), to_bits(b, dt), to_bits(c, dt)];
            let got = seq.eval(&bits);
            check_upper(got, dt, "fma");
            let want = egpu_ir::kernel::fma(a, b, c, dt);
            let g = from_bits(got, dt);
            assert!(
                same(g, want),
                "fma {dt:?} {a:e} {b:e} {c:e}: got {g:e}, want {want:e}"
            );
        }
    }
}

#[test]
fn max_min_order_zeros_and_propagate_nan() {
    for dt in SMALL {
        let xs = edges(dt);
        for op in [BinaryOp::Max, BinaryOp::Min] {
            let seq = binary(op, dt);
            for &a in &xs {
                for &b in &xs {
                    let got = seq.eval(&[to_bits(a, dt), to_bits(b, dt)]);
                    check_upper(got, dt, "max/min");
                    let want = if a.is_nan() || b.is_nan() {
                        f64::NAN
                    } else if a == b {
                        // −0 < +0
                        let pick_pos = (op == BinaryOp::Max) == a.is_sign_positive();
                        if pick_pos { a } else { b }
                    } else if (a > b) == (op == BinaryOp::Max) {
                        a
                    } else {
                        b
                    };
                    let want = if a == b && a == 0.0 {
                        // max is +0 unless both are −0; min is −0 unless both are +0
                        let pos = a.is_sign_positive() as u8 + b.is_sign_positive() as u8;
                        let plus = if op == BinaryOp::Max {
                            pos > 0
                        } else {
                            pos == 2
                        };
                        if plus { 0.0 } else { -0.0 }
                    } else {
                        want
                    };
                    let g = from_bits(got, dt);
                    assert!(same(g, want), "{op:?} {dt:?} {a:e} {b:e}: got {g:e}");
                }
            }
        }
    }
}

#[test]
fn compares_follow_ieee() {
    let ops: [(BinaryOp, Compare); 3] = [
        (BinaryOp::CmpLt, |a, b| a < b),
        (BinaryOp::CmpEq, |a, b| a == b),
        (BinaryOp::CmpNe, |a, b| a != b),
    ];
    for dt in SMALL {
        let xs = edges(dt);
        for (op, f) in ops {
            let seq = binary(op, dt);
            assert_eq!(
                seq.mir.info(seq.out.reg).class,
                RegClass::S,
                "a bool is a mask"
            );
            for &a in &xs {
                for &b in &xs {
                    let got = seq.eval(&[to_bits(a, dt), to_bits(b, dt)]) & 1 == 1;
                    assert_eq!(got, f(a, b), "{op:?} {dt:?} {a:e} {b:e}");
                }
            }
        }
    }
}

#[test]
fn neg_and_trunc_are_exact() {
    for dt in SMALL {
        for (op, f) in [
            (UnaryOp::Neg, (|x: f64| -x) as fn(f64) -> f64),
            (UnaryOp::Trunc, f64::trunc),
        ] {
            let seq = unary(op, dt);
            for x in edges(dt) {
                let got = seq.eval(&[to_bits(x, dt)]);
                check_upper(got, dt, "neg/trunc");
                let g = from_bits(got, dt);
                assert!(same(g, f(x)), "{op:?} {dt:?} {x:e}: got {g:e}");
                if op == UnaryOp::Neg {
                    assert_eq!(got, to_bits(x, dt) ^ (1 << (bits_of(dt) - 1)), "sign flip");
                }
            }
        }
    }
}

fn bits_of(dt: DType) -> u32 {
    if dt == DType::F64 { 64 } else { 16 }
}

fn float_op(op: UnaryOp) -> FloatOp {
    match op {
        UnaryOp::Exp2 => FloatOp::Exp2,
        UnaryOp::Log2 => FloatOp::Log2,
        UnaryOp::Sqrt => FloatOp::Sqrt,
        UnaryOp::Recip => FloatOp::Recip,
        _ => FloatOp::Sin,
    }
}

fn exact_unary(op: UnaryOp, x: f64) -> f64 {
    match op {
        UnaryOp::Exp2 => x.exp2(),
        UnaryOp::Log2 => x.log2(),
        UnaryOp::Sqrt => x.sqrt(),
        UnaryOp::Recip => 1.0 / x,
        _ => x.sin(),
    }
}

/// Arguments that exercise each routine's special paths.
fn unary_inputs(op: UnaryOp, dt: DType) -> Vec<f64> {
    let mut xs = edges(dt);
    let extra: Vec<f64> = match op {
        UnaryOp::Exp2 => vec![
            -126.0, -126.5, -140.3, -149.0, -150.0, -1022.5, -1074.0, 127.9, 1023.5, 1024.0, 0.25,
        ],
        UnaryOp::Log2 => vec![
            2f64.powi(-130),
            2f64.powi(-1060),
            1.0 + 2f64.powi(-20),
            0.70,
            1.41,
            1024.0,
        ],
        UnaryOp::Sin => vec![
            std::f64::consts::PI,
            1e4,
            355.0,
            65504.0,
            -22.0,
            1e-3,
            2f64.powi(-13),
            std::f64::consts::FRAC_PI_4,
        ],
        _ => vec![
            2f64.powi(-140),
            2f64.powi(-1070),
            2.0,
            1e30,
            2f64.powi(-127),
        ],
    };
    xs.extend(extra.into_iter().map(|x| round_float(x, dt)));
    xs
}

#[test]
fn transcendentals_within_the_amd_bounds() {
    for dt in FLOATS {
        for op in [
            UnaryOp::Exp2,
            UnaryOp::Log2,
            UnaryOp::Sqrt,
            UnaryOp::Recip,
            UnaryOp::Sin,
        ] {
            let seq = unary(op, dt);
            let b = bound(Family::Amd, float_op(op), dt);
            for x in unary_inputs(op, dt) {
                let via_div = op == UnaryOp::Recip && matches!(dt, DType::BF16 | DType::F64);
                if via_div && (1.0 / x).abs() > f64::from(f32::MAX) / 4.0 && dt == DType::BF16 {
                    continue; // the overflow path of v_div_scale is not modelled
                }
                let got = seq.eval(&[to_bits(x, dt)]);
                check_upper(got, dt, "unary");
                let g = from_bits(got, dt);
                let exact = exact_unary(op, x);
                let ok = if dt == DType::F64
                    && matches!(op, UnaryOp::Exp2 | UnaryOp::Log2 | UnaryOp::Sin)
                {
                    // Rust's libm is not correctly rounded: allow 1 ULP of it on top
                    let lib = bound(Family::Amd, FloatOp::Exp2, dt);
                    lib.accepts(dt, exact, x, g)
                        || (g - exact).abs() <= 2.0 * egpu_ir::precision::ulp(exact, dt)
                } else {
                    b.accepts(dt, exact, x, g)
                };
                assert!(ok, "{op:?} {dt:?} {x:e}: got {g:e}, exact {exact:e}");
                if op == UnaryOp::Sin && x == 0.0 {
                    assert!(same(g, x), "sin keeps the zero's sign");
                }
            }
        }
    }
}

// ---- structure ----

/// Every sequence the float families emit, by name.
fn all_sequences() -> Vec<(String, Seq)> {
    let mut v = Vec::new();
    for dt in FLOATS {
        for op in [
            BinaryOp::Add,
            BinaryOp::Sub,
            BinaryOp::Mul,
            BinaryOp::Div,
            BinaryOp::Max,
            BinaryOp::Min,
            BinaryOp::CmpLt,
            BinaryOp::CmpEq,
            BinaryOp::CmpNe,
        ] {
            if dt == DType::F32 && op != BinaryOp::Div {
                continue; // alu32's
            }
            v.push((format!("{op:?} {dt:?}"), binary(op, dt)));
        }
        for op in [
            UnaryOp::Exp2,
            UnaryOp::Log2,
            UnaryOp::Sqrt,
            UnaryOp::Recip,
            UnaryOp::Sin,
            UnaryOp::Neg,
            UnaryOp::Trunc,
        ] {
            let mine = !(dt == DType::F32 && matches!(op, UnaryOp::Neg | UnaryOp::Trunc));
            if mine {
                v.push((format!("{op:?} {dt:?}"), unary(op, dt)));
            }
        }
        if dt != DType::F32 {
            v.push((format!("fma {dt:?}"), fma(dt)));
        }
    }
    v
}

/// [`all_sequences`] with the operands in SGPRs.
fn all_sequences_scalar() -> Vec<(String, Seq)> {
    SCALAR_INPUTS.set(true);
    let v = all_sequences();
    SCALAR_INPUTS.set(false);
    v
}

#[test]
fn every_instruction_is_encodable() {
    for (name, seq) in all_sequences().into_iter().chain(all_sequences_scalar()) {
        for m in &seq.mir.insts {
            if let MInst::Inst { inst, .. } = m
                && let Err(e) = crate::isa::encode(inst)
            {
                panic!("{name}: {} does not encode: {e}", crate::isa::print(inst));
            }
        }
    }
}

/// Between a `v_div_scale` that writes VCC and the `v_div_fmas` that reads it, nothing
/// else writes VCC; every `v_div_fmas` has such a `v_div_scale` before it.
#[test]
fn vcc_reaches_div_fmas_intact() {
    for (name, seq) in all_sequences() {
        let mut live = false;
        for m in &seq.mir.insts {
            let MInst::Inst { inst, .. } = m else {
                continue;
            };
            let op = inst.op().name();
            if op.starts_with("v_div_fmas") {
                assert!(live, "{name}: {op} without VCC from v_div_scale");
                live = false;
                continue;
            }
            let writes_vcc = match *inst {
                Inst::Valu { vdst, sdst, .. } => vdst == Operand::VccLo || sdst == Operand::VccLo,
                Inst::Sop1 { sdst, .. } | Inst::Sop2 { sdst, .. } => sdst == Operand::VccLo,
                _ => false,
            };
            if writes_vcc {
                assert!(
                    op.starts_with("v_div_scale") && !live,
                    "{name}: {op} clobbers VCC"
                );
                live = true;
            }
        }
        assert!(!live, "{name}: VCC set but never read");
    }
}

/// The sequences with distinct registers assemble with llvm-mc-19, which prints them back
/// the way our printer does.
#[test]
fn sequences_assemble_with_llvm() {
    let Some(mc) = llvm_mc() else { return };
    let mut text = String::new();
    for (_, seq) in all_sequences().into_iter().chain(all_sequences_scalar()) {
        for line in allocate_for_text(&seq.mir) {
            text.push_str(&line);
            text.push('\n');
        }
    }
    let out = std::process::Command::new(&mc)
        .args([
            "-triple=amdgcn-amd-amdhsa",
            "-mcpu=gfx1100",
            "-show-encoding",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            use std::io::Write;
            if let Some(mut i) = c.stdin.take() {
                i.write_all(text.as_bytes())?;
            }
            c.wait_with_output()
        });
    let out = match out {
        Ok(o) => o,
        Err(e) => panic!("llvm-mc-19: {e}"),
    };
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && err.trim().is_empty(),
        "llvm-mc-19: {err}"
    );
    // our encoding of each line equals LLVM's
    let ours: Vec<String> = text
        .lines()
        .filter_map(|l| crate::isa::parse(l).ok())
        .map(|i| match crate::isa::encode(&i) {
            Ok(b) => b
                .iter()
                .map(|x| format!("{x:#04x}"))
                .collect::<Vec<_>>()
                .join(","),
            Err(e) => panic!("{e}"),
        })
        .collect();
    let theirs: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split("encoding: [").nth(1))
        .map(|s| s.trim_end_matches(']').to_string())
        .collect();
    assert_eq!(ours.len(), text.lines().count(), "every line parses back");
    assert_eq!(ours, theirs);
}

fn llvm_mc() -> Option<std::path::PathBuf> {
    let found = std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .map(|d| d.join("llvm-mc-19"))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "llvm-mc-19 missing and CI set"
        );
        eprintln!("skipped: llvm-mc-19 not found");
    }
    found
}

/// The instructions as text, each virtual register given its own physical registers
/// (round-robin; enough for the assembler, not an allocation).
fn allocate_for_text(mir: &Mir) -> Vec<String> {
    let (mut nv, mut ns) = (0u32, 0u32);
    let base: Vec<u32> = mir
        .vregs
        .iter()
        .map(|info| match info.class {
            RegClass::V => {
                let b = nv % 250;
                nv += u32::from(info.dwords);
                b
            }
            RegClass::S => {
                ns = ns.next_multiple_of(u32::from(info.align()));
                let b = ns % 100;
                ns += u32::from(info.dwords);
                b
            }
        })
        .collect();
    let mut out = Vec::new();
    for m in &mir.insts {
        let MInst::Inst { inst, regs, .. } = m else {
            continue;
        };
        let mut inst = *inst;
        for r in regs {
            let info = mir.info(r.reg);
            let n = (base[r.reg.0 as usize] + u32::from(r.offset)) as u8;
            let o = match info.class {
                RegClass::V => Operand::Vgpr(n),
                RegClass::S => Operand::Sgpr(n),
            };
            set_slot(&mut inst, r.slot, o);
        }
        out.push(crate::isa::print(&inst));
    }
    out
}

fn set_slot(inst: &mut Inst, slot: Slot, o: Operand) {
    match (inst, slot) {
        (Inst::Valu { vdst, .. }, Slot::Dst) => *vdst = o,
        (Inst::Valu { sdst, .. }, Slot::Sdst) => *sdst = o,
        (Inst::Valu { src, .. }, Slot::Src(i)) => src[usize::from(i)] = o,
        (Inst::Sop1 { sdst, .. } | Inst::Sop2 { sdst, .. }, Slot::Dst) => *sdst = o,
        (Inst::Sop1 { src0, .. } | Inst::Sop2 { src0, .. }, Slot::Src(0)) => *src0 = o,
        (Inst::Sop2 { src1, .. }, Slot::Src(1)) => *src1 = o,
        (i, s) => panic!("slot {s:?} of {i:?}"),
    }
}

/// Random f64 operands across the exponent range (bits from a xorshift), finite.
fn random_f64(n: usize, seed: u64) -> Vec<f64> {
    let mut s = seed;
    let mut v = Vec::new();
    while v.len() < n {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        let x = f64::from_bits(s);
        if x.is_finite() {
            v.push(x);
        }
    }
    v
}

#[test]
fn f64_sqrt_recip_div_are_correctly_rounded_on_random_operands() {
    let sqrt = unary(UnaryOp::Sqrt, DType::F64);
    let recip = unary(UnaryOp::Recip, DType::F64);
    let div = binary(BinaryOp::Div, DType::F64);
    let xs = random_f64(3000, 0x9e37_79b9_7f4a_7c15);
    for (i, &x) in xs.iter().enumerate() {
        let a = x.abs();
        let got = f64::from_bits(sqrt.eval(&[a.to_bits()]));
        assert!(same(got, a.sqrt()), "sqrt {a:e}: got {got:e}");
        if (1.0 / x).is_normal() {
            let got = f64::from_bits(recip.eval(&[x.to_bits()]));
            assert!(same(got, 1.0 / x), "recip {x:e}: got {got:e}");
        }
        // moderate exponents: the model of v_div_scale leaves out the far cases
        let y = xs[(i * 7 + 1) % xs.len()];
        let (p, q) = (
            x * 2f64.powi(-x.abs().log2() as i32 / 2),
            y * 2f64.powi(-y.abs().log2() as i32 / 2),
        );
        if (p / q).is_normal() {
            let got = f64::from_bits(div.eval(&[p.to_bits(), q.to_bits()]));
            assert!(same(got, p / q), "div {p:e} / {q:e}: got {got:e}");
        }
    }
}

#[test]
fn f64_exp2_log2_within_one_ulp_on_random_operands() {
    let exp2 = unary(UnaryOp::Exp2, DType::F64);
    let log2 = unary(UnaryOp::Log2, DType::F64);
    let ulp = |v: f64| egpu_ir::precision::ulp(v, DType::F64);
    for x in random_f64(3000, 0x51_7cc1_b727_220a) {
        let got = f64::from_bits(log2.eval(&[x.abs().to_bits()]));
        let want = x.abs().log2();
        assert!(
            (got - want).abs() <= ulp(want),
            "log2 {x:e}: got {got:e}, libm {want:e}"
        );
        // arguments spread over the whole finite result range
        let e = (x.to_bits() % 2_150_000) as f64 / 1000.0 - 1075.0;
        let got = f64::from_bits(exp2.eval(&[e.to_bits()]));
        let want = e.exp2();
        assert!(
            same(got, want) || (got - want).abs() <= ulp(want),
            "exp2 {e}: got {got:e}, libm {want:e}"
        );
    }
}

#[test]
fn f64_sin_within_one_ulp_on_random_operands() {
    let sin = unary(UnaryOp::Sin, DType::F64);
    let ulp = |v: f64| egpu_ir::precision::ulp(v, DType::F64);
    let mut xs = random_f64(1500, 0x2545_f491_4f6c_dd1d);
    // moderate arguments too, where libm is easiest to trust, and near multiples of π/2
    xs.extend((0..500).map(|i| (i as f64 - 250.0) * std::f64::consts::FRAC_PI_4 * 1.0001));
    xs.extend([
        1e22,
        5.0e-324,
        -2.5e-300,
        6381956970095103.0 * 2f64.powi(797),
    ]);
    for x in xs {
        let got = f64::from_bits(sin.eval(&[x.to_bits()]));
        let want = x.sin();
        assert!(
            same(got, want) || (got - want).abs() <= ulp(want),
            "sin {x:e}: got {got:e}, libm {want:e}"
        );
    }
}

/// Every 5th f16 and bf16 bit pattern through `sin` (all of them pass too, in about a
/// minute: set EGPU_EXHAUSTIVE=1), against the 1 ULP bound.
#[test]
fn sin_of_f16_and_bf16_across_their_range() {
    let stride = if std::env::var_os("EGPU_EXHAUSTIVE").is_some() {
        1
    } else {
        5
    };
    for dt in [DType::F16, DType::BF16] {
        let seq = unary(UnaryOp::Sin, dt);
        let b = bound(Family::Amd, FloatOp::Sin, dt);
        for bits in (0..=0xffffu64).step_by(stride) {
            let x = from_bits(bits, dt);
            let got = from_bits(seq.eval(&[bits]), dt);
            assert!(
                b.accepts(dt, x.sin(), x, got),
                "sin {dt:?} {x:e}: got {got:e}"
            );
        }
    }
}

/// Operands in SGPRs (uniform values) give the same bits as in VGPRs.
#[test]
fn scalar_operands_give_the_same_results() {
    let vector = all_sequences();
    let scalar = all_sequences_scalar();
    let mut seed = 0x1234_5678_9abc_def1u64;
    for ((name, v), (_, s)) in vector.iter().zip(&scalar) {
        let small = name.ends_with("F16");
        for _ in 0..40 {
            let inputs: Vec<u64> = v
                .ins
                .iter()
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    if small { seed & 0xffff } else { seed }
                })
                .collect();
            assert_eq!(v.eval(&inputs), s.eval(&inputs), "{name} {inputs:x?}");
        }
    }
}
