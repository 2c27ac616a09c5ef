//! `idiv` and `mod` on every integer dtype (truncating; the remainder takes the
//! dividend's sign; MIN / -1 wraps). What remains after the `strength-reduce` pass: a
//! divisor that is not a constant, or a dividend that may be negative.
//!
//! Signed division divides the magnitudes and then applies the signs (quotient: the
//! xor of both signs; remainder: the dividend's), which wraps MIN / -1 to MIN as the IR
//! wants. 8- and 16-bit values are already 32-bit integers in registers, so they use the
//! 32-bit sequence and re-extend the result. Everything is branch-free.
//!
//! **Unsigned division n / d, W = 32 or 64 bits** (d ≥ 1, guaranteed by the IR):
//!
//! 1. z0 = trunc(rcp(f32(d)) · S), S = 2^W·(1 − 2^−20) — an under-estimate of
//!    E = 2^W / d. Error budget, relative: f32(d) ≤ 2^−23 (one rounding for 32 bits;
//!    for 64 bits d1·2^32 and d0 are each rounded and summed by one fma), `v_rcp_iflag_f32`
//!    ≤ 2^−21 (the ISA promises 1 ULP = 2^−23; we assume 4× that), the product with S
//!    ≤ 2^−24: together below 1.375·2^−21 < 2^−20. So S(1−2^−20)/d ≤ the scaled estimate
//!    ≤ S(1+2^−20)/d < E, hence z0 ≤ E and u0 := E − z0 ≤ E·2^−19 + 1 (the +1 is the
//!    truncation).
//! 2. Newton steps z' = z + mulhi(z, e) with e = −d·z mod 2^W. While z ≤ E and d·z ≥ 1,
//!    e = 2^W − d·z = 2^W·δ exactly, where z = E(1 − δ); then
//!    z' = z + ⌊z·δ⌋ ∈ (E(1 − δ²) − 1, E(1 − δ²)]: z' ≤ E stays an under-estimate,
//!    z' ≥ z, and the error u' = E − z' < u²/E + 1. (If z = 0, only possible for
//!    d > 2^(W−1), e = 0 and z stays 0.)
//! 3. q = mulhi(n, z) = ⌊n·z / 2^W⌋ ≤ n/d, and n/d − q < (n/2^W)·u + 1 ≤ u + 1 since
//!    n < 2^W. So Q − q ≤ 2 (Q = ⌊n/d⌋) whenever the final u < 2, and two correction
//!    steps (r = n − q·d; where r ≥ d: q += 1, r −= d) give the exact Q and remainder.
//!
//! Why the final u < 2:
//! - W = 32, one Newton step. If E ≥ 2^19: δ0 ≤ 2^−19 + 1/E ≤ 2^−18 and
//!   u1 < E·δ0² + 1 ≤ 2^32·2^−36 + 1 < 2. If 4 < E < 2^19: δ0 < 2/E, u1 < 4/E + 1 < 2.
//!   If E ≤ 4: u1 ≤ u0 ≤ 4·2^−19 + 1 < 2.
//! - W = 64, two Newton steps. u2 < E·δ1² + 1 with δ1 < δ0² + 1/E, so
//!   E·δ1² < E·δ0⁴ + 2δ0² + 1/E. If E ≥ 2^19: δ0 ≤ 2^−18 gives
//!   2^64·2^−72 + 2^−35 + 2^−19 < 1. If 32 ≤ E < 2^19: δ0 < 2/E gives
//!   16/E³ + 8/E² + 1/E < 1. If E < 32: u2 ≤ u0 ≤ 32·2^−19 + 1 < 2.
//!
//! (Step 1 never overflows: for d = 1 the estimate stays below 2^W; the 64-bit estimate
//! is split into dwords exactly since an f32 has 24 significant bits.)

use super::int::{Half2, add64, halves, mul64, mulhi_u64, normalize, select64, sub64, vop};
use super::{IselError, Piece, Sel, Src};
use crate::isa::Operand;
use egpu_ir::BinaryOp;
use egpu_ir::DType;

/// 2^32·(1 − 2^−20) and 2^64·(1 − 2^−20) as f32 bits (see the module docs).
const SCALE32: u32 = 0x4f7f_fff0;
const SCALE64: u32 = 0x5f7f_fff0;
const TWO_POW_32: u32 = 0x4f80_0000;
const NEG_TWO_POW_32: u32 = 0xcf80_0000;
const TWO_POW_M32: u32 = 0x2f80_0000;

pub(super) fn binary(
    sel: &mut Sel,
    op: BinaryOp,
    dt: DType,
    a: Piece,
    b: Piece,
) -> Result<Piece, IselError> {
    let want = match op {
        BinaryOp::Idiv => Want::Quotient,
        BinaryOp::Mod => Want::Remainder,
        _ => return Err(sel.malformed(format!("{op:?} routed to integer division"))),
    };
    if !dt.is_int() {
        return Err(sel.malformed(format!("{op:?} on {dt:?}")));
    }
    Ok(match (dt.bits(), dt.is_signed_int()) {
        (64, false) => udivrem64(sel, a, b, want),
        (64, true) => sdivrem64(sel, a, b, want),
        (_, false) => udivrem32(sel, a.into(), b.into(), want),
        (_, true) => {
            let r = sdivrem32(sel, a, b, want);
            normalize(sel, dt, r)
        }
    })
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Want {
    Quotient,
    Remainder,
}

/// Unsigned 32-bit n / d or n % d (module docs, W = 32).
fn udivrem32(sel: &mut Sel, n: Src, d: Src, want: Want) -> Piece {
    let fd = vop(sel, "v_cvt_f32_u32", &[d]);
    let rc = vop(sel, "v_rcp_iflag_f32", &[fd.into()]);
    let scale = sel.imm(SCALE32);
    let sc = vop(sel, "v_mul_f32", &[scale, rc.into()]);
    let z0 = vop(sel, "v_cvt_u32_f32", &[sc.into()]);
    let zero = sel.imm(0);
    let nd = vop(sel, "v_sub_nc_u32", &[zero, d]);
    let e = vop(sel, "v_mul_lo_u32", &[nd.into(), z0.into()]);
    let ze = vop(sel, "v_mul_hi_u32", &[z0.into(), e.into()]);
    let z = vop(sel, "v_add_nc_u32", &[z0.into(), ze.into()]);
    let mut q = vop(sel, "v_mul_hi_u32", &[n, z.into()]);
    let qd = vop(sel, "v_mul_lo_u32", &[q.into(), d]);
    let mut r = vop(sel, "v_sub_nc_u32", &[n, qd.into()]);
    for last in [false, true] {
        let ge = sel.vcmp(super::emit::op("v_cmp_ge_u32"), r.into(), d);
        if !last || want == Want::Quotient {
            let one = sel.imm(1);
            let q1 = vop(sel, "v_add_nc_u32", &[q.into(), one]);
            q = cnd(sel, q, q1, ge);
        }
        if !last || want == Want::Remainder {
            let r1 = vop(sel, "v_sub_nc_u32", &[r.into(), d]);
            r = cnd(sel, r, r1, ge);
        }
    }
    match want {
        Want::Quotient => q,
        Want::Remainder => r,
    }
}

fn cnd(sel: &mut Sel, f: Piece, t: Piece, mask: Piece) -> Piece {
    let d = sel.new_v(1);
    sel.cndmask(d, f.into(), t.into(), mask);
    d
}

/// Signed 32-bit (and 8/16-bit, already sign-extended): magnitudes, then signs.
fn sdivrem32(sel: &mut Sel, a: Piece, b: Piece, want: Want) -> Piece {
    let sa = sign32(sel, a.into());
    let sb = sign32(sel, b.into());
    let ua = abs32(sel, a, sa);
    let ub = abs32(sel, b, sb);
    let m = udivrem32(sel, ua.into(), ub.into(), want);
    let s = match want {
        Want::Quotient => vop(sel, "v_xor_b32", &[sa.into(), sb.into()]),
        Want::Remainder => sa,
    };
    apply_sign32(sel, m, s)
}

/// All ones where `x` is negative, else zero.
pub(super) fn sign32(sel: &mut Sel, x: Src) -> Piece {
    let c = sel.imm(31);
    vop(sel, "v_ashrrev_i32", &[c, x])
}

/// |x| as an unsigned value: (x + s) ^ s with s = sign(x).
fn abs32(sel: &mut Sel, x: Piece, s: Piece) -> Piece {
    let t = vop(sel, "v_add_nc_u32", &[x.into(), s.into()]);
    vop(sel, "v_xor_b32", &[t.into(), s.into()])
}

/// s ? −m : m, with s all ones or zero: (m ^ s) − s.
fn apply_sign32(sel: &mut Sel, m: Piece, s: Piece) -> Piece {
    let t = vop(sel, "v_xor_b32", &[m.into(), s.into()]);
    vop(sel, "v_sub_nc_u32", &[t.into(), s.into()])
}

/// Unsigned 64-bit n / d or n % d (module docs, W = 64).
fn udivrem64(sel: &mut Sel, n: Piece, d: Piece, want: Want) -> Piece {
    let mut z = estimate64(sel, d);
    let zero = Src::Const(Operand::Int(0));
    let nd = sub64(sel, [zero, zero], halves(d));
    for _ in 0..2 {
        let e = mul64(sel, halves(nd), halves(z));
        let ze = mulhi_u64(sel, halves(z), halves(e));
        z = add64(sel, halves(z), halves(ze));
    }
    let mut q = mulhi_u64(sel, halves(n), halves(z));
    let qd = mul64(sel, halves(q), halves(d));
    let mut r = sub64(sel, halves(n), halves(qd));
    for last in [false, true] {
        let ge = sel.vcmp(super::emit::op("v_cmp_ge_u64"), r.into(), d.into());
        if !last || want == Want::Quotient {
            let one: Half2 = [sel.imm(1), zero];
            let q1 = add64(sel, halves(q), one);
            q = select64(sel, ge, halves(q), halves(q1));
        }
        if !last || want == Want::Remainder {
            let r1 = sub64(sel, halves(r), halves(d));
            r = select64(sel, ge, halves(r), halves(r1));
        }
    }
    match want {
        Want::Quotient => q,
        Want::Remainder => r,
    }
}

/// z0 ≈ 2^64 / d from the f32 reciprocal, as a VGPR pair (module docs, step 1).
fn estimate64(sel: &mut Sel, d: Piece) -> Piece {
    let fh = vop(sel, "v_cvt_f32_u32", &[d.hi().into()]);
    let fl = vop(sel, "v_cvt_f32_u32", &[d.into()]);
    let two32 = sel.imm(TWO_POW_32);
    let fd = vop(sel, "v_fma_f32", &[fh.into(), two32, fl.into()]);
    let rc = vop(sel, "v_rcp_iflag_f32", &[fd.into()]);
    let scale = sel.imm(SCALE64);
    let m = vop(sel, "v_mul_f32", &[scale, rc.into()]);
    let inv32 = sel.imm(TWO_POW_M32);
    let mh = vop(sel, "v_mul_f32", &[m.into(), inv32]);
    let mh = vop(sel, "v_trunc_f32", &[mh.into()]);
    // m − mh·2^32 is exact: it is m's bits below 2^32.
    let neg32 = sel.imm(NEG_TWO_POW_32);
    let ml = vop(sel, "v_fma_f32", &[mh.into(), neg32, m.into()]);
    let z = sel.new_v(2);
    sel.valu(super::emit::op("v_cvt_u32_f32"), z, &[ml.into()]);
    sel.valu(super::emit::op("v_cvt_u32_f32"), z.hi(), &[mh.into()]);
    z
}

/// Signed 64-bit: magnitudes, then signs.
fn sdivrem64(sel: &mut Sel, a: Piece, b: Piece, want: Want) -> Piece {
    let sa = sign32(sel, a.hi().into());
    let sb = sign32(sel, b.hi().into());
    let ua = abs64(sel, a, sa);
    let ub = abs64(sel, b, sb);
    let m = udivrem64(sel, ua, ub, want);
    let s = match want {
        Want::Quotient => vop(sel, "v_xor_b32", &[sa.into(), sb.into()]),
        Want::Remainder => sa,
    };
    apply_sign64(sel, m, s)
}

pub(super) fn xor64(sel: &mut Sel, x: Piece, s: Piece) -> Piece {
    let d = sel.new_v(2);
    let x_op = super::emit::op("v_xor_b32");
    sel.valu(x_op, d, &[x.into(), s.into()]);
    sel.valu(x_op, d.hi(), &[x.hi().into(), s.into()]);
    d
}

pub(super) fn abs64(sel: &mut Sel, x: Piece, s: Piece) -> Piece {
    let t = add64(sel, halves(x), [s.into(), s.into()]);
    xor64(sel, t, s)
}

pub(super) fn apply_sign64(sel: &mut Sel, m: Piece, s: Piece) -> Piece {
    let t = xor64(sel, m, s);
    sub64(sel, halves(t), [s.into(), s.into()])
}

#[cfg(test)]
#[path = "divide_tests.rs"]
mod tests;
