//! Subgroup reductions over a wave32: an xor butterfly with offsets 1, 2, 4, 8, 16, each
//! step rounded like the binary op.
//!
//! docs/kir.md fixes the order: a pairwise tree, lanes (0,1), (2,3), … first. After the step
//! with offset `o` lane `i` holds the combination of the aligned block of `2·o` lanes that
//! contains it; the ops are commutative, so both halves of a block get the same bits and so
//! does every lane at the end. The exchange is `ds_swizzle_b32` in bitmask mode (and-mask
//! 0x1f, or-mask 0, xor-mask `o`: lane `i` reads lane `i ^ o` of its 32-lane group, which
//! on wave32 is the whole wave); it goes through the LDS crossbar but touches no LDS memory,
//! and its result is waited for on `lgkmcnt` like an LDS load (the waitcnt pass's job).
//!
//! Inactive lanes: the IR requires every lane of the subgroup to arrive (whole subgroups,
//! no divergence around the op), so EXEC is all ones here. Were a lane off, `ds_swizzle`
//! would give its partners 0 instead of its value, and the lanes would disagree.
//!
//! Shared-memory ordering: the op orders the subgroup's LDS accesses before it against
//! those after it; DS instructions of one wave execute in order, so nothing is needed.

use super::emit::op;
use super::select::binary;
use super::{IselError, Piece, Sel, Src};
use crate::mir::Access;
use egpu_ir::{BinaryOp, DType, ReduceOp};

/// The xor offsets of the butterfly, in the order the pairwise tree needs.
pub(super) const BUTTERFLY: [u16; 5] = [1, 2, 4, 8, 16];

/// The `ds_swizzle_b32` offset for "read lane `i ^ xor`": bitmask mode (bit 15 clear),
/// and-mask bits 4:0 = 0x1f, or-mask bits 9:5 = 0, xor-mask bits 14:10.
pub(super) fn xor_pattern(xor: u16) -> u16 {
    0x1f | (xor << 10)
}

fn combine_op(op: ReduceOp) -> BinaryOp {
    match op {
        ReduceOp::Sum => BinaryOp::Add,
        ReduceOp::Prod => BinaryOp::Mul,
        ReduceOp::Max => BinaryOp::Max,
        ReduceOp::Min => BinaryOp::Min,
    }
}

/// `subgroup_OP x` for one element: every lane gets the result (in a VGPR, although it is
/// the same on every lane).
pub(super) fn reduce(sel: &mut Sel, op: ReduceOp, dt: DType, x: Piece) -> Result<Piece, IselError> {
    if dt == DType::Bool {
        return Err(sel.malformed(format!("subgroup {op:?} on bool")));
    }
    let dwords = if dt.size_bytes() == 8 { 2 } else { 1 };
    let bop = combine_op(op);
    butterfly(sel, x, dwords, |sel, a, b| binary(sel, bop, dt, a, b))
}

/// The butterfly over `x` (`dwords` registers per lane) with `combine` at each step.
pub(super) fn butterfly(
    sel: &mut Sel,
    x: Piece,
    dwords: u8,
    mut combine: impl FnMut(&mut Sel, Piece, Piece) -> Result<Piece, IselError>,
) -> Result<Piece, IselError> {
    // A uniform x still combines 32 copies: move it into a VGPR so each lane holds one.
    let mut acc = sel.to_vgpr(Src::Reg(x), dwords);
    for xor in BUTTERFLY {
        let other = swap(sel, acc, dwords, xor);
        acc = combine(sel, acc, other)?;
        // The swizzle reads a VGPR; a family may have answered in an SGPR.
        acc = sel.to_vgpr(Src::Reg(acc), dwords);
    }
    Ok(acc)
}

/// A new VGPR (tuple of `dwords`) holding, on lane `i`, `x` of lane `i ^ xor`.
pub(super) fn swap(sel: &mut Sel, x: Piece, dwords: u8, xor: u16) -> Piece {
    let d = sel.new_v(dwords);
    for k in 0..dwords {
        let part = |p: Piece| Piece {
            offset: p.offset + k,
            ..p
        };
        let swizzle = op("ds_swizzle_b32");
        sel.ds(
            swizzle,
            Some((part(d), Access::Def)),
            part(x),
            None,
            xor_pattern(xor),
        );
    }
    d
}
