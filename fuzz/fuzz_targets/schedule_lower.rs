//! The scheduler and lowering on large graphs: the fuzzer's bytes become a random graph of
//! 1,000 to 4,000 nodes (elementwise chains, reductions, movement ops, several outputs, small
//! shapes; see `tests/src/large_graph.rs`), compiled for every target without a panic or an
//! error, and run on the kernel-IR interpreter against the reference interpreter.
#![no_main]

use libfuzzer_sys::fuzz_target;

/// The generator the pipeline tests use too (one file, shared by path).
#[path = "../../tests/src/large_graph.rs"]
mod large_graph;
#[path = "common/every_target.rs"]
mod every_target;

/// Graphs whose nodes hold more elements than this in all are compiled but not run.
const RUN_LIMIT: usize = 1 << 20;

fuzz_target!(|data: &[u8]| {
    let graph = match large_graph::build(data) {
        Ok(graph) => graph,
        Err(e) => panic!("the generator built an invalid graph: {e}"),
    };
    let work: usize = graph.nodes().map(|(_, n)| n.shape.numel()).sum();
    every_target::compile_and_check(&graph, work <= RUN_LIMIT);
});
