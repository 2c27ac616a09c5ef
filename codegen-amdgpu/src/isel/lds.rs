//! Shared arrays in LDS: loads and stores (`ds_load`/`ds_store`, byte addresses from the
//! array's offset), and `barrier` (`s_waitcnt` is the waitcnt pass's; here
//! `s_barrier` with the release/acquire the memory model needs).

use super::{IselError, Piece, Sel, Val};
use egpu_ir::kernel::{Kernel, SharedId, ValueType};

/// Each shared array's byte offset in LDS (16-byte aligned, in declaration order) and the
/// total LDS bytes.
pub(super) fn layout(kernel: &Kernel) -> (Vec<u32>, u32) {
    let mut offsets = Vec::new();
    let mut at = 0u32;
    for (_, a) in kernel.shared_arrays() {
        offsets.push(at);
        let bytes = (a.len * a.dtype.size_bytes()) as u32;
        at = (at + bytes).div_ceil(16) * 16;
    }
    (offsets, at)
}

/// `load array[index]` of type `ty` (width 1–8), `mask` a bool of width 1 or `ty.width`.
pub(super) fn load(
    sel: &mut Sel,
    array: SharedId,
    index: Piece,
    ty: ValueType,
    mask: Option<&Val>,
) -> Result<Val, IselError> {
    let _ = (array, index, mask);
    Err(sel.unsupported(format!("shared load of {ty:?}")))
}

/// `store array[index] = value` (elements of `value` of the array's dtype).
pub(super) fn store(
    sel: &mut Sel,
    array: SharedId,
    index: Piece,
    value: &Val,
    mask: Option<&Val>,
) -> Result<(), IselError> {
    let _ = (array, index, value, mask);
    Err(sel.unsupported("shared store"))
}

/// `barrier`.
pub(super) fn barrier(sel: &mut Sel) -> Result<(), IselError> {
    Err(sel.unsupported("barrier"))
}
