//! The NVIDIA route of a compiled program: each kernel's PTX module (written by
//! `egpu-codegen-ptx`), in the program's kernel order.

use egpu_codegen_ptx::{PtxError, PtxOptions, emit_kernel};
use egpu_ir::Target;
use egpu_ir::kernel::Program;
use egpu_ir::precision::Family;

/// One kernel's PTX module.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PtxModule {
    /// The kernel's name, which is also the module's `.entry`.
    pub kernel: String,
    pub ptx: String,
}

/// Whether `target` is one the PTX backend compiles for.
pub fn is_nvidia(target: &Target) -> bool {
    Family::of(target) == Family::Nvidia
}

/// The PTX of every kernel of `program` for `target`, in kernel order.
pub fn emit_program(
    program: &Program,
    target: &Target,
    options: &PtxOptions,
) -> Result<Vec<PtxModule>, PtxError> {
    program
        .kernels
        .iter()
        .map(|kernel| {
            Ok(PtxModule {
                kernel: kernel.name().to_string(),
                ptx: emit_kernel(kernel, target, options)?,
            })
        })
        .collect()
}
