//! f32, i32/u32 and bool arithmetic, compares and logic (SALU for scalar integer operands,
//! VALU otherwise).

use super::{IselError, Piece, Sel};
use egpu_ir::DType;
use egpu_ir::{BinaryOp, UnaryOp};

/// `a op b` for f32, i32, u32 or bool elements (not div/idiv/mod).
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

/// `neg`, `not`, `trunc` of an f32, i32, u32 or bool element.
pub(super) fn unary(sel: &mut Sel, op: UnaryOp, dt: DType, x: Piece) -> Result<Piece, IselError> {
    let _ = x;
    Err(sel.unsupported(format!("{op:?} on {dt:?}")))
}

/// `fma` on f32 (`v_fma_f32`).
pub(super) fn fma(sel: &mut Sel, a: Piece, b: Piece, c: Piece) -> Result<Piece, IselError> {
    let _ = (a, b, c);
    Err(sel.unsupported("fma on f32"))
}

/// `mulhi` on i32/u32.
pub(super) fn mulhi(sel: &mut Sel, dt: DType, a: Piece, b: Piece) -> Result<Piece, IselError> {
    let _ = (a, b);
    Err(sel.unsupported(format!("mulhi on {dt:?}")))
}
