//! Placeholders for helper C's warp-cooperative lowerings (`subgroup.rs`, `matrix.rs`),
//! with their exact signatures, so the per-lane emitter builds and is tested alone.
// replaced by subgroup.rs / matrix.rs at merge

use super::sink::{FragmentRegs, PtxSink, SharedTile};
use egpu_ir::{DType, ReduceOp};

pub(crate) fn subgroup_reduce(
    _s: &mut dyn PtxSink,
    _op: ReduceOp,
    _dtype: DType,
    _dst: &str,
    _x: &str,
) {
}

pub(crate) fn fragment_zero(_s: &mut dyn PtxSink, _f: &FragmentRegs) {}

pub(crate) fn fragment_mma(
    _s: &mut dyn PtxSink,
    _f: &FragmentRegs,
    _a: &SharedTile,
    _b: &SharedTile,
    _input: DType,
) {
}

pub(crate) fn fragment_store(_s: &mut dyn PtxSink, _f: &FragmentRegs, _d: &SharedTile) {}

pub(crate) fn matrix_tile(
    _s: &mut dyn PtxSink,
    _a: &SharedTile,
    _b: &SharedTile,
    _d: &SharedTile,
    _input: DType,
) {
}
