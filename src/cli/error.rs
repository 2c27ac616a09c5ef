//! Errors of the command line, sorted by whose problem they are.

use std::fmt;

/// What went wrong, already phrased for a person. `User` problems exit 1, `Internal` ones 2.
#[derive(Debug)]
pub enum CliError {
    /// Bad input: a wrong flag value, a missing file, a mismatched shape (printed after
    /// `error: `).
    User(String),
    /// Bad input whose message is already complete, like a parse error rendered as
    /// `file:line:col: error: …` with its source line; printed as is.
    Rendered(String),
    /// A failure that is not the input's fault: an I/O error writing results, a tool failure.
    Internal(String),
    /// Nothing to print (the command already explained), but exit with 1: `fmt --check`.
    Silent,
}

impl CliError {
    pub fn exit_code(&self) -> i32 {
        match self {
            CliError::User(_) | CliError::Rendered(_) | CliError::Silent => 1,
            CliError::Internal(_) => 2,
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
        }
    }
}

/// Writing to the terminal failed: nothing more useful can be said.
pub fn output(e: std::io::Error) -> CliError {
    CliError::Internal(format!("cannot write output: {e}"))
}
