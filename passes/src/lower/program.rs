//! A runnable [`Program`] from the graph, its schedule and the lowered kernels.

use super::LoweredKernel;
use crate::schedule::Schedule;
use egpu_ir::Graph;
use egpu_ir::kernel::{BufferRole, KernelLaunch, Program, ProgramBuffer};
use std::collections::BTreeMap;

/// The program: the schedule's buffers (inputs, outputs, temporaries), one launch per
/// kernel in order, and the graph's outputs in order, each read from its own output buffer.
pub fn program(graph: &Graph, schedule: &Schedule, kernels: Vec<LoweredKernel>) -> Program {
    let buffers = schedule
        .buffers
        .iter()
        .map(|b| ProgramBuffer {
            dtype: b.dtype,
            elements: b.elements,
            role: b.role.clone(),
        })
        .collect();
    let launches = kernels
        .iter()
        .enumerate()
        .map(|(i, k)| KernelLaunch {
            kernel: i,
            bindings: k.bindings.iter().map(|b| b.0).collect(),
        })
        .collect();
    // The first buffer of each output name, found in one pass (not one scan per output).
    let mut by_name: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, b) in schedule.buffers.iter().enumerate() {
        if let BufferRole::Output(name) = &b.role {
            by_name.entry(name.as_str()).or_insert(i);
        }
    }
    let outputs = graph
        .outputs()
        .iter()
        .filter_map(|o| {
            let buffer = *by_name.get(o.name.as_str())?;
            Some((o.name.clone(), buffer, graph.node(o.node).shape.clone()))
        })
        .collect();
    Program {
        name: graph.name().to_string(),
        buffers,
        kernels: kernels.into_iter().map(|k| k.kernel).collect(),
        launches,
        outputs,
    }
}
