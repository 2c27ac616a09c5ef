//! Division and the transcendental ops on every float dtype, within the precision model
//! (`ir/src/precision.rs`, family AMD): IEEE division (`v_div_scale` / `v_div_fmas` /
//! `v_div_fixup`), `exp2`/`log2`/`sqrt`/`recip` with the hardware units where their bound
//! is allowed, `sin` (`v_sin_f32` takes revolutions: reduce first), f64 by software
//! ([`super::math64`]).
//!
//! The kernel descriptor keeps f32 and f16/f64 denormals (FLOAT_DENORM_MODE 3), so the
//! division sequences need no mode switch around their FMAs. The transcendental units do
//! not take denormal operands natively (LLVM AMDGPUUsage, `llvm.exp2`/`llvm.log2`), so
//! operands that would be or give denormals are scaled by powers of two around them.

use super::float16::via_f32;
use super::fparts::{NEG0, k, kf, pick, v, vm};
use super::{IselError, Piece, Sel, Src};
use crate::isa::{FloatConst, Mods, Operand};
use egpu_ir::DType;
use egpu_ir::UnaryOp;

pub(super) fn div(sel: &mut Sel, dt: DType, a: Piece, b: Piece) -> Result<Piece, IselError> {
    match dt {
        DType::F32 => Ok(div_f32(sel, a.into(), b.into())),
        // f32's 24 bits ≥ 2p + 2 for p = 11 (f16) and 8 (bf16): the f32 quotient rounded
        // again is the correctly rounded quotient
        DType::F16 | DType::BF16 => {
            let bf16 = dt == DType::BF16;
            let wb = super::fparts::widen(sel, bf16, b);
            Ok(via_f32(sel, bf16, a, |sel, wa| {
                div_f32(sel, wa.into(), wb.into())
            }))
        }
        DType::F64 => Ok(super::math64::div(sel, a.into(), b.into())),
        _ => Err(sel.malformed(format!("div on {dt:?}"))),
    }
}

/// Correctly rounded f32 `a / b`: both scaled by `v_div_scale` into a range where the
/// Newton–Raphson steps neither overflow nor lose bits to denormals, the reciprocal
/// refined and the quotient corrected twice with FMAs, `v_div_fmas` applies the last
/// correction and undoes the scaling (it reads VCC, set by the numerator's `v_div_scale`),
/// `v_div_fixup` handles zeros, infinities, NaN and the overflow/underflow cases.
pub(super) fn div_f32(sel: &mut Sel, a: Src, b: Src) -> Piece {
    let scale = super::emit::op("v_div_scale_f32");
    let den = sel.new_v(1);
    sel.valu_sd_fixed(scale, den, Operand::Null, &[b, b, a], Mods::default());
    let r = v(sel, "v_rcp_f32", &[den.into()]);
    let one = Src::Const(Operand::Float(FloatConst::One));
    let e = vm(sel, "v_fma_f32", &[den.into(), r.into(), one], NEG0);
    let r = v(sel, "v_fma_f32", &[e.into(), r.into(), r.into()]);
    // from here to v_div_fmas nothing may write VCC
    let num = sel.new_v(1);
    sel.valu_sd_fixed(scale, num, Operand::VccLo, &[a, b, a], Mods::default());
    let q = v(sel, "v_mul_f32", &[num.into(), r.into()]);
    let e = vm(sel, "v_fma_f32", &[den.into(), q.into(), num.into()], NEG0);
    let q = v(sel, "v_fma_f32", &[e.into(), r.into(), q.into()]);
    let e = vm(sel, "v_fma_f32", &[den.into(), q.into(), num.into()], NEG0);
    let f = v(sel, "v_div_fmas_f32", &[e.into(), r.into(), q.into()]);
    v(sel, "v_div_fixup_f32", &[f.into(), b, a])
}

/// `exp2`, `log2`, `sin`, `sqrt`, `recip`.
pub(super) fn unary(sel: &mut Sel, uop: UnaryOp, dt: DType, x: Piece) -> Result<Piece, IselError> {
    match dt {
        DType::F32 => f32_unary(sel, uop, x),
        DType::F16 | DType::BF16 => small_unary(sel, uop, dt == DType::BF16, x),
        DType::F64 => super::math64::unary(sel, uop, x),
        _ => Err(sel.malformed(format!("{uop:?} on {dt:?}"))),
    }
}

fn f32_unary(sel: &mut Sel, uop: UnaryOp, x: Piece) -> Result<Piece, IselError> {
    Ok(match uop {
        UnaryOp::Exp2 => exp2_f32(sel, x),
        UnaryOp::Log2 => log2_f32(sel, x),
        UnaryOp::Sqrt => sqrt_f32(sel, x),
        UnaryOp::Recip => recip_f32(sel, x),
        UnaryOp::Sin => sin_f32(sel, x),
        _ => return Err(sel.malformed(format!("{uop:?} on F32 routed to math"))),
    })
}

/// f16/bf16: the f32 routine, rounded once (its error is far below half an f16/bf16 ULP,
/// so the result is within 1 ULP). bf16 `recip` divides instead: bf16 reaches f32's
/// range, where `v_rcp_f32` flushes denormal results. `sin` has its own f32 routine
/// ([`super::sin_small`]): `v_sin_f32`'s absolute error is too coarse for an f16 ULP near zeros.
fn small_unary(sel: &mut Sel, uop: UnaryOp, bf16: bool, x: Piece) -> Result<Piece, IselError> {
    let f: fn(&mut Sel, Piece) -> Piece = match uop {
        UnaryOp::Exp2 => exp2_f32,
        UnaryOp::Log2 => log2_f32,
        UnaryOp::Sqrt => sqrt_f32,
        UnaryOp::Recip if bf16 => |sel, w| {
            let one = Src::Const(Operand::Float(FloatConst::One));
            div_f32(sel, one, w.into())
        },
        UnaryOp::Recip => |sel, w| v(sel, "v_rcp_f32", &[w.into()]),
        UnaryOp::Sin if bf16 => super::sin_small::sin_bf16,
        UnaryOp::Sin => super::sin_small::sin_f16,
        _ => return Err(sel.malformed(format!("{uop:?} on f16/bf16 routed to math"))),
    };
    Ok(via_f32(sel, bf16, x, f))
}

/// 2^x with `v_exp_f32` (1 ULP). Results below 2^-126 are denormal, which the unit does
/// not produce: for x < −126, 2^(x+64)·2^-64 (x + 64 is exact: smaller in magnitude, on
/// the same grid; the final product rounds once into the denormal range).
fn exp2_f32(sel: &mut Sel, x: Piece) -> Piece {
    let lim = kf(sel, -126.0);
    let low = sel.vcmp(super::emit::op("v_cmp_lt_f32"), x.into(), lim);
    let (zero, c64) = (k(sel, 0), kf(sel, 64.0));
    let off = pick(sel, low, c64, zero);
    let xs = v(sel, "v_add_f32", &[x.into(), off.into()]);
    let e = v(sel, "v_exp_f32", &[xs.into()]);
    let (one, tiny) = (kf(sel, 1.0), kf(sel, 2f32.powi(-64)));
    let s = pick(sel, low, tiny, one);
    v(sel, "v_mul_f32", &[e.into(), s.into()])
}

/// log2 x with `v_log_f32` (1 ULP). Denormal x is scaled by 2^32 first and 32 subtracted
/// after (the subtraction rounds once; the unit's error is then ≤ ½ ULP of the result).
/// Negative x stays negative (NaN), ±0 stays zero (−inf).
fn log2_f32(sel: &mut Sel, x: Piece) -> Piece {
    let lim = k(sel, 0x0080_0000); // 2^-126, the least normal
    let low = sel.vcmp(super::emit::op("v_cmp_lt_f32"), x.into(), lim);
    let (one, big) = (kf(sel, 1.0), kf(sel, 2f32.powi(32)));
    let s = pick(sel, low, big, one);
    let xs = v(sel, "v_mul_f32", &[x.into(), s.into()]);
    let l = v(sel, "v_log_f32", &[xs.into()]);
    let (zero, c32) = (k(sel, 0), kf(sel, 32.0));
    let off = pick(sel, low, c32, zero);
    v(sel, "v_sub_f32", &[l.into(), off.into()])
}

/// √x with `v_sqrt_f32` (2 ULP). Operands below 2^-96 (denormals among them) are scaled by
/// 2^32 and the root by 2^-16, both exact; negative x gives NaN and −0 gives −0 as before.
fn sqrt_f32(sel: &mut Sel, x: Piece) -> Piece {
    let lim = kf(sel, 2f32.powi(-96));
    let low = sel.vcmp(super::emit::op("v_cmp_lt_f32"), x.into(), lim);
    let (one, big) = (kf(sel, 1.0), kf(sel, 2f32.powi(32)));
    let s = pick(sel, low, big, one);
    let xs = v(sel, "v_mul_f32", &[x.into(), s.into()]);
    let r = v(sel, "v_sqrt_f32", &[xs.into()]);
    let small = kf(sel, 2f32.powi(-16));
    let s = pick(sel, low, small, one);
    v(sel, "v_mul_f32", &[r.into(), s.into()])
}

/// 1/x with `v_rcp_f32` (1 ULP, denormal results flushed: the model's 2^-126). A denormal
/// x (whose reciprocal is finite up to 2^149 → inf) is scaled by 2^32 before and the
/// result by 2^32 after; ±0 still gives ±inf.
fn recip_f32(sel: &mut Sel, x: Piece) -> Piece {
    let lim = k(sel, 0x0080_0000);
    let abs = Mods {
        abs: 1,
        ..Mods::default()
    };
    let low = sel.vcmp_mods(super::emit::op("v_cmp_lt_f32"), x.into(), lim, abs);
    let (one, big) = (kf(sel, 1.0), kf(sel, 2f32.powi(32)));
    let s = pick(sel, low, big, one);
    let xs = v(sel, "v_mul_f32", &[x.into(), s.into()]);
    let r = v(sel, "v_rcp_f32", &[xs.into()]);
    v(sel, "v_mul_f32", &[r.into(), s.into()])
}

/// Below this |x| (2^-12), sin x is x within the model (x³/6 < 2^-38), which also keeps
/// −0 and the denormals exact.
const SIN_TINY: f32 = 1.0 / 4096.0;

/// sin x with `v_sin_f32`, which takes revolutions: y = x·(1/2π) (the product's rounding
/// and the constant's, ≤ 2^-24·|x| + 2^-25·|x| radians, are within the model's
/// 2^-22·|x|), then y − rndne(y) ∈ [−½, ½] (exact, Sterbenz) so the unit sees a small
/// operand. ±inf gives inf − inf = NaN, NaN stays NaN; |x| < 2^-12 gives x.
fn sin_f32(sel: &mut Sel, x: Piece) -> Piece {
    let inv2pi = Src::Const(Operand::Float(FloatConst::InvTwoPi));
    let y = v(sel, "v_mul_f32", &[x.into(), inv2pi]);
    let n = v(sel, "v_rndne_f32", &[y.into()]);
    let r = v(sel, "v_sub_f32", &[y.into(), n.into()]);
    let s = v(sel, "v_sin_f32", &[r.into()]);
    keep_tiny(sel, x, s)
}

/// `|x| < 2^-12 ? x : s`.
pub(super) fn keep_tiny(sel: &mut Sel, x: Piece, s: Piece) -> Piece {
    let lim = kf(sel, SIN_TINY);
    let abs = Mods {
        abs: 1,
        ..Mods::default()
    };
    let tiny = sel.vcmp_mods(super::emit::op("v_cmp_lt_f32"), x.into(), lim, abs);
    pick(sel, tiny, x.into(), s.into())
}
