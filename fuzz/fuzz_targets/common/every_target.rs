//! The check the `pipeline` and `schedule_lower` targets share (included by path): a graph
//! compiles for every target without an error, and, when it is small enough to run, each
//! program computes on the kernel-IR interpreter what the reference interpreter computes.

use egpu_ir::{Graph, Target, interp, text::print};
use egpu_passes::pipeline::{PipelineOptions, compile};

/// The comparison the pipeline tests use (one file, shared by path).
#[path = "../../../tests/src/reference.rs"]
mod reference;

/// Compiles `graph` for every target; when `run`, checks each program on the same random
/// inputs (seed 0). Panics, naming the target and printing the graph, on any failure: a valid
/// graph that a pass rejects or miscompiles is a compiler bug.
pub fn compile_and_check(graph: &Graph, run: bool) {
    let inputs = if run {
        interp::random_inputs(graph, 0)
    } else {
        Default::default()
    };
    for target in Target::ALL {
        let options = PipelineOptions {
            target,
            disabled: vec![],
            simplify: Default::default(),
        };
        let compiled = match compile(graph, &options) {
            Ok(c) => c,
            Err(e) => panic!("{}: {e}\n{}", target.name, print(graph)),
        };
        if run
            && let Err(e) =
                reference::check_program(&compiled.program, graph, &compiled.target, &inputs)
        {
            panic!("{}: {e}\n{}", target.name, print(graph));
        }
    }
}
