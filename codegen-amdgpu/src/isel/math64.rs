//! f64 division, `sqrt`, `recip`, `exp2` and `log2` (precision model: div, sqrt and recip
//! correctly rounded; exp2 and log2 within 1 ULP). The hardware has only estimates
//! (`v_rcp_f64`, `v_rsq_f64`), so each is refined with FMAs; exp2 and log2 are the
//! algorithms of codegen-ptx's `emit/f64_math.rs` (error budgets there) in RDNA3
//! instructions, with `v_ldexp_f64` and `v_frexp_*_f64` doing the exponent work.

use super::emit::op;
use super::fparts::{k, kd, pick, pick2, v, v2};
use super::{IselError, Piece, Sel, Src};
use crate::isa::{FloatConst, Mods, Operand};
use egpu_ir::UnaryOp;

const NONE: Mods = Mods {
    neg: 0,
    abs: 0,
    clamp: false,
    omod: 0,
};

/// Negate source `i` (bit mask over sources).
fn neg(bits: u8) -> Mods {
    Mods { neg: bits, ..NONE }
}

fn one() -> Src {
    Src::Const(Operand::Float(FloatConst::One))
}

/// Correctly rounded f64 `a / b`: `v_div_scale_f64` scales both into a safe range, the
/// reciprocal estimate gets two Newton–Raphson steps (each doubles its correct bits: ~2^-52
/// relative after them), the quotient one FMA correction whose residual `v_div_fmas_f64`
/// applies together with the scaling back (it reads VCC from the numerator's
/// `v_div_scale_f64`), and `v_div_fixup_f64` handles the special operands.
pub(super) fn div(sel: &mut Sel, a: Src, b: Src) -> Piece {
    let scale = op("v_div_scale_f64");
    let den = sel.new_v(2);
    sel.valu_sd_fixed(scale, den, Operand::Null, &[b, b, a], NONE);
    // VCC is set early, well before v_div_fmas reads it; nothing between writes VCC
    let num = sel.new_v(2);
    sel.valu_sd_fixed(scale, num, Operand::VccLo, &[a, b, a], NONE);
    let mut r = v2(sel, "v_rcp_f64", &[den.into()], NONE);
    for _ in 0..2 {
        let e = v2(sel, "v_fma_f64", &[den.into(), r.into(), one()], neg(1));
        r = v2(sel, "v_fma_f64", &[r.into(), e.into(), r.into()], NONE);
    }
    let q = v2(sel, "v_mul_f64", &[num.into(), r.into()], NONE);
    let e = v2(
        sel,
        "v_fma_f64",
        &[den.into(), q.into(), num.into()],
        neg(1),
    );
    let f = v2(sel, "v_div_fmas_f64", &[e.into(), r.into(), q.into()], NONE);
    v2(sel, "v_div_fixup_f64", &[f.into(), b, a], NONE)
}

pub(super) fn unary(sel: &mut Sel, uop: UnaryOp, x: Piece) -> Result<Piece, IselError> {
    Ok(match uop {
        UnaryOp::Sqrt => sqrt(sel, x),
        UnaryOp::Recip => div(sel, one(), x.into()),
        UnaryOp::Exp2 => exp2(sel, x),
        UnaryOp::Log2 => log2(sel, x),
        UnaryOp::Sin => super::sin64::sin(sel, x),
        _ => return Err(sel.malformed(format!("{uop:?} on F64 routed to math"))),
    })
}

/// v_cmp_class masks: bit 0 sNaN, 1 qNaN, 2 −inf, 3 −normal, 4 −denormal, 5 −0, 6 +0,
/// 7 +denormal, 8 +normal, 9 +inf.
const CLASS_NAN: u32 = 0b11;
const CLASS_NEG: u32 = 0b1_1100;
const CLASS_ZERO: u32 = 0b110_0000;
const CLASS_PINF: u32 = 1 << 9;

fn class(sel: &mut Sel, x: Piece, mask: u32) -> Piece {
    let m = k(sel, mask);
    sel.vcmp(op("v_cmp_class_f64"), x.into(), m)
}

/// Correctly rounded √x. x below 2^-767 is scaled by 2^256 (the root by 2^-128 after;
/// exact both), so that y = rsq(x) and every intermediate stay normal. From y (relative
/// error ~2^-22 or better): g = x·y ≈ √x, h = y/2 ≈ 1/(2√x); one Goldschmidt step
/// (r = ½ − h·g; g += g·r; h += h·r) leaves both with relative error ~2^-44; then two
/// corrections g += (x − g²)·h with the remainder x − g² computed exactly by fma: the first
/// makes g accurate to well under an ULP, the second rounds the exact root correctly
/// (the remainder of a faithful g is exact, and h's error, ≤ 2^-44, cannot move the
/// correction across a rounding boundary: Markstein's condition). ±0 and +inf are their own
/// roots (the refinement would turn them into NaN); negative x and NaN give NaN from rsq.
fn sqrt(sel: &mut Sel, x: Piece) -> Piece {
    let lim = kd(sel, 2f64.powi(-767));
    let low = sel.vcmp(op("v_cmp_lt_f64"), x.into(), lim);
    let (zero, up, down) = (k(sel, 0), k(sel, 256), k(sel, (-128i32) as u32));
    let e_up = pick(sel, low, up, zero);
    let xs = v2(sel, "v_ldexp_f64", &[x.into(), e_up.into()], NONE);
    let y = v2(sel, "v_rsq_f64", &[xs.into()], NONE);
    let mut g = v2(sel, "v_mul_f64", &[xs.into(), y.into()], NONE);
    let half = Src::Const(Operand::Float(FloatConst::Half));
    let mut h = v2(sel, "v_mul_f64", &[y.into(), half], NONE);
    let r = v2(sel, "v_fma_f64", &[h.into(), g.into(), half], neg(1));
    g = v2(sel, "v_fma_f64", &[g.into(), r.into(), g.into()], NONE);
    h = v2(sel, "v_fma_f64", &[h.into(), r.into(), h.into()], NONE);
    for _ in 0..2 {
        let d = v2(sel, "v_fma_f64", &[g.into(), g.into(), xs.into()], neg(1));
        g = v2(sel, "v_fma_f64", &[d.into(), h.into(), g.into()], NONE);
    }
    let e_down = pick(sel, low, down, zero);
    let r = v2(sel, "v_ldexp_f64", &[g.into(), e_down.into()], NONE);
    let own = class(sel, x, CLASS_ZERO | CLASS_PINF);
    pick2(sel, own, x.into(), r.into())
}

/// ln 2 as hi + lo, 1/ln 2 as hi + lo (each part rounded to f64).
const LN2_HI: u64 = 0x3FE6_2E42_FEFA_39EF;
const LN2_LO: u64 = 0x3C7A_BC9E_3B39_803F;
const INV_LN2_HI: u64 = 0x3FF7_1547_652B_82FE;
const INV_LN2_LO: u64 = 0x3C77_77D0_FFDA_0D24;

/// ln2^k / k! for k = 2..=14, rounded to f64.
const EXP2_TAIL: [u64; 13] = [
    0x3FCE_BFBD_FF82_C58F,
    0x3FAC_6B08_D704_A0C0,
    0x3F83_B2AB_6FBA_4E77,
    0x3F55_D87F_E78A_6731,
    0x3F24_3091_2F86_C787,
    0x3EEF_FCBF_C588_B0C7,
    0x3EB6_2C02_23A5_C824,
    0x3E7B_5253_D395_E7C4,
    0x3E3E_4CF5_158B_8ECA,
    0x3DFE_8CAC_7351_BB25,
    0x3DBC_3BD6_50FC_2986,
    0x3D78_1619_3166_D0F9,
    0x3D33_1496_4D58_78A9,
];

/// 2/(2k+1) for k = 1..=10, rounded to f64.
const ATANH_TAIL: [u64; 10] = [
    0x3FE5_5555_5555_5555,
    0x3FD9_9999_9999_999A,
    0x3FD2_4924_9249_2492,
    0x3FCC_71C7_1C71_C71C,
    0x3FC7_45D1_745D_1746,
    0x3FC3_B13B_13B1_3B14,
    0x3FC1_1111_1111_1111,
    0x3FBE_1E1E_1E1E_1E1E,
    0x3FBA_F286_BCA1_AF28,
    0x3FB8_6186_1861_8618,
];

fn kb(sel: &mut Sel, bits: u64) -> Src {
    kd(sel, f64::from_bits(bits))
}

/// t = Σ coeffs[i]·z^i by Horner (f64 coefficients as bits).
fn horner(sel: &mut Sel, z: Piece, coeffs: &[u64]) -> Piece {
    let Some((last, rest)) = coeffs.split_last() else {
        return z;
    };
    let c = kb(sel, *last);
    let mut t = sel.to_vgpr(c, 2);
    for c in rest.iter().rev() {
        let cs = kb(sel, *c);
        t = v2(sel, "v_fma_f64", &[t.into(), z.into(), cs], NONE);
    }
    t
}

/// 2^x within 1 ULP: x clamped to ±1100 (beyond, the result is already 0 or inf), n =
/// rndne(x), f = x − n exact with |f| ≤ ½, 2^f by [`exp2_reduced`], then `v_ldexp_f64` by
/// n, which rounds once (into the denormals or to inf as the value requires). NaN is
/// passed through (the clamp would have replaced it).
fn exp2(sel: &mut Sel, x: Piece) -> Piece {
    let (hi, lo) = (kd(sel, 1100.0), kd(sel, -1100.0));
    let xc = v2(sel, "v_min_f64", &[x.into(), hi], NONE);
    let xc = v2(sel, "v_max_f64", &[xc.into(), lo], NONE);
    let n = v2(sel, "v_rndne_f64", &[xc.into()], NONE);
    let f = v2(sel, "v_add_f64", &[xc.into(), n.into()], neg(2));
    let p = exp2_reduced(sel, f);
    let ni = v(sel, "v_cvt_i32_f64", &[n.into()]);
    let r = v2(sel, "v_ldexp_f64", &[p.into(), ni.into()], NONE);
    let nan = class(sel, x, CLASS_NAN);
    pick2(sel, nan, x.into(), r.into())
}

/// 2^f for |f| ≤ ½: 1 + f·ln2 + f²·P(f), f·ln2 as the exact pair sh + sl, 1 + sh with its
/// rounding error recovered (Fast2Sum), the small terms summed first, one final rounding.
fn exp2_reduced(sel: &mut Sel, f: Piece) -> Piece {
    let t = horner(sel, f, &EXP2_TAIL);
    let u = v2(sel, "v_mul_f64", &[t.into(), f.into()], NONE);
    let u = v2(sel, "v_mul_f64", &[u.into(), f.into()], NONE);
    let ln2_hi = kb(sel, LN2_HI);
    let sh = v2(sel, "v_mul_f64", &[f.into(), ln2_hi], NONE);
    let sl = v2(sel, "v_fma_f64", &[f.into(), ln2_hi, sh.into()], neg(4));
    let ln2_lo = kb(sel, LN2_LO);
    let sl = v2(sel, "v_fma_f64", &[f.into(), ln2_lo, sl.into()], NONE);
    let a = v2(sel, "v_add_f64", &[sh.into(), one()], NONE);
    let e = v2(sel, "v_add_f64", &[one(), a.into()], neg(2));
    let e = v2(sel, "v_add_f64", &[e.into(), sh.into()], NONE);
    let e = v2(sel, "v_add_f64", &[e.into(), sl.into()], NONE);
    let e = v2(sel, "v_add_f64", &[e.into(), u.into()], NONE);
    v2(sel, "v_add_f64", &[a.into(), e.into()], NONE)
}

/// √½, the lower end of the reduced mantissa's range.
const SQRT_HALF: u64 = 0x3FE6_A09E_667F_3BCD;

/// log2 x within 1 ULP (exact for powers of two): x = 2^e·m with m ∈ [√½, √2) from
/// `v_frexp_*_f64` (denormals included), ln m as the pair H + Lo by [`ln_reduced`], then
/// e + (H + Lo)/ln 2 in double-double with one final rounding. Specials: NaN → NaN,
/// x < 0 → NaN, ±0 → −inf, +inf → +inf.
fn log2(sel: &mut Sel, x: Piece) -> Piece {
    let mant = v2(sel, "v_frexp_mant_f64", &[x.into()], NONE);
    let ex = v(sel, "v_frexp_exp_i32_f64", &[x.into()]);
    let lim = kb(sel, SQRT_HALF);
    let small = sel.vcmp(op("v_cmp_lt_f64"), mant.into(), lim);
    let m2 = v2(sel, "v_add_f64", &[mant.into(), mant.into()], NONE);
    let m = pick2(sel, small, m2.into(), mant.into());
    let minus1 = k(sel, u32::MAX);
    let ex1 = v(sel, "v_add_nc_u32", &[minus1, ex.into()]);
    let ei = pick(sel, small, ex1.into(), ex.into());
    let e = v2(sel, "v_cvt_f64_i32", &[ei.into()], NONE);
    let (hh, lo) = ln_reduced(sel, m);
    let r = log2_combine(sel, hh, lo, e);
    log2_specials(sel, x, r)
}

/// ln m for m ∈ [√½, √2) as H + Lo: f = m − 1 (exact), s = f/(2+f), ln(1+f) = f − c with
/// c = h − s·(h + R), h = f²/2, R = Σ 2/(2k+1)·s^(2k).
fn ln_reduced(sel: &mut Sel, m: Piece) -> (Piece, Piece) {
    let f = v2(sel, "v_add_f64", &[m.into(), one()], neg(2));
    let two = Src::Const(Operand::Float(FloatConst::Two));
    let d = v2(sel, "v_add_f64", &[f.into(), two], NONE);
    let s = div(sel, f.into(), d.into());
    let z = v2(sel, "v_mul_f64", &[s.into(), s.into()], NONE);
    let t = horner(sel, z, &ATANH_TAIL);
    let t = v2(sel, "v_mul_f64", &[t.into(), z.into()], NONE);
    let h = v2(sel, "v_mul_f64", &[f.into(), f.into()], NONE);
    let half = Src::Const(Operand::Float(FloatConst::Half));
    let h = v2(sel, "v_mul_f64", &[h.into(), half], NONE);
    let t = v2(sel, "v_add_f64", &[t.into(), h.into()], NONE);
    let c = v2(sel, "v_fma_f64", &[s.into(), t.into(), h.into()], neg(1));
    let hh = v2(sel, "v_add_f64", &[f.into(), c.into()], neg(2));
    let lo = v2(sel, "v_add_f64", &[f.into(), hh.into()], neg(2));
    let lo = v2(sel, "v_add_f64", &[lo.into(), c.into()], neg(2));
    (hh, lo)
}

/// e + (H + Lo)·(1/ln 2) with the product's error recovered by fma and e + P's by
/// Fast2Sum (|e| ≥ 1 > |P| or e = 0), one final rounding.
fn log2_combine(sel: &mut Sel, hh: Piece, lo: Piece, e: Piece) -> Piece {
    let ih = kb(sel, INV_LN2_HI);
    let p = v2(sel, "v_mul_f64", &[hh.into(), ih], NONE);
    let tail = v2(sel, "v_fma_f64", &[hh.into(), ih, p.into()], neg(4));
    let il = kb(sel, INV_LN2_LO);
    let tail = v2(sel, "v_fma_f64", &[hh.into(), il, tail.into()], NONE);
    let tail = v2(sel, "v_fma_f64", &[lo.into(), ih, tail.into()], NONE);
    let sum = v2(sel, "v_add_f64", &[e.into(), p.into()], NONE);
    let err = v2(sel, "v_add_f64", &[e.into(), sum.into()], neg(2));
    let err = v2(sel, "v_add_f64", &[err.into(), p.into()], NONE);
    let err = v2(sel, "v_add_f64", &[err.into(), tail.into()], NONE);
    v2(sel, "v_add_f64", &[sum.into(), err.into()], NONE)
}

fn log2_specials(sel: &mut Sel, x: Piece, r: Piece) -> Piece {
    let pinf = class(sel, x, CLASS_PINF);
    let r = pick2(sel, pinf, x.into(), r.into());
    let zero = class(sel, x, CLASS_ZERO);
    let ninf = kd(sel, f64::NEG_INFINITY);
    let r = pick2(sel, zero, ninf, r.into());
    let bad = class(sel, x, CLASS_NEG | CLASS_NAN);
    let nan = kd(sel, f64::NAN);
    pick2(sel, bad, nan, r.into())
}
