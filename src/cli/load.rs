//! Reading and parsing a graph file, with errors rendered as `file:line:col: error: …`.

use super::CliError;
use crate::bounded::{self, GRAPH_FILE_LIMIT};
use egpu_ir::Graph;
use std::path::Path;

/// The file's bytes, or a user error naming the file (missing, unreadable, or larger than
/// [`GRAPH_FILE_LIMIT`]).
pub fn read(path: &Path) -> Result<Vec<u8>, CliError> {
    Ok(bounded::read_file(
        path,
        GRAPH_FILE_LIMIT,
        "the limit for a graph file",
    )?)
}

/// Parses graph text; a parse error is rendered with the path and the source line.
pub fn parse(path: &Path, bytes: &[u8]) -> Result<Graph, CliError> {
    egpu_ir::text::parse_bytes(bytes).map_err(|e| {
        let source = String::from_utf8_lossy(bytes);
        CliError::Rendered(e.render(&path.display().to_string(), &source))
    })
}

/// Reads and parses a graph file.
pub fn graph(path: &Path) -> Result<Graph, CliError> {
    parse(path, &read(path)?)
}
