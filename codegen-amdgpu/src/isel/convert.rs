//! `cast` (value conversion, with the semantics of `Scalar::cast`: float→int truncates
//! and saturates, NaN → 0; int→float and float→float round to nearest even; → bool is
//! ≠ 0) and `bitcast` between every pair of dtypes.

use super::{IselError, Piece, Sel};
use egpu_ir::DType;

pub(super) fn cast(sel: &mut Sel, from: DType, to: DType, x: Piece) -> Result<Piece, IselError> {
    let _ = x;
    Err(sel.unsupported(format!("cast {from:?} to {to:?}")))
}

pub(super) fn bitcast(sel: &mut Sel, from: DType, to: DType, x: Piece) -> Result<Piece, IselError> {
    let _ = x;
    Err(sel.unsupported(format!("bitcast {from:?} to {to:?}")))
}
