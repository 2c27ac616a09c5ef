//! The memory plan: a buffer for every input and output, and temporaries reused by liveness.

use super::{Buffer, BufferId, BufferKind, KernelGroup};
use egpu_ir::{Graph, NodeId};
use std::collections::BTreeMap;

/// A temporary buffer and the last kernel that still reads its current value.
struct Temporary {
    buffer: usize,
    busy_until: usize,
}

/// Plans the buffers for kernels in launch order.
pub(crate) fn plan(graph: &Graph, kernels: &[KernelGroup]) -> Vec<Buffer> {
    let mut buffers = Vec::new();
    for &id in graph.inputs() {
        let name = graph.input_name(id).to_string();
        push(&mut buffers, graph, id, BufferKind::Input(name));
    }
    for output in graph.outputs() {
        let kind = BufferKind::Output(output.name.clone());
        push(&mut buffers, graph, output.node, kind);
    }
    let last_read = last_readers(kernels);
    let mut temporaries: Vec<Temporary> = Vec::new();
    for (k, kernel) in kernels.iter().enumerate() {
        for &value in &kernel.writes {
            if buffers.iter().any(|b| b.holds.contains(&value)) {
                continue; // an input or an output: it has its own buffer
            }
            // A value nobody reads is dead once its kernel ends.
            let busy_until = last_read.get(&value).copied().unwrap_or(k).max(k);
            match best_fit(graph, &buffers, &temporaries, k, value) {
                Some(t) => {
                    temporaries[t].busy_until = busy_until;
                    let buffer = temporaries[t].buffer;
                    buffers[buffer].holds.push(value);
                }
                None => {
                    let buffer = buffers.len();
                    push(&mut buffers, graph, value, BufferKind::Temporary);
                    temporaries.push(Temporary { buffer, busy_until });
                }
            }
        }
    }
    buffers
}

fn push(buffers: &mut Vec<Buffer>, graph: &Graph, value: NodeId, kind: BufferKind) {
    let node = graph.node(value);
    buffers.push(Buffer {
        id: BufferId(buffers.len()),
        dtype: node.dtype,
        elements: node.shape.numel(),
        kind,
        holds: vec![value],
    });
}

/// The launch index of the last kernel that loads each value.
fn last_readers(kernels: &[KernelGroup]) -> BTreeMap<NodeId, usize> {
    let mut last = BTreeMap::new();
    for (k, kernel) in kernels.iter().enumerate() {
        for &read in &kernel.reads {
            last.insert(read, k);
        }
    }
    last
}

/// The free temporary (its last reader launched before kernel `k`; a kernel never writes
/// over what it reads) of `value`'s dtype with the fewest elements that still fit it; the
/// lowest id on ties.
fn best_fit(
    graph: &Graph,
    buffers: &[Buffer],
    temporaries: &[Temporary],
    k: usize,
    value: NodeId,
) -> Option<usize> {
    let node = graph.node(value);
    let need = node.shape.numel();
    temporaries
        .iter()
        .enumerate()
        .filter(|(_, t)| t.busy_until < k)
        .filter_map(|(i, t)| buffers.get(t.buffer).map(|b| (i, b)))
        .filter(|(_, b)| b.dtype == node.dtype && b.elements >= need)
        .min_by_key(|(_, b)| (b.elements, b.id))
        .map(|(i, _)| i)
}
