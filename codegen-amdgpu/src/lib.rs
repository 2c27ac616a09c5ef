//! egpu's AMD backend (to be built, see DESIGN.md "AMD"): kernel IR to RDNA3 (gfx1100,
//! wave32) machine code with no external tool — instruction selection, register allocation,
//! `s_waitcnt` and hazard handling, our own encoder, decoder and LLVM-syntax printer, and the
//! HSA code object v5 writer. Depends only on `egpu-ir`.
//!
//! Built so far: [`isa`], the instruction layer; [`object`], the HSA code object writer and reader.

pub use egpu_ir as ir;

pub mod isa;
pub mod object;
