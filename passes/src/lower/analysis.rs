//! What lowering needs to know about one kernel group: each node's fusion state inside the
//! kernel (recomputed from the group, with the rules of `schedule`'s realization), the one
//! reduction stage σ its reductions share, the order of its reduction passes, and which
//! buffer each value it loads or stores lives in.

use super::LowerError;
use super::holders::Holders;
use super::index::{Ix, Sym};
use super::view::{extent, unravel};
use crate::schedule::{BufferId, BufferKind, KernelGroup, Schedule};
use egpu_ir::kernel::{Access, KernelBuilder, ParamId};
use egpu_ir::{DType, Graph, NodeId, Op};
use std::collections::{BTreeMap, BTreeSet};

/// A node's state inside its kernel (see the `schedule` module documentation).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    /// Computable at any index: loads, constants, iota and elementwise/movement of those.
    Plain,
    /// One value per row of the stage: computed once per row, after its pass.
    Row,
    /// Shaped like the stage's input: one value per (row, position in the row).
    Full,
}

/// A reduction stage: the input shape of the kernel's reductions and their axes (sorted).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stage {
    pub input: Vec<usize>,
    pub axes: Vec<usize>,
}

impl Stage {
    /// The reductions' result shape: the input with the reduced axes set to 1.
    pub fn output(&self) -> Vec<usize> {
        let mut dims = self.input.clone();
        for &a in &self.axes {
            if let Some(d) = dims.get_mut(a) {
                *d = 1;
            }
        }
        dims
    }

    fn dims(&self, reduced: bool) -> Vec<usize> {
        let pick = |(a, d): (usize, &usize)| (self.axes.contains(&a) == reduced).then_some(*d);
        self.input.iter().enumerate().filter_map(pick).collect()
    }

    /// The number of rows (the product of the kept axes).
    pub fn rows(&self) -> i128 {
        self.dims(false).iter().map(|&d| extent(d)).product()
    }

    /// The number of elements combined into each row (the product of the reduced axes).
    pub fn length(&self) -> i128 {
        self.dims(true).iter().map(|&d| extent(d)).product()
    }

    /// The input index of position `pos` of row `row`: rows and positions both count in
    /// row-major order of their axes, so positions are visited in the reference's order.
    pub fn index(&self, sym: &Sym, row: &Ix, pos: &Ix) -> Vec<Ix> {
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

/// One kernel group, analysed.
pub struct GroupInfo<'a> {
    pub graph: &'a Graph,
    pub group: &'a KernelGroup,
    /// The stage of the group's reductions; `None` for an elementwise group.
    pub stage: Option<Stage>,
    states: BTreeMap<NodeId, State>,
    /// How many reductions are chained before each node (0 for plain nodes).
    levels: BTreeMap<NodeId, usize>,
    reads: BTreeSet<NodeId>,
}

impl<'a> GroupInfo<'a> {
    pub fn new(graph: &'a Graph, group: &'a KernelGroup) -> Result<GroupInfo<'a>, LowerError> {
        let mut info = GroupInfo {
            graph,
            group,
            stage: None,
            states: BTreeMap::new(),
            levels: BTreeMap::new(),
            reads: group.reads.iter().copied().collect(),
        };
        for &node in &group.nodes {
            let (state, level) = info.classify(node)?;
            info.states.insert(node, state);
            info.levels.insert(node, level);
        }
        Ok(info)
    }

    fn unsupported(&self, message: String) -> LowerError {
        LowerError::Unsupported(format!("kernel {}: {message}", self.group.name))
    }

    /// Whether the kernel loads `node` from memory.
    pub fn is_read(&self, node: NodeId) -> bool {
        self.reads.contains(&node)
    }

    pub fn state(&self, node: NodeId) -> State {
        self.states.get(&node).copied().unwrap_or(State::Plain)
    }

    pub fn level(&self, node: NodeId) -> usize {
        self.levels.get(&node).copied().unwrap_or(0)
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
            self.state(**n) == State::Row
                && self.level(**n) == level
                && !matches!(self.graph.node(**n).op, Op::Reduce { .. })
        };
        self.group.nodes.iter().filter(is_row).copied().collect()
    }

    /// The state and level of an operand: loads are plain; anything else must be computed
    /// earlier in the group.
    fn operand(&self, node: NodeId, operand: NodeId) -> Result<(State, usize), LowerError> {
        if self.is_read(operand) {
            return Ok((State::Plain, 0));
        }
        match (self.states.get(&operand), self.levels.get(&operand)) {
            (Some(&s), Some(&l)) => Ok((s, l)),
            _ => Err(self.unsupported(format!(
                "{node} uses {operand}, which the kernel neither loads nor computes"
            ))),
        }
    }

    fn classify(&mut self, node: NodeId) -> Result<(State, usize), LowerError> {
        let n = self.graph.node(node);
        let mut operands = Vec::new();
        for o in n.op.operands() {
            operands.push(self.operand(node, o)?);
        }
        let level = operands.iter().map(|&(_, l)| l).max().unwrap_or(0);
        let first = operands.first().map_or(State::Plain, |&(s, _)| s);
        match &n.op {
            Op::Input { .. } | Op::Const { .. } | Op::Iota { .. } => Ok((State::Plain, 0)),
            Op::Unary { .. } | Op::Cast { .. } | Op::Bitcast { .. } => Ok((first, level)),
            Op::Binary { .. } | Op::Where { .. } => {
                let state = operands
                    .iter()
                    .fold(State::Plain, |acc, &(s, _)| join(acc, s));
                Ok((state, level))
            }
            Op::Reduce { x, axes, .. } => {
                let mut axes = axes.clone();
                axes.sort_unstable();
                axes.dedup();
                let stage = Stage {
                    input: self.graph.node(*x).shape.to_vec(),
                    axes,
                };
                self.set_stage(node, stage)?;
                Ok((State::Row, level + 1))
            }
            _ => {
                let from =
                    n.op.operands()
                        .first()
                        .map(|&x| self.graph.node(x).shape.to_vec());
                let state = self.movement(node, first, &from.unwrap_or_default())?;
                Ok((state, level))
            }
        }
    }

    fn set_stage(&mut self, node: NodeId, stage: Stage) -> Result<(), LowerError> {
        match &self.stage {
            None => self.stage = Some(stage),
            Some(s) if *s == stage => {}
            Some(s) => {
                return Err(self.unsupported(format!(
                    "{node} reduces {:?} over {:?}, another reduction {:?} over {:?}",
                    stage.input, stage.axes, s.input, s.axes
                )));
            }
        }
        Ok(())
    }

    /// Views of plain values are plain; a row value may be reshaped (its flat index is the
    /// row) or expanded back to the stage's input shape (it becomes full).
    fn movement(&self, node: NodeId, state: State, from: &[usize]) -> Result<State, LowerError> {
        let n = self.graph.node(node);
        if state == State::Plain || n.op.is_identity_view(from, n.shape.dims()) {
            return Ok(state);
        }
        let stage = self.stage.as_ref();
        match (state, &n.op) {
            (State::Row, Op::Reshape { .. }) => Ok(State::Row),
            (State::Row, Op::Expand { .. })
                if stage.is_some_and(|s| s.output() == from && s.input == n.shape.dims()) =>
            {
                Ok(State::Full)
            }
            _ => Err(self.unsupported(format!(
                "{node} ({}) views a value computed per row in a way the schedule does not fuse",
                n.op.name()
            ))),
        }
    }
}

/// The state of an elementwise op from two operand states.
fn join(a: State, b: State) -> State {
    match (a, b) {
        (x, State::Plain) | (State::Plain, x) => x,
        (State::Row, State::Row) => State::Row,
        _ => State::Full,
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
        .is_some_and(|b| matches!(b.kind, BufferKind::Input(_)))
}

/// A readable parameter name: the input's or output's own name, `tmp<N>` for temporaries,
/// `b<N>` where that name is not an identifier or is already taken.
fn param_name(schedule: &Schedule, buffer: BufferId, taken: &[BoundBuffer]) -> String {
    let wanted = match schedule.buffers.get(buffer.0).map(|b| &b.kind) {
        Some(BufferKind::Input(name) | BufferKind::Output(name)) => name.clone(),
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
