//! Subgroup (warp) reductions: `subgroup_sum x` and friends as an xor butterfly of
//! `shfl.sync.bfly.b32`.
//!
//! docs/kir.md "Synchronization" fixes the combination order: a pairwise tree, lanes (0,1),
//! (2,3), … first, then pairs of those results. A butterfly with offsets 1, 2, 4, 8, 16 in
//! that order computes exactly that tree on every lane: after the step with offset `o`, lane
//! `i` holds the combination of the aligned block of `2·o` lanes containing `i`, and since the
//! ops are commutative both halves of a block produce the same bits. Each step combines
//! through [`PtxSink::binary`], so it rounds (or wraps) exactly like the kernel's own op.

use egpu_ir::{BinaryOp, DType, ReduceOp};

use super::sink::{PtxSink, RegClass, reg_class};

/// The xor offsets of the butterfly, in the order kir.md's pairwise tree needs.
pub(crate) const BUTTERFLY_OFFSETS: [u32; 5] = [1, 2, 4, 8, 16];

/// `shfl.sync` operands after the lane offset: `c` = 31 (the clamp; the whole warp is one
/// segment for bfly) and the full membermask, every lane of the warp takes part.
const SHFL_TAIL: &str = "31, -1";

/// The binary op that combines two partial results of `op`.
fn combine_op(op: ReduceOp) -> BinaryOp {
    match op {
        ReduceOp::Sum => BinaryOp::Add,
        ReduceOp::Prod => BinaryOp::Mul,
        ReduceOp::Max => BinaryOp::Max,
        ReduceOp::Min => BinaryOp::Min,
    }
}

/// dst = `op` over `x` of the 32 lanes of the warp (see the module comment for the order).
/// Every lane of the warp must execute it.
pub(crate) fn subgroup_reduce(s: &mut dyn PtxSink, op: ReduceOp, dtype: DType, dst: &str, x: &str) {
    let class = reg_class(dtype);
    let binary = combine_op(op);
    // kir.md: the op orders the subgroup's shared-memory accesses before it against those
    // after it; shfl.sync alone synchronizes lanes but promises no memory ordering.
    s.instr("bar.warp.sync -1");
    let mut acc = x.to_string();
    for (step, offset) in BUTTERFLY_OFFSETS.iter().enumerate() {
        let other = shuffle_xor(s, class, &acc, *offset);
        // Each step writes a fresh register (the last one `dst`), so `binary` never sees its
        // destination among its operands, whatever instructions the sink expands it into.
        let out = if step + 1 == BUTTERFLY_OFFSETS.len() {
            dst.to_string()
        } else {
            s.temp(class)
        };
        s.binary(binary, dtype, &out, &acc, &other);
        acc = out;
    }
    s.instr("bar.warp.sync -1");
}

/// A fresh register of `class` holding the value of `value` on lane `laneid ^ offset`.
/// `shfl.sync.bfly` moves 32 bits, so other classes go through `.b32` registers.
fn shuffle_xor(s: &mut dyn PtxSink, class: RegClass, value: &str, offset: u32) -> String {
    let out = s.temp(class);
    match class {
        RegClass::B32 => shfl(s, &out, value, offset),
        RegClass::F32 => {
            let (a, b) = (s.temp(RegClass::B32), s.temp(RegClass::B32));
            s.instr(&format!("mov.b32 {a}, {value}"));
            shfl(s, &b, &a, offset);
            s.instr(&format!("mov.b32 {out}, {b}"));
        }
        RegClass::B16 => {
            // Zero-extend into 32 bits and truncate back: the upper half carries nothing.
            let (a, b) = (s.temp(RegClass::B32), s.temp(RegClass::B32));
            s.instr(&format!("cvt.u32.u16 {a}, {value}"));
            shfl(s, &b, &a, offset);
            s.instr(&format!("cvt.u16.u32 {out}, {b}"));
        }
        RegClass::B64 | RegClass::F64 => {
            let [lo, hi, lo2, hi2] = [(); 4].map(|()| s.temp(RegClass::B32));
            s.instr(&format!("mov.b64 {{{lo}, {hi}}}, {value}"));
            shfl(s, &lo2, &lo, offset);
            shfl(s, &hi2, &hi, offset);
            s.instr(&format!("mov.b64 {out}, {{{lo2}, {hi2}}}"));
        }
        RegClass::Pred => {
            // kir.md reduces numeric types only; a predicate still gets a correct shuffle.
            let (a, b) = (s.temp(RegClass::B32), s.temp(RegClass::B32));
            s.instr(&format!("selp.u32 {a}, 1, 0, {value}"));
            shfl(s, &b, &a, offset);
            s.instr(&format!("setp.ne.u32 {out}, {b}, 0"));
        }
    }
    out
}

fn shfl(s: &mut dyn PtxSink, dst: &str, src: &str, offset: u32) {
    s.instr(&format!(
        "shfl.sync.bfly.b32 {dst}, {src}, {offset}, {SHFL_TAIL}"
    ));
}
