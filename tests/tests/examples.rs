//! Every example graph: stored in canonical form (snapshotted), and evaluable.

use egpu_ir::{interp, text};
use std::path::PathBuf;

/// The examples every later stage is tested on: the benchmark suite's graphs plus three.
const EXPECTED: [&str; 11] = [
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

fn examples() -> Vec<(String, String)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("examples/ exists")
        .map(|e| e.expect("readable entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "egir"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let name = p.file_stem().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read_to_string(&p).expect("readable example"))
        })
        .collect()
}

#[test]
fn the_example_set_is_complete() {
    let names: Vec<String> = examples().into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, EXPECTED);
}

#[test]
fn examples_are_canonical_and_snapshotted() {
    for (name, source) in examples() {
        let graph = text::parse(&source).unwrap_or_else(|e| panic!("{name}: {e}"));
        let printed = text::print(&graph);
        assert_eq!(
            printed, source,
            "{name}.egir is not in canonical form (run egpu fmt)"
        );
        insta::assert_snapshot!(format!("example_{name}"), printed);
    }
}

#[test]
fn examples_evaluate_to_finite_values() {
    for (name, source) in examples() {
        let graph = text::parse(&source).unwrap();
        let inputs = interp::random_inputs(&graph, 1);
        let outputs = interp::evaluate(&graph, &inputs).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(outputs.len(), graph.outputs().len());
        for (out, tensor) in &outputs {
            let values = tensor.to_f64_vec();
            assert!(
                !values.is_empty() && values.iter().all(|v| v.is_finite()),
                "{name}.{out}"
            );
        }
    }
}
