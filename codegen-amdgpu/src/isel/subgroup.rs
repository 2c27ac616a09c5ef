//! Subgroup reductions over a wave32: an xor butterfly with offsets 1, 2, 4, 8, 16
//! (`ds_swizzle_b32` in bitmask mode or DPP), each step rounded like the binary op.

use super::{IselError, Piece, Sel};
use egpu_ir::{DType, ReduceOp};

/// `subgroup_OP x` for one element: every lane gets the result.
pub(super) fn reduce(sel: &mut Sel, op: ReduceOp, dt: DType, x: Piece) -> Result<Piece, IselError> {
    let _ = x;
    Err(sel.unsupported(format!("subgroup {op:?} on {dt:?}")))
}
