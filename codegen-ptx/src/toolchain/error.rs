//! Why the toolchain could not turn PTX into a cubin. One line each, naming the problem and,
//! where the user can fix it, how.

use std::path::PathBuf;
use std::time::Duration;

/// A toolchain failure. `Rejected` means ptxas refused PTX that egpu wrote: an egpu bug.
#[derive(Debug, thiserror::Error)]
pub enum ToolchainError {
    /// `EGPU_PTXAS` names something that is not an executable file (no fallthrough: the user
    /// asked for that assembler).
    #[error(
        "EGPU_PTXAS is set to {path}, which is not an executable file: point it at ptxas or unset it"
    )]
    PtxasVarMissing { path: PathBuf },

    /// No assembler was found; the caller should keep the PTX for the driver's JIT.
    #[error("no PTX assembler ({why}): the CUDA driver has to JIT-compile the PTX at load")]
    NoAssembler { why: String },

    /// The container engine does not answer (daemon stopped, socket missing).
    #[error("{engine} is not answering ({message}): {hint}")]
    EngineDown {
        engine: String,
        message: String,
        hint: &'static str,
    },

    /// The engine runs but has no image with ptxas under that name.
    #[error(
        "{engine} has no image {image}: build one as docs/ptx.md (Toolchain) shows, or set EGPU_NVCC_IMAGE to an image with /bin/ptxas"
    )]
    ImageMissing { engine: String, image: String },

    /// ptxas refused the PTX. `line` is ptxas's line number (1-based) and `ptx_line` that
    /// line's text.
    #[error(
        "ptxas rejected the PTX for {arch}{}: {message}",
        at_line(*.line, .ptx_line.as_deref())
    )]
    Rejected {
        arch: String,
        message: String,
        line: Option<usize>,
        ptx_line: Option<String>,
    },

    /// This ptxas does not know the target (CUDA 13 starts at sm_75).
    #[error("this ptxas cannot assemble for {arch}: {message}")]
    UnsupportedArch { arch: String, message: String },

    /// The target is not of the form `sm_NN` with an optional letter (`sm_90a`).
    #[error("invalid target {arch:?}: expected sm_NN, e.g. sm_80 or sm_90a")]
    BadArch { arch: String },

    /// A program could not be started at all.
    #[error("could not run {program}: {source}")]
    Spawn {
        program: String,
        source: std::io::Error,
    },

    /// A program ran past its deadline and was killed.
    #[error("{what} did not finish within {} s and was stopped", .limit.as_secs_f32())]
    Timeout { what: String, limit: Duration },

    /// A program failed in a way none of the above explains.
    #[error("{what} failed ({status}): {message}")]
    Failed {
        what: String,
        status: String,
        message: String,
    },

    /// Reading or writing the temporary PTX/cubin files failed.
    #[error("{what}: {source}")]
    Io {
        what: String,
        source: std::io::Error,
    },
}

/// ` at line N (`text`)` for the Rejected message, or nothing.
fn at_line(line: Option<usize>, text: Option<&str>) -> String {
    match (line, text) {
        (Some(n), Some(t)) => format!(" at line {n} (`{t}`)"),
        (Some(n), None) => format!(" at line {n}"),
        _ => String::new(),
    }
}
