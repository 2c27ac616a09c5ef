//! Small pieces the float families ([`super::float16`], [`super::float64`], [`super::math`])
//! share: one-line VALU builders that return a fresh VGPR, conversions between f16/bf16
//! and f32 (the format f16/bf16 work is done in), round-to-nearest-even to bf16, f64
//! constants, and max/min with the kernel IR's NaN and signed-zero rules.

use super::emit::op;
use super::{Piece, Sel, Src};
use crate::isa::{FloatConst, Mods, Operand, Ty};

/// Source `i`'s negate bit for [`Mods::neg`].
pub(super) const NEG0: Mods = Mods {
    neg: 1,
    abs: 0,
    clamp: false,
    omod: 0,
};

/// `name srcs` into a new VGPR.
pub(super) fn v(sel: &mut Sel, name: &str, srcs: &[Src]) -> Piece {
    let d = sel.new_v(1);
    sel.valu(op(name), d, srcs);
    d
}

/// `name srcs` with modifiers into a new VGPR.
pub(super) fn vm(sel: &mut Sel, name: &str, srcs: &[Src], mods: Mods) -> Piece {
    let d = sel.new_v(1);
    sel.valu_mods(op(name), d, srcs, mods);
    d
}

/// `name srcs` into a new VGPR pair (an f64 result).
pub(super) fn v2(sel: &mut Sel, name: &str, srcs: &[Src], mods: Mods) -> Piece {
    let d = sel.new_v(2);
    sel.valu_mods(op(name), d, srcs, mods);
    d
}

/// `mask ? t : f` into a new VGPR.
pub(super) fn pick(sel: &mut Sel, mask: Piece, t: Src, f: Src) -> Piece {
    let d = sel.new_v(1);
    sel.cndmask(d, f, t, mask);
    d
}

/// `mask ? t : f` for f64 pairs (per dword).
pub(super) fn pick2(sel: &mut Sel, mask: Piece, t: Src, f: Src) -> Piece {
    let d = sel.new_v(2);
    for i in 0..2 {
        let (ti, fi) = (half(sel, t, i), half(sel, f, i));
        let di = Piece {
            offset: d.offset + i,
            ..d
        };
        sel.cndmask(di, fi, ti, mask);
    }
    d
}

/// Dword `i` of a 64-bit source (constants: the half of their f64 bits).
fn half(sel: &Sel, s: Src, i: u8) -> Src {
    match s {
        Src::Reg(p) => Src::Reg(Piece {
            offset: p.offset + i,
            ..p
        }),
        Src::Const(c) => {
            let bits = f64_of_const(c).to_bits();
            sel.imm(if i == 0 {
                bits as u32
            } else {
                (bits >> 32) as u32
            })
        }
    }
}

/// The f64 value of a constant that stands in an f64 slot.
fn f64_of_const(c: Operand) -> f64 {
    match c {
        Operand::Int(n) => f64::from(n),
        Operand::Float(f) => f64::from(f32::from_bits(f.f32_bits())),
        Operand::Literal(v) => f64::from(f32::from_bits(v)),
        _ => 0.0,
    }
}

/// A 32-bit constant source.
pub(super) fn k(sel: &Sel, bits: u32) -> Src {
    sel.imm(bits)
}

/// An f32 constant source.
pub(super) fn kf(sel: &Sel, v: f32) -> Src {
    sel.imm(v.to_bits())
}

/// An f64 constant: inline when the hardware has it (0, ±½, ±1, ±2, ±4), otherwise an
/// SGPR pair (uniform, and a VALU instruction may read it as one scalar operand).
pub(super) fn kd(sel: &mut Sel, v: f64) -> Src {
    if v.to_bits() == 0 {
        return Src::Const(Operand::Int(0));
    }
    let inline = FloatConst::all()
        .iter()
        .find(|f| **f != FloatConst::InvTwoPi && f64::from(f32::from_bits(f.f32_bits())) == v);
    if let Some(f) = inline {
        return Src::Const(Operand::Float(*f));
    }
    let bits = v.to_bits();
    let p = sel.new_s(2);
    let lo = Src::Const(Operand::constant(bits as u32, Ty::B32));
    let hi = Src::Const(Operand::constant((bits >> 32) as u32, Ty::B32));
    sel.sop1(op("s_mov_b32"), p, lo);
    sel.sop1(op("s_mov_b32"), p.hi(), hi);
    Src::Reg(p)
}

/// Clears the upper 16 bits of a 16-bit float result (the `v_*_f16` ops leave them
/// undefined; the value representation wants them zero).
pub(super) fn low16(sel: &mut Sel, x: Piece) -> Piece {
    let m = k(sel, 0xffff);
    v(sel, "v_and_b32", &[m, x.into()])
}

/// An f16 or bf16 element widened to f32 (exact).
pub(super) fn widen(sel: &mut Sel, bf16: bool, x: Piece) -> Piece {
    if bf16 {
        let s = k(sel, 16);
        v(sel, "v_lshlrev_b32", &[s, x.into()])
    } else {
        v(sel, "v_cvt_f32_f16", &[x.into()])
    }
}

/// An f32 rounded to f16 or bf16 (nearest even), in the low 16 bits, upper zero.
pub(super) fn narrow(sel: &mut Sel, bf16: bool, x: Piece) -> Piece {
    if bf16 {
        round_bf16(sel, x)
    } else {
        let h = v(sel, "v_cvt_f16_f32", &[x.into()]);
        low16(sel, h)
    }
}

/// f32 bits `u` rounded to the nearest bf16, ties to even: add 0x7fff plus the lsb of the
/// kept half, keep the top 16 bits (a carry into the exponent is the right rounding up,
/// to +inf at the top). NaN keeps its sign and payload's top and is made quiet (bit 6).
pub(super) fn round_bf16(sel: &mut Sel, u: Piece) -> Piece {
    let (c16, c1) = (k(sel, 16), k(sel, 1));
    let lsb = v(sel, "v_bfe_u32", &[u.into(), c16, c1]);
    let bias = k(sel, 0x7fff);
    let t = v(sel, "v_add3_u32", &[u.into(), bias, lsb.into()]);
    let t = v(sel, "v_lshrrev_b32", &[c16, t.into()]);
    let q = v(sel, "v_lshrrev_b32", &[c16, u.into()]);
    let quiet = k(sel, 0x40);
    let q = v(sel, "v_or_b32", &[quiet, q.into()]);
    let nan = sel.vcmp(op("v_cmp_u_f32"), u.into(), u.into());
    pick(sel, nan, q.into(), t.into())
}

/// The kernel IR's max/min on one register (f32 or a 16-bit float in the low half):
/// NaN if either is NaN, −0 < +0. The hardware max/min returns the other operand for a
/// NaN and need not order zeros, so: equal operands give `a & b` (max) or `a | b` (min),
/// which is +0 / −0 for a pair of zeros and the value itself otherwise; unordered ones
/// give `nan`.
pub(super) struct MinMax {
    pub hw: &'static str,
    pub eq: &'static str,
    pub unordered: &'static str,
    pub nan: u32,
}

pub(super) fn min_max(sel: &mut Sel, is_max: bool, m: &MinMax, a: Src, b: Src) -> Piece {
    let r = v(sel, m.hw, &[a, b]);
    let same = sel.vcmp(op(m.eq), a, b);
    let z = v(sel, if is_max { "v_and_b32" } else { "v_or_b32" }, &[a, b]);
    let r = pick(sel, same, z.into(), r.into());
    let nan = sel.vcmp(op(m.unordered), a, b);
    let n = k(sel, m.nan);
    pick(sel, nan, n, r.into())
}
