//! 8-, 16- and 64-bit integers (i8, i16, u8, u16, i64, u64): arithmetic, compares, shifts,
//! logic, `mulhi` on 64 bits (composed from 32-bit halves).
//!
//! Operands that are all SGPRs (uniform) are computed on the scalar ALU where it has the
//! operation ([`int_salu`]); everything else on the VALU (operands may be SGPRs; results
//! are VGPRs, compares give SGPR lane masks).
//! - 8/16-bit values are kept in 32 bits sign- or zero-extended (see [`super`]), so
//!   compares, `max`/`min`, `and`/`or`/`xor` and `shr` work on the 32-bit registers as
//!   they are and keep the extension; `add`/`sub`/`mul`/`neg`/`shl` compute the low bits
//!   in 32 bits and re-extend them ([`normalize`]).
//! - 64-bit values are register pairs, low dword first: carry chains for `add`/`sub`,
//!   `v_mad_u64_u32` for products, the 64-bit shifts and compares of the ISA.

use super::emit::op;
use super::{IselError, Piece, Sel, Src};
use crate::isa::{Mods, Operand};
use egpu_ir::DType;
use egpu_ir::{BinaryOp, UnaryOp};

/// `a op b` for the dtypes above (not idiv/mod, see [`super::divide`]).
pub(super) fn binary(
    sel: &mut Sel,
    op: BinaryOp,
    dt: DType,
    a: Piece,
    b: Piece,
) -> Result<Piece, IselError> {
    let scalar = a.is_sgpr() && b.is_sgpr();
    let salu = match dt.bits() {
        8 | 16 if scalar => int_salu::narrow_binary(sel, op, dt, a, b),
        64 if scalar => int_salu::wide_binary(sel, op, dt.is_signed_int(), a, b),
        _ => None,
    };
    if let Some(p) = salu {
        return Ok(p);
    }
    match dt.bits() {
        8 | 16 => narrow_binary(sel, op, dt, a, b),
        64 => wide_binary(sel, op, dt, a, b),
        _ => Err(sel.unsupported(format!("{op:?} on {dt:?} in the 8/16/64-bit family"))),
    }
}

/// `neg`, `not` for the dtypes above.
pub(super) fn unary(sel: &mut Sel, op: UnaryOp, dt: DType, x: Piece) -> Result<Piece, IselError> {
    if x.is_sgpr()
        && matches!(dt.bits(), 8 | 16 | 64)
        && let Some(p) = int_salu::unary(sel, op, dt, x)
    {
        return Ok(p);
    }
    let wide = dt.bits() == 64;
    match (op, wide) {
        (UnaryOp::Neg, false) => {
            let z = sel.imm(0);
            let d = vop(sel, "v_sub_nc_u32", &[z, x.into()]);
            Ok(normalize(sel, dt, d))
        }
        (UnaryOp::Neg, true) => Ok(sub64(sel, [Src::Const(Operand::Int(0)); 2], halves(x))),
        // ~x of a sign-extended value stays sign-extended; a zero-extended one keeps its
        // upper bits zero when only the low bits are flipped.
        (UnaryOp::Not, false) if dt.is_signed_int() => Ok(vop(sel, "v_not_b32", &[x.into()])),
        (UnaryOp::Not, false) => {
            let m = sel.imm(low_mask(dt));
            Ok(vop(sel, "v_xor_b32", &[m, x.into()]))
        }
        (UnaryOp::Not, true) => {
            let d = sel.new_v(2);
            sel.valu(op_("v_not_b32"), d, &[x.into()]);
            sel.valu(op_("v_not_b32"), d.hi(), &[x.hi().into()]);
            Ok(d)
        }
        _ => Err(sel.unsupported(format!("{op:?} on {dt:?}"))),
    }
}

/// `mulhi` on i64/u64.
pub(super) fn mulhi(sel: &mut Sel, dt: DType, a: Piece, b: Piece) -> Result<Piece, IselError> {
    match dt {
        DType::U64 => Ok(mulhi_u64(sel, halves(a), halves(b))),
        DType::I64 => Ok(mulhi_i64(sel, a, b)),
        _ => Err(sel.unsupported(format!("mulhi on {dt:?} in the 64-bit family"))),
    }
}

fn narrow_binary(
    sel: &mut Sel,
    op: BinaryOp,
    dt: DType,
    a: Piece,
    b: Piece,
) -> Result<Piece, IselError> {
    let signed = dt.is_signed_int();
    let (a, b): (Src, Src) = (a.into(), b.into());
    let wrapped = |sel: &mut Sel, name: &str, srcs: &[Src]| {
        let d = vop(sel, name, srcs);
        normalize(sel, dt, d)
    };
    Ok(match op {
        BinaryOp::Add => wrapped(sel, "v_add_nc_u32", &[a, b]),
        BinaryOp::Sub => wrapped(sel, "v_sub_nc_u32", &[a, b]),
        // The low 16 bits of the product depend only on the low 16 bits of the factors,
        // which the 24-bit multiplier sees whole.
        BinaryOp::Mul => wrapped(sel, "v_mul_u32_u24", &[a, b]),
        BinaryOp::Max => vop(sel, pick(signed, "v_max_i32", "v_max_u32"), &[a, b]),
        BinaryOp::Min => vop(sel, pick(signed, "v_min_i32", "v_min_u32"), &[a, b]),
        BinaryOp::CmpLt => sel.vcmp(op_(pick(signed, "v_cmp_lt_i32", "v_cmp_lt_u32")), a, b),
        BinaryOp::CmpEq => sel.vcmp(op_("v_cmp_eq_u32"), a, b),
        BinaryOp::CmpNe => sel.vcmp(op_("v_cmp_ne_u32"), a, b),
        BinaryOp::And => vop(sel, "v_and_b32", &[a, b]),
        BinaryOp::Or => vop(sel, "v_or_b32", &[a, b]),
        BinaryOp::Xor => vop(sel, "v_xor_b32", &[a, b]),
        BinaryOp::Shl => {
            let n = shift_amount(sel, dt, b);
            wrapped(sel, "v_lshlrev_b32", &[n, a])
        }
        // Shifting the extended 32-bit value right gives the extended narrow result.
        BinaryOp::Shr => {
            let n = shift_amount(sel, dt, b);
            vop(sel, pick(signed, "v_ashrrev_i32", "v_lshrrev_b32"), &[n, a])
        }
        _ => return Err(sel.unsupported(format!("{op:?} on {dt:?}"))),
    })
}

fn wide_binary(
    sel: &mut Sel,
    op: BinaryOp,
    dt: DType,
    a: Piece,
    b: Piece,
) -> Result<Piece, IselError> {
    let signed = dt.is_signed_int();
    let (ha, hb) = (halves(a), halves(b));
    Ok(match op {
        BinaryOp::Add => add64(sel, ha, hb),
        BinaryOp::Sub => sub64(sel, ha, hb),
        BinaryOp::Mul => mul64(sel, ha, hb),
        BinaryOp::Max | BinaryOp::Min => {
            let lt = sel.vcmp(
                op_(pick(signed, "v_cmp_lt_i64", "v_cmp_lt_u64")),
                a.into(),
                b.into(),
            );
            // max: a < b ? b : a; min: a < b ? a : b.
            let (f, t) = if op == BinaryOp::Max { (a, b) } else { (b, a) };
            select64(sel, lt, halves(f), halves(t))
        }
        BinaryOp::CmpLt => sel.vcmp(
            op_(pick(signed, "v_cmp_lt_i64", "v_cmp_lt_u64")),
            a.into(),
            b.into(),
        ),
        BinaryOp::CmpEq => sel.vcmp(op_("v_cmp_eq_u64"), a.into(), b.into()),
        BinaryOp::CmpNe => sel.vcmp(op_("v_cmp_ne_u64"), a.into(), b.into()),
        BinaryOp::And => per_half(sel, "v_and_b32", a, b),
        BinaryOp::Or => per_half(sel, "v_or_b32", a, b),
        BinaryOp::Xor => per_half(sel, "v_xor_b32", a, b),
        // The 64-bit shifts read only bits [5:0] of the amount: the IR's `b mod 64`.
        BinaryOp::Shl => shift64(sel, "v_lshlrev_b64", a, b),
        BinaryOp::Shr => shift64(sel, pick(signed, "v_ashrrev_i64", "v_lshrrev_b64"), a, b),
        _ => return Err(sel.unsupported(format!("{op:?} on {dt:?}"))),
    })
}

fn op_(name: &str) -> crate::isa::Op {
    op(name)
}

fn pick<'a>(signed: bool, s: &'a str, u: &'a str) -> &'a str {
    if signed { s } else { u }
}

/// The 8- or 16-bit mask of a narrow dtype (all ones for 32 bits).
pub(super) fn low_mask(dt: DType) -> u32 {
    match dt.bits() {
        8 => 0xff,
        16 => 0xffff,
        _ => u32::MAX,
    }
}

/// `b mod bits` for an 8/16-bit shift (32-bit shifts read 5 bits of the amount, too many).
fn shift_amount(sel: &mut Sel, dt: DType, b: Src) -> Src {
    let m = sel.imm(dt.bits() - 1);
    vop(sel, "v_and_b32", &[m, b]).into()
}

/// A new VGPR set by one VALU instruction.
pub(super) fn vop(sel: &mut Sel, name: &str, srcs: &[Src]) -> Piece {
    let d = sel.new_v(1);
    sel.valu(op(name), d, srcs);
    d
}

/// The low bits of a 32-bit result brought back to the contract of `dt`: sign-extended
/// (i8, i16) with `v_bfe_i32`, zero-extended (u8, u16) with `v_and_b32` (their scalar
/// forms for an SGPR, which stays an SGPR); 32-bit and other dtypes unchanged.
pub(super) fn normalize(sel: &mut Sel, dt: DType, x: Piece) -> Piece {
    let narrow = matches!(dt.bits(), 8 | 16) && dt.is_int();
    if !narrow {
        return x;
    }
    if x.is_sgpr() {
        let d = sel.new_s(1);
        match (dt.bits(), dt.is_signed_int()) {
            (8, true) => sel.sop1(op("s_sext_i32_i8"), d, x.into()),
            (_, true) => sel.sop1(op("s_sext_i32_i16"), d, x.into()),
            _ => {
                let m = sel.imm(low_mask(dt));
                sel.sop2(op("s_and_b32"), d, x.into(), m);
            }
        }
        return d;
    }
    if dt.is_signed_int() {
        let (z, w) = (sel.imm(0), sel.imm(dt.bits()));
        vop(sel, "v_bfe_i32", &[x.into(), z, w])
    } else {
        let m = sel.imm(low_mask(dt));
        vop(sel, "v_and_b32", &[m, x.into()])
    }
}

/// A 64-bit source as its two 32-bit halves.
pub(super) type Half2 = [Src; 2];

pub(super) fn halves(p: Piece) -> Half2 {
    [p.into(), p.hi().into()]
}

/// A 64-bit constant as halves.
pub(super) fn const64(sel: &Sel, v: u64) -> Half2 {
    [sel.imm(v as u32), sel.imm((v >> 32) as u32)]
}

/// A new VGPR pair holding `lo`, `hi`.
pub(super) fn pair(sel: &mut Sel, h: Half2) -> Piece {
    pair_in(sel, crate::mir::RegClass::V, h)
}

/// A new register pair of `class` holding `lo`, `hi` (SGPRs only from scalar sources).
pub(super) fn pair_in(sel: &mut Sel, class: crate::mir::RegClass, h: Half2) -> Piece {
    let d = sel.new_piece(class, 2);
    sel.copy(d, h[0], 1);
    sel.copy(d.hi(), h[1], 1);
    d
}

/// `a + b` on 64 bits: `v_add_co_u32` then `v_add_co_ci_u32` with the carry.
pub(super) fn add64(sel: &mut Sel, a: Half2, b: Half2) -> Piece {
    carry_chain(sel, "v_add_co_u32", "v_add_co_ci_u32", a, b)
}

/// `a - b` on 64 bits (the borrow chains through `v_sub_co_ci_u32`).
pub(super) fn sub64(sel: &mut Sel, a: Half2, b: Half2) -> Piece {
    carry_chain(sel, "v_sub_co_u32", "v_sub_co_ci_u32", a, b)
}

fn carry_chain(sel: &mut Sel, first: &str, second: &str, a: Half2, b: Half2) -> Piece {
    let d = sel.new_v(2);
    let c = sel.new_s(1);
    sel.valu_sd(op(first), d, Some(c), &[a[0], b[0]], Mods::default());
    sel.valu_sd(
        op(second),
        d.hi(),
        None,
        &[a[1], b[1], c.into()],
        Mods::default(),
    );
    d
}

/// The low 64 bits of `a · b`: `lo(a)·lo(b)` in full by `v_mad_u64_u32` (into a fresh
/// pair: its destination must not overlap its sources), plus the two cross products,
/// whose low halves land in the high dword.
pub(super) fn mul64(sel: &mut Sel, a: Half2, b: Half2) -> Piece {
    let p = mad64(sel, a[0], b[0], [Src::Const(Operand::Int(0)); 2]);
    let x = vop(sel, "v_mul_lo_u32", &[a[0], b[1]]);
    let y = vop(sel, "v_mul_lo_u32", &[a[1], b[0]]);
    let d = sel.new_v(2);
    sel.copy(d, p.into(), 1);
    sel.valu(
        op("v_add3_u32"),
        d.hi(),
        &[p.hi().into(), x.into(), y.into()],
    );
    d
}

/// `a · b + c` (32 × 32 + 64 → 64 bits, unsigned) into a fresh pair.
pub(super) fn mad64(sel: &mut Sel, a: Src, b: Src, c: Half2) -> Piece {
    let c = match c {
        [Src::Const(Operand::Int(0)), Src::Const(Operand::Int(0))] => Src::Const(Operand::Int(0)),
        [lo @ Src::Reg(l), Src::Reg(h)] if h == l.hi() => lo,
        h => Src::Reg(pair(sel, h)),
    };
    let d = sel.new_v(2);
    sel.valu_sd(op("v_mad_u64_u32"), d, None, &[a, b, c], Mods::default());
    d
}

/// The high 64 bits of the unsigned 128-bit product `a · b`. With a = a1·2^32 + a0 and
/// b = b1·2^32 + b0, the product's dwords are summed column by column; every
/// `v_mad_u64_u32` adds a value below 2^64 − (2^32 − 1)^2 = 2^33 − 1, so none overflows:
/// - t = a0·b1 + hi(a0·b0)
/// - u = a1·b0 + lo(t)           (hi(u) is the carry into dword 2)
/// - s = hi(t) + hi(u)           (33 bits: carry kept in a second dword)
/// - result = a1·b1 + s.
pub(super) fn mulhi_u64(sel: &mut Sel, a: Half2, b: Half2) -> Piece {
    let zero = sel.imm(0);
    let p = vop(sel, "v_mul_hi_u32", &[a[0], b[0]]);
    let t = mad64(sel, a[0], b[1], [p.into(), zero]);
    let u = mad64(sel, a[1], b[0], [t.into(), zero]);
    let s = add64(sel, [t.hi().into(), zero], [u.hi().into(), zero]);
    mad64(sel, a[1], b[1], halves(s))
}

/// Signed high half: the unsigned one minus `b` where `a < 0` and minus `a` where `b < 0`
/// (a signed value is its unsigned bits minus 2^64 when negative), modulo 2^64.
fn mulhi_i64(sel: &mut Sel, a: Piece, b: Piece) -> Piece {
    let h = mulhi_u64(sel, halves(a), halves(b));
    let c31 = sel.imm(31);
    let sa = vop(sel, "v_ashrrev_i32", &[c31, a.hi().into()]);
    let sb = vop(sel, "v_ashrrev_i32", &[c31, b.hi().into()]);
    let mut masked = |x: Piece, s: Piece| -> Half2 {
        [
            vop(sel, "v_and_b32", &[x.into(), s.into()]).into(),
            vop(sel, "v_and_b32", &[x.hi().into(), s.into()]).into(),
        ]
    };
    let (bm, am) = (masked(b, sa), masked(a, sb));
    let corr = add64(sel, bm, am);
    sub64(sel, halves(h), halves(corr))
}

/// `mask ? t : f` per lane on 64-bit values.
pub(super) fn select64(sel: &mut Sel, mask: Piece, f: Half2, t: Half2) -> Piece {
    let d = sel.new_v(2);
    sel.cndmask(d, f[0], t[0], mask);
    sel.cndmask(d.hi(), f[1], t[1], mask);
    d
}

fn per_half(sel: &mut Sel, name: &str, a: Piece, b: Piece) -> Piece {
    let d = sel.new_v(2);
    sel.valu(op(name), d, &[a.into(), b.into()]);
    sel.valu(op(name), d.hi(), &[a.hi().into(), b.hi().into()]);
    d
}

fn shift64(sel: &mut Sel, name: &str, a: Piece, b: Piece) -> Piece {
    let d = sel.new_v(2);
    sel.valu(op(name), d, &[b.into(), a.into()]);
    d
}

#[path = "int_salu.rs"]
mod int_salu;

#[cfg(test)]
#[path = "lane_eval.rs"]
pub(super) mod lane_eval;

#[cfg(test)]
#[path = "int_tests.rs"]
pub(super) mod tests;
