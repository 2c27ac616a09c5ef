//! f16 and bf16 arithmetic: every result rounded once to the dtype (f16 natively with the
//! `v_*_f16` ops; bf16 computed in f32, where the result of add/sub/mul/fma of two bf16 is
//! exact or rounds once correctly as the precision model requires, then rounded to
//! nearest even).

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

pub(super) fn fma(
    sel: &mut Sel,
    dt: DType,
    a: Piece,
    b: Piece,
    c: Piece,
) -> Result<Piece, IselError> {
    let _ = (a, b, c);
    Err(sel.unsupported(format!("fma on {dt:?}")))
}
