//! Every example graph: stored in canonical form (the file is its own record: no snapshot
//! repeats it), and evaluable.

use egpu_ir::{interp, text};
use egpu_tests::{EXAMPLE_NAMES, example_sources};

#[test]
fn the_example_set_is_complete() {
    let names: Vec<String> = example_sources().into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, EXAMPLE_NAMES);
}

#[test]
fn examples_are_canonical() {
    for (name, source) in example_sources() {
        let graph = text::parse(&source).unwrap_or_else(|e| panic!("{name}: {e}"));
        let printed = text::print(&graph);
        assert_eq!(
            printed, source,
            "{name}.egir is not in canonical form (run egpu fmt)"
        );
    }
}

#[test]
fn examples_evaluate_to_finite_values() {
    for (name, source) in example_sources() {
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
