//! `egpu eval FILE`: reference results of a graph.

use super::error::{evaluation, output};
use super::summary::summarize;
use super::tensors::{input_files, read_inputs, write_tensors};
use super::{CliError, load};
use egpu_ir::interp::{self, Tensor};
use std::io::Write;
use std::path::Path;

pub fn run(
    path: &Path,
    seed: u64,
    input_args: &[String],
    output_dir: Option<&Path>,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let graph = load::graph(path)?;
    let files = input_files(&graph, input_args)?;
    let (inputs, mut text) = read_inputs(&graph, &files, seed)?;
    let results = interp::evaluate(&graph, &inputs).map_err(|e| evaluation(path, e))?;
    for (name, tensor) in &results {
        text += &format!(
            "output {name}: {}{}\n{}",
            tensor.dtype,
            tensor.shape,
            summarize(tensor)
        );
    }
    if let Some(dir) = output_dir {
        text += &write_tensors(dir, &results)?;
        let inputs: Vec<(String, Tensor)> = inputs.into_iter().collect();
        text += &write_tensors(&dir.join("inputs"), &inputs)?;
    }
    out.write_all(text.as_bytes()).map_err(output)
}
