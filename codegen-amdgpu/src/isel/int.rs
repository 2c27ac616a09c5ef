//! 8-, 16- and 64-bit integers (i8, i16, u8, u16, i64, u64): arithmetic, compares, shifts,
//! logic, `mulhi` on 64 bits (composed from 32-bit halves).

use super::{IselError, Piece, Sel};
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
    let _ = (a, b);
    Err(sel.unsupported(format!("{op:?} on {dt:?}")))
}

/// `neg`, `not` for the dtypes above.
pub(super) fn unary(sel: &mut Sel, op: UnaryOp, dt: DType, x: Piece) -> Result<Piece, IselError> {
    let _ = x;
    Err(sel.unsupported(format!("{op:?} on {dt:?}")))
}

/// `mulhi` on i64/u64.
pub(super) fn mulhi(sel: &mut Sel, dt: DType, a: Piece, b: Piece) -> Result<Piece, IselError> {
    let _ = (a, b);
    Err(sel.unsupported(format!("mulhi on {dt:?}")))
}
