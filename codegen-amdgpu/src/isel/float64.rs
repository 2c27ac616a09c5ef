//! f64 arithmetic, compares, max/min, neg, trunc and fma on VGPR pairs.

use super::{IselError, Piece, Sel};
use egpu_ir::DType;
use egpu_ir::{BinaryOp, UnaryOp};

pub(super) fn binary(
    sel: &mut Sel,
    op: BinaryOp,
    dt: DType,
    a: Piece,
    b: Piece,
) -> Result<Piece, IselError> {
    let _ = (a, b);
    Err(sel.unsupported(format!("{op:?} on {dt:?}")))
}

pub(super) fn unary(sel: &mut Sel, op: UnaryOp, dt: DType, x: Piece) -> Result<Piece, IselError> {
    let _ = x;
    Err(sel.unsupported(format!("{op:?} on {dt:?}")))
}

pub(super) fn fma(sel: &mut Sel, a: Piece, b: Piece, c: Piece) -> Result<Piece, IselError> {
    let _ = (a, b, c);
    Err(sel.unsupported("fma on f64"))
}
