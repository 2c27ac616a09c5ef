//! egpu: a kernel compiler and JIT for external GPUs (AMD RDNA3 machine code we encode
//! ourselves, NVIDIA PTX we write ourselves).
//!
//! This facade crate will hold `Jit`, `Program` and the kernel cache; today it holds the
//! `egpu` command ([`cli`]) and `.npy` input/output ([`npy`]). The graph IR is re-exported as
//! [`ir`].

pub mod cli;
pub mod npy;

pub use egpu_ir as ir;
