//! `passes::simplify` against the reference interpreter: every example and hundreds of random
//! graphs keep their values (bit for bit by default, within a tolerance under fast-math),
//! inputs and outputs; results are deterministic; unsafe float rewrites only happen under
//! fast-math; a large graph stops within its limits.

use egpu_ir::interp::{self, Tensor};
use egpu_ir::{BinaryOp, DType, Graph, GraphBuilder, NodeId, Op, ReduceOp, UnaryOp, text};
use egpu_passes::simplify::{SimplifyOptions, SimplifyReport, is_matmul_reduce, simplify};
use egpu_tests::examples;
use egpu_tests::random_graph::arb_graph;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

fn exact() -> SimplifyOptions {
    SimplifyOptions::default()
}

fn fast() -> SimplifyOptions {
    SimplifyOptions {
        fast_math: true,
        ..SimplifyOptions::default()
    }
}

fn run(graph: &Graph, options: &SimplifyOptions) -> (Graph, SimplifyReport) {
    simplify(graph, options)
        .unwrap_or_else(|e| panic!("{}: {e}\n{}", graph.name(), text::print(graph)))
}

fn eval(graph: &Graph, inputs: &BTreeMap<String, Tensor>) -> Vec<(String, Tensor)> {
    interp::evaluate(graph, inputs).unwrap_or_else(|e| panic!("{e}\n{}", text::print(graph)))
}

/// The operation names of a graph's nodes, in order (inputs left out).
fn ops(graph: &Graph) -> Vec<&'static str> {
    graph
        .nodes()
        .filter(|(_, n)| !matches!(n.op, Op::Input { .. }))
        .map(|(_, n)| n.op.name())
        .collect()
}

/// Same inputs and outputs: names, dtypes, shapes, order.
fn assert_same_interface(before: &Graph, after: &Graph) {
    let inputs = |g: &Graph| -> Vec<String> {
        g.inputs()
            .iter()
            .map(|&i| {
                format!(
                    "{}: {}{}",
                    g.input_name(i),
                    g.node(i).dtype,
                    g.node(i).shape
                )
            })
            .collect()
    };
    let outputs = |g: &Graph| -> Vec<String> {
        g.outputs()
            .iter()
            .map(|o| {
                format!(
                    "{}: {}{}",
                    o.name,
                    g.node(o.node).dtype,
                    g.node(o.node).shape
                )
            })
            .collect()
    };
    assert_eq!(inputs(before), inputs(after));
    assert_eq!(outputs(before), outputs(after));
}

/// Bit-identical outputs (all NaNs equal, as `Tensor::same` has it).
fn assert_same_values(before: &Graph, after: &Graph, seed: u64) {
    let inputs = interp::random_inputs(before, seed);
    let (want, got) = (eval(before, &inputs), eval(after, &inputs));
    for ((name, w), (_, g)) in want.iter().zip(&got) {
        assert!(
            w.same(g),
            "{}: output {name} changed\nbefore:\n{}after:\n{}want {:?}\n got {:?}",
            before.name(),
            text::print(before),
            text::print(after),
            w.data,
            g.data
        );
    }
}

#[test]
fn examples_keep_values_and_interface_exactly() {
    for (name, graph) in examples() {
        let (simplified, report) = run(&graph, &exact());
        assert_same_interface(&graph, &simplified);
        for seed in [1, 2] {
            assert_same_values(&graph, &simplified, seed);
        }
        assert!(
            report.nodes_after <= report.nodes_before,
            "{name}: {report}"
        );
        assert_eq!(report.stop_reason, "saturated", "{name}: {report}");
    }
}

/// Fast-math may reassociate, so values are compared within a tolerance (relative to the
/// largest magnitude); the interface stays, and the graph never grows.
#[test]
fn examples_keep_interface_and_values_under_fast_math() {
    for (name, graph) in examples() {
        let (simplified, report) = run(&graph, &fast());
        assert_same_interface(&graph, &simplified);
        assert!(
            report.nodes_after <= report.nodes_before,
            "{name}: {report}"
        );
        for seed in [1, 2] {
            assert_close(&graph, &simplified, seed, 1e-4);
        }
    }
}

#[test]
fn simplifying_twice_prints_the_same_bytes() {
    for (name, graph) in examples() {
        for options in [exact(), fast()] {
            let (a, _) = run(&graph, &options);
            let (b, _) = run(&graph, &options);
            assert_eq!(text::print(&a), text::print(&b), "{name}");
            let reparsed = text::parse(&text::print(&a)).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(text::print(&reparsed), text::print(&a), "{name}");
        }
    }
}

proptest! {
    #![proptest_config(Config { cases: 300, ..Config::default() })]

    /// Every default rule is exact: random graphs (awkward constants, NaN, ±inf, -0.0,
    /// every dtype, views, bitcasts) give bit-identical results before and after.
    #[test]
    fn random_graphs_keep_their_values_exactly(graph in arb_graph()) {
        let (simplified, report) = run(&graph, &exact());
        assert_same_interface(&graph, &simplified);
        prop_assert!(report.nodes_after <= report.nodes_before + 1, "{report}");
        for seed in [3, 4] {
            let inputs = interp::random_inputs(&graph, seed);
            // A graph that fails (integer division by zero) has no values to keep.
            let Ok(want) = interp::evaluate(&graph, &inputs) else { return Ok(()) };
            let got = eval(&simplified, &inputs);
            for ((name, w), (_, g)) in want.iter().zip(&got) {
                prop_assert!(
                    w.same(g),
                    "output {} changed\nbefore:\n{}after:\n{}want {:?}\n got {:?}",
                    name, text::print(&graph), text::print(&simplified), w.data, g.data
                );
            }
        }
    }

    #[test]
    fn random_graphs_simplify_deterministically(graph in arb_graph()) {
        for options in [exact(), fast()] {
            let (a, _) = run(&graph, &options);
            let (b, _) = run(&graph, &options);
            prop_assert_eq!(text::print(&a), text::print(&b));
        }
    }
}

// ---- unsafe float rewrites: only under fast-math ----

/// A graph of one f32[4] input `x` and one output computed by `body`.
fn unary_graph(body: impl FnOnce(&mut GraphBuilder, NodeId) -> NodeId) -> Graph {
    let mut b = GraphBuilder::new("g");
    let x = b.input("x", DType::F32, &[4]).unwrap();
    let y = body(&mut b, x);
    b.output("y", y).unwrap();
    b.finish().unwrap()
}

fn eval_on(graph: &Graph, x: &[f64]) -> Vec<f64> {
    let mut inputs = BTreeMap::new();
    inputs.insert(
        "x".to_string(),
        Tensor::from_f64(DType::F32, &[x.len()], x).unwrap(),
    );
    eval(graph, &inputs)[0].1.to_f64_vec()
}

#[test]
fn x_times_zero_stays_for_nan_and_infinity_without_fast_math() {
    let g = unary_graph(|b, x| {
        let zero = b.constant_like(0.0, x).unwrap();
        b.binary(BinaryOp::Mul, x, zero).unwrap()
    });
    let x = [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 2.0];
    let (kept, _) = run(&g, &exact());
    assert!(kept.same_structure(&g), "{}", text::print(&kept));
    let y = eval_on(&kept, &x);
    assert!(
        y[0].is_nan() && y[1].is_nan() && y[2].is_nan() && y[3] == 0.0,
        "{y:?}"
    );
    let (folded, report) = run(&g, &fast());
    assert!(report.rules_applied.contains_key("mul-zero"), "{report:?}");
    assert_eq!(ops(&folded), ["const"]);
    assert_eq!(eval_on(&folded, &x), [0.0; 4]);
}

#[test]
fn x_minus_x_stays_for_infinity_without_fast_math() {
    let g = unary_graph(|b, x| b.binary(BinaryOp::Sub, x, x).unwrap());
    let x = [f64::INFINITY, 1.0, f64::NAN, -0.0];
    let (kept, _) = run(&g, &exact());
    assert!(kept.same_structure(&g));
    assert!(eval_on(&kept, &x)[0].is_nan());
    let (folded, _) = run(&g, &fast());
    assert_eq!(ops(&folded), ["const"]);
}

#[test]
fn x_plus_positive_zero_stays_for_negative_zero_without_fast_math() {
    let g = unary_graph(|b, x| {
        let zero = b.constant_like(0.0, x).unwrap();
        b.binary(BinaryOp::Add, x, zero).unwrap()
    });
    let x = [-0.0, 1.0, -1.0, 0.0];
    let (kept, _) = run(&g, &exact());
    assert!(kept.same_structure(&g), "{}", text::print(&kept));
    // −0.0 + 0.0 is +0.0: dropping the add would give −0.0.
    assert!(eval_on(&kept, &x)[0].is_sign_positive());
    let (dropped, _) = run(&g, &fast());
    assert_eq!(ops(&dropped), Vec::<&str>::new());
    assert!(eval_on(&dropped, &x)[0].is_sign_negative());
}

#[test]
fn float_sums_are_not_reassociated_without_fast_math() {
    // (x + 1e8) − 1e8 is 0 for x = 1 in f32 (1e8 + 1 rounds to 1e8); reassociated it is x.
    let g = unary_graph(|b, x| {
        let big = b.constant_like(1e8, x).unwrap();
        let s = b.binary(BinaryOp::Add, x, big).unwrap();
        let minus = b.constant_like(-1e8, x).unwrap();
        b.binary(BinaryOp::Add, s, minus).unwrap()
    });
    let x = [1.0, 2.0, 3.0, 5.0];
    let (kept, report) = run(&g, &exact());
    assert!(kept.same_structure(&g), "{}", text::print(&kept));
    assert!(
        !report.rules_applied.contains_key("associate"),
        "{report:?}"
    );
    assert_eq!(eval_on(&kept, &x), [0.0, 0.0, 0.0, 8.0]);
    let (reassociated, report) = run(&g, &fast());
    assert!(report.rules_applied.contains_key("associate"), "{report:?}");
    assert_eq!(
        ops(&reassociated),
        Vec::<&str>::new(),
        "{}",
        text::print(&reassociated)
    );
    assert_eq!(eval_on(&reassociated, &x), x);
}

#[test]
fn float_sums_of_three_inputs_keep_their_order_without_fast_math() {
    let mut b = GraphBuilder::new("g");
    let [x, y, z] = ["x", "y", "z"].map(|n| b.input(n, DType::F32, &[4]).unwrap());
    let s = b.binary(BinaryOp::Add, x, y).unwrap();
    let t = b.binary(BinaryOp::Add, s, z).unwrap();
    b.output("t", t).unwrap();
    let g = b.finish().unwrap();
    let (kept, report) = run(&g, &exact());
    assert!(kept.same_structure(&g));
    assert!(report.rules_applied.is_empty(), "{report:?}");
    let (_, report) = run(&g, &fast());
    assert!(report.rules_applied.contains_key("associate"), "{report:?}");
}

// ---- fast-math on random graphs: within a tolerance ----

/// Whether every float in `graph` flows only into continuous operations: no comparison,
/// cast, bitcast or trunc of a float, where a rounding difference could flip a result.
fn continuous_in_floats(graph: &Graph) -> bool {
    let float = |id: NodeId| graph.node(id).dtype.is_float();
    graph.nodes().all(|(_, n)| match &n.op {
        Op::Binary { op, a, .. } if op.is_comparison() => !float(*a),
        Op::Cast { x } | Op::Bitcast { x } => !float(*x),
        Op::Unary {
            op: UnaryOp::Trunc, ..
        } => false,
        _ => true,
    })
}

/// The largest finite magnitude of any float value the graph computes (at least 1): the
/// scale of the rounding errors reassociation may move around.
fn float_scale(graph: &Graph, inputs: &BTreeMap<String, Tensor>) -> f64 {
    let printed = text::print(graph);
    let body = printed
        .lines()
        .filter(|l| l.starts_with("  ") && !l.trim().starts_with("return"));
    let mut names: Vec<&str> = graph
        .inputs()
        .iter()
        .map(|&i| graph.input_name(i))
        .collect();
    names.extend(body.filter_map(|l| l.trim().split_once(':').map(|(n, _)| n)));
    let all: Vec<String> = names
        .iter()
        .enumerate()
        .map(|(i, n)| format!("v{i}={n}"))
        .collect();
    let body: String = printed
        .lines()
        .map(|l| {
            if l.trim_start().starts_with("return ") {
                format!("  return {}", all.join(", "))
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    let every = text::parse(&body).unwrap_or_else(|e| panic!("{e}\n{body}"));
    let mut scale: f64 = 1.0;
    for (_, t) in eval(&every, inputs) {
        if t.dtype.is_float() {
            for v in t.to_f64_vec() {
                if v.is_finite() {
                    scale = scale.max(v.abs());
                }
            }
        }
    }
    scale
}

/// Machine epsilon of a float dtype.
fn epsilon(dtype: DType) -> f64 {
    f64::powi(2.0, 1 - dtype.float_precision().unwrap_or(53) as i32)
}

#[test]
fn random_graphs_stay_within_tolerance_under_fast_math() {
    let mut runner = TestRunner::new(Config {
        cases: 300,
        ..Config::default()
    });
    let checked = AtomicUsize::new(0);
    let result = runner.run(&arb_graph(), |graph| {
        if !continuous_in_floats(&graph) {
            return Ok(());
        }
        let (simplified, _) = run(&graph, &fast());
        assert_same_interface(&graph, &simplified);
        let inputs = interp::random_inputs(&graph, 5);
        let Ok(want) = interp::evaluate(&graph, &inputs) else {
            return Ok(());
        };
        let got = eval(&simplified, &inputs);
        let scale = float_scale(&graph, &inputs);
        for ((name, w), (_, g)) in want.iter().zip(&got) {
            if !w.dtype.is_float() {
                prop_assert!(
                    w.same(g),
                    "{name}: integer results are exact even under fast-math"
                );
                continue;
            }
            let tolerance = 64.0 * epsilon(w.dtype) * scale;
            for (a, b) in w.to_f64_vec().into_iter().zip(g.to_f64_vec()) {
                // Fast-math assumes no NaN or infinity.
                if a.is_finite() && b.is_finite() {
                    prop_assert!(
                        (a - b).abs() <= tolerance,
                        "{name}: {a} vs {b} (tolerance {tolerance})\n{}{}",
                        text::print(&graph),
                        text::print(&simplified)
                    );
                }
            }
        }
        checked.fetch_add(1, Ordering::Relaxed);
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    assert!(
        checked.load(Ordering::Relaxed) >= 100,
        "only {} graphs checked",
        checked.load(Ordering::Relaxed)
    );
}

// ---- matmul stays recognisable ----

#[test]
fn matmul_f16_keeps_its_cast_mul_sum_structure() {
    let (_, graph) = examples()
        .into_iter()
        .find(|(n, _)| n == "matmul_f16")
        .unwrap();
    for options in [exact(), fast()] {
        let (simplified, _) = run(&graph, &options);
        let sums: Vec<NodeId> = simplified
            .nodes()
            .filter(|(_, n)| {
                matches!(
                    n.op,
                    Op::Reduce {
                        op: ReduceOp::Sum,
                        ..
                    }
                )
            })
            .map(|(id, _)| id)
            .collect();
        assert_eq!(sums.len(), 1, "{}", text::print(&simplified));
        assert!(
            is_matmul_reduce(&simplified, sums[0]),
            "{}",
            text::print(&simplified)
        );
        let ops = ops(&simplified);
        assert_eq!(ops.iter().filter(|&&o| o == "cast").count(), 2, "{ops:?}");
        // The casts (f16 → f32) happen before the broadcast, on the small operands.
        let last_cast = ops.iter().rposition(|&o| o == "cast");
        let first_expand = ops.iter().position(|&o| o == "expand");
        assert!(last_cast < first_expand, "{ops:?}");
    }
}

// ---- limits on a large graph ----

/// `layers` × (matmul + bias + relu) on f32[16, 64] activations.
fn deep_mlp(layers: usize) -> Graph {
    let mut b = GraphBuilder::new("deep_mlp");
    let mut h = b.input("x", DType::F32, &[16, 64]).unwrap();
    for i in 0..layers {
        let w = b.input(&format!("w{i}"), DType::F32, &[64, 64]).unwrap();
        let bias = b.input(&format!("b{i}"), DType::F32, &[64]).unwrap();
        let m = b.matmul(h, w, None).unwrap();
        let a = b.binary(BinaryOp::Add, m, bias).unwrap();
        h = b.relu(a).unwrap();
    }
    b.output("y", h).unwrap();
    b.finish().unwrap()
}

#[test]
fn a_30_layer_mlp_simplifies_within_its_limits() {
    let graph = deep_mlp(30);
    let options = exact();
    let (simplified, report) = run(&graph, &options);
    println!("{report}");
    assert!(!report.stop_reason.is_empty());
    assert!(report.iterations <= options.iter_limit, "{report}");
    assert!(report.egraph_nodes <= options.node_limit, "{report}");
    assert_same_interface(&graph, &simplified);
    assert_same_values(&graph, &simplified, 7);
    // No exact rule applies to this graph: it saturates at once. Tight limits stop it
    // earlier, and say so; the result is still right.
    for (limits, reason) in [
        (
            SimplifyOptions {
                node_limit: 100,
                ..exact()
            },
            "node limit 100 (",
        ),
        (
            SimplifyOptions {
                time_limit: Duration::ZERO,
                ..exact()
            },
            "time limit 0 ms",
        ),
    ] {
        let (limited, report) = run(&graph, &limits);
        assert!(report.stop_reason.starts_with(reason), "{report}");
        assert_same_values(&graph, &limited, 7);
    }
}

/// Outputs within `rtol` of each other, relative to the largest magnitude.
fn assert_close(before: &Graph, after: &Graph, seed: u64, rtol: f64) {
    let inputs = interp::random_inputs(before, seed);
    for ((name, w), (_, g)) in eval(before, &inputs).iter().zip(&eval(after, &inputs)) {
        let (w, g) = (w.to_f64_vec(), g.to_f64_vec());
        let scale = w.iter().fold(1.0f64, |m, v| m.max(v.abs()));
        for (a, b) in w.iter().zip(&g) {
            assert!((a - b).abs() <= rtol * scale, "{name}: {a} vs {b}");
        }
    }
}

#[test]
fn a_30_layer_mlp_under_fast_math_stops_within_its_limits() {
    let graph = deep_mlp(30);
    let options = SimplifyOptions {
        node_limit: 5_000,
        ..fast()
    };
    let (simplified, report) = run(&graph, &options);
    println!("{report}");
    // egg checks the node limit between rule applications, so one round may overshoot.
    assert!(report.egraph_nodes <= 4 * options.node_limit, "{report}");
    assert_same_interface(&graph, &simplified);
    assert_close(&graph, &simplified, 7, 1e-4);
    let once = SimplifyOptions {
        iter_limit: 1,
        ..fast()
    };
    let (limited, report) = run(&graph, &once);
    assert_eq!(report.stop_reason, "iteration limit 1", "{report}");
    assert_close(&graph, &limited, 7, 1e-4);
}

/// The examples are already in the form the rules lead to: simplify leaves them as they are
/// (printed byte for byte), except layernorm, whose two equal constants become one.
#[test]
fn examples_come_back_unchanged_but_for_shared_constants() {
    for (name, graph) in examples() {
        let (simplified, _) = run(&graph, &exact());
        let (before, after) = (text::print(&graph), text::print(&simplified));
        if name == "layernorm" {
            assert_eq!(after.lines().count() + 1, before.lines().count(), "{after}");
            assert_eq!(after.matches("const(0.00390625").count(), 1, "{after}");
        } else {
            assert_eq!(after, before, "{name}");
        }
    }
}
