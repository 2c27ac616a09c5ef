//! Division and the transcendental ops on every float dtype, within the precision model
//! (`ir/src/precision.rs`, family AMD): IEEE division (`v_div_scale` / `v_div_fmas` /
//! `v_div_fixup`), `exp2`/`log2`/`sqrt`/`recip` with the hardware units where their bound
//! is allowed, `sin` (`v_sin_f32` takes revolutions: reduce first), f64 by software.

use super::{IselError, Piece, Sel};
use egpu_ir::DType;
use egpu_ir::UnaryOp;

pub(super) fn div(sel: &mut Sel, dt: DType, a: Piece, b: Piece) -> Result<Piece, IselError> {
    let _ = (a, b);
    Err(sel.unsupported(format!("div on {dt:?}")))
}

/// `exp2`, `log2`, `sin`, `sqrt`, `recip`.
pub(super) fn unary(sel: &mut Sel, op: UnaryOp, dt: DType, x: Piece) -> Result<Piece, IselError> {
    let _ = x;
    Err(sel.unsupported(format!("{op:?} on {dt:?}")))
}
