//! What lowering needs to know about one kernel group: each node's fusion state inside the
//! kernel and the one reduction stage σ its reductions share (both handed over by
//! `schedule` on the [`KernelGroup`]), the order of its reduction passes, and which buffer
//! each value it loads or stores lives in.

use super::LowerError;
use super::holders::Holders;
use super::index::{Ix, Sym};
use super::view::{extent, unravel};
use crate::schedule::{BufferId, FusionState, KernelGroup, NodeFusion, ReductionStage, Schedule};
use egpu_ir::kernel::{Access, BufferRole, KernelBuilder, ParamId};
use egpu_ir::{DType, Graph, NodeId, Op};
use std::collections::{BTreeMap, BTreeSet};

/// The index arithmetic of a stage's rows, which only lowering needs.
impl ReductionStage {
    fn dims(&self, reduced: bool) -> Vec<usize> {
        let pick = |(a, d): (usize, &usize)| (self.axes.contains(&a) == reduced).then_some(*d);
        self.input.iter().enumerate().filter_map(pick).collect()
    }

    /// The number of rows (the product of the kept axes).
    pub(crate) fn rows(&self) -> i128 {
        self.dims(false).iter().map(|&d| extent(d)).product()
    }

    /// The number of elements combined into each row (the product of the reduced axes).
    pub(crate) fn length(&self) -> i128 {
        self.dims(true).iter().map(|&d| extent(d)).product()
    }

    /// The input index of position `pos` of row `row`: rows and positions both count in
    /// row-major order of their axes, so positions are visited in the reference's order.
    pub(crate) fn index(&self, sym: &Sym, row: &Ix, pos: &Ix) -> Vec<Ix> {
        let mut kept = unravel(sym, row, &self.dims(false)).into_iter();
        let mut reduced = unravel(sym, pos, &self.dims(true)).into_iter();
        (0..self.input.len())
            .map(|a| {
                let next = if self.axes.contains(&a) {
                    reduced.next()
                } else {
                    kept.next()
                };
                next.unwrap_or_else(Ix::zero)
            })
            .collect()
    }
}

/// One kernel group, with its fusion state looked up by node.
pub struct GroupInfo<'a> {
    pub graph: &'a Graph,
    pub group: &'a KernelGroup,
    /// The stage of the group's reductions; `None` for an elementwise group.
    pub stage: Option<&'a ReductionStage>,
    states: BTreeMap<NodeId, NodeFusion>,
    reads: BTreeSet<NodeId>,
}

impl<'a> GroupInfo<'a> {
    pub fn new(graph: &'a Graph, group: &'a KernelGroup) -> Result<GroupInfo<'a>, LowerError> {
        if group.states.len() != group.nodes.len() {
            return Err(LowerError::Unsupported(format!(
                "kernel {}: {} fusion states for {} nodes",
                group.name,
                group.states.len(),
                group.nodes.len()
            )));
        }
        Ok(GroupInfo {
            graph,
            group,
            stage: group.stage.as_ref(),
            states: group
                .nodes
                .iter()
                .copied()
                .zip(group.states.iter().copied())
                .collect(),
            reads: group.reads.iter().copied().collect(),
        })
    }

    /// Whether the kernel loads `node` from memory.
    pub fn is_read(&self, node: NodeId) -> bool {
        self.reads.contains(&node)
    }

    /// The node's state in the kernel; a value the kernel does not compute (a load) is plain.
    pub fn state(&self, node: NodeId) -> FusionState {
        self.states
            .get(&node)
            .map_or(FusionState::Plain, |n| n.state)
    }

    /// Reductions of the kernel chained before the node (0 for plain nodes and loads).
    pub fn level(&self, node: NodeId) -> usize {
        self.states.get(&node).map_or(0, |n| n.level as usize)
    }

    /// The group's reductions in passes: a reduction joins the pass after the last one it
    /// depends on, so independent reductions share a pass over the row.
    pub fn passes(&self) -> Vec<Vec<NodeId>> {
        let mut passes: Vec<Vec<NodeId>> = Vec::new();
        for &node in &self.group.nodes {
            if !matches!(self.graph.node(node).op, Op::Reduce { .. }) {
                continue;
            }
            let level = self.level(node).max(1);
            if passes.len() < level {
                passes.resize(level, Vec::new());
            }
            passes[level - 1].push(node);
        }
        passes
    }

    /// The row values (other than reductions) available once pass `level` (from 1) is
    /// done, in graph order.
    pub fn row_values_at(&self, level: usize) -> Vec<NodeId> {
        let is_row = |n: &&NodeId| {
            self.state(**n) == FusionState::Row
                && self.level(**n) == level
                && !matches!(self.graph.node(**n).op, Op::Reduce { .. })
        };
        self.group.nodes.iter().filter(is_row).copied().collect()
    }
}

/// One buffer parameter of a kernel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BoundBuffer {
    pub buffer: BufferId,
    pub name: String,
    pub dtype: DType,
    /// The buffer's capacity (at least the element count of the value it holds).
    pub elements: usize,
    pub access: Access,
}

/// The buffers a kernel binds, in parameter order (loads first, then stores), and which
/// parameter each loaded or stored value uses.
#[derive(Clone, Debug, Default)]
pub struct Bindings {
    pub params: Vec<BoundBuffer>,
    reads: BTreeMap<NodeId, usize>,
    writes: BTreeMap<NodeId, Vec<usize>>,
}

impl Bindings {
    pub fn new(
        schedule: &Schedule,
        holders: &Holders,
        group: &KernelGroup,
    ) -> Result<Bindings, LowerError> {
        let mut bindings = Bindings::default();
        let unsupported =
            |m: String| LowerError::Unsupported(format!("kernel {}: {m}", group.name));
        for &node in &group.reads {
            let Some(buffer) = holders.first(node) else {
                return Err(unsupported(format!(
                    "no buffer holds {node}, which it loads"
                )));
            };
            let p = bindings.param(schedule, buffer, Access::Read);
            bindings.reads.insert(node, p);
        }
        for &node in &group.writes {
            let buffers: Vec<BufferId> = holders
                .all(node)
                .iter()
                .copied()
                .filter(|b| !is_input(schedule, *b))
                .collect();
            if buffers.is_empty() {
                return Err(unsupported(format!(
                    "no buffer holds {node}, which it stores"
                )));
            }
            let params = buffers
                .into_iter()
                .map(|b| bindings.param(schedule, b, Access::Write))
                .collect();
            bindings.writes.insert(node, params);
        }
        Ok(bindings)
    }

    /// The parameter for `buffer`, added if new; a buffer both loaded and stored becomes
    /// read-write (the schedule never plans that, but it would still be correct).
    fn param(&mut self, schedule: &Schedule, buffer: BufferId, access: Access) -> usize {
        if let Some(i) = self.params.iter().position(|p| p.buffer == buffer) {
            if self.params[i].access != access {
                self.params[i].access = Access::ReadWrite;
            }
            return i;
        }
        let b = schedule.buffers.get(buffer.0);
        let name = param_name(schedule, buffer, &self.params);
        self.params.push(BoundBuffer {
            buffer,
            name,
            dtype: b.map_or(DType::F32, |b| b.dtype),
            elements: b.map_or(0, |b| b.elements),
            access,
        });
        self.params.len() - 1
    }

    /// Declares the parameters on `builder`, in order.
    pub fn declare(&self, builder: &mut KernelBuilder) -> Result<Vec<ParamId>, LowerError> {
        let mut ids = Vec::with_capacity(self.params.len());
        for p in &self.params {
            ids.push(builder.buffer(&p.name, p.dtype, p.elements, p.access)?);
        }
        Ok(ids)
    }

    /// The parameter (an index into `params`) a loaded value is read from.
    pub fn read_param(&self, node: NodeId) -> Option<usize> {
        self.reads.get(&node).copied()
    }

    /// The parameters a stored value is written to (several for a value returned under
    /// several names).
    pub fn write_params(&self, node: NodeId) -> &[usize] {
        self.writes.get(&node).map_or(&[], |v| v.as_slice())
    }

    /// The buffers in parameter order: `LoweredKernel::bindings`.
    pub fn buffer_ids(&self) -> Vec<BufferId> {
        self.params.iter().map(|p| p.buffer).collect()
    }
}

fn is_input(schedule: &Schedule, buffer: BufferId) -> bool {
    schedule
        .buffers
        .get(buffer.0)
        .is_some_and(|b| matches!(b.role, BufferRole::Input(_)))
}

/// A readable parameter name: the input's or output's own name, `tmp<N>` for temporaries,
/// `b<N>` where that name is not an identifier or is already taken.
fn param_name(schedule: &Schedule, buffer: BufferId, taken: &[BoundBuffer]) -> String {
    let wanted = match schedule.buffers.get(buffer.0).map(|b| &b.role) {
        Some(BufferRole::Input(name) | BufferRole::Output(name)) => name.clone(),
        _ => format!("tmp{}", buffer.0),
    };
    let free = |name: &str| !taken.iter().any(|p| p.name == name);
    // Shared arrays are named `shared…`, so parameters never are.
    if free(&wanted) && is_identifier(&wanted) && !wanted.starts_with("shared") {
        return wanted;
    }
    // Each try is a new name and `taken` is finite, so this ends.
    (0..=taken.len())
        .map(|i| match i {
            0 => format!("b{}", buffer.0),
            _ => format!("b{}_{i}", buffer.0),
        })
        .find(|name| free(name))
        .unwrap_or_else(|| format!("b{}", buffer.0))
}

fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}
