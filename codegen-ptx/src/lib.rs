//! egpu's NVIDIA backend: kernel IR to PTX text that we write ourselves ([`emit`]:
//! `.version 7.8`, sm_80–sm_90), and the toolchain that turns it into a cubin
//! ([`toolchain`]: `EGPU_PTXAS`, `ptxas` on PATH, `$CUDA_HOME/bin`, a container engine, or
//! the driver's JIT). Depends only on `egpu-ir`.

pub mod emit;
pub mod toolchain;

pub use egpu_ir as ir;
pub use emit::{PtxError, PtxOptions, emit_kernel};
