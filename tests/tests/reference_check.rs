//! The check every pipeline test and fuzz target relies on (`egpu_tests::reference`): it
//! skips only a division by zero in the data, and it fails on a failing reference, on
//! outputs missing, renamed or reordered, and on a wrong value.

use egpu_ir::interp::{self, Tensor};
use egpu_ir::{BinaryOp, DType, Graph, GraphBuilder, Target};
use egpu_passes::pipeline::{Compiled, PipelineOptions, compile};
use egpu_tests::reference::{Verdict, check_program};
use std::collections::BTreeMap;

fn target() -> Target {
    Target::by_name("sm_90").expect("known target")
}

fn compiled(graph: &Graph) -> Compiled {
    let options = PipelineOptions {
        target: target(),
        disabled: vec![],
        simplify: Default::default(),
    };
    compile(graph, &options).unwrap()
}

/// `q = a idiv b` over i32[4].
fn quotient() -> Graph {
    let mut b = GraphBuilder::new("quotient");
    let x = b.input("a", DType::I32, &[4]).unwrap();
    let y = b.input("b", DType::I32, &[4]).unwrap();
    let q = b.binary(BinaryOp::Idiv, x, y).unwrap();
    b.output("q", q).unwrap();
    b.finish().unwrap()
}

fn ints(a: [f64; 4], b: [f64; 4]) -> BTreeMap<String, Tensor> {
    let tensor = |v: [f64; 4]| Tensor::from_f64(DType::I32, &[4], &v).unwrap();
    BTreeMap::from([("a".to_string(), tensor(a)), ("b".to_string(), tensor(b))])
}

/// `y = a + b` and `z = a * b` over f32[8].
fn two_outputs() -> Graph {
    let mut g = GraphBuilder::new("two");
    let a = g.input("a", DType::F32, &[8]).unwrap();
    let b = g.input("b", DType::F32, &[8]).unwrap();
    let y = g.binary(BinaryOp::Add, a, b).unwrap();
    let z = g.binary(BinaryOp::Mul, a, b).unwrap();
    g.output("y", y).unwrap();
    g.output("z", z).unwrap();
    g.finish().unwrap()
}

#[test]
fn a_division_by_zero_in_the_data_is_the_one_refusal_skipped() {
    let graph = quotient();
    let program = compiled(&graph).program;
    let fine = ints([7.0, -7.0, 9.0, 0.0], [2.0, 2.0, -4.0, 3.0]);
    assert_eq!(
        check_program(&program, &graph, &target(), &fine),
        Ok(Verdict::Agrees)
    );
    let zero = ints([7.0, -7.0, 9.0, 0.0], [2.0, 0.0, -4.0, 3.0]);
    assert_eq!(
        check_program(&program, &graph, &target(), &zero),
        Ok(Verdict::DivisionByZero)
    );
}

#[test]
fn a_reference_failing_for_another_reason_is_a_failure() {
    let graph = quotient();
    let program = compiled(&graph).program;
    let mut missing = ints([1.0; 4], [1.0; 4]);
    missing.remove("b");
    let err = check_program(&program, &graph, &target(), &missing).unwrap_err();
    assert!(err.contains("the reference failed"), "{err}");
}

#[test]
fn missing_renamed_or_reordered_outputs_fail() {
    let graph = two_outputs();
    let program = compiled(&graph).program;
    let inputs = interp::random_inputs(&graph, 4);
    assert_eq!(
        check_program(&program, &graph, &target(), &inputs),
        Ok(Verdict::Agrees)
    );

    let mut missing = program.clone();
    missing.outputs.truncate(1);
    let err = check_program(&missing, &graph, &target(), &inputs).unwrap_err();
    assert!(err.contains("outputs [\"y\", \"z\"] expected"), "{err}");

    let mut reordered = program.clone();
    reordered.outputs.swap(0, 1);
    let err = check_program(&reordered, &graph, &target(), &inputs).unwrap_err();
    assert!(err.contains("gives [\"z\", \"y\"]"), "{err}");

    let mut renamed = program.clone();
    renamed.outputs[1].0 = "w".to_string();
    assert!(check_program(&renamed, &graph, &target(), &inputs).is_err());
}

#[test]
fn a_wrong_value_fails() {
    let graph = two_outputs();
    let mut program = compiled(&graph).program;
    let inputs = interp::random_inputs(&graph, 4);
    // `y` now reads `z`'s buffer: right names and shapes, wrong values.
    program.outputs[0].1 = program.outputs[1].1;
    let err = check_program(&program, &graph, &target(), &inputs).unwrap_err();
    assert!(err.starts_with("y["), "{err}");
}
