//! The scalar ALU forms of the 8/16/64-bit integer ops, for operands that are all SGPRs
//! (uniform across the wave): the result stays in SGPRs. Each function gives `None` for
//! an op it leaves to the VALU (64-bit `max`/`min`/`cmplt`, `mulhi`), which takes SGPR
//! operands as they are. A compare is `s_cmp_*` into SCC, then `s_cselect_b32` of all
//! ones or zero: a uniform bool is a full or empty lane mask.
//!
//! SCC is only ever live between an instruction here and the next one (carry into
//! `s_addc_u32`/`s_subb_u32`, compare into `s_cselect_b32`).

use super::super::emit::op;
use super::super::{Piece, Sel, Src};
use super::{Half2, halves, low_mask};
use egpu_ir::DType;
use egpu_ir::{BinaryOp, UnaryOp};

/// `a op b` on 8/16-bit SGPR operands.
pub(super) fn narrow_binary(
    sel: &mut Sel,
    op: BinaryOp,
    dt: DType,
    a: Piece,
    b: Piece,
) -> Option<Piece> {
    let signed = dt.is_signed_int();
    let pick = |s: &'static str, u: &'static str| if signed { s } else { u };
    let (a, b): (Src, Src) = (a.into(), b.into());
    Some(match op {
        BinaryOp::Add => wrapped(sel, dt, "s_add_u32", a, b),
        BinaryOp::Sub => wrapped(sel, dt, "s_sub_u32", a, b),
        BinaryOp::Mul => wrapped(sel, dt, "s_mul_i32", a, b),
        BinaryOp::Max => sop2(sel, pick("s_max_i32", "s_max_u32"), a, b),
        BinaryOp::Min => sop2(sel, pick("s_min_i32", "s_min_u32"), a, b),
        BinaryOp::And => sop2(sel, "s_and_b32", a, b),
        BinaryOp::Or => sop2(sel, "s_or_b32", a, b),
        BinaryOp::Xor => sop2(sel, "s_xor_b32", a, b),
        BinaryOp::Shl => {
            let n = amount(sel, dt, b);
            wrapped(sel, dt, "s_lshl_b32", a, n)
        }
        BinaryOp::Shr => {
            let n = amount(sel, dt, b);
            sop2(sel, pick("s_ashr_i32", "s_lshr_b32"), a, n)
        }
        BinaryOp::CmpLt => compare(sel, pick("s_cmp_lt_i32", "s_cmp_lt_u32"), a, b),
        BinaryOp::CmpEq => compare(sel, "s_cmp_eq_u32", a, b),
        BinaryOp::CmpNe => compare(sel, "s_cmp_lg_u32", a, b),
        _ => return None,
    })
}

/// `a op b` on 64-bit SGPR pairs.
pub(super) fn wide_binary(
    sel: &mut Sel,
    op: BinaryOp,
    signed: bool,
    a: Piece,
    b: Piece,
) -> Option<Piece> {
    let ha = halves(a);
    Some(match op {
        BinaryOp::Add => carry_chain(sel, "s_add_u32", "s_addc_u32", ha, b),
        BinaryOp::Sub => carry_chain(sel, "s_sub_u32", "s_subb_u32", ha, b),
        BinaryOp::Mul => mul64(sel, a, b),
        BinaryOp::And => sop2_64(sel, "s_and_b64", a.into(), b.into()),
        BinaryOp::Or => sop2_64(sel, "s_or_b64", a.into(), b.into()),
        BinaryOp::Xor => sop2_64(sel, "s_xor_b64", a.into(), b.into()),
        // The 64-bit shifts read bits [5:0] of the amount: `b mod 64`.
        BinaryOp::Shl => sop2_64(sel, "s_lshl_b64", a.into(), b.into()),
        BinaryOp::Shr if signed => sop2_64(sel, "s_ashr_i64", a.into(), b.into()),
        BinaryOp::Shr => sop2_64(sel, "s_lshr_b64", a.into(), b.into()),
        BinaryOp::CmpEq => compare(sel, "s_cmp_eq_u64", a.into(), b.into()),
        BinaryOp::CmpNe => compare(sel, "s_cmp_lg_u64", a.into(), b.into()),
        _ => return None,
    })
}

/// `neg`, `not` on SGPR operands of the 8/16/64-bit dtypes.
pub(super) fn unary(sel: &mut Sel, op: UnaryOp, dt: DType, x: Piece) -> Option<Piece> {
    let zero = sel.imm(0);
    Some(match (op, dt.bits()) {
        (UnaryOp::Neg, 64) => carry_chain(sel, "s_sub_u32", "s_subb_u32", [zero, zero], x),
        (UnaryOp::Neg, _) => wrapped(sel, dt, "s_sub_u32", zero, x.into()),
        (UnaryOp::Not, 64) => {
            let d = sel.new_s(2);
            sel.sop1(op_("s_not_b32"), d, x.into());
            sel.sop1(op_("s_not_b32"), d.hi(), x.hi().into());
            d
        }
        // ~x keeps a sign extension; a zero extension needs only its low bits flipped.
        (UnaryOp::Not, _) if dt.is_signed_int() => {
            let d = sel.new_s(1);
            sel.sop1(op_("s_not_b32"), d, x.into());
            d
        }
        (UnaryOp::Not, _) => {
            let m = sel.imm(low_mask(dt));
            sop2(sel, "s_xor_b32", x.into(), m)
        }
        _ => return None,
    })
}

fn op_(name: &str) -> crate::isa::Op {
    op(name)
}

fn sop2(sel: &mut Sel, name: &str, a: Src, b: Src) -> Piece {
    let d = sel.new_s(1);
    sel.sop2(op(name), d, a, b);
    d
}

fn sop2_64(sel: &mut Sel, name: &str, a: Src, b: Src) -> Piece {
    let d = sel.new_s(2);
    sel.sop2(op(name), d, a, b);
    d
}

/// A 32-bit result re-extended to the contract of an 8/16-bit dtype.
fn wrapped(sel: &mut Sel, dt: DType, name: &str, a: Src, b: Src) -> Piece {
    let r = sop2(sel, name, a, b);
    let d = sel.new_s(1);
    match (dt.bits(), dt.is_signed_int()) {
        (8, true) => sel.sop1(op("s_sext_i32_i8"), d, r.into()),
        (16, true) => sel.sop1(op("s_sext_i32_i16"), d, r.into()),
        _ => {
            let m = sel.imm(low_mask(dt));
            sel.sop2(op("s_and_b32"), d, r.into(), m);
        }
    }
    d
}

/// `b mod bits` for an 8/16-bit shift.
fn amount(sel: &mut Sel, dt: DType, b: Src) -> Src {
    let m = sel.imm(dt.bits() - 1);
    sop2(sel, "s_and_b32", b, m).into()
}

/// SCC = compare, then the uniform mask: all ones where true.
fn compare(sel: &mut Sel, name: &str, a: Src, b: Src) -> Piece {
    sel.sopc(op(name), a, b);
    let (ones, zero) = (sel.imm(u32::MAX), sel.imm(0));
    sop2(sel, "s_cselect_b32", ones, zero)
}

/// Low dwords with `first` (carry/borrow into SCC), high dwords with `second` (SCC in).
fn carry_chain(sel: &mut Sel, first: &str, second: &str, a: Half2, b: Piece) -> Piece {
    let d = sel.new_s(2);
    sel.sop2(op(first), d, a[0], b.into());
    sel.sop2(op(second), d.hi(), a[1], b.hi().into());
    d
}

/// The low 64 bits of a·b: lo(a0·b0), and hi(a0·b0) + lo(a0·b1) + lo(a1·b0).
fn mul64(sel: &mut Sel, a: Piece, b: Piece) -> Piece {
    let d = sel.new_s(2);
    let (a0, a1, b0, b1): (Src, Src, Src, Src) = (a.into(), a.hi().into(), b.into(), b.hi().into());
    let h = sop2(sel, "s_mul_hi_u32", a0, b0);
    let c1 = sop2(sel, "s_mul_i32", a0, b1);
    let c2 = sop2(sel, "s_mul_i32", a1, b0);
    let s = sop2(sel, "s_add_u32", h.into(), c1.into());
    sel.sop2(op("s_mul_i32"), d, a0, b0);
    sel.sop2(op("s_add_u32"), d.hi(), s.into(), c2.into());
    d
}
