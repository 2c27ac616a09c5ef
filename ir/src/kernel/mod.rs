//! The kernel IR: one GPU kernel with its parameters, launch shape, shared memory and a
//! structured SSA body; a deterministic printer and a CPU interpreter.
//!
//! It is the contract between the passes and both code generators (PTX and RDNA3), so every
//! construct has a direct lowering on both, and the semantics below are what the
//! interpreter implements and what code generators must reproduce.
//!
//! # Structure
//! A [`Kernel`] has parameters ([`Param`]: global buffers with dtype, element count and
//! [`Access`]; scalar i32/i64), a static [`Launch`] (grid of workgroups × workgroup of
//! lanes, three axes each), a subgroup size (warp or wave: 32 on every current target),
//! [`SharedArray`]s and a body of [`Stmt`]s. Values ([`ValueId`]) are SSA: each is defined
//! once by a `Let` (or as a loop variable) and may be used only after it, in the block that
//! defines it and the blocks nested there. A value's type ([`ValueType`]) is a dtype and a
//! vector width of 1, 2, 4 or 8; ALU ops work per element. Indices are scalar i32 or i64.
//! Loop-carried state lives in accumulators ([`AccId`]): declared with an initial value,
//! updated by assignment or by a reduction op, read as a value — so there are no phi nodes.
//! [`KernelBuilder`] is the only way to make a kernel; it checks types and scopes.
//! [`verify`] checks a finished kernel against every rule independently (`verify` module),
//! and [`text`] parses the printer's `.kir` text back; docs/kir.md is the full specification.
//!
//! # Values
//! Element arithmetic is that of the graph reference interpreter ([`crate::interp`]), whose
//! per-element functions compute it: a float op is computed in f64 on the exact operands
//! and rounded once to the dtype; integer ops wrap; integer `idiv`/`mod` by zero is an
//! error. An accumulator's `Combine(op)` is the binary op (`Sum` is `add`), so it rounds at
//! every update, as a GPU does (the reference rounds a reduction once, at its end).
//!
//! # Memory
//! A load or store of width `w` touches elements `index..index + w`, and `index` must be a
//! multiple of `w` (what 64- and 128-bit hardware accesses need; buffers are allocated
//! aligned). A mask (bool, one for the access or one per element) turns elements off:
//! they are not touched, are not bounds-checked, and load as 0. An access outside a buffer
//! or shared array is an error naming the kernel, the memory, the index and the lane.
//! Shared memory starts unwritten in every workgroup; reading an unwritten element is an
//! error, and so is a data race on it: two accesses to one element by different lanes, at
//! least one a write, unordered by a barrier (or, between lanes of one subgroup, by a
//! subgroup operation). Workgroups may communicate through global memory within a launch
//! only by [`Atomic`]s (relaxed read-modify-writes returning nothing; they never race with
//! each other, and their combined result is read after the launch); the interpreter runs
//! workgroups in order, x fastest, which fixes the order of float atomic adds.
//!
//! # Fragments, ids
//! A matrix fragment ([`FragId`]) is a 16×16 f32 tile held in a subgroup's registers
//! across a k-loop: `FragmentZero`, `FragmentMma` (`F += A · B` from shared f16/bf16
//! tiles) and `FragmentStore` (into a shared f32 tile) are subgroup operations with
//! `MatrixTile`'s rules. [`Kernel::index`] numbers statements, loops and blocks by
//! position and gives each value's users (see docs/kir.md).
//!
//! # Synchronization
//! - `Barrier`: every lane of the workgroup must arrive at the same barrier statement
//!   (`bar.sync 0` / `s_barrier`); it may sit inside loops and ifs only where every lane of
//!   the workgroup takes the same path. Lanes arriving at different places is an error
//!   (divergent barrier).
//! - Subgroups are consecutive local linear ids (x fastest) in groups of the kernel's
//!   subgroup size; a kernel using subgroup operations has whole subgroups.
//! - `SubgroupReduce { op, x }`: every lane of the subgroup must arrive at it; each gets
//!   `op` over the subgroup's `x` combined as a pairwise tree — lanes (0,1), (2,3), …, then
//!   pairs of those — each step rounded like the binary op. That is the order of an
//!   xor-butterfly (`shfl.sync.bfly` / DPP and `ds_swizzle` with offsets 1, 2, 4, …, 16),
//!   and since `add`, `mul`, `max` and `min` are commutative every lane gets the same bits.
//! - `MatrixTile { a, b, d }`: `D += A · B` for 16×16 row-major tiles in shared memory (A
//!   and B both f16 or both bf16, D f32; element (r, c) of a tile at
//!   `offset + r * stride + c`). A whole subgroup of 32 lanes executes it together: every
//!   lane must arrive, with the same offsets; offsets and strides keep rows 16-byte
//!   aligned. The op orders after the subgroup's earlier shared-memory accesses and before
//!   its later ones (the subgroup synchronizes around it), so the usual pattern is
//!   `store tiles; barrier; matrix_tile; barrier`. Each result element is
//!   `round_f32(D[i][j] + Σ_k A[i][k]·B[k][j])` with the sum taken in f64; tensor cores
//!   round differently, so a comparison with hardware needs a tolerance. Lowerings: PTX
//!   loads fragments with `ldmatrix` (or `ld.shared`), issues two `mma.sync.m16n8k16`
//!   (columns 0–7 and 8–15) and stores D with `st.shared`, between `bar.warp.sync`; RDNA3
//!   (wave32) loads fragments with `ds_load`, issues one `v_wmma_f32_16x16x16_f16` (or
//!   `_bf16`) and stores D with `ds_store`.
//!
//! # Interpreter
//! [`run`] executes every workgroup and lane: each lane walks the body with its own values
//! and accumulators; lanes run in turn up to their next synchronizing statement, then
//! subgroup operations are performed for subgroups that have all arrived, and a barrier
//! opens once the whole workgroup has arrived. See [`KernelError`] for what it reports.

mod builder;
mod error;
mod fold;
mod index;
mod interp;
mod label;
mod manifest;
mod printer;
mod program;
pub mod text;
mod types;
mod verify;

#[cfg(test)]
mod tests;

pub use builder::{KernelBuilder, MAX_WORKGROUP_SIZE};
pub use error::{KernelError, LaneId};
pub use fold::evaluate_constant;
pub use index::{
    BlockId, BlockInfo, BlockKind, KernelIndex, LoopId, StmtId, StmtInfo, User, stmt_operands,
};
pub use interp::{fma, mulhi, run, run_limited};
pub use manifest::{KernelFiles, json_string};
pub use printer::{print, print_with_lines, statement_text};
pub use program::{BufferRole, KernelLaunch, Program, ProgramBuffer, ProgramError, poison};
pub use types::{
    AccId, AccUpdate, Access, Atomic, AtomicOp, Axis, Expr, FragId, Kernel, Launch, Loop,
    MatrixTile, Memory, Param, ParamId, SharedArray, SharedId, Stmt, Store, TILE, TileRef, Value,
    ValueId, ValueType, WIDTHS,
};
pub use verify::{Rule, VerifyError, verify};
