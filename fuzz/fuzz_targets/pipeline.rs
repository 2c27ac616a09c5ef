//! Any graph that parses must compile for every target without a panic or an error (a valid
//! graph that a pass rejects is a compiler bug), and small ones must compute on the kernel-IR
//! interpreter what the reference interpreter computes.
#![no_main]

use egpu_ir::{Target, interp, text::parse_bytes};
use egpu_passes::pipeline::{PipelineOptions, compile};
use libfuzzer_sys::fuzz_target;

/// The comparison the pipeline tests use (one file, shared by path).
#[path = "../../tests/src/reference.rs"]
mod reference;

/// Graphs with more elements than this are compiled but not run (the interpreter is slow).
const RUN_LIMIT: usize = 1 << 12;

fuzz_target!(|data: &[u8]| {
    let Ok(graph) = parse_bytes(data) else {
        return;
    };
    let small = graph.nodes().all(|(_, n)| n.shape.numel() <= RUN_LIMIT);
    let inputs = interp::random_inputs(&graph, 0);
    for target in Target::ALL {
        let options = PipelineOptions {
            target,
            disabled: vec![],
            simplify: Default::default(),
        };
        let compiled = match compile(&graph, &options) {
            Ok(c) => c,
            Err(e) => panic!("{}: {e}\n{}", target.name, egpu_ir::text::print(&graph)),
        };
        if small && let Err(e) = reference::check_program(&compiled.program, &graph, &compiled.target, &inputs) {
            panic!("{}: {e}\n{}", target.name, egpu_ir::text::print(&graph));
        }
    }
});
