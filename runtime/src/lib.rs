//! egpu's runtime (to be built, see DESIGN.md "Runtime"): one `Device` trait (allocate,
//! copy, load, launch, synchronize, time) with the backends `cuda` (driver API via cudarc),
//! `hsa` (ROCm via libloading), `emu` (a strict RDNA3 emulator, the default without a GPU)
//! and `cpu` (the kernel-IR interpreter). Depends on `egpu-ir` and, later, the AMD decoder.

pub use egpu_ir as ir;
