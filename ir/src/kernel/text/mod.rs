//! The `.kir` text format (see docs/kir.md): a parser for exactly what
//! [`super::print`] writes, with `file:line:col` diagnostics ([`ParseError`], shared with
//! `.egir`). Printed kernels parse back to kernels that print to the same bytes.
//!
//! Details beyond the printer's output, as implemented here:
//! - Line breaks and indentation are ordinary white space; `#` starts a comment to the end
//!   of the line (the `kernels` stage output puts a `# plan:` line above each kernel).
//! - Values and accumulators may have any identifier as a name (the printer writes `v<id>`
//!   and `acc<id>`); each name is defined once per kernel, and names are renumbered in
//!   definition order, so printing gives `v0`, `v1`, … again.
//! - `step 1` may be written; the printer leaves it out.
//! - A file holds one or more kernels with distinct names (`egpu compile -o` writes one per
//!   file).
//! - Loops and ifs nest at most [`MAX_NESTING`] deep.
//!
//! Every kernel is built with [`super::KernelBuilder`] and then checked by
//! [`super::verify`] (without a target), so a parsed kernel satisfies every rule of the
//! verifier.

mod cursor;
mod lexer;
mod names;
mod parser;
mod stmt;

#[cfg(test)]
mod tests;

pub use crate::text::ParseError;
pub use parser::MAX_NESTING;

use super::Kernel;

/// Parses one kernel (a text holding more than one is an error at the second).
pub fn parse(source: &str) -> Result<Kernel, ParseError> {
    let mut kernels = parser::parse_kernels(source)?.into_iter();
    let first = kernels.next().map(|(k, _)| k);
    if let Some((_, pos)) = kernels.next() {
        return Err(pos.error("a second kernel: this text may hold only one"));
    }
    first.ok_or_else(|| ParseError {
        line: 1,
        col: 1,
        message: "expected a kernel".to_string(),
    })
}

/// Parses every kernel of the text (at least one).
pub fn parse_all(source: &str) -> Result<Vec<Kernel>, ParseError> {
    let kernels = parser::parse_kernels(source)?;
    Ok(kernels.into_iter().map(|(k, _)| k).collect())
}

/// [`parse`] for file contents: non-UTF-8 input is a ParseError at the line:col of the
/// first invalid byte.
pub fn parse_bytes(bytes: &[u8]) -> Result<Kernel, ParseError> {
    parse(crate::text::decode(bytes)?)
}

/// [`parse_all`] for file contents.
pub fn parse_all_bytes(bytes: &[u8]) -> Result<Vec<Kernel>, ParseError> {
    parse_all(crate::text::decode(bytes)?)
}
