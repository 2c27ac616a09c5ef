//! Any graph that parses must compile for every target without a panic or an error (a valid
//! graph that a pass rejects is a compiler bug), and small ones must compute on the kernel-IR
//! interpreter what the reference interpreter computes.
#![no_main]

use egpu_ir::text::parse_bytes;
use libfuzzer_sys::fuzz_target;

#[path = "common/every_target.rs"]
mod every_target;

/// Graphs with more elements than this are compiled but not run (the interpreter is slow).
const RUN_LIMIT: usize = 1 << 12;

fuzz_target!(|data: &[u8]| {
    let Ok(graph) = parse_bytes(data) else {
        return;
    };
    let small = graph.nodes().all(|(_, n)| n.shape.numel() <= RUN_LIMIT);
    every_target::compile_and_check(&graph, small);
});
