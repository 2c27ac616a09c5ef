//! f64 arithmetic, compares, max/min, neg, trunc and fma on VGPR pairs (low dword first).
//! add/sub/mul/fma are the correctly rounded VOP3 ops (sub = add with src1 negated).

use super::emit::op;
use super::fparts::{k, kd, pick2, v, v2};
use super::{IselError, Piece, Sel, Src};
use crate::isa::Mods;
use egpu_ir::DType;
use egpu_ir::{BinaryOp, UnaryOp};

pub(super) fn binary(
    sel: &mut Sel,
    bop: BinaryOp,
    dt: DType,
    a: Piece,
    b: Piece,
) -> Result<Piece, IselError> {
    if dt != DType::F64 {
        return Err(sel.malformed(format!("{bop:?} on {dt:?} routed to f64")));
    }
    let (sa, sb) = (Src::Reg(a), Src::Reg(b));
    let none = Mods::default();
    Ok(match bop {
        BinaryOp::Add => v2(sel, "v_add_f64", &[sa, sb], none),
        BinaryOp::Sub => v2(sel, "v_add_f64", &[sa, sb], Mods { neg: 2, ..none }),
        BinaryOp::Mul => v2(sel, "v_mul_f64", &[sa, sb], none),
        BinaryOp::Max | BinaryOp::Min => min_max(sel, bop == BinaryOp::Max, a, b),
        BinaryOp::CmpLt => sel.vcmp(op("v_cmp_lt_f64"), sa, sb),
        BinaryOp::CmpEq => sel.vcmp(op("v_cmp_eq_f64"), sa, sb),
        BinaryOp::CmpNe => sel.vcmp(op("v_cmp_neq_f64"), sa, sb),
        _ => return Err(sel.malformed(format!("{bop:?} on F64"))),
    })
}

/// max/min with the kernel IR's rules: NaN if either operand is NaN, −0 < +0. Equal
/// operands are bit-identical except for a pair of zeros, whose low dwords are both 0:
/// then the high dwords ANDed (max) or ORed (min) give +0 / −0.
fn min_max(sel: &mut Sel, is_max: bool, a: Piece, b: Piece) -> Piece {
    let (sa, sb) = (Src::Reg(a), Src::Reg(b));
    let name = if is_max { "v_max_f64" } else { "v_min_f64" };
    let r = v2(sel, name, &[sa, sb], Mods::default());
    let same = sel.vcmp(op("v_cmp_eq_f64"), sa, sb);
    let zhi = v(
        sel,
        if is_max { "v_and_b32" } else { "v_or_b32" },
        &[a.hi().into(), b.hi().into()],
    );
    let z = sel.new_v(2);
    sel.copy(z, a.into(), 1);
    sel.copy(z.hi(), zhi.into(), 1);
    let r = pick2(sel, same, z.into(), r.into());
    let nan = sel.vcmp(op("v_cmp_u_f64"), sa, sb);
    let qnan = kd(sel, f64::NAN);
    pick2(sel, nan, qnan, r.into())
}

/// `neg` (the sign bit flipped, NaN included) and `trunc`.
pub(super) fn unary(sel: &mut Sel, uop: UnaryOp, dt: DType, x: Piece) -> Result<Piece, IselError> {
    if dt != DType::F64 {
        return Err(sel.malformed(format!("{uop:?} on {dt:?} routed to f64")));
    }
    match uop {
        UnaryOp::Neg => {
            let r = sel.new_v(2);
            sel.copy(r, x.into(), 1);
            let sign = k(sel, 0x8000_0000);
            sel.valu(op("v_xor_b32"), r.hi(), &[sign, x.hi().into()]);
            Ok(r)
        }
        UnaryOp::Trunc => Ok(v2(sel, "v_trunc_f64", &[x.into()], Mods::default())),
        _ => Err(sel.malformed(format!("{uop:?} on F64"))),
    }
}

pub(super) fn fma(sel: &mut Sel, a: Piece, b: Piece, c: Piece) -> Result<Piece, IselError> {
    Ok(v2(
        sel,
        "v_fma_f64",
        &[a.into(), b.into(), c.into()],
        Mods::default(),
    ))
}
