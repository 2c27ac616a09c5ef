//! The scheduler and lowering on large graphs: the fuzzer's bytes become a random graph of
//! 1,000 to 4,000 nodes (elementwise chains, reductions, movement ops, several outputs, small
//! shapes; see `tests/src/large_graph.rs`), compiled for every target without a panic or an
//! error, and run on the kernel-IR interpreter against the reference interpreter.
#![no_main]

use egpu_ir::{Target, interp, text::print};
use egpu_passes::pipeline::{PipelineOptions, compile};
use libfuzzer_sys::fuzz_target;

/// The generator the pipeline tests use too (one file, shared by path).
#[path = "../../tests/src/large_graph.rs"]
mod large_graph;
/// The comparison the pipeline tests use (one file, shared by path).
#[path = "../../tests/src/reference.rs"]
mod reference;

/// Graphs whose nodes hold more elements than this in all are compiled but not run.
const RUN_LIMIT: usize = 1 << 20;

fuzz_target!(|data: &[u8]| {
    let graph = match large_graph::build(data) {
        Ok(graph) => graph,
        Err(e) => panic!("the generator built an invalid graph: {e}"),
    };
    let work: usize = graph.nodes().map(|(_, n)| n.shape.numel()).sum();
    let inputs = interp::random_inputs(&graph, 0);
    for target in Target::ALL {
        let options = PipelineOptions {
            target,
            disabled: vec![],
            simplify: Default::default(),
        };
        let compiled = match compile(&graph, &options) {
            Ok(c) => c,
            Err(e) => panic!("{}: {e}\n{}", target.name, print(&graph)),
        };
        if work <= RUN_LIMIT
            && let Err(e) = reference::check_program(&compiled.program, &graph, &compiled.target, &inputs)
        {
            panic!("{}: {e}\n{}", target.name, print(&graph));
        }
    }
});
