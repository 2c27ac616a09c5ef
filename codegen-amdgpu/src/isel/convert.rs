//! `cast` (value conversion, with the semantics of `Scalar::cast`: float→int truncates
//! and saturates, NaN → 0; int→float and float→float round to nearest even; → bool is
//! ≠ 0) and `bitcast` between every pair of dtypes.
//!
//! Every conversion rounds once, as the IR demands:
//! - int → f32/f64 from up to 32 bits is one `v_cvt_*` (exact for f64); i64/u64 → f64
//!   adds the two exactly converted halves (one rounding); i64/u64 → f32/f16/bf16 first
//!   shrinks the magnitude to 32 significant bits with a sticky bit ([`int64_sticky`]),
//!   which rounds to any precision ≤ 30 bits like the full value does;
//! - to f16/bf16 from f64 (and from 32/64-bit integers, through an exact or sticky f64)
//!   goes through f32 rounded *to odd* ([`round_to_odd_f32`]): rounding that once more to
//!   a format at least two bits narrower is correctly rounded (no double rounding);
//! - f32 → bf16 rounds the bits (nearest even), keeping NaN a NaN;
//! - float → int: `v_cvt_{i,u}32_{f32,f64}` truncate, saturate and give 0 for NaN (RDNA3
//!   ISA); narrower targets clamp the 32-bit result, 64-bit targets split the truncated
//!   f64 into dwords and saturate explicitly.
//!
//! The kernels run with denormals kept (the descriptor's FP mode), so the f32/f64
//! conversions keep subnormals; → bool tests the bits (a float is true unless ±0).

use super::divide::{abs64, apply_sign64, sign32};
use super::emit::op;
use super::int::{const64, normalize, pair, pair_in, select64, vop};
use super::{IselError, Piece, Sel, Src};
use crate::isa::{Mods, Operand};
use egpu_ir::DType;

pub(super) fn cast(sel: &mut Sel, from: DType, to: DType, x: Piece) -> Result<Piece, IselError> {
    if from == to {
        return Ok(x);
    }
    Ok(match (from, to) {
        (_, DType::Bool) => to_bool(sel, from, x),
        (DType::Bool, _) => from_bool(sel, to, x),
        _ => match (from.is_float(), to.is_float()) {
            (false, false) => int_to_int(sel, from, to, x),
            (false, true) => int_to_float(sel, from, to, x),
            (true, false) => float_to_int(sel, from, to, x),
            (true, true) => float_to_float(sel, from, to, x),
        },
    })
}

pub(super) fn bitcast(sel: &mut Sel, from: DType, to: DType, x: Piece) -> Result<Piece, IselError> {
    if from.bits() != to.bits() || from.is_bool() || to.is_bool() {
        return Err(sel.malformed(format!("bitcast {from:?} to {to:?}")));
    }
    // Same bits, but 8/16-bit dtypes differ in how the upper bits are filled: sign
    // extension (i8, i16) or zeros (u8, u16, f16, bf16).
    let sext = |d: DType| d.is_signed_int() && d.bits() < 32;
    Ok(match (sext(from), sext(to)) {
        (false, true) => normalize(sel, to, x),
        (true, false) => zext(sel, to.bits(), x),
        _ => x,
    })
}

/// The low `bits` bits of `x`, zero-extended.
fn zext(sel: &mut Sel, bits: u32, x: Piece) -> Piece {
    let m = sel.imm(((1u64 << bits) - 1) as u32);
    if x.is_sgpr() {
        let d = sel.new_s(1);
        sel.sop2(op("s_and_b32"), d, x.into(), m);
        return d;
    }
    vop(sel, "v_and_b32", &[m, x.into()])
}

/// `x != 0` as a lane mask; a float is tested on its bits without the sign, so −0 and
/// +0 are false and NaN true.
fn to_bool(sel: &mut Sel, from: DType, x: Piece) -> Piece {
    let zero = sel.imm(0);
    let w = match from {
        DType::F16 | DType::BF16 => zext(sel, 15, x),
        DType::F32 => zext(sel, 31, x),
        DType::F64 => {
            let m = sel.imm(0x7fff_ffff);
            vop(sel, "v_and_or_b32", &[x.hi().into(), m, x.into()])
        }
        _ if from.bits() == 64 => {
            return sel.vcmp(op("v_cmp_ne_u64"), x.into(), Src::Const(Operand::Int(0)));
        }
        _ => x,
    };
    sel.vcmp(op("v_cmp_ne_u32"), w.into(), zero)
}

/// 0 or 1 of `to` where the lane mask is clear or set.
fn from_bool(sel: &mut Sel, to: DType, mask: Piece) -> Piece {
    let (one_lo, one_hi) = match to {
        DType::F16 => (0x3c00, 0),
        DType::BF16 => (0x3f80, 0),
        DType::F32 => (0x3f80_0000, 0),
        DType::F64 => (0, 0x3ff0_0000),
        _ => (1, 0),
    };
    let zero = sel.imm(0);
    let pick = |sel: &mut Sel, one: u32| -> Src {
        if one == 0 {
            return zero;
        }
        let d = sel.new_v(1);
        let one = sel.imm(one);
        sel.cndmask(d, zero, one, mask);
        d.into()
    };
    let lo = pick(sel, one_lo);
    if to.bits() < 64 {
        return match lo {
            Src::Reg(p) => p,
            c => sel.to_vgpr(c, 1),
        };
    }
    let hi = pick(sel, one_hi);
    pair(sel, [lo, hi])
}

/// Wraps to the target's width: sign- or zero-extends to 64 bits, truncates from 64 bits,
/// re-extends 8/16-bit results. A uniform value (SGPR) stays in SGPRs.
fn int_to_int(sel: &mut Sel, from: DType, to: DType, x: Piece) -> Piece {
    match (from.bits(), to.bits()) {
        (64, 64) => x,
        (_, 64) => {
            let hi = match (from.is_signed_int(), x.is_sgpr()) {
                (false, _) => sel.imm(0),
                (true, false) => sign32(sel, x.into()).into(),
                (true, true) => {
                    let h = sel.new_s(1);
                    let c31 = sel.imm(31);
                    sel.sop2(op("s_ashr_i32"), h, x.into(), c31);
                    h.into()
                }
            };
            pair_in(sel, x.class, [x.into(), hi])
        }
        (64, 32) => copy1(sel, x),
        (64, _) => normalize(sel, to, x),
        (fb, tb) => {
            // The value already fits when `to` is wider and can hold `from`'s sign.
            let fits = fb < tb && (!from.is_signed_int() || to.is_signed_int());
            if fits || tb == 32 {
                x
            } else {
                normalize(sel, to, x)
            }
        }
    }
}

/// The low dword of a pair as a register of its own (of the same class).
fn copy1(sel: &mut Sel, x: Piece) -> Piece {
    let d = sel.new_piece(x.class, 1);
    sel.copy(d, x.into(), 1);
    d
}

fn int_to_float(sel: &mut Sel, from: DType, to: DType, x: Piece) -> Piece {
    let signed = from.is_signed_int();
    let pick = |s: &'static str, u: &'static str| if signed { s } else { u };
    match (from.bits(), to) {
        (64, DType::F64) => int64_to_f64(sel, signed, x),
        (64, _) => {
            let g = int64_sticky(sel, signed, x);
            f64_to_narrow(sel, to, g)
        }
        (_, DType::F32) => vop(sel, pick("v_cvt_f32_i32", "v_cvt_f32_u32"), &[x.into()]),
        (_, DType::F64) => vop64(sel, pick("v_cvt_f64_i32", "v_cvt_f64_u32"), &[x.into()]),
        // Up to 16 bits an f32 holds the value exactly: one rounding to f16/bf16.
        (8 | 16, _) => {
            let f = vop(sel, pick("v_cvt_f32_i32", "v_cvt_f32_u32"), &[x.into()]);
            f32_to_half(sel, to, f)
        }
        _ => {
            let g = vop64(sel, pick("v_cvt_f64_i32", "v_cvt_f64_u32"), &[x.into()]);
            f64_to_narrow(sel, to, g)
        }
    }
}

/// A new VGPR pair set by one VALU instruction.
fn vop64(sel: &mut Sel, name: &str, srcs: &[Src]) -> Piece {
    let d = sel.new_v(2);
    sel.valu(op(name), d, srcs);
    d
}

fn vop64_mods(sel: &mut Sel, name: &str, srcs: &[Src], mods: Mods) -> Piece {
    let d = sel.new_v(2);
    sel.valu_mods(op(name), d, srcs, mods);
    d
}

/// hi·2^32 + lo: both terms are exact in f64, the one addition rounds.
fn int64_to_f64(sel: &mut Sel, signed: bool, x: Piece) -> Piece {
    let hi_cvt = if signed {
        "v_cvt_f64_i32"
    } else {
        "v_cvt_f64_u32"
    };
    let h = vop64(sel, hi_cvt, &[x.hi().into()]);
    let c32 = sel.imm(32);
    let h = vop64(sel, "v_ldexp_f64", &[h.into(), c32]);
    let l = vop64(sel, "v_cvt_f64_u32", &[x.into()]);
    vop64(sel, "v_add_f64", &[h.into(), l.into()])
}

/// An f64 that rounds like the 64-bit integer `x` to any precision up to 30 bits:
/// ±top·2^(32−sh), where sh = min(clz(|x|), 32) brings the leading one to bit 63 and
/// `top` is the high dword with the bits shifted out below it or-ed into its lowest bit
/// (they only ever decide "above or below the halfway point", never more).
fn int64_sticky(sel: &mut Sel, signed: bool, x: Piece) -> Piece {
    let s = signed.then(|| sign32(sel, x.hi().into()));
    let m = match s {
        Some(s) => abs64(sel, x, s),
        None => x,
    };
    let c = vop(sel, "v_clz_i32_u32", &[m.hi().into()]);
    // clz of 0 is −1 (all ones): the unsigned min makes it 32.
    let c32 = sel.imm(32);
    let sh = vop(sel, "v_min_u32", &[c.into(), c32]);
    let y = vop64(sel, "v_lshlrev_b64", &[sh.into(), m.into()]);
    let one = sel.imm(1);
    let sticky = vop(sel, "v_min_u32", &[y.into(), one]);
    let top = vop(sel, "v_or_b32", &[y.hi().into(), sticky.into()]);
    let f = vop64(sel, "v_cvt_f64_u32", &[top.into()]);
    let e = vop(sel, "v_sub_nc_u32", &[c32, sh.into()]);
    let g = vop64(sel, "v_ldexp_f64", &[f.into(), e.into()]);
    match s {
        None => g,
        Some(s) => {
            let bit = sel.imm(0x8000_0000);
            let sbit = vop(sel, "v_and_b32", &[bit, s.into()]);
            let hi = vop(sel, "v_xor_b32", &[g.hi().into(), sbit.into()]);
            pair(sel, [g.into(), hi.into()])
        }
    }
}

/// f64 → f32, f16 or bf16, rounded once.
fn f64_to_narrow(sel: &mut Sel, to: DType, g: Piece) -> Piece {
    if to == DType::F32 {
        return vop(sel, "v_cvt_f32_f64", &[g.into()]);
    }
    let f = round_to_odd_f32(sel, g);
    f32_to_half(sel, to, f)
}

/// g rounded to f32 "to odd": truncated toward zero, with the lowest bit set when
/// anything was dropped. From the nearest-even result t: where t's magnitude overshoots
/// g, step its bits one toward zero (f32 bits are sign and magnitude), then or in 1 where
/// t ≠ g. NaN and ±inf pass unchanged (the compares are ordered).
fn round_to_odd_f32(sel: &mut Sel, g: Piece) -> Piece {
    let t = vop(sel, "v_cvt_f32_f64", &[g.into()]);
    let back = vop64(sel, "v_cvt_f64_f32", &[t.into()]);
    let inexact = sel.vcmp(op("v_cmp_lg_f64"), back.into(), g.into());
    let abs = Mods {
        abs: 0b11,
        ..Mods::default()
    };
    let over = sel.vcmp_mods(op("v_cmp_gt_f64"), back.into(), g.into(), abs);
    let (zero, one) = (sel.imm(0), sel.imm(1));
    let dec = sel.new_v(1);
    sel.cndmask(dec, zero, one, over);
    let t1 = vop(sel, "v_sub_nc_u32", &[t.into(), dec.into()]);
    let odd = sel.new_v(1);
    sel.cndmask(odd, zero, one, inexact);
    vop(sel, "v_or_b32", &[t1.into(), odd.into()])
}

/// f32 → f16 (`v_cvt_f16_f32`, nearest even) or bf16 ([`f32_to_bf16`]), upper 16 bits zero.
fn f32_to_half(sel: &mut Sel, to: DType, f: Piece) -> Piece {
    if to == DType::BF16 {
        return f32_to_bf16(sel, f);
    }
    // 16-bit results leave the upper half of the VGPR as it was: clear it.
    let h = vop(sel, "v_cvt_f16_f32", &[f.into()]);
    zext(sel, 16, h)
}

/// The top 16 bits of f32 `f` rounded to nearest even: add 0x7fff plus the lowest kept
/// bit, then shift (a carry into the exponent is the right rounding up, up to infinity).
/// NaN becomes the quiet NaN 0x7fc0 (rounding could carry a NaN into infinity).
fn f32_to_bf16(sel: &mut Sel, f: Piece) -> Piece {
    let (c16, c1) = (sel.imm(16), sel.imm(1));
    let lsb = vop(sel, "v_bfe_u32", &[f.into(), c16, c1]);
    let half = sel.imm(0x7fff);
    let s = vop(sel, "v_add3_u32", &[f.into(), half, lsb.into()]);
    let r = vop(sel, "v_lshrrev_b32", &[c16, s.into()]);
    let nan = sel.vcmp(op("v_cmp_u_f32"), f.into(), f.into());
    let qnan = sel.imm(0x7fc0);
    let d = sel.new_v(1);
    sel.cndmask(d, r.into(), qnan, nan);
    d
}

/// f16 → f32 exactly; bf16 → f32 by moving its bits up.
fn half_to_f32(sel: &mut Sel, from: DType, x: Piece) -> Piece {
    if from == DType::BF16 {
        let c16 = sel.imm(16);
        return vop(sel, "v_lshlrev_b32", &[c16, x.into()]);
    }
    vop(sel, "v_cvt_f32_f16", &[x.into()])
}

fn float_to_float(sel: &mut Sel, from: DType, to: DType, x: Piece) -> Piece {
    if from == DType::F64 {
        return f64_to_narrow(sel, to, x);
    }
    let f = match from {
        DType::F32 => x,
        _ => half_to_f32(sel, from, x),
    };
    match to {
        DType::F32 => f,
        DType::F64 => vop64(sel, "v_cvt_f64_f32", &[f.into()]),
        _ => f32_to_half(sel, to, f),
    }
}

/// Truncates toward zero and saturates to `to`'s range; NaN gives 0.
fn float_to_int(sel: &mut Sel, from: DType, to: DType, x: Piece) -> Piece {
    let x = match from {
        DType::F16 | DType::BF16 => half_to_f32(sel, from, x),
        _ => x,
    };
    let wide = from == DType::F64;
    if to.bits() == 64 {
        let g = if wide {
            x
        } else {
            vop64(sel, "v_cvt_f64_f32", &[x.into()])
        };
        return f64_to_int64(sel, to.is_signed_int(), g);
    }
    let signed = to.is_signed_int();
    let name = match (signed, wide) {
        (true, false) => "v_cvt_i32_f32",
        (false, false) => "v_cvt_u32_f32",
        (true, true) => "v_cvt_i32_f64",
        (false, true) => "v_cvt_u32_f64",
    };
    let v = vop(sel, name, &[x.into()]);
    match (to.bits(), signed) {
        (32, _) => v,
        (bits, true) => {
            let lo = sel.imm((-(1i64 << (bits - 1))) as u32);
            let hi = sel.imm((1u32 << (bits - 1)) - 1);
            // Two literals: max then min (v_med3 would take only one of them).
            let m = vop(sel, "v_max_i32", &[lo, v.into()]);
            vop(sel, "v_min_i32", &[hi, m.into()])
        }
        (bits, false) => {
            let hi = sel.imm((1u32 << bits) - 1);
            vop(sel, "v_min_u32", &[v.into(), hi])
        }
    }
}

/// f64 → i64/u64, truncating and saturating, NaN → 0.
fn f64_to_int64(sel: &mut Sel, signed: bool, g: Piece) -> Piece {
    if !signed {
        let t = vop64(sel, "v_trunc_f64", &[g.into()]);
        let u = f64_to_u64_parts(sel, t);
        let big = at_least_pow2(sel, t, 64);
        let ones = const64(sel, u64::MAX);
        return select64(sel, big, super::int::halves(u), ones);
    }
    let abs = Mods {
        abs: 1,
        ..Mods::default()
    };
    let t = vop64_mods(sel, "v_trunc_f64", &[g.into()], abs);
    let u = f64_to_u64_parts(sel, t);
    let big = at_least_pow2(sel, t, 63);
    let neg = sel.vcmp(op("v_cmp_lt_f64"), g.into(), Src::Const(Operand::Int(0)));
    let (zero, ones) = (sel.imm(0), sel.imm(u32::MAX));
    let s = sel.new_v(1);
    sel.cndmask(s, zero, ones, neg);
    let r = apply_sign64(sel, u, s);
    // Saturated: MIN where negative, MAX where not.
    let sat_lo = vop(sel, "v_not_b32", &[s.into()]);
    let max_hi = sel.imm(0x7fff_ffff);
    let sat_hi = vop(sel, "v_xor_b32", &[max_hi, s.into()]);
    select64(
        sel,
        big,
        super::int::halves(r),
        [sat_lo.into(), sat_hi.into()],
    )
}

/// Lanes where t ≥ 2^k (false for NaN): t·2^−k ≥ 1.0, both sides exact.
fn at_least_pow2(sel: &mut Sel, t: Piece, k: i32) -> Piece {
    let e = sel.imm((-k) as u32);
    let s = vop64(sel, "v_ldexp_f64", &[t.into(), e]);
    let one = Src::Const(Operand::Float(crate::isa::FloatConst::One));
    sel.vcmp(op("v_cmp_ge_f64"), s.into(), one)
}

/// An integral f64 t in [0, 2^64) as u64 dwords: hi = trunc(t·2^−32), lo = t − hi·2^32
/// (both exact: lo is an integer below 2^32 made of t's own bits). Negative t and NaN
/// give 0 (the conversions saturate at 0), t ≥ 2^64 is the caller's to saturate.
fn f64_to_u64_parts(sel: &mut Sel, t: Piece) -> Piece {
    let m32 = sel.imm((-32i32) as u32);
    let s = vop64(sel, "v_ldexp_f64", &[t.into(), m32]);
    let hf = vop64(sel, "v_trunc_f64", &[s.into()]);
    let c32 = sel.imm(32);
    let p = vop64(sel, "v_ldexp_f64", &[hf.into(), c32]);
    let neg1 = Mods {
        neg: 0b10,
        ..Mods::default()
    };
    let lf = vop64_mods(sel, "v_add_f64", &[t.into(), p.into()], neg1);
    let d = sel.new_v(2);
    sel.valu(op("v_cvt_u32_f64"), d, &[lf.into()]);
    sel.valu(op("v_cvt_u32_f64"), d.hi(), &[hf.into()]);
    d
}

#[cfg(test)]
#[path = "convert_tests.rs"]
mod tests;
