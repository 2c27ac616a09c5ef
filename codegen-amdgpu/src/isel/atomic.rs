//! Atomics without return: `global_atomic_add_f32`/`_add_u32`/`_max_i32`/`_min_i32`,
//! `ds_add_f32`/`ds_add_u32`/`ds_max_i32`/`ds_min_i32`.

use super::{IselError, Piece, Sel};
use egpu_ir::kernel::Atomic;

/// One atomic statement; `index` and `value` are its operands' registers.
pub(super) fn atomic(
    sel: &mut Sel,
    a: &Atomic,
    index: Piece,
    value: Piece,
) -> Result<(), IselError> {
    let _ = (index, value);
    Err(sel.unsupported(format!("atomic_{} ", a.op.name())))
}
