//! `egpu fmt [--check] FILE...`: rewrite graph files in canonical form.

use super::error::{output, unwritable};
use super::{CliError, load};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Formats every file; with `check`, writes nothing and fails if any file would change. Every
/// file is looked at even after a failure, so one run reports all of them.
pub fn run(files: &[PathBuf], check: bool, out: &mut dyn Write) -> Result<(), CliError> {
    let mut errors = Vec::new();
    let mut unformatted = 0;
    for path in files {
        match format_one(path, check, out) {
            Ok(true) => {}
            Ok(false) => unformatted += 1,
            Err(e) => errors.push(e),
        }
    }
    if !errors.is_empty() {
        return Err(CliError::Several(errors));
    }
    if unformatted > 0 {
        writeln!(
            out,
            "{unformatted} file(s) not in canonical form; run `egpu fmt` on them"
        )
        .map_err(output)?;
        return Err(CliError::Silent);
    }
    Ok(())
}

/// Whether the file was already canonical (after rewriting it, unless `check`).
fn format_one(path: &Path, check: bool, out: &mut dyn Write) -> Result<bool, CliError> {
    let bytes = load::read(path)?;
    let graph = load::parse(path, &bytes)?;
    let canonical = egpu_ir::text::print(&graph);
    if canonical.as_bytes() == bytes {
        return Ok(true);
    }
    if check {
        let line = first_difference(&bytes, canonical.as_bytes());
        writeln!(out, "{}:{line}: not in canonical form", path.display()).map_err(output)?;
        return Ok(false);
    }
    std::fs::write(path, canonical).map_err(|e| unwritable(path, e))?;
    writeln!(out, "formatted {}", path.display()).map_err(output)?;
    Ok(true)
}

/// The 1-based line of the first byte where two texts differ.
fn first_difference(a: &[u8], b: &[u8]) -> usize {
    let at = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    1 + a[..at].iter().filter(|&&c| c == b'\n').count()
}
