//! `matrix_tile` and matrix fragments with `v_wmma_f32_16x16x16_f16` / `_bf16`: A and B
//! fragments loaded from LDS (16 halves per lane, lanes 16–31 repeating lanes 0–15), the
//! 8-VGPR C/D fragment kept in registers across a k-loop.

use super::{IselError, Sel};
use egpu_ir::kernel::{FragId, MatrixTile, TileRef};

pub(super) fn tile(sel: &mut Sel, t: &MatrixTile) -> Result<(), IselError> {
    let _ = t;
    Err(sel.unsupported("matrix_tile"))
}

pub(super) fn fragment_zero(sel: &mut Sel, f: FragId) -> Result<(), IselError> {
    let _ = f;
    Err(sel.unsupported("fragment_zero"))
}

pub(super) fn fragment_mma(
    sel: &mut Sel,
    f: FragId,
    a: &TileRef,
    b: &TileRef,
) -> Result<(), IselError> {
    let _ = (f, a, b);
    Err(sel.unsupported("fragment_mma"))
}

pub(super) fn fragment_store(sel: &mut Sel, f: FragId, d: &TileRef) -> Result<(), IselError> {
    let _ = (f, d);
    Err(sel.unsupported("fragment_store"))
}
