//! Buffer assignment: a buffer for every input and output, and temporaries reused by
//! liveness.

use super::{Buffer, BufferId, KernelGroup};
use egpu_ir::kernel::BufferRole;
use egpu_ir::{DType, Graph, NodeId};
use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap, HashSet};

/// Assigns every stored value a buffer, for kernels in launch order.
///
/// Free temporaries are kept ordered by (dtype, elements, id), so the best fit is one
/// range lookup; busy ones wait in a heap ordered by the last kernel that reads them. The
/// whole assignment is O(V log V) in the number of stored values.
pub(crate) fn assign(graph: &Graph, kernels: &[KernelGroup]) -> Vec<Buffer> {
    let mut buffers = Vec::new();
    for &id in graph.inputs() {
        let name = graph.input_name(id).to_string();
        push(&mut buffers, graph, id, BufferRole::Input(name));
    }
    for output in graph.outputs() {
        let role = BufferRole::Output(output.name.clone());
        push(&mut buffers, graph, output.node, role);
    }
    let own: HashSet<NodeId> = buffers.iter().flat_map(|b| b.holds.clone()).collect();
    let last_read = last_readers(kernels);
    let mut free: BTreeSet<(DType, usize, usize)> = BTreeSet::new();
    let mut busy: BinaryHeap<Reverse<(usize, usize)>> = BinaryHeap::new();
    for (k, kernel) in kernels.iter().enumerate() {
        // Temporaries whose last reader launched before kernel `k` are free again (a kernel
        // never writes over what it reads).
        while let Some(&Reverse((until, buffer))) = busy.peek() {
            if until >= k {
                break;
            }
            busy.pop();
            if let Some(b) = buffers.get(buffer) {
                free.insert((b.dtype, b.elements, buffer));
            }
        }
        for &value in &kernel.writes {
            if own.contains(&value) {
                continue; // an input or an output: it has its own buffer
            }
            // A value nobody reads is dead once its kernel ends.
            let busy_until = last_read.get(&value).copied().unwrap_or(k).max(k);
            let node = graph.node(value);
            let (dtype, need) = (node.dtype, node.shape.numel());
            let fit = free
                .range((dtype, need, 0)..)
                .next()
                .copied()
                .filter(|&(d, _, _)| d == dtype);
            let buffer = match fit {
                Some(key) => {
                    free.remove(&key);
                    buffers[key.2].holds.push(value);
                    key.2
                }
                None => {
                    push(&mut buffers, graph, value, BufferRole::Temporary);
                    buffers.len() - 1
                }
            };
            busy.push(Reverse((busy_until, buffer)));
        }
    }
    buffers
}

fn push(buffers: &mut Vec<Buffer>, graph: &Graph, value: NodeId, role: BufferRole) {
    let node = graph.node(value);
    buffers.push(Buffer {
        id: BufferId(buffers.len()),
        dtype: node.dtype,
        elements: node.shape.numel(),
        role,
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
