//! Fusion and scheduling: which values of a graph are written to memory, which nodes are
//! computed together in one kernel, the order kernels launch in, and the buffers values live in.
//!
//! # Realization (`realize.rs`)
//! Every live node (one an output depends on) gets a *fusion state* within the kernel that
//! computes it:
//! - **plain**: no reduction of its own kernel is upstream of it (elementwise and movement
//!   ops of realized values, constants and iota). A plain value can be computed at any index,
//!   so it is recomputed inside each kernel that uses it rather than stored and read back.
//! - **row(σ)**: one value per row of the reduction stage σ (σ = the reduce's input shape and
//!   axes); the flat index of the value is the row number. A reduce's result is a row value;
//!   reshapes and elementwise ops keep it one.
//! - **full(σ)**: shaped exactly like σ's input, one value per (row, position in row). A row
//!   value of σ's output shape *expanded back* to σ's input shape becomes full, and so does
//!   anything elementwise of it. A reduce with signature σ takes a plain or full(σ) operand.
//!
//! A node whose operands would mix two stages, or a movement op that would scatter a row or
//! full value (a permute, a pad, an expand along other axes), is a *conflict*: the operand is
//! realized (cut) at its last non-movement node, which turns it, and every view of it, into
//! a plain read. After a cut only the users of the realized node that were already visited
//! are recomputed (a revisit whose state did not change stops there). Plain outputs are also
//! cut (they are written anyway, so reading them costs no more than recomputing them);
//! inputs are realized by definition; constants and iota never are.
//!
//! # The cost model: bounded recomputation
//! Fusing trades memory traffic for recomputation, and the trade must stay linear:
//! - **At most two chained passes per kernel** (`realize::MAX_CHAINED_PASSES`). Each row
//!   loop of a kernel evaluates its reduction's operand from the kernel's loads, through the
//!   elementwise work of every earlier pass (row values are computed once per row; full
//!   values are not kept). A *level* counts the reductions chained before a node in its
//!   kernel; a reduce whose operand is already at level 2 conflicts, so that operand is
//!   realized. Softmax, log_softmax and layernorm need exactly two passes and stay one
//!   kernel; a chain of them is cut between blocks. Each value is then evaluated in at most
//!   two passes and the store loop, so a kernel's IR is linear in its nodes.
//! - **Shared plain work is bounded** (`share.rs`). A plain value in the cones of several
//!   roots is recomputed by each of their kernels; when that would redo
//!   `share::SHARED_WORK_LIMIT` or more ops (an upper bound counted over its unrealized
//!   operands), it is realized once. Realizing a plain value changes no fusion state, so this
//!   is one backward sweep after the analysis.
//! - **Pads nest a bounded depth** (`pads.rs`). A fused pad is lowered as a conditional
//!   block around its operand's computation, so pads chained in one kernel nest one block
//!   each, and every later walk of the kernel follows that nesting. A pad whose operand
//!   already sits under `pads::MAX_NESTED_PADS` (16) pads of its kernel reads the operand
//!   from memory, so no kernel nests deeper than 16 pad blocks whatever the graph's size.
//!   A pad's operand is always plain (padding a row value is a conflict), so this too is
//!   one sweep after the analysis, before the shared-work bound.
//!
//! # Grouping (`fuse.rs`)
//! Each realized non-input value and each output is a *root*; a root's kernel computes its
//! cone (operands followed back to realized values). Roots whose cones share a non-plain node
//! are merged into one kernel that writes all of them, so no reduction is computed twice.
//! Plain nodes may appear in several kernels: that is the cheap recomputation above. If a
//! merge would make kernels depend on each other in a cycle, a shared node of each cycle
//! (strongly connected component of the kernel graph) is realized instead and the whole
//! analysis runs again. Kernels are ordered by a topological
//! sort of the kernel graph (petgraph), ties broken by the smallest node each kernel writes.
//!
//! # Horizontal fusion (`horizontal.rs`)
//! Independent kernels over the same iteration space (elementwise: equal element count;
//! reductions: equal stage σ) become one kernel writing all their values, at most
//! `horizontal::MAX_WRITES` writes each, so shared inputs are loaded once. Kernels are
//! independent when they have the same *depth* (longest chain of kernels they wait for):
//! a path between kernels strictly increases depth, and merging kernels of one depth keeps
//! the kernel graph acyclic. Copies and tiled contractions stay alone.
//!
//! Invariants (checked by tests): every non-source node an output depends on is computed in
//! at least one kernel, and in more than one only if it is plain (no reduce upstream of it
//! within the kernel); all reductions of one kernel share one stage σ; every read is an input
//! or a value written by an earlier kernel; every output is written.
//!
//! Every stage is O(n log n) in the nodes and kernels, and every walk is a loop over node
//! positions (operands come before users) or an explicit worklist, never recursion.
//!
//! # What each kernel carries (`state.rs`, `contraction.rs`)
//! Once the kernels are final, each [`KernelGroup`] records what `optimize` and `lower` need
//! and must not work out again: its [`ReductionStage`] and every node's [`NodeFusion`]
//! (state and chained reductions), copied from the realization, and the [`Contraction`] it
//! computes, if any, recognized once.
//!
//! # Buffers (`buffers.rs`)
//! Inputs and outputs get buffers of their own. A temporary lives from the kernel that
//! writes it to the last kernel that reads it; after that its buffer can hold a later
//! temporary of the same dtype that fits (best fit, lowest id on ties).

mod buffers;
mod contraction;
mod fuse;
mod horizontal;
mod pads;
mod print;
mod realize;
mod share;
mod state;
#[cfg(test)]
mod tests;

pub use contraction::{Contraction, Operand};
pub use state::{FusionState, NodeFusion, ReductionStage};

use egpu_ir::kernel::BufferRole;
use egpu_ir::{DType, Graph, NodeId};
use std::collections::BTreeMap;
use std::fmt;

/// Kernels in launch order and the buffers they use.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Schedule {
    /// In a valid launch order: every kernel reads only inputs and earlier kernels' writes.
    pub kernels: Vec<KernelGroup>,
    /// The buffers: inputs (declaration order), outputs (output order), temporaries.
    pub buffers: Vec<Buffer>,
    /// The buffers holding each stored value (derived from `buffers`), for lookups in
    /// O(log n) rather than a scan of every buffer.
    holders: BTreeMap<NodeId, Vec<BufferId>>,
}

/// One kernel: the nodes it computes, what it loads and what it stores.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KernelGroup {
    /// `k<index>_<main op>`, e.g. `k0_softmax`, `k2_matmul`, `k1_elementwise`.
    pub name: String,
    /// Every node computed inside this kernel, in graph order: movement ops, constants and
    /// iota included; inputs and values realized by other kernels excluded. Empty for a
    /// copy kernel (an input returned as an output).
    pub nodes: Vec<NodeId>,
    /// Realized values this kernel loads (graph inputs or earlier kernels' writes).
    pub reads: Vec<NodeId>,
    /// Values this kernel stores. For a copy kernel, the input it copies to its output
    /// buffers.
    pub writes: Vec<NodeId>,
    /// The reduction stage σ all of this kernel's reductions share; `None` for a kernel
    /// without reductions (`state.rs`).
    pub stage: Option<ReductionStage>,
    /// The fusion state of each of `nodes` (same order) in this kernel, as the realization
    /// decided it, for `lower` (`state.rs`).
    pub states: Vec<NodeFusion>,
    /// The contraction (matmul-shaped `sum(mul(A, B))` with a row-wise epilogue) this kernel
    /// computes, recognized once here for `optimize` and `lower` (`contraction.rs`).
    pub contraction: Option<Contraction>,
}

/// A buffer's index in [`Schedule::buffers`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BufferId(pub usize);

impl fmt::Display for BufferId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "b{}", self.0)
    }
}

/// One buffer: memory a value is stored in between kernels (or in and out of the program).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Buffer {
    pub id: BufferId,
    pub dtype: DType,
    /// Capacity in elements: at least the element count of every value it holds.
    pub elements: usize,
    /// Whose memory it is: a graph input's or output's, or scratch between kernels.
    pub role: BufferRole,
    /// The values assigned to it over time, in the order they are written.
    pub holds: Vec<NodeId>,
}

/// Why a graph could not be scheduled. A valid graph always schedules; this reports a
/// broken internal invariant instead of panicking. The message names no pass: whoever
/// reports it (the pipeline) says `schedule: ` once.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    /// The kernels could not be put in a launch order even with every shared value realized.
    #[error("the kernel writing node {node} depends on itself (internal error)")]
    Cycle { node: NodeId },
    /// A kernel loads a value that is neither an input nor written by any kernel.
    #[error("node {node} is loaded but no kernel writes it (internal error)")]
    Unwritten { node: NodeId },
    /// A kernel's reductions do not share one stage.
    #[error("kernel {kernel} has reductions of two stages (internal error)")]
    MixedStages { kernel: String },
}

/// Schedules a valid graph: realization, fusion into kernels, launch order, buffers.
pub fn schedule(graph: &Graph) -> Result<Schedule, ScheduleError> {
    // Nodes realized to break a cycle. Each round starts again from these alone, so a
    // conflict found in an earlier round does not keep a value stored once the node that
    // caused it is itself a read. Every round adds at least one node (one per cycle found)
    // or finishes, so the bound is a guard, not an expected path.
    let mut forced = realize::initial_cut(graph);
    for _ in 0..=graph.len() {
        let mut realization = realize::analyze(graph, forced.clone());
        pads::bound(graph, &mut realization);
        share::bound(graph, &mut realization);
        match fuse::group(graph, &realization)? {
            fuse::Grouping::Kernels(mut kernels) => {
                // What optimize and lower need of each kernel, decided once, here.
                for kernel in &mut kernels {
                    state::hand_over(&realization, kernel)?;
                    kernel.contraction = contraction::recognize(graph, kernel);
                }
                let buffers = buffers::assign(graph, &kernels);
                let mut holders: BTreeMap<NodeId, Vec<BufferId>> = BTreeMap::new();
                for b in &buffers {
                    for &value in &b.holds {
                        holders.entry(value).or_default().push(b.id);
                    }
                }
                return Ok(Schedule {
                    kernels,
                    buffers,
                    holders,
                });
            }
            fuse::Grouping::Realize(nodes) => {
                for node in nodes {
                    forced[node] = true;
                }
            }
        }
    }
    let node = graph.outputs().first().map(|o| o.node);
    Err(ScheduleError::Cycle {
        node: node.unwrap_or(NodeId::from_u32(0)),
    })
}

impl Schedule {
    /// The buffer a realized value lives in (the first, for a value returned under several
    /// names); `None` for values that are never stored.
    pub fn buffer_of(&self, node: NodeId) -> Option<BufferId> {
        self.holders.get(&node).and_then(|b| b.first().copied())
    }

    /// Every buffer holding `node` (an output returned under two names has two).
    pub fn buffers_of(&self, node: NodeId) -> Vec<BufferId> {
        self.holders.get(&node).cloned().unwrap_or_default()
    }

    /// The schedule as deterministic, readable text: one block per kernel, then the buffer
    /// table.
    pub fn print(&self, graph: &Graph) -> String {
        print::print(self, graph)
    }
}

/// A node's position in the graph (nodes are numbered densely in topological order).
fn index(id: NodeId) -> usize {
    id.as_u32() as usize
}

/// The ids of all nodes, by position, so passes can go from an index back to an id.
fn node_ids(graph: &Graph) -> Vec<NodeId> {
    graph.nodes().map(|(id, _)| id).collect()
}
