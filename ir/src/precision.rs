//! The precision model: for each float operation, how far a backend's result may be from the
//! exact result, per target family and dtype. The interpreters compute every operation
//! exactly (in f64, rounded once); backends may use the hardware's approximate instructions
//! where the model's bound says so, and `interp::compare` (`egpu run --check`) accepts any
//! result within these bounds.
//!
//! A [`Bound`] is `ulps · ulp(exact) + rel · |exact| + abs + arg · |x|` (x the operand of a
//! unary op), where ulp(v) is the spacing of the dtype's values at |v| ([`ulp`]). Exact
//! operations are correctly rounded (round to nearest even): at most 0.5 ULP, and a backend
//! must produce the same bits as the interpreter.
//!
//! # Sources
//! - NVIDIA: PTX ISA 9.1, section 9.7.3 "Floating Point Instructions" (read from a stored
//!   copy of NVIDIA's pages): `add`/`sub`/`mul`/`fma`/`div`/`sqrt` with `.rn` are IEEE 754
//!   round-to-nearest-even; `ex2.approx.f32` is within 2 ULP of the correctly rounded result
//!   over the full range; `lg2.approx.f32` has absolute error at most 2^-22 for inputs in
//!   (0.5, 2) and relative error at most 2^-22 for other positive finite inputs;
//!   `rsqrt.approx.f32` relative error at most 2^-22.9 over the positive finite range;
//!   `sqrt.approx.f32` relative error at most 2^-23 (the model uses `sqrt.rn` instead);
//!   `sin.approx.f32` and `cos.approx.f32` absolute error at most 2^-20.5 for x in
//!   [−2π, 2π] and 2^-14.7 for x in [−100π, 100π], with no guarantee beyond. The `rcp`
//!   page was not in the stored copy: `rcp.approx.f32` at 1 ULP is as recalled from the
//!   CUDA documentation and should be checked against the PTX ISA in use.
//! - AMD RDNA3: the "RDNA3" Instruction Set Architecture Reference Guide lists
//!   `v_exp_f32`, `v_log_f32`, `v_rcp_f32`, `v_rsq_f32`, `v_sqrt_f32`, `v_sin_f32` and
//!   `v_cos_f32` but states no error bound. LLVM's AMDGPU backend documentation
//!   (AMDGPUUsage, `llvm.exp2` and `llvm.log2`) states "Hardware provides 1ULP accuracy for
//!   float, and 0.51ULP for half" for `v_exp_f32`/`v_log_f32`, without native denormal
//!   inputs (the backend scales them), and its fdiv lowering treats `v_rcp_f32` as 1 ULP
//!   with denormals flushed. No bound was found for `v_rsq_f32`, `v_sqrt_f32`, `v_sin_f32`
//!   and `v_cos_f32`: the model uses conservative values and says so beside each.
//!
//! # f16, bf16, f64
//! Backends compute f16/bf16 operations in f32 and round the result: for add, sub, mul, div,
//! sqrt and fma that is exactly the correctly rounded result (f32's 24 bits are at least
//! 2p + 2 for p = 11 and p = 8, so rounding twice equals rounding once), and for the
//! approximate functions the f32 error is far below half an f16/bf16 ULP, so 1 ULP bounds
//! them. f64 has no approximate hardware functions: backends use correctly rounded basic
//! ops and software routines within 1 ULP for the rest.

use crate::{DType, ReduceOp, Target};

/// The dtype a kernel accumulates a reduction in: f32 for sums and products of f16/bf16
/// (as `lower` emits them, and as every GPU library does), the dtype itself otherwise (max
/// and min are exact). The error bounds of `--check` use the precision of this dtype.
pub fn accumulation_dtype(op: ReduceOp, dtype: DType) -> DType {
    let widens = matches!(op, ReduceOp::Sum | ReduceOp::Prod);
    if widens && matches!(dtype, DType::F16 | DType::BF16) {
        DType::F32
    } else {
        dtype
    }
}

/// The two backend families, whose approximate instructions differ.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Family {
    /// PTX for sm_80 and newer.
    Nvidia,
    /// RDNA3 machine code (gfx1100).
    Amd,
}

impl Family {
    /// The family of a target: `gfx*` targets are AMD, `sm_*` NVIDIA.
    pub fn of(target: &Target) -> Family {
        if target.name.starts_with("gfx") {
            Family::Amd
        } else {
            Family::Nvidia
        }
    }
}

/// The float operations the model covers (graph and kernel-IR ops; `fma`, `rsqrt` and `cos`
/// for the backends and the kernel IR).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FloatOp {
    Add,
    Sub,
    Mul,
    Div,
    Fma,
    Sqrt,
    Rsqrt,
    Recip,
    Exp2,
    Log2,
    Sin,
    Cos,
}

impl FloatOp {
    pub const ALL: [FloatOp; 12] = [
        FloatOp::Add,
        FloatOp::Sub,
        FloatOp::Mul,
        FloatOp::Div,
        FloatOp::Fma,
        FloatOp::Sqrt,
        FloatOp::Rsqrt,
        FloatOp::Recip,
        FloatOp::Exp2,
        FloatOp::Log2,
        FloatOp::Sin,
        FloatOp::Cos,
    ];
}

/// The error a backend's result may have: `ulps · ulp(exact) + rel · |exact| + abs + arg ·
/// |x|`, and the instruction the backend uses for it (or anything at least as accurate).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bound {
    pub ulps: f64,
    pub rel: f64,
    pub abs: f64,
    /// Error per unit of the operand's magnitude: argument reduction of sin/cos.
    pub arg: f64,
    pub instruction: &'static str,
}

impl Bound {
    /// Correctly rounded: 0.5 ULP.
    const fn exact(instruction: &'static str) -> Bound {
        Bound::ulps(0.5, instruction)
    }

    const fn ulps(ulps: f64, instruction: &'static str) -> Bound {
        Bound {
            ulps,
            rel: 0.0,
            abs: 0.0,
            arg: 0.0,
            instruction,
        }
    }

    /// Whether the operation is correctly rounded (a backend must match the interpreter's
    /// bits).
    pub fn is_exact(&self) -> bool {
        self.ulps <= 0.5 && self.rel == 0.0 && self.abs == 0.0 && self.arg == 0.0
    }

    /// How far from `exact` (the unrounded result, for operand `x`) a `dtype` result may be.
    pub fn allowance(&self, dtype: DType, exact: f64, x: f64) -> f64 {
        let arg = if self.arg > 0.0 {
            self.arg * x.abs()
        } else {
            0.0
        };
        self.ulps * ulp(exact, dtype) + self.rel * exact.abs() + self.abs + arg
    }

    /// Whether `got` is an acceptable `dtype` result for the exact value `exact` of the
    /// operation on `x`: the correctly rounded value for exact operations; otherwise within
    /// the allowance. NaN only for NaN, infinities only for the same infinity (an exact
    /// result beyond the dtype's range rounds to it).
    pub fn accepts(&self, dtype: DType, exact: f64, x: f64, got: f64) -> bool {
        let rounded = crate::round_float(exact, dtype);
        if rounded.is_nan() || got.is_nan() {
            return rounded.is_nan() && got.is_nan();
        }
        if self.is_exact() || rounded.is_infinite() || got.is_infinite() {
            return got == rounded;
        }
        (got - exact).abs() <= self.allowance(dtype, exact, x)
    }
}

/// The spacing of `dtype`'s values at |v|: 2^(e − p + 1) for |v| in [2^e, 2^(e+1)), e no
/// smaller than the dtype's least normal exponent (subnormals are evenly spaced). For
/// non-float dtypes, 1.
pub fn ulp(v: f64, dtype: DType) -> f64 {
    let (Some(p), Some(emin)) = (dtype.float_precision(), min_exponent(dtype)) else {
        return 1.0;
    };
    let a = v.abs();
    let e = if a.is_finite() && a > 0.0 {
        exponent(a).max(emin)
    } else if a > 0.0 {
        max_exponent(dtype)
    } else {
        emin
    };
    pow2_exact(e - p as i32 + 1)
}

/// 2^k exactly for k in f64's range, subnormal powers included (`powi` computes 1/2^-k
/// there, which overflows to inf and gives 0 below 2^-1023).
fn pow2_exact(k: i32) -> f64 {
    if k >= -1022 {
        2f64.powi(k)
    } else {
        2f64.powi(k + 100) * 2f64.powi(-100)
    }
}

/// floor(log2(a)) for a finite a > 0, exactly (from the f64 bits).
fn exponent(a: f64) -> i32 {
    let bits = a.to_bits();
    let biased = ((bits >> 52) & 0x7ff) as i32;
    if biased == 0 {
        // f64 subnormal: below every other dtype's range.
        -1023 - (bits & ((1 << 52) - 1)).leading_zeros() as i32 + 12
    } else {
        biased - 1023
    }
}

/// The least normal exponent of a float dtype.
fn min_exponent(dtype: DType) -> Option<i32> {
    match dtype {
        DType::F16 => Some(-14),
        DType::BF16 | DType::F32 => Some(-126),
        DType::F64 => Some(-1022),
        _ => None,
    }
}

fn max_exponent(dtype: DType) -> i32 {
    match dtype {
        DType::F16 => 15,
        DType::F64 => 1023,
        _ => 127,
    }
}

/// 2^e as f64, for bounds written as powers of two.
fn pow2(e: f64) -> f64 {
    e.exp2()
}

/// The bound of `op` on `dtype` for backends of `family`.
pub fn bound(family: Family, op: FloatOp, dtype: DType) -> Bound {
    use FloatOp::*;
    match op {
        Add | Sub | Mul | Fma | Div => Bound::exact(basic_instruction(family, op)),
        _ => match dtype {
            DType::F32 => f32_bound(family, op),
            DType::F16 | DType::BF16 => Bound::ulps(1.0, "f32 instruction, rounded"),
            _ => f64_bound(op),
        },
    }
}

/// add/sub/mul/fma/div: IEEE round to nearest on both families (PTX `.rn`; RDNA3 VALU ops
/// round to nearest in the default mode; f32 division is a correctly rounded sequence
/// around `v_div_scale`/`v_div_fmas`/`v_div_fixup`).
fn basic_instruction(family: Family, op: FloatOp) -> &'static str {
    match (family, op) {
        (Family::Nvidia, FloatOp::Add) => "add.rn",
        (Family::Nvidia, FloatOp::Sub) => "sub.rn",
        (Family::Nvidia, FloatOp::Mul) => "mul.rn",
        (Family::Nvidia, FloatOp::Fma) => "fma.rn",
        (Family::Nvidia, _) => "div.rn",
        (Family::Amd, FloatOp::Add) => "v_add_f32",
        (Family::Amd, FloatOp::Sub) => "v_sub_f32",
        (Family::Amd, FloatOp::Mul) => "v_mul_f32",
        (Family::Amd, FloatOp::Fma) => "v_fma_f32",
        (Family::Amd, _) => "v_div_scale/v_div_fmas/v_div_fixup",
    }
}

/// f32 sqrt, rsqrt, recip, exp2, log2, sin, cos.
fn f32_bound(family: Family, op: FloatOp) -> Bound {
    match family {
        Family::Nvidia => nvidia_f32(op),
        Family::Amd => amd_f32(op),
    }
}

/// PTX (see "Sources" above): sqrt uses `sqrt.rn.f32` (IEEE; norms divide by it, so the
/// model keeps it exact). `rcp.approx.f32`: 1 ULP of the rounded result, 1.5 of the exact
/// one. `rsqrt.approx.f32`: relative 2^-22.9. `ex2.approx.f32`: 2 ULP of the correctly rounded
/// result, so 2.5 ULP of the exact value (the model counts from the exact value). `lg2.approx.f32`: absolute 2^-22 on (0.5, 2), relative 2^-22
/// elsewhere; the model allows the sum. `sin.approx.f32`/`cos.approx.f32`: absolute 2^-20.5
/// on [−2π, 2π]. Further out the instruction's own bound is much looser (2^-14.7 up to
/// 100π, nothing beyond), so a backend reduces an argument outside [−2π, 2π] to [−π, π]
/// in f32 first; the model's `arg` term, 2^-22·|x|, is that reduction's error.
fn nvidia_f32(op: FloatOp) -> Bound {
    use FloatOp::*;
    match op {
        Sqrt => Bound::exact("sqrt.rn.f32"),
        // 1 ULP counted from the correctly rounded result, like ex2 (unverified: see above).
        Recip => Bound::ulps(1.5, "rcp.approx.f32"),
        Rsqrt => Bound {
            rel: pow2(-22.9),
            ..Bound::ulps(0.0, "rsqrt.approx.f32")
        },
        // The ISA's "2 ulp from correctly rounded result": up to 2.5 ULP from the exact value,
        // which is what the model measures from.
        Exp2 => Bound::ulps(2.5, "ex2.approx.f32"),
        Log2 => Bound {
            rel: pow2(-22.0),
            abs: pow2(-22.0),
            ..Bound::ulps(0.0, "lg2.approx.f32")
        },
        Sin | Cos => Bound {
            abs: pow2(-20.5),
            arg: pow2(-22.0),
            ..Bound::ulps(
                0.0,
                if op == Sin {
                    "sin.approx.f32"
                } else {
                    "cos.approx.f32"
                },
            )
        },
        _ => Bound::exact(basic_instruction(Family::Nvidia, op)),
    }
}

/// RDNA3: `v_exp_f32`, `v_log_f32`: 1 ULP (LLVM AMDGPUUsage; denormal inputs scaled by
/// the backend). `v_rcp_f32`: 1 ULP with subnormal results flushed, so an absolute 2^-126
/// more. Not documented, conservative: `v_sqrt_f32` and `v_rsq_f32` 2 ULP; `v_sin_f32`,
/// `v_cos_f32` (operand in revolutions: x·1/(2π) first) absolute 2^-18 plus 2^-22·|x| for
/// that scaling.
fn amd_f32(op: FloatOp) -> Bound {
    use FloatOp::*;
    match op {
        Sqrt => Bound::ulps(2.0, "v_sqrt_f32"),
        Rsqrt => Bound::ulps(2.0, "v_rsq_f32"),
        Recip => Bound {
            abs: pow2(-126.0),
            ..Bound::ulps(1.0, "v_rcp_f32")
        },
        Exp2 => Bound::ulps(1.0, "v_exp_f32"),
        Log2 => Bound::ulps(1.0, "v_log_f32"),
        Sin | Cos => Bound {
            abs: pow2(-18.0),
            arg: pow2(-22.0),
            ..Bound::ulps(0.0, if op == Sin { "v_sin_f32" } else { "v_cos_f32" })
        },
        _ => Bound::exact(basic_instruction(Family::Amd, op)),
    }
}

/// f64: sqrt and recip correctly rounded (`sqrt.rn.f64`, `rcp.rn.f64`; on RDNA3 a refined
/// `v_sqrt_f64`/`v_rcp_f64` sequence); the transcendental functions are software routines
/// that must stay within 1 ULP.
fn f64_bound(op: FloatOp) -> Bound {
    match op {
        FloatOp::Sqrt | FloatOp::Recip => Bound::exact("correctly rounded f64 sequence"),
        _ => Bound::ulps(1.0, "f64 software routine"),
    }
}

/// The model as a markdown table (one row per operation: the bound and instruction of each
/// family on f32, then f16/bf16 and f64), as `docs/kir.md` shows it; a test keeps the two
/// equal.
pub fn markdown_table() -> String {
    let mut out = String::from(
        "| op | NVIDIA f32 | AMD RDNA3 f32 | f16, bf16 | f64 |\n|---|---|---|---|---|\n",
    );
    for op in FloatOp::ALL {
        let cell = |family, dtype| {
            let b = bound(family, op, dtype);
            format!("{} (`{}`)", describe(&b), b.instruction)
        };
        let half = describe(&bound(Family::Nvidia, op, DType::F16));
        let f64 = describe(&bound(Family::Nvidia, op, DType::F64));
        out += &format!(
            "| {} | {} | {} | {half} | {f64} |\n",
            format!("{op:?}").to_lowercase(),
            cell(Family::Nvidia, DType::F32),
            cell(Family::Amd, DType::F32)
        );
    }
    out
}

/// A bound in words: `exact`, or its terms (`2 ULP`, `2^-22·|v|` relative, `2^-22`
/// absolute, `2^-22·|x|` of the operand) joined by `+`.
fn describe(b: &Bound) -> String {
    if b.is_exact() {
        return "exact".to_string();
    }
    let power = |v: f64| format!("2^{}", (v.log2() * 10.0).round() / 10.0);
    let mut terms = Vec::new();
    if b.ulps > 0.0 {
        terms.push(format!("{} ULP", b.ulps));
    }
    if b.rel > 0.0 {
        terms.push(format!("{}·\\|v\\|", power(b.rel)));
    }
    if b.abs > 0.0 {
        terms.push(power(b.abs));
    }
    if b.arg > 0.0 {
        terms.push(format!("{}·\\|x\\|", power(b.arg)));
    }
    terms.join(" + ")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The f32 value after `v` (toward +inf).
    fn next_up(v: f64) -> f64 {
        let f = v as f32;
        let bits = f.to_bits();
        let next = if f == 0.0 {
            1
        } else if f > 0.0 {
            bits + 1
        } else {
            bits - 1
        };
        f64::from(f32::from_bits(next))
    }

    /// The largest f32 value ≤ v.
    fn f32_at_or_below(v: f64) -> f64 {
        let f = f64::from(v as f32);
        if f <= v {
            return f;
        }
        let bits = (v as f32).to_bits();
        let prev = if f > 0.0 { bits - 1 } else { bits + 1 };
        f64::from(f32::from_bits(prev))
    }

    /// Operands at which each op is checked: one near 1 and one far from it, per op.
    fn operands(op: FloatOp) -> [f64; 3] {
        match op {
            FloatOp::Log2 => [0.75, 1.5, 3.0e5],
            FloatOp::Sin | FloatOp::Cos => [0.3, 2.5, 100.0],
            FloatOp::Exp2 => [0.3, -20.5, 17.25],
            _ => [0.3, 7.0, 3.0e-5],
        }
    }

    fn exact(op: FloatOp, x: f64) -> f64 {
        match op {
            FloatOp::Sqrt => x.sqrt(),
            FloatOp::Rsqrt => 1.0 / x.sqrt(),
            FloatOp::Recip => 1.0 / x,
            FloatOp::Exp2 => x.exp2(),
            FloatOp::Log2 => x.log2(),
            FloatOp::Sin => x.sin(),
            _ => x.cos(),
        }
    }

    /// For every approximate f32 op of both families: the f32 value farthest above the exact
    /// result that the bound allows is accepted, and the next f32 value is rejected.
    #[test]
    fn accepts_at_the_bound_and_rejects_just_past_it() {
        let mut checked = 0;
        for family in [Family::Nvidia, Family::Amd] {
            for op in FloatOp::ALL {
                let b = bound(family, op, DType::F32);
                if b.is_exact() {
                    continue;
                }
                for x in operands(op) {
                    let e = exact(op, x);
                    let at = f32_at_or_below(e + b.allowance(DType::F32, e, x));
                    let past = next_up(at);
                    assert!(b.accepts(DType::F32, e, x, at), "{family:?} {op:?} {x}");
                    assert!(!b.accepts(DType::F32, e, x, past), "{family:?} {op:?} {x}");
                    assert!(at > e, "{family:?} {op:?}: the bound allows nothing above");
                    checked += 1;
                }
            }
        }
        // NVIDIA: rcp, rsqrt, ex2, lg2, sin, cos; AMD: those and sqrt.
        assert_eq!(checked, 13 * 3);
    }

    /// The NVIDIA bounds allow at least the errors PTX ISA 9.1 documents (see "Sources"),
    /// at points of each documented range.
    #[test]
    fn nvidia_bounds_cover_the_documented_errors() {
        let allow = |op, x: f64| {
            let e = exact(op, x);
            (
                e,
                bound(Family::Nvidia, op, DType::F32).allowance(DType::F32, e, x),
            )
        };
        for x in [-17.3, 0.3, 1.0, 100.5] {
            let (e, a) = allow(FloatOp::Exp2, x);
            assert!(a >= 2.0 * ulp(e, DType::F32), "ex2 {x}");
        }
        for x in [0.51, 1.0, 1.99] {
            assert!(allow(FloatOp::Log2, x).1 >= pow2(-22.0), "lg2 {x}");
        }
        for x in [1e-30, 0.25, 3.0e5, 1e30] {
            let (e, a) = allow(FloatOp::Log2, x);
            assert!(a >= pow2(-22.0) * e.abs(), "lg2 {x}");
        }
        for x in [1e-30, 0.3, 7.0, 1e30] {
            let (e, a) = allow(FloatOp::Rsqrt, x);
            assert!(a >= pow2(-22.9) * e.abs(), "rsqrt {x}");
        }
        for op in [FloatOp::Sin, FloatOp::Cos] {
            for x in [0.0, 1.0, -std::f64::consts::TAU] {
                assert!(allow(op, x).1 >= pow2(-20.5), "{op:?} {x}");
            }
            // Reduced to [−π, π] first: the reduction's f32 rounding (about |x|·2^-24 per
            // step) on top of the instruction's bound.
            for x in [7.0, -100.0, 314.0, 1e6] {
                let a = allow(op, x).1;
                assert!(a >= pow2(-20.5) + pow2(-23.0) * x.abs(), "{op:?} {x}");
            }
        }
    }

    /// docs/kir.md shows the model's table as the model computes it.
    #[test]
    fn docs_kir_md_shows_the_model() {
        let doc = include_str!("../../docs/kir.md");
        let table = markdown_table();
        assert!(doc.contains(&table), "docs/kir.md should contain:\n{table}");
    }

    /// f16/bf16 approximate ops: the dtype value farthest above the exact result within one
    /// ULP is accepted, the next one is not.
    #[test]
    fn half_bounds_are_one_ulp() {
        for dtype in [DType::F16, DType::BF16] {
            for family in [Family::Nvidia, Family::Amd] {
                let b = bound(family, FloatOp::Exp2, dtype);
                let (x, e) = (1.3, 1.3f64.exp2());
                let (u, r) = (ulp(e, dtype), crate::round_float(e, dtype));
                // r is within half a ULP of e, so r + u or r is the last value within one.
                let at = if r + u - e <= u { r + u } else { r };
                assert!(b.accepts(dtype, e, x, at), "{dtype}");
                assert!(!b.accepts(dtype, e, x, at + u), "{dtype}");
            }
        }
    }

    /// Exact ops accept only the correctly rounded value.
    #[test]
    fn exact_ops_accept_only_the_rounded_value() {
        for family in [Family::Nvidia, Family::Amd] {
            for op in [FloatOp::Add, FloatOp::Mul, FloatOp::Div, FloatOp::Fma] {
                let b = bound(family, op, DType::F32);
                assert!(b.is_exact());
                let e = 1.0 / 3.0;
                let r = crate::round_float(e, DType::F32);
                assert!(b.accepts(DType::F32, e, 0.0, r));
                assert!(!b.accepts(DType::F32, e, 0.0, next_up(r)));
            }
        }
        assert!(bound(Family::Nvidia, FloatOp::Sqrt, DType::F32).is_exact());
    }

    #[test]
    fn ulp_is_the_spacing_of_values() {
        assert_eq!(ulp(1.0, DType::F32), 2f64.powi(-23));
        assert_eq!(ulp(1.5, DType::F16), 2f64.powi(-10));
        assert_eq!(ulp(0.0, DType::F32), 2f64.powi(-149));
        assert_eq!(ulp(1e-40, DType::F32), 2f64.powi(-149));
        assert_eq!(ulp(3.0, DType::BF16), 2f64.powi(-6));
        assert_eq!(ulp(-1024.0, DType::F64), 2f64.powi(-42));
        // f64 subnormals: the least subnormal, 2^-1074 (bits 1)
        assert_eq!(ulp(5.3e-309, DType::F64), f64::from_bits(1));
        assert_eq!(ulp(0.0, DType::F64), f64::from_bits(1));
        assert_eq!(Family::of(&Target::GFX1100), Family::Amd);
        assert_eq!(Family::of(&Target::SM_90), Family::Nvidia);
    }
}
