//! `egpu check FILE`: validate a graph and list its inputs and outputs.

use super::error::output;
use super::{CliError, load};
use std::io::Write;
use std::path::Path;

pub fn run(path: &Path, out: &mut dyn Write) -> Result<(), CliError> {
    let graph = load::graph(path)?;
    let mut text = format!(
        "{}: graph {} is valid ({} nodes)\ninputs:\n",
        path.display(),
        graph.name(),
        graph.len()
    );
    for &id in graph.inputs() {
        let node = graph.node(id);
        text += &format!("  {}: {}{}\n", graph.input_name(id), node.dtype, node.shape);
    }
    text += "outputs:\n";
    for o in graph.outputs() {
        let node = graph.node(o.node);
        text += &format!("  {}: {}{}\n", o.name, node.dtype, node.shape);
    }
    out.write_all(text.as_bytes()).map_err(output)
}
