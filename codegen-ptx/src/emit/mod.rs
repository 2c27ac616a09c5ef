//! Kernel IR → PTX text, one module per kernel (`.version 7.8`, sm_80–sm_90). The files
//! follow the kernel IR's construct families: [`module`] the module and entry, [`control`]
//! statements, [`value`] expressions, [`binary`]/[`unary`]/[`convert`] the ALU, [`memory`]
//! loads, stores and atomics, [`coop`] the per-lane side of subgroup and matrix ops (whose
//! instructions the warp-cooperative lowerings write through [`PtxSink`]).

mod binary;
mod constant;
mod control;
mod convert;
mod coop;
#[cfg(test)]
mod coop_test;
mod emitter;
mod f64_math;
mod f64_sin;
mod half;
mod matrix;
mod memory;
mod module;
mod sink;
mod subgroup;
mod unary;
mod value;

pub use sink::{FragmentRegs, PtxSink, RegClass, SharedTile, reg_class};

use egpu_ir::Target;
use egpu_ir::kernel::Kernel;
use emitter::Emitter;

/// The targets the PTX backend writes for (`.version 7.8` accepts all of them).
pub const TARGETS: [&str; 4] = ["sm_80", "sm_86", "sm_89", "sm_90"];

/// The most static `.shared` memory one kernel may declare (48 KiB on every target).
pub const STATIC_SHARED_BYTES: usize = 48 * 1024;

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
    /// The kernel breaks an invariant its builder guarantees (an id that does not exist,
    /// an op on a dtype it does not take): a bug upstream, reported instead of a panic.
    #[error("kernel {kernel}: malformed kernel IR: {what}")]
    Malformed { kernel: String, what: String },
}

/// The PTX module (`.version`, `.target`, one `.entry`) of `kernel` for `target`.
pub fn emit_kernel(
    kernel: &Kernel,
    target: &Target,
    options: &PtxOptions,
) -> Result<String, PtxError> {
    let Some(&name) = TARGETS.iter().find(|t| **t == target.name) else {
        return Err(PtxError::Unsupported {
            kernel: kernel.name().to_string(),
            target: target.name.to_string(),
            what: "PTX (only NVIDIA targets sm_80, sm_86, sm_89 and sm_90 have it)".into(),
        });
    };
    let refuse = |what: String| PtxError::Unsupported {
        kernel: kernel.name().to_string(),
        target: target.name.to_string(),
        what,
    };
    if kernel.subgroup_size() != 32 {
        let n = kernel.subgroup_size();
        return Err(refuse(format!("subgroup size {n} (warps have 32 lanes)")));
    }
    // Static `.shared` is limited to 48 KiB; more needs dynamic shared memory and the
    // launch-time opt-in, which this backend does not use.
    if kernel.shared_bytes() > STATIC_SHARED_BYTES {
        let n = kernel.shared_bytes();
        return Err(refuse(format!(
            "{n} bytes of shared memory (at most {STATIC_SHARED_BYTES} static)"
        )));
    }
    let mut emitter = Emitter::new(kernel, name);
    emitter.prologue();
    emitter.block(kernel.body(), options.comments)?;
    if let Some(error) = emitter.deferred.take() {
        return Err(error);
    }
    Ok(emitter.module())
}
