//! Shared helpers for egpu's cross-crate tests: the example graphs, random graph
//! generators and generated graphs of any size.
pub mod cli;
pub mod compare;
pub mod fault;
pub mod generated;
pub mod json;
pub mod large_graph;
pub mod llvm;
pub mod programs;
pub mod ptx_sim;
pub mod ptxas;
pub mod random_graph;
pub mod reference;
pub mod stage_text;

use egpu_ir::{Graph, text};
use std::path::PathBuf;

/// The examples every stage is tested on (the benchmark suite's graphs plus mlp, conv2d and
/// attention), sorted by name; `examples.rs` checks the folder holds exactly these.
pub const EXAMPLE_NAMES: [&str; 11] = [
    "add",
    "attention",
    "conv2d",
    "gelu_chain",
    "layernorm",
    "matmul_f16",
    "matmul_f32",
    "mlp",
    "softmax",
    "sum_all",
    "sum_rows",
];

/// The repository's `examples/` folder.
pub fn examples_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples")
}

/// The path of `examples/NAME.egir`.
pub fn example_path(name: &str) -> PathBuf {
    examples_dir().join(format!("{name}.egir"))
}

/// Every example as (name, source text), sorted by name.
pub fn example_sources() -> Vec<(String, String)> {
    egir_sources(&examples_dir())
}

/// The benchmark suite at full size (`benches/suite/`, the sizes of `docs/architecture.md`),
/// sorted by name; compiled and snapshotted, never run (too big for the interpreters).
pub const SUITE_NAMES: [&str; 8] = [
    "add",
    "gelu_chain",
    "layernorm",
    "matmul_f16",
    "matmul_f32",
    "softmax",
    "sum_all",
    "sum_rows",
];

/// The repository's `benches/suite/` folder.
pub fn suite_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../benches/suite")
}

/// Every full-size suite graph as (name, source text), sorted by name.
pub fn suite_sources() -> Vec<(String, String)> {
    egir_sources(&suite_dir())
}

/// Every `.egir` file directly in `dir` as (file stem, source text), sorted by name.
fn egir_sources(dir: &std::path::Path) -> Vec<(String, String)> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("readable entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "egir"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let name = p
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            let source = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{name}: {e}"));
            (name, source)
        })
        .collect()
}

/// Every example parsed, sorted by name.
pub fn examples() -> Vec<(String, Graph)> {
    example_sources()
        .into_iter()
        .map(|(name, source)| {
            let graph = text::parse(&source).unwrap_or_else(|e| panic!("{name}: {e}"));
            (name, graph)
        })
        .collect()
}

/// One example parsed.
pub fn example(name: &str) -> Graph {
    let source =
        std::fs::read_to_string(example_path(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    text::parse(&source).unwrap_or_else(|e| panic!("{name}: {e}"))
}
