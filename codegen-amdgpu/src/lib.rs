//! egpu's AMD backend: kernel IR to RDNA3 (gfx1100, wave32) machine code with no external
//! tool, in the stages of DESIGN.md "AMD":
//! [`isel`] (kernel IR → [`mir`] over virtual registers, with uniformity analysis) →
//! [`regalloc`] (linear scan) → [`waitcnt`] (`s_waitcnt` insertion) → [`hazards`] →
//! [`assemble`] (branch offsets, encoding with [`isa`], `s_code_end` padding) →
//! [`object`] (the HSA code object) with [`dwarf`] line information. [`compile`] runs
//! them all. Depends only on `egpu-ir`.

pub use egpu_ir as ir;

pub mod assemble;
pub mod branches;
pub mod compile;
pub mod dwarf;
mod flow;
pub mod hazards;
pub mod isa;
pub mod isel;
pub mod mir;
pub mod object;
pub mod regalloc;
pub mod reguse;
#[cfg(test)]
mod test_prog;
pub mod waitcnt;

pub use compile::{
    AmdError, CompiledKernel, compile_kernel, compile_program, compile_program_with_lines,
};
