//! Kernel IR → PTX text (being built). One PTX module per kernel.

#[cfg(test)]
mod coop_test;
mod matrix;
mod sink;
mod subgroup;

pub use sink::{FragmentRegs, PtxSink, RegClass, SharedTile, reg_class};

use egpu_ir::Target;
use egpu_ir::kernel::Kernel;

/// How to write the PTX.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PtxOptions {
    /// A comment before each kernel-IR statement's instructions with the statement's `.kir`
    /// line (`egpu compile --emit ptx`, `-v`).
    pub comments: bool,
}

/// Why a kernel has no PTX.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PtxError {
    /// The kernel uses something the NVIDIA backend does not support on this target.
    #[error("kernel {kernel}: {what} is not supported on {target}")]
    Unsupported {
        kernel: String,
        target: String,
        what: String,
    },
}

/// The PTX module (`.version`, `.target`, one `.entry`) of `kernel` for `target`.
pub fn emit_kernel(
    kernel: &Kernel,
    target: &Target,
    _options: &PtxOptions,
) -> Result<String, PtxError> {
    Err(PtxError::Unsupported {
        kernel: kernel.name().to_string(),
        target: target.name.to_string(),
        what: "code generation (not written yet)".into(),
    })
}
