//! The interface between the per-lane emitter (`emit/mod.rs` and its files) and the
//! warp-cooperative lowerings (`subgroup.rs`, `matrix.rs`): those write their instructions
//! through a [`PtxSink`], which owns register declarations, labels and the ALU semantics of
//! each binary op, so a subgroup `sum` of f16 rounds exactly like the kernel's own `add`.

use egpu_ir::{BinaryOp, DType};

/// The PTX register class a kernel-IR scalar of a dtype lives in. Sub-word integers and
/// 16-bit floats live in 16-bit registers; `bool` in predicates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RegClass {
    Pred,
    B16,
    B32,
    B64,
    F32,
    F64,
}

impl RegClass {
    /// The type written in `.reg` declarations and `mov`: `.pred`, `.b16`, …
    pub fn ptx_type(self) -> &'static str {
        match self {
            RegClass::Pred => ".pred",
            RegClass::B16 => ".b16",
            RegClass::B32 => ".b32",
            RegClass::B64 => ".b64",
            RegClass::F32 => ".f32",
            RegClass::F64 => ".f64",
        }
    }
}

/// Where a scalar of `dtype` is held.
pub fn reg_class(dtype: DType) -> RegClass {
    match dtype {
        DType::Bool => RegClass::Pred,
        DType::I8 | DType::U8 | DType::I16 | DType::U16 | DType::F16 | DType::BF16 => RegClass::B16,
        DType::I32 | DType::U32 => RegClass::B32,
        DType::I64 | DType::U64 => RegClass::B64,
        DType::F32 => RegClass::F32,
        DType::F64 => RegClass::F64,
    }
}

/// A 16×16 row-major tile in shared memory, as the matrix lowerings need it: `addr` names a
/// `.b32` register holding the shared-window byte address of element (0, 0) (16-byte
/// aligned), rows `stride_bytes` apart (a multiple of 16).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SharedTile {
    pub addr: String,
    pub stride_bytes: u32,
}

/// The eight `.f32` registers that hold one lane's part of a 16×16 f32 fragment: the two
/// `mma.sync.m16n8k16` accumulators, columns 0–7 in `[0..4]` and 8–15 in `[4..8]`, each in
/// the PTX ISA's accumulator layout for m16n8k16 (c0..c3).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FragmentRegs(pub [String; 8]);

/// What a warp-cooperative lowering writes into.
pub trait PtxSink {
    /// One instruction, without indentation or the trailing `;` (the sink adds both), e.g.
    /// `shfl.sync.bfly.b32 %r7, %r6, 1, 31, -1`, or with a guard `@%p3 bra L2`.
    fn instr(&mut self, text: &str);
    /// A fresh register of `class`, declared by the sink (e.g. `%f12`).
    fn temp(&mut self, class: RegClass) -> String;
    /// A fresh label name, unique in the kernel (placed with [`PtxSink::place_label`]).
    fn new_label(&mut self) -> String;
    /// Places `label` at this point (`L3:`).
    fn place_label(&mut self, label: &str);
    /// `dst = op(a, b)` for scalars of `dtype`, with exactly the semantics the emitter gives
    /// the kernel-IR binary op (rounding, wrapping): used to combine subgroup reductions.
    fn binary(&mut self, op: BinaryOp, dtype: DType, dst: &str, a: &str, b: &str);
}
