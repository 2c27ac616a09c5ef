//! A command's tensors on disk: the graph's inputs from `--input NAME=FILE.npy` or seeded
//! random values, and outputs written as `.npy` files (`eval`, `run`, `run-kernel`).

use super::CliError;
use super::error::{create_dir, shown};
use crate::npy;
use egpu_ir::Graph;
use egpu_ir::interp::{self, Tensor};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The graph's inputs: from `files` where given, else seeded random values; and a line per
/// input saying where it came from.
pub fn read_inputs(
    graph: &Graph,
    files: &BTreeMap<String, PathBuf>,
    seed: u64,
) -> Result<(BTreeMap<String, Tensor>, String), CliError> {
    interp::check_limits(graph)
        .map_err(|e| CliError::User(format!("graph {}: {e}", shown(graph.name()))))?;
    let mut inputs = BTreeMap::new();
    let mut text = String::new();
    for &id in graph.inputs() {
        let (name, node) = (graph.input_name(id), graph.node(id));
        let (tensor, source) = match files.get(name) {
            Some(file) => {
                let tensor = npy::read_input(file, name, node.dtype, &node.shape)
                    .map_err(|e| CliError::User(e.to_string()))?;
                (tensor, file.display().to_string())
            }
            None => {
                let tensor = interp::random_input(name, node.dtype, &node.shape, seed);
                (tensor, format!("random (seed {seed})"))
            }
        };
        inputs.insert(name.to_string(), tensor);
        text += &format!("input {name}: {}{} from {source}\n", node.dtype, node.shape);
    }
    Ok((inputs, text))
}

/// `NAME=FILE.npy` arguments by input name; every name must be an input of the graph.
pub fn input_files(graph: &Graph, args: &[String]) -> Result<BTreeMap<String, PathBuf>, CliError> {
    let names: Vec<&str> = graph
        .inputs()
        .iter()
        .map(|&id| graph.input_name(id))
        .collect();
    let mut files = BTreeMap::new();
    for arg in args {
        let Some((name, file)) = arg.split_once('=') else {
            return Err(CliError::User(format!(
                "--input {}: expected NAME=FILE.npy",
                shown(arg)
            )));
        };
        if !names.contains(&name) {
            let listed: Vec<String> = names.iter().take(20).map(|n| shown(n)).collect();
            let more = if names.len() > listed.len() {
                ", …"
            } else {
                ""
            };
            return Err(CliError::User(format!(
                "--input {}: graph {} has no input '{}' (its inputs: {}{more})",
                shown(arg),
                shown(graph.name()),
                shown(name),
                listed.join(", ")
            )));
        }
        if files
            .insert(name.to_string(), PathBuf::from(file))
            .is_some()
        {
            return Err(CliError::User(format!(
                "--input {} is given twice",
                shown(name)
            )));
        }
    }
    Ok(files)
}

/// Writes `DIR/NAME.npy` for each tensor; returns the lines that say so.
pub fn write_tensors(dir: &Path, results: &[(String, Tensor)]) -> Result<String, CliError> {
    create_dir(dir)?;
    let mut text = String::new();
    for (name, tensor) in results {
        let file = dir.join(format!("{name}.npy"));
        // The only failures are I/O on the user's path.
        npy::write(&file, tensor).map_err(|e| CliError::User(format!("cannot write {e}")))?;
        text += &format!("wrote {}\n", file.display());
    }
    Ok(text)
}
