//! Errors of the command line, sorted by whose problem they are.

use crate::bounded::ReadError;
use egpu_ir::interp::EvalError;
use egpu_ir::kernel::{KernelError, ProgramError};
use std::fmt;
use std::path::Path;

/// What went wrong, already phrased for a person. `User` problems exit 1, `Internal` ones 2.
/// Each variant adds its own prefix when printed, so a message must not start with one.
#[derive(Debug)]
pub enum CliError {
    /// Something the user can fix: a wrong flag value, a missing or oversized file, a
    /// mismatched shape, an unwritable output folder, a zero divisor in their data (printed
    /// after `error: `).
    User(String),
    /// Bad input whose message is already complete, like a parse error rendered as
    /// `file:line:col: error: …` with its source line; printed as is.
    Rendered(String),
    /// A bug in egpu or a failing tool: a pass that fails on a valid graph, a kernel that
    /// breaks the rules, output that cannot be written to the terminal.
    Internal(String),
    /// Nothing to print (the command already explained), but exit with 1: `fmt --check`.
    Silent,
    /// Independent failures (one per file of `fmt`), each printed with its own prefix; the
    /// exit code is the worst of theirs.
    Several(Vec<CliError>),
}

impl CliError {
    pub fn exit_code(&self) -> i32 {
        match self {
            CliError::User(_) | CliError::Rendered(_) | CliError::Silent => 1,
            CliError::Internal(_) => 2,
            CliError::Several(errors) => errors.iter().map(CliError::exit_code).max().unwrap_or(1),
        }
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CliError::Rendered(m) => f.write_str(m.trim_end()),
            CliError::User(m) => write!(f, "error: {m}"),
            CliError::Internal(m) => write!(f, "internal error: {m}"),
            CliError::Silent => Ok(()),
            CliError::Several(errors) => {
                let texts: Vec<String> = errors
                    .iter()
                    .map(ToString::to_string)
                    .filter(|t| !t.is_empty())
                    .collect();
                f.write_str(&texts.join("\n"))
            }
        }
    }
}

/// A file the user named could not be read, or is larger than its limit: theirs to fix.
impl From<ReadError> for CliError {
    fn from(e: ReadError) -> Self {
        CliError::User(e.to_string())
    }
}

/// Writing to the terminal failed: nothing more useful can be said.
pub fn output(e: std::io::Error) -> CliError {
    CliError::Internal(format!("cannot write output: {e}"))
}

/// A file or folder the user named cannot be written (read-only, a file where a folder is
/// wanted, a full disk): theirs to fix.
pub fn unwritable(path: &Path, e: std::io::Error) -> CliError {
    CliError::User(format!("cannot write {}: {e}", path.display()))
}

/// Creates the output folder `dir` (and its parents); a path that exists but is not a folder,
/// or one that cannot be created, is the user's to fix.
pub fn create_dir(dir: &Path) -> Result<(), CliError> {
    if dir.exists() && !dir.is_dir() {
        return Err(CliError::User(format!(
            "cannot write to {}: it exists and is not a folder",
            dir.display()
        )));
    }
    std::fs::create_dir_all(dir).map_err(|e| unwritable(dir, e))
}

/// The reference interpreter failed on `path`'s graph. The command checks the inputs and the
/// graph's size before evaluating, so what remains for the user is a zero divisor in their
/// data or a tensor too large; anything else is a bug.
pub fn evaluation(path: &Path, e: EvalError) -> CliError {
    let message = format!("{}: evaluation failed: {e}", path.display());
    match e {
        EvalError::DivisionByZero { .. } | EvalError::TooLarge { .. } => CliError::User(message),
        EvalError::MissingInput { .. }
        | EvalError::UnknownInput { .. }
        | EvalError::InputMismatch { .. }
        | EvalError::BadTensor { .. }
        | EvalError::BadGraph { .. } => CliError::Internal(message),
    }
}

/// The compiled kernels failed on `path`'s inputs: the user's when their data caused it
/// ([`KernelError::caused_by_data`]), else a bug in the compiler.
pub fn kernel_run(path: &Path, e: ProgramError) -> CliError {
    let user = matches!(&e, ProgramError::Kernel(k) if k.caused_by_data());
    let detail = match e {
        // Said without the kernel error's own "internal error:" (this one adds it).
        ProgramError::Kernel(k) => match *k {
            KernelError::Internal { kernel, message } => format!("kernel {kernel}: {message}"),
            k => k.to_string(),
        },
        e => e.to_string(),
    };
    let message = format!("{}: kernel failed: {detail}", path.display());
    if user {
        CliError::User(message)
    } else {
        CliError::Internal(message)
    }
}
