//! f32, i32/u32 and bool arithmetic, compares and logic (SALU for scalar integer operands,
//! VALU otherwise).
//!
//! Float `max`/`min` follow the IR (NaN if either operand is NaN, −0 < +0), not the
//! hardware: in IEEE mode `v_max_f32` returns the other operand for a quiet NaN, and
//! IEEE 754-2008 leaves the sign of max(+0, −0) open. So the result is fixed up: where
//! `a == b` (which includes ±0) the bitwise and (max) / or (min) of the operands picks
//! +0 / −0 and is `a` otherwise; where the operands are unordered, a quiet NaN.

use super::emit::op;
use super::{IselError, Piece, Sel, Src};
use crate::isa::Op;
use crate::mir::RegClass;
use egpu_ir::DType;
use egpu_ir::{BinaryOp, UnaryOp};

/// The canonical quiet NaN of f32.
const F32_QNAN: u32 = 0x7fc0_0000;

/// `a op b` for f32, i32, u32 or bool elements (not div/idiv/mod).
pub(super) fn binary(
    sel: &mut Sel,
    op: BinaryOp,
    dt: DType,
    a: Piece,
    b: Piece,
) -> Result<Piece, IselError> {
    match dt {
        DType::F32 => f32_binary(sel, op, a, b),
        DType::I32 | DType::U32 => int_binary(sel, op, dt == DType::I32, a, b),
        DType::Bool => bool_binary(sel, op, a, b),
        _ => Err(sel.malformed(format!("{op:?} on {dt:?} routed to the 32-bit ALU"))),
    }
}

fn f32_binary(sel: &mut Sel, bop: BinaryOp, a: Piece, b: Piece) -> Result<Piece, IselError> {
    let (a, b) = (sel.src(a), sel.src(b));
    let name = match bop {
        BinaryOp::Add => "v_add_f32",
        BinaryOp::Sub => "v_sub_f32",
        BinaryOp::Mul => "v_mul_f32",
        BinaryOp::Max => return Ok(float_minmax(sel, true, a, b)),
        BinaryOp::Min => return Ok(float_minmax(sel, false, a, b)),
        BinaryOp::CmpLt => return Ok(sel.vcmp(op("v_cmp_lt_f32"), a, b)),
        BinaryOp::CmpEq => return Ok(sel.vcmp(op("v_cmp_eq_f32"), a, b)),
        BinaryOp::CmpNe => return Ok(sel.vcmp(op("v_cmp_neq_f32"), a, b)),
        _ => return Err(sel.malformed(format!("{bop:?} on f32"))),
    };
    Ok(vop(sel, op(name), a, b))
}

/// A VALU op into a new VGPR.
fn vop(sel: &mut Sel, o: Op, a: Src, b: Src) -> Piece {
    let d = sel.new_v(1);
    sel.valu(o, d, &[a, b]);
    d
}

/// A SALU op into a new SGPR.
fn sop(sel: &mut Sel, o: Op, a: Src, b: Src) -> Piece {
    let d = sel.new_s(1);
    sel.sop2(o, d, a, b);
    d
}

/// f32 max (`is_max`) or min with the IR's NaN and signed-zero rules (module docs).
fn float_minmax(sel: &mut Sel, is_max: bool, a: Src, b: Src) -> Piece {
    let (hw, bits) = if is_max {
        ("v_max_f32", "v_and_b32")
    } else {
        ("v_min_f32", "v_or_b32")
    };
    let m = vop(sel, op(hw), a, b);
    let zeros = vop(sel, op(bits), a, b);
    let eq = sel.vcmp(op("v_cmp_eq_f32"), a, b);
    let r = sel.new_v(1);
    sel.cndmask(r, m.into(), zeros.into(), eq);
    let nan = sel.vcmp(op("v_cmp_u_f32"), a, b);
    let d = sel.new_v(1);
    sel.cndmask(d, r.into(), sel.imm(F32_QNAN), nan);
    d
}

/// Whether the scalar ALU can read the operand (an SGPR or a constant).
fn scalar(s: Src) -> bool {
    match s {
        Src::Reg(p) => p.class == RegClass::S,
        Src::Const(_) => true,
    }
}

fn both_scalar(a: Src, b: Src) -> bool {
    scalar(a) && scalar(b)
}

fn int_binary(
    sel: &mut Sel,
    bop: BinaryOp,
    signed: bool,
    a: Piece,
    b: Piece,
) -> Result<Piece, IselError> {
    use BinaryOp::*;
    let (a, b) = (sel.src(a), sel.src(b));
    let pick = |s: bool, u: &'static str, i: &'static str| if s { i } else { u };
    let cmp = match bop {
        CmpLt => Some(pick(signed, "v_cmp_lt_u32", "v_cmp_lt_i32")),
        CmpEq => Some("v_cmp_eq_u32"),
        CmpNe => Some("v_cmp_ne_u32"),
        _ => None,
    };
    if let Some(c) = cmp {
        return Ok(sel.vcmp(op(c), a, b));
    }
    let (salu, valu) = match bop {
        Add => ("s_add_u32", "v_add_nc_u32"),
        Sub => ("s_sub_u32", "v_sub_nc_u32"),
        Mul => ("s_mul_i32", "v_mul_lo_u32"),
        Max => (
            pick(signed, "s_max_u32", "s_max_i32"),
            pick(signed, "v_max_u32", "v_max_i32"),
        ),
        Min => (
            pick(signed, "s_min_u32", "s_min_i32"),
            pick(signed, "v_min_u32", "v_min_i32"),
        ),
        And => ("s_and_b32", "v_and_b32"),
        Or => ("s_or_b32", "v_or_b32"),
        Xor => ("s_xor_b32", "v_xor_b32"),
        // The hardware takes the amount's low 5 bits: the IR's `b mod 32`.
        Shl => ("s_lshl_b32", "v_lshlrev_b32"),
        Shr => (
            pick(signed, "s_lshr_b32", "s_ashr_i32"),
            pick(signed, "v_lshrrev_b32", "v_ashrrev_i32"),
        ),
        _ => return Err(sel.malformed(format!("{bop:?} on a 32-bit integer"))),
    };
    if both_scalar(a, b) {
        return Ok(sop(sel, op(salu), a, b));
    }
    // The VALU shifts take the amount first (`*rev`).
    if matches!(bop, Shl | Shr) {
        return Ok(vop(sel, op(valu), b, a));
    }
    Ok(vop(sel, op(valu), a, b))
}

fn bool_binary(sel: &mut Sel, bop: BinaryOp, a: Piece, b: Piece) -> Result<Piece, IselError> {
    let (a, b) = (sel.src(a), sel.src(b));
    let name = match bop {
        BinaryOp::And => "s_and_b32",
        BinaryOp::Or => "s_or_b32",
        BinaryOp::Xor | BinaryOp::CmpNe => "s_xor_b32",
        BinaryOp::CmpEq => {
            let x = sop(sel, op("s_xor_b32"), a, b);
            return Ok(not_mask(sel, x.into()));
        }
        _ => return Err(sel.malformed(format!("{bop:?} on bool"))),
    };
    Ok(sop(sel, op(name), a, b))
}

fn not_mask(sel: &mut Sel, x: Src) -> Piece {
    let d = sel.new_s(1);
    sel.sop1(op("s_not_b32"), d, x);
    d
}

/// `neg`, `not`, `trunc` of an f32, i32, u32 or bool element.
pub(super) fn unary(sel: &mut Sel, uop: UnaryOp, dt: DType, x: Piece) -> Result<Piece, IselError> {
    let xs = sel.src(x);
    match (uop, dt) {
        // Flipping the sign bit is exact for every input, NaN included.
        (UnaryOp::Neg, DType::F32) => {
            let sign = sel.imm(0x8000_0000);
            Ok(vop(sel, op("v_xor_b32"), sign, xs))
        }
        (UnaryOp::Trunc, DType::F32) => {
            let d = sel.new_v(1);
            sel.valu(op("v_trunc_f32"), d, &[xs]);
            Ok(d)
        }
        (UnaryOp::Neg, DType::I32 | DType::U32) => {
            let zero = sel.imm(0);
            if scalar(xs) {
                Ok(sop(sel, op("s_sub_u32"), zero, xs))
            } else {
                Ok(vop(sel, op("v_sub_nc_u32"), zero, xs))
            }
        }
        (UnaryOp::Not, DType::Bool) => Ok(not_mask(sel, xs)),
        (UnaryOp::Not, DType::I32 | DType::U32) if scalar(xs) => Ok(not_mask(sel, xs)),
        (UnaryOp::Not, DType::I32 | DType::U32) => {
            let d = sel.new_v(1);
            sel.valu(op("v_not_b32"), d, &[xs]);
            Ok(d)
        }
        _ => Err(sel.malformed(format!("{uop:?} on {dt:?}"))),
    }
}

/// `fma` on f32 (`v_fma_f32`).
pub(super) fn fma(sel: &mut Sel, a: Piece, b: Piece, c: Piece) -> Result<Piece, IselError> {
    let srcs = [sel.src(a), sel.src(b), sel.src(c)];
    let d = sel.new_v(1);
    sel.valu(op("v_fma_f32"), d, &srcs);
    Ok(d)
}

/// `mulhi` on i32/u32.
pub(super) fn mulhi(sel: &mut Sel, dt: DType, a: Piece, b: Piece) -> Result<Piece, IselError> {
    let signed = dt == DType::I32;
    let (a, b) = (sel.src(a), sel.src(b));
    if both_scalar(a, b) {
        let name = if signed {
            "s_mul_hi_i32"
        } else {
            "s_mul_hi_u32"
        };
        return Ok(sop(sel, op(name), a, b));
    }
    let name = if signed {
        "v_mul_hi_i32"
    } else {
        "v_mul_hi_u32"
    };
    Ok(vop(sel, op(name), a, b))
}
