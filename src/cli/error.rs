//! Errors of the command line, sorted by whose problem they are.

use crate::bounded::ReadError;
use egpu_ir::interp::EvalError;
use egpu_ir::kernel::ProgramError;
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

/// User text (a flag's value, a name) as echoed in a message: at most 100 characters, then
/// `…`, so a huge argument gives a short message.
pub fn shown(text: &str) -> String {
    match text.char_indices().nth(100) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text.to_string(),
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
    let message = format!("{}: kernel failed: {e}", path.display());
    if user {
        CliError::User(message)
    } else {
        CliError::Internal(message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use egpu_ir::kernel::{KernelError, LaneId};

    const LANE: LaneId = LaneId {
        workgroup: [0, 0, 0],
        local: [1, 0, 0],
    };

    /// Errors are sorted by variant: a zero divisor in the data is the user's (exit 1), a
    /// kernel breaking the rules is egpu's (exit 2), and every message has one prefix.
    #[test]
    fn kernel_failures_are_sorted_by_cause() {
        let path = Path::new("g.egir");
        let division = ProgramError::Kernel(Box::new(KernelError::DivisionByZero {
            kernel: "k0".into(),
            value: "v7 = idiv v5, v6".into(),
            lane: LANE,
        }));
        let e = kernel_run(path, division);
        assert_eq!(e.exit_code(), 1);
        assert!(
            e.to_string()
                .starts_with("error: g.egir: kernel failed: kernel k0: division by zero"),
            "{e}"
        );
        let bounds = ProgramError::Kernel(Box::new(KernelError::OutOfBounds {
            kernel: "k0".into(),
            memory: "buffer a".into(),
            index: 9,
            len: 4,
            lane: LANE,
        }));
        assert_eq!(kernel_run(path, bounds).exit_code(), 2);
        let internal = ProgramError::Kernel(Box::new(KernelError::Internal {
            kernel: "k0".into(),
            message: "broken".into(),
        }));
        let e = kernel_run(path, internal);
        assert_eq!(e.exit_code(), 2);
        assert_eq!(
            e.to_string(),
            "internal error: g.egir: kernel failed: kernel k0: broken invariant: broken"
        );
    }

    #[test]
    fn evaluation_failures_are_sorted_by_cause() {
        let path = Path::new("g.egir");
        let zero = EvalError::DivisionByZero {
            node: "n3 (idiv)".into(),
        };
        assert_eq!(evaluation(path, zero).exit_code(), 1);
        let missing = EvalError::MissingInput { name: "x".into() };
        let e = evaluation(path, missing);
        assert_eq!(e.exit_code(), 2);
        assert_eq!(
            e.to_string(),
            "internal error: g.egir: evaluation failed: input 'x' is not given"
        );
    }

    /// Several failures print one after another, each with its own single prefix; the exit
    /// code is the worst one.
    #[test]
    fn several_errors_keep_one_prefix_each() {
        let denied = std::io::Error::from(std::io::ErrorKind::PermissionDenied);
        let both = CliError::Several(vec![
            unwritable(Path::new("a.egir"), denied),
            CliError::Rendered("b.egir:1:1: error: bad\n".into()),
        ]);
        assert_eq!(both.exit_code(), 1);
        let text = both.to_string();
        assert!(
            text.starts_with(
                "error: cannot write a.egir: permission denied\nb.egir:1:1: error: bad"
            ),
            "{text}"
        );
        let worse = CliError::Several(vec![CliError::Silent, CliError::Internal("x".into())]);
        assert_eq!(worse.exit_code(), 2);
        assert_eq!(worse.to_string(), "internal error: x");
    }

    #[test]
    fn long_user_text_is_shortened() {
        assert_eq!(shown("abc"), "abc");
        assert_eq!(shown(&"é".repeat(101)), format!("{}…", "é".repeat(100)));
    }
}
