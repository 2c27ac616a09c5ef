//! The `.egir` text format (see docs/egir.md): parser with file:line:col diagnostics and the
//! canonical printer.
//!
//! Details the spec leaves open, as implemented here:
//! - Trailing commas are allowed in the input list, in call arguments and in lists
//!   (`f(x, y,)`, `[1, 2,]`), not after the last output of `return`.
//! - Operands come first, keyword arguments after them; a keyword is given at most once.
//! - A `-` is part of a number only when a digit or `inf` follows it directly (`-3`, `-inf`).
//! - Only elementwise operands (binary ops, `where`'s values) may be number literals; the
//!   value of `const` is a literal too. `y = 3` alone is an error (no dtype or shape).
//! - `softmax`/`log_softmax` `axis` defaults to -1, `layernorm` `eps` to 1e-5, `rmsnorm`
//!   `eps` to 1e-6, `var` `correction` to 0, `attention` `causal` to false.
//! - Output names (`return out=value`) are their own namespace: any identifier is allowed.
//! - The graph's doc is the run of comment lines directly above `graph` (no blank line between).
//! - The printer names a node by its given name if that is a usable identifier, else
//!   `t<index>`; `_<index>` is appended while the name is taken by an earlier node or input,
//!   or is a reserved word. Inputs are printed in the header, so graphs whose inputs are not
//!   their first nodes print fine but parse back with the inputs first.
//! - Calls nest at most 256 deep; deeper nesting is an error, not a stack overflow.

mod calls;
pub(crate) mod error;
mod lexer;
mod parser;
mod printer;
pub(crate) mod scan;

pub use error::ParseError;
pub use printer::print;

use crate::Graph;

/// Parses one graph from `.egir` text, checking every shape and dtype as it goes.
pub fn parse(source: &str) -> Result<Graph, ParseError> {
    parser::parse_str(source)
}

/// For file contents: non-UTF-8 input is a ParseError at the line:col of the first invalid byte.
pub fn parse_bytes(bytes: &[u8]) -> Result<Graph, ParseError> {
    parse(decode(bytes)?)
}

/// The text of a file, or a ParseError at the line:col of its first invalid UTF-8 byte
/// (shared with the `.kir` parser).
pub(crate) fn decode(bytes: &[u8]) -> Result<&str, ParseError> {
    match std::str::from_utf8(bytes) {
        Ok(source) => Ok(source),
        Err(e) => {
            let valid = bytes.get(..e.valid_up_to()).unwrap_or_default();
            // The prefix is valid UTF-8 by construction; count lines and characters in it.
            let prefix = String::from_utf8_lossy(valid);
            let line = prefix.matches('\n').count() + 1;
            let last_line = prefix.rsplit('\n').next().unwrap_or("");
            let col = last_line
                .strip_prefix('\u{feff}')
                .filter(|_| line == 1)
                .unwrap_or(last_line)
                .chars()
                .count()
                + 1;
            let byte = bytes.get(e.valid_up_to()).copied().unwrap_or(0);
            Err(ParseError {
                line,
                col,
                message: format!("the file is not valid UTF-8 (byte 0x{byte:02x})"),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SOFTMAX: &str = "# row softmax\n\
graph softmax(x: f32[64, 256]) {
  m = max(x, axes=[1])                       # f32[64, 1]
  e = exp2(mul(sub(x, m), 1.4426950408889634))
  y = div(e, sum(e, axes=[1]))               # broadcasting inserts reshape/expand
  return y
}
";

    /// The spec's example uses primitives only; the literal is rounded to f32 (and printed as
    /// the f64 that equals that f32).
    #[test]
    fn spec_example_prints_canonically() {
        let g = parse(SOFTMAX).unwrap();
        let want = "# row softmax
graph softmax(x: f32[64, 256]) {
  m: f32[64, 1] = max(x, axes=[1])
  t2: f32[64, 256] = expand(m, shape=[64, 256])
  t3: f32[64, 256] = sub(x, t2)
  t4: f32[64, 256] = const(1.4426950216293335, dtype=f32, shape=[64, 256])
  t5: f32[64, 256] = mul(t3, t4)
  e: f32[64, 256] = exp2(t5)
  t7: f32[64, 1] = sum(e, axes=[1])
  t8: f32[64, 256] = expand(t7, shape=[64, 256])
  y: f32[64, 256] = div(e, t8)
  return y
}
";
        let printed = print(&g);
        assert_eq!(printed, want);
        let again = parse(&printed).unwrap();
        assert!(again.same_structure(&g));
        assert_eq!(print(&again), want);
    }

    #[test]
    fn utf8_errors_point_at_the_byte() {
        let e = parse_bytes(b"graph g(\n  x\xff").unwrap_err();
        assert_eq!((e.line, e.col), (2, 4));
        assert!(
            e.message.contains("not valid UTF-8 (byte 0xff)"),
            "{}",
            e.message
        );
    }
}
