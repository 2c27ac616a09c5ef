//! egpu's runtime (being built, see docs/architecture.md "Runtime"): one `Device` trait
//! (allocate, copy, load, launch, synchronize, time) with the backends `cuda` (driver API via
//! cudarc), `hsa` (ROCm via libloading), `emu` (a strict RDNA3 emulator, the default without
//! a GPU) and `cpu`. Depends on `egpu-ir` and, later, the AMD decoder; it never runs a pass.
//!
//! Today only [`cpu`] exists: [`cpu::CpuDevice`] runs a compiled program on the kernel-IR
//! interpreter by calling `Program::run`, the single whole-program executor. It is what the
//! `Device` trait's `cpu` backend will be, and what `egpu run --device cpu` uses.

pub mod cpu;

pub use cpu::CpuDevice;
pub use egpu_ir as ir;
