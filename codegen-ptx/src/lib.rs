//! egpu's NVIDIA backend (to be built, see DESIGN.md "NVIDIA"): kernel IR to PTX text that
//! we write ourselves (`.version 7.8`, sm_80–sm_90), and the toolchain search that turns it
//! into a cubin (EGPU_PTXAS/EGPU_NVCC, $CUDA_HOME, PATH, /usr/local/cuda, Docker, or the
//! driver's JIT). Depends only on `egpu-ir`.

pub use egpu_ir as ir;
