//! `sin` of f16 and bf16, computed in f32 accurately relative to the result: the
//! f16/bf16 bound is 1 ULP of the result, also where sin x is near 0 for large x, which
//! `v_sin_f32`'s absolute error (2^-18) cannot meet. The argument is reduced to
//! revolutions r ∈ [−½, ½], folded to t ∈ [−¼, ¼], and sin 2πt comes from an odd
//! polynomial.
//! - |x| < 2^16 (every f16, and bf16 that small): y = x·(1/2π) with the constant as two
//!   f32 and the product's error recovered by fma: ~2^-48·|x| revolutions, below 2^-32;
//! - bf16 beyond 2^16: x = m·2^e with an 8-bit integer m, so frac(x/2π) =
//!   frac(m·frac(2^e/2π)); frac(2^e/2π) is a 64-bit window of 1/2π's bits starting at bit
//!   e + 1 (picked by a small `v_cndmask` barrel shifter), its product with m mod 2^64 is
//!   the fraction exactly up to 2^-56.

use super::emit::op;
use super::fparts::{k, kd, kf, pick, v, v2, vm};
use super::math::keep_tiny;
use super::{Piece, Sel, Src};
use crate::isa::Mods;

/// 1/(2π) as a sum of two f32 (hi = RN(1/2π), lo = RN(1/2π − hi)).
const INV2PI_HI: f32 = 0.159_154_94;
const INV2PI_LO: f32 = 6.420_638_2e-9;

/// sin(2π·t)/t as a polynomial in t², |t| ≤ ¼: (2π)^(2k+1)·(−1)^k/(2k+1)! for k = 0..=5
/// (the first term left out is below 2^-23 of the result).
const SIN_REV: [f32; 6] = [
    6.283_185_5,
    -41.341_7,
    81.605_25,
    -76.705_86,
    42.058_693,
    -15.094_643,
];

/// sin x for an f16 value (or a bf16 below 2^16) widened to f32: y = x·(1/2π) as
/// p + corr (p = RN(x·hi), corr = its error by fma plus x·lo); f = p − rndne(p) is exact
/// in [−½, ½]; the fold to [−¼, ¼] is done on f (±½ − f, exact) before corr is added, so
/// the one rounding of t = f' ± corr is relative to t (folding after the addition would
/// round r near ±½ on a grid far coarser than t); then the odd polynomial [`SIN_REV`].
pub(super) fn sin_f16(sel: &mut Sel, x: Piece) -> Piece {
    let (hi, lo) = (kf(sel, INV2PI_HI), kf(sel, INV2PI_LO));
    let p = v(sel, "v_mul_f32", &[x.into(), hi]);
    // the product's rounding error, exactly: fma(x, hi, −p)
    let err = vm(
        sel,
        "v_fma_f32",
        &[x.into(), hi, p.into()],
        Mods {
            neg: 4,
            ..Mods::default()
        },
    );
    let corr = v(sel, "v_fma_f32", &[x.into(), lo, err.into()]);
    let n = v(sel, "v_rndne_f32", &[p.into()]);
    let f = v(sel, "v_sub_f32", &[p.into(), n.into()]);
    let (far, folded) = fold_quarter(sel, f);
    let plus = v(sel, "v_add_f32", &[folded.into(), corr.into()]);
    let minus = v(sel, "v_sub_f32", &[folded.into(), corr.into()]);
    let t = pick(sel, far, minus.into(), plus.into());
    let s = odd_poly(sel, t, &SIN_REV);
    // ±inf: p = inf, p − n = NaN; NaN stays NaN; |x| < 2^-12 (±0 among them) gives x
    keep_tiny(sel, x, s)
}

/// 1/(2π) as big-endian dwords from the binary point (2/π's bits shifted right by 2).
const INV2PI_BITS: [u32; 6] = [
    0x28BE_60DB,
    0x9391_054A,
    0x7F09_D5F4,
    0x7D4D_3770,
    0x36D8_A566,
    0x4F10_E410,
];

/// sin x for a bf16 widened to f32: [`sin_f16`]'s reduction below 2^16, the exact
/// window reduction above (finite x only; ±inf and NaN take the first path, which gives
/// NaN).
pub(super) fn sin_bf16(sel: &mut Sel, x: Piece) -> Piece {
    let near = sin_f16(sel, x);
    let t = window_revolutions(sel, x);
    // the window reduced |x|: sin(−x) = −sin(x)
    let sign = k(sel, 0x8000_0000);
    let sbit = v(sel, "v_and_b32", &[sign, x.into()]);
    let t = v(sel, "v_xor_b32", &[t.into(), sbit.into()]);
    let far = odd_poly(sel, t, &SIN_REV);
    let abs = Mods {
        abs: 1,
        ..Mods::default()
    };
    let lim = kf(sel, 65536.0);
    let big = sel.vcmp_mods(op("v_cmp_gt_f32"), x.into(), lim, abs);
    let special = k(sel, 0x207); // ±inf, NaN
    let bad = sel.vcmp(op("v_cmp_class_f32"), x.into(), special);
    let m = sel.new_s(1);
    sel.sop2(op("s_and_not1_b32"), m, big.into(), bad.into());
    pick(sel, m, far.into(), near.into())
}

/// frac(x/2π) folded to [−¼, ¼] for a bf16 x = m·2^e (m the 8-bit significand, e ≥ 9
/// where it is used), from the 64 bits of 1/2π after bit e: the window's dwords are picked
/// by a two-stage barrel shifter over [`INV2PI_BITS`] and aligned with `v_alignbit_b32`
/// (as in sin64's window, t = 32·(j0 + 1) − sh); m·W mod 2^64 is the fraction as a signed
/// 64-bit fixed-point number r, folded exactly in integers (|r| > ¼: 2^63 − r mod 2^64 is
/// ±½ − r), converted through f64 (one rounding at 53 bits, then to f32).
fn window_revolutions(sel: &mut Sel, x: Piece) -> Piece {
    let (c16, c7, c23, c8) = (k(sel, 16), k(sel, 7), k(sel, 23), k(sel, 8));
    let frac = v(sel, "v_bfe_u32", &[x.into(), c16, c7]);
    let implicit = k(sel, 0x80);
    let m = v(sel, "v_or_b32", &[implicit, frac.into()]);
    let be = v(sel, "v_bfe_u32", &[x.into(), c23, c8]);
    // window bit t = e = be − 134 (0-based after the binary point)
    let bias = k(sel, (-134i32) as u32);
    let t = v(sel, "v_add_nc_u32", &[be.into(), bias]);
    let zero = k(sel, 0);
    let nt = v(sel, "v_sub_nc_u32", &[zero, t.into()]);
    let c31 = k(sel, 31);
    let sh = v(sel, "v_and_b32", &[c31, nt.into()]);
    let m32 = k(sel, (-32i32) as u32);
    let j = v(sel, "v_add3_u32", &[t.into(), sh.into(), m32]);
    let c5 = k(sel, 5);
    let j0 = v(sel, "v_ashrrev_i32", &[c5, j.into()]);
    let mut cur: Vec<Src> = INV2PI_BITS.iter().map(|d| k(sel, *d)).collect();
    for b in [1usize, 0] {
        let step = 1usize << b;
        let bit = k(sel, 1 << b);
        let set = v(sel, "v_and_b32", &[bit, j0.into()]);
        let mask = sel.vcmp(op("v_cmp_ne_u32"), set.into(), zero);
        cur = (0..3 + step - 1)
            .map(|i| {
                let a = cur.get(i).copied().unwrap_or(zero);
                let s = cur.get(i + step).copied().unwrap_or(zero);
                pick(sel, mask, s, a).into()
            })
            .collect();
    }
    let w0 = v(sel, "v_alignbit_b32", &[cur[0], cur[1], sh.into()]);
    let w1 = v(sel, "v_alignbit_b32", &[cur[1], cur[2], sh.into()]);
    // m·W mod 2^64: m·W1 as 64 bits, plus (m·W0 mod 2^32) in the high dword
    let lo = sel.new_v(2);
    let zero64 = Src::Const(crate::isa::Operand::Int(0));
    sel.valu_sd(
        op("v_mad_u64_u32"),
        lo,
        None,
        &[m.into(), w1.into(), zero64],
        Mods::default(),
    );
    let hi_add = v(sel, "v_mul_lo_u32", &[m.into(), w0.into()]);
    let hi = v(sel, "v_add_nc_u32", &[lo.hi().into(), hi_add.into()]);
    let (lo, hi) = fold_fixed(sel, lo, hi);
    let none = Mods::default();
    let hf = v2(sel, "v_cvt_f64_i32", &[hi.into()], none);
    let lf = v2(sel, "v_cvt_f64_u32", &[lo.into()], none);
    let two32 = kd(sel, 4_294_967_296.0);
    let r = v2(sel, "v_fma_f64", &[hf.into(), two32, lf.into()], none);
    let scale = k(sel, (-64i32) as u32);
    let r = v2(sel, "v_ldexp_f64", &[r.into(), scale], none);
    v(sel, "v_cvt_f32_f64", &[r.into()])
}

/// The signed 64-bit fraction (lo, hi) folded: when its top two bits differ (|r| > ¼),
/// 2^63 − r mod 2^64, which is ½ − r for r > 0 and −½ − r for r < 0.
fn fold_fixed(sel: &mut Sel, lo: Piece, hi: Piece) -> (Piece, Piece) {
    let one = k(sel, 1);
    let sh = v(sel, "v_lshlrev_b32", &[one, hi.into()]);
    let x = v(sel, "v_xor_b32", &[hi.into(), sh.into()]);
    let zero = k(sel, 0);
    let far = sel.vcmp(op("v_cmp_gt_i32"), zero, x.into());
    let nlo = sel.new_v(1);
    let borrow = sel.new_s(1);
    sel.valu_sd(
        op("v_sub_co_u32"),
        nlo,
        Some(borrow),
        &[zero, lo.into()],
        Mods::default(),
    );
    let nhi = sel.new_v(1);
    let top = k(sel, 0x8000_0000);
    let srcs = [top, hi.into(), borrow.into()];
    sel.valu_sd(op("v_sub_co_ci_u32"), nhi, None, &srcs, Mods::default());
    let flo = pick(sel, far, nlo.into(), lo.into());
    let fhi = pick(sel, far, nhi.into(), hi.into());
    (flo, fhi)
}

/// r ∈ [−½, ½] → (|r| > ¼, t) with t = ±½ − r (sign of r) when |r| > ¼, else r: exact,
/// and sin 2πt = sin 2πr.
fn fold_quarter(sel: &mut Sel, r: Piece) -> (Piece, Piece) {
    let abs = Mods {
        abs: 1,
        ..Mods::default()
    };
    let q = kf(sel, 0.25);
    let far = sel.vcmp_mods(super::emit::op("v_cmp_gt_f32"), r.into(), q, abs);
    let half = k(sel, 0x3f00_0000);
    let sign = k(sel, 0x8000_0000);
    let sbit = v(sel, "v_and_b32", &[sign, r.into()]);
    let h = v(sel, "v_or_b32", &[half, sbit.into()]);
    let t = v(sel, "v_sub_f32", &[h.into(), r.into()]);
    (far, pick(sel, far, t.into(), r.into()))
}

/// t·P(t²) by Horner (coefficients lowest first).
fn odd_poly(sel: &mut Sel, t: Piece, coeffs: &[f32]) -> Piece {
    let z = v(sel, "v_mul_f32", &[t.into(), t.into()]);
    let Some((last, rest)) = coeffs.split_last() else {
        return t;
    };
    let mut acc = kf(sel, *last);
    for c in rest.iter().rev() {
        let cs = kf(sel, *c);
        acc = v(sel, "v_fma_f32", &[acc, z.into(), cs]).into();
    }
    v(sel, "v_mul_f32", &[acc, t.into()])
}
