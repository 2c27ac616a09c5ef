//! Values of graph nodes at symbolic indices, computed without recursion.
//!
//! A node's value needs its operands' values first: at the same index for elementwise ops,
//! at the mapped index for movement ops, at the row's index for row values. A fused chain
//! can be as long as the graph (100,000 elementwise ops in one kernel), so evaluation runs
//! on an explicit stack of [`Task`]s instead of the call stack. [`Task::Eval`] asks for a
//! value; a node that needs operands pushes a continuation (which combines their values
//! once they are on the result stack) and then one request per operand, last operand
//! first. Each request is finished, with everything it needs, before the next one is
//! looked at, so values are computed, cached and emitted in exactly the order of a
//! depth-first recursion over the operands.

use super::{Emitter, Lowered, Val};
use crate::lower::index::Ix;
use crate::lower::view::{self, flatten, unravel};
use crate::schedule::FusionState;
use egpu_ir::kernel::{AccId, AccUpdate, Memory, ValueId};
use egpu_ir::{DType, NodeId, Op, Scalar};
use std::rc::Rc;

/// The most terms a view's source index may have (see [`Ix::larger_than`]) before it is
/// computed into a kernel value: well above what the examples' views make (so their
/// kernels are unchanged), far below where the simplifier's cost would show.
const MAX_INDEX_TERMS: usize = 64;

/// An index (one expression per axis), shared: the operands of an elementwise node are
/// evaluated at their user's index, and a value is cached under the index it was asked at.
pub(in crate::lower) type Index = Rc<[Ix]>;

/// One step of evaluation: a request, or a continuation that pops its operands' values.
enum Task {
    /// The value of `node` at an index (cached, or computed).
    Eval(NodeId, Index),
    /// The value of the row-value `node` for the current row.
    Row(NodeId),
    /// Pops `args` operand values and applies the elementwise `node`: its value at `index`.
    Apply {
        node: NodeId,
        index: Index,
        args: usize,
    },
    /// Pops one scalar per vector lane (`width` of them): the value of `node` at `index`.
    Lanes {
        node: NodeId,
        index: Index,
        width: usize,
    },
    /// Pops the value of a view's operand: the view's value at `index`.
    Same { node: NodeId, index: Index },
    /// Pops the padded operand's value, computed inside the open `if`, stores it into `acc`
    /// and closes the `if`: the pad's value at `index` is `acc`.
    Padded {
        node: NodeId,
        index: Index,
        acc: AccId,
    },
    /// Pops `args` operand values at the row's index: the row value of `node`.
    RowApply { node: NodeId, args: usize },
    /// Pops the row value of a reshape's operand: the row value of `node`.
    RowSame { node: NodeId },
}

/// The pending tasks and the values finished so far (operands waiting for their user).
#[derive(Default)]
struct Work {
    tasks: Vec<Task>,
    results: Vec<Val>,
}

impl Work {
    /// Requests the values of `operands` at `index`, in order.
    fn eval_all(&mut self, operands: impl DoubleEndedIterator<Item = NodeId>, index: &Index) {
        for x in operands.rev() {
            self.tasks.push(Task::Eval(x, index.clone()));
        }
    }
}

impl<'a> Emitter<'a> {
    /// The value of `node` at `index` (one expression per axis of the node).
    pub fn eval(&mut self, node: NodeId, index: &[Ix]) -> Lowered<Val> {
        self.run_tasks(Task::Eval(node, Rc::from(index)))
    }

    /// A value of the current row: a reduction's result (set by its pass) or an op on
    /// row values and plain values at the row's index.
    fn row_value(&mut self, node: NodeId) -> Lowered<ValueId> {
        match self.run_tasks(Task::Row(node))? {
            Val::One(v) => Ok(v),
            Val::Lanes(_) => Err(self.internal("a row value varies per lane")),
        }
    }

    /// Records a reduction's result for the current row.
    pub fn set_row_value(&mut self, node: NodeId, value: ValueId) {
        self.cache_value(node, Rc::from([]), Val::One(value));
    }

    /// Computes row values now, in the current block, so later blocks reuse them.
    pub fn compute_row_values(&mut self, nodes: &[NodeId]) -> Lowered<()> {
        for &node in nodes {
            self.row_value(node)?;
        }
        Ok(())
    }

    /// Runs `first` and everything it needs; its value.
    fn run_tasks(&mut self, first: Task) -> Lowered<Val> {
        let mut work = Work {
            tasks: vec![first],
            results: Vec::new(),
        };
        while let Some(task) = work.tasks.pop() {
            self.step(task, &mut work)?;
        }
        match (work.results.pop(), work.results.is_empty()) {
            (Some(v), true) => Ok(v),
            _ => Err(self.internal("evaluation left no single value")),
        }
    }

    fn step(&mut self, task: Task, work: &mut Work) -> Lowered<()> {
        match task {
            Task::Eval(node, index) => self.start_eval(node, index, work),
            Task::Row(node) => self.start_row(node, work),
            Task::Apply { node, index, args } => {
                let args = self.take(work, args)?;
                let v = self.apply(node, &args)?;
                self.done(node, index, v, work)
            }
            Task::Lanes { node, index, width } => {
                let items = self.take_scalars(work, width, "a lane value still varies")?;
                self.done(node, index, Val::Lanes(items), work)
            }
            Task::Same { node, index } => {
                let v = self.take_one(work)?;
                self.done(node, index, v, work)
            }
            Task::Padded { node, index, acc } => {
                let v = self.take_scalar(work, "a padded value varies per lane")?;
                self.b.acc_update(acc, AccUpdate::Assign, v)?;
                self.end_if()?;
                let v = Val::One(self.b.acc_read(acc)?);
                self.done(node, index, v, work)
            }
            Task::RowApply { node, args } => {
                let args = self.take_scalars(work, args, "a row value varies per lane")?;
                let v = self.op_value(node, &args)?;
                self.finish_row(node, v, work);
                Ok(())
            }
            Task::RowSame { node } => {
                let v = self.take_scalar(work, "a row value varies per lane")?;
                self.finish_row(node, v, work);
                Ok(())
            }
        }
    }

    /// The last `n` finished values, in the order they were requested.
    fn take(&self, work: &mut Work, n: usize) -> Lowered<Vec<Val>> {
        let Some(start) = work.results.len().checked_sub(n) else {
            return Err(self.internal("an operand's value is missing"));
        };
        Ok(work.results.split_off(start))
    }

    fn take_one(&self, work: &mut Work) -> Lowered<Val> {
        let v = work.results.pop();
        v.ok_or_else(|| self.internal("an operand's value is missing"))
    }

    /// The last finished value, which must be the same in every vector lane.
    fn take_scalar(&self, work: &mut Work, varies: &str) -> Lowered<ValueId> {
        match self.take_one(work)? {
            Val::One(v) => Ok(v),
            Val::Lanes(_) => Err(self.internal(varies)),
        }
    }

    /// The last `n` finished values, each of which must be the same in every vector lane.
    fn take_scalars(&self, work: &mut Work, n: usize, varies: &str) -> Lowered<Vec<ValueId>> {
        let mut out = Vec::with_capacity(n);
        for v in self.take(work, n)? {
            match v {
                Val::One(v) => out.push(v),
                Val::Lanes(_) => return Err(self.internal(varies)),
            }
        }
        Ok(out)
    }

    /// `v` is the value of `node` at `index`: cached in the current block, and handed on.
    fn done(&mut self, node: NodeId, index: Index, v: Val, work: &mut Work) -> Lowered<()> {
        self.cache_value(node, index, v.clone());
        work.results.push(v);
        Ok(())
    }

    /// `v` is the row value of `node`.
    fn finish_row(&mut self, node: NodeId, v: ValueId, work: &mut Work) {
        self.set_row_value(node, v);
        work.results.push(Val::One(v));
    }

    fn start_eval(&mut self, node: NodeId, index: Index, work: &mut Work) -> Lowered<()> {
        if self.info.state(node) == FusionState::Row {
            work.tasks.push(Task::Row(node));
            return Ok(());
        }
        let hash = Self::value_hash(node, &index);
        if let Some(v) = self.cached_value(hash, node, &index) {
            work.results.push(v);
            return Ok(());
        }
        self.compute(node, index, work)
    }

    fn compute(&mut self, node: NodeId, index: Index, work: &mut Work) -> Lowered<()> {
        if self.info.is_read(node) {
            return self.load(node, index, work);
        }
        let n = self.info.graph.node(node);
        match &n.op {
            Op::Const { .. } => match self.constants.get(&node) {
                Some(&v) => self.done(node, index, Val::One(v), work),
                None => Err(self.internal(format!("constant {node} was not emitted"))),
            },
            Op::Iota { axis } => self.iota(node, *axis, index, work),
            Op::Unary { .. }
            | Op::Cast { .. }
            | Op::Bitcast { .. }
            | Op::Binary { .. }
            | Op::Where { .. } => {
                let args = n.op.each_operand().len();
                // Below the operands' requests: runs once their values are there.
                work.tasks.push(Task::Apply {
                    node,
                    index: index.clone(),
                    args,
                });
                work.eval_all(n.op.each_operand(), &index);
                Ok(())
            }
            Op::Input { .. } | Op::Reduce { .. } => Err(self.internal(format!(
                "{node} ({}) is neither loaded nor a row value",
                n.op.name()
            ))),
            _ => self.view(node, index, work),
        }
    }

    /// The node's op on `args`, lane by lane where any of them differs per lane.
    fn apply(&mut self, node: NodeId, args: &[Val]) -> Lowered<Val> {
        let width = args
            .iter()
            .map(|a| match a {
                Val::One(_) => 1,
                Val::Lanes(items) => items.len(),
            })
            .max()
            .unwrap_or(1);
        let mut lanes = Vec::with_capacity(width);
        for i in 0..width {
            let items: Option<Vec<ValueId>> = args.iter().map(|a| a.lane(i)).collect();
            let items = items.ok_or_else(|| self.internal("lane counts differ"))?;
            lanes.push(self.op_value(node, &items)?);
        }
        match (width, lanes.first()) {
            (1, Some(&v)) => Ok(Val::One(v)),
            _ => Ok(Val::Lanes(lanes)),
        }
    }

    /// One scalar (or row) application of an elementwise node's op.
    fn op_value(&mut self, node: NodeId, args: &[ValueId]) -> Lowered<ValueId> {
        let n = self.info.graph.node(node);
        let arg = |i: usize| args.get(i).copied();
        let v = match (&n.op, arg(0), arg(1), arg(2)) {
            (Op::Unary { op, .. }, Some(x), _, _) => self.b.unary(*op, x)?,
            (Op::Cast { .. }, Some(x), _, _) => self.b.cast(x, n.dtype)?,
            (Op::Bitcast { .. }, Some(x), _, _) => self.b.bitcast(x, n.dtype)?,
            (Op::Binary { op, .. }, Some(a), Some(b), _) => self.b.binary(*op, a, b)?,
            (Op::Where { .. }, Some(c), Some(a), Some(b)) => self.b.select(c, a, b)?,
            _ => return Err(self.internal(format!("{node} is not elementwise"))),
        };
        Ok(v)
    }

    /// Each element's index along `axis`, converted to the node's dtype like `cast`.
    fn iota(&mut self, node: NodeId, axis: usize, index: Index, work: &mut Work) -> Lowered<()> {
        let ix = index.get(axis).cloned().unwrap_or_else(Ix::zero);
        if self.depends_on_lane(&ix) {
            return self.per_lane(node, index, work);
        }
        let v = self.index(&ix)?;
        let dtype = self.info.graph.node(node).dtype;
        let v = Val::One(self.cast(v, dtype)?);
        self.done(node, index, v, work)
    }

    pub(super) fn depends_on_lane(&self, ix: &Ix) -> bool {
        self.lanes.is_some_and(|(t, _)| ix.contains(t))
    }

    /// The node evaluated separately for each vector lane.
    fn per_lane(&mut self, node: NodeId, index: Index, work: &mut Work) -> Lowered<()> {
        let Some((t, width)) = self.lanes else {
            return Err(self.internal("per-lane evaluation without lanes"));
        };
        let width = width as usize;
        let mut lanes = Vec::with_capacity(width);
        for i in 0..width {
            let lane = Ix::constant(i as i128);
            let at: Vec<Ix> = index
                .iter()
                .map(|e| self.sym.substitute(e, t, &lane))
                .collect();
            lanes.push(Task::Eval(node, Rc::from(at)));
        }
        work.tasks.push(Task::Lanes { node, index, width });
        work.tasks.extend(lanes.into_iter().rev());
        Ok(())
    }

    /// A movement op: the operand at the mapped index, or the pad value outside it.
    fn view(&mut self, node: NodeId, index: Index, work: &mut Work) -> Lowered<()> {
        let n = self.info.graph.node(node);
        let Some(x) = n.op.each_operand().next() else {
            return Err(self.internal(format!("{node} has no operand")));
        };
        let from = self.info.graph.node(x).shape.dims();
        let mut src = view::source(&self.sym, &n.op, from, n.shape.dims(), &index)
            .map_err(|m| self.internal(format!("{node}: {m}")))?;
        if src.index.iter().any(|e| e.larger_than(MAX_INDEX_TERMS)) {
            // Lane-free first: a kernel value is one scalar.
            if index.iter().any(|e| self.depends_on_lane(e)) {
                return self.per_lane(node, index, work);
            }
            for e in &mut src.index {
                if e.larger_than(MAX_INDEX_TERMS) {
                    *e = self.replace_index(e)?;
                }
            }
        }
        if src.valid.is_empty() {
            work.tasks.push(Task::Same { node, index });
            work.tasks.push(Task::Eval(x, Rc::from(src.index)));
            return Ok(());
        }
        if index.iter().any(|e| self.depends_on_lane(e)) {
            return self.per_lane(node, index, work);
        }
        let Op::Pad { value, .. } = &n.op else {
            return Err(self.internal(format!("{node} has conditions but is no pad")));
        };
        self.padded(node, index, *value, src, work)
    }

    /// `ix` computed into a kernel value, as an expression of a new variable standing for
    /// that value (offset by `ix`'s lowest value, so the variable's range starts at 0).
    /// Once per block for the same expression.
    fn replace_index(&mut self, ix: &Ix) -> Lowered<Ix> {
        if let Some(e) = self.cached(|f| &f.replaced, ix) {
            return Ok(e);
        }
        let (lo, hi) = self.sym.bounds(ix);
        let value = self.index(&self.sym.add_const(ix, lo.saturating_neg()))?;
        let var = self.bind(hi.saturating_sub(lo).saturating_add(1), value);
        let e = self.sym.add_const(&self.sym.var(var), lo);
        self.frame().replaced.insert(ix.clone(), e.clone());
        Ok(e)
    }

    /// `valid ? x[index] : fill`, computing `x` only where valid (so no load leaves its
    /// buffer and no division sees a value the graph never divides).
    fn padded(
        &mut self,
        node: NodeId,
        index: Index,
        fill: Scalar,
        src: view::Source,
        work: &mut Work,
    ) -> Lowered<()> {
        let n = self.info.graph.node(node);
        let (dtype, x): (DType, Option<NodeId>) = (n.dtype, n.op.each_operand().next());
        let x = x.ok_or_else(|| self.internal(format!("{node} has no operand")))?;
        let mut conds = Vec::new();
        for r in &src.valid {
            if let Some(c) = self.in_range(r)? {
                conds.push(c);
            }
        }
        let fill = self.scalar(dtype, fill)?;
        let Some(cond) = self.all(&conds)? else {
            work.tasks.push(Task::Same { node, index });
            work.tasks.push(Task::Eval(x, Rc::from(src.index)));
            return Ok(());
        };
        let acc = self.b.acc_init(fill)?;
        self.begin_if(cond)?;
        work.tasks.push(Task::Padded { node, index, acc });
        work.tasks.push(Task::Eval(x, Rc::from(src.index)));
        Ok(())
    }

    fn start_row(&mut self, node: NodeId, work: &mut Work) -> Lowered<()> {
        if let Some(Val::One(v)) = self.cached_value(Self::value_hash(node, &[]), node, &[]) {
            work.results.push(Val::One(v));
            return Ok(());
        }
        let n = self.info.graph.node(node);
        match &n.op {
            Op::Reduce { .. } => Err(self.internal(format!("{node} is used before its pass"))),
            Op::Unary { .. }
            | Op::Cast { .. }
            | Op::Bitcast { .. }
            | Op::Binary { .. }
            | Op::Where { .. } => {
                let row = self.row.clone();
                let row = row.ok_or_else(|| self.internal("no current row"))?;
                let index: Index = Rc::from(unravel(&self.sym, &row, n.shape.dims()));
                let args = n.op.each_operand().len();
                work.tasks.push(Task::RowApply { node, args });
                work.eval_all(n.op.each_operand(), &index);
                Ok(())
            }
            // A reshape or an identity view: the same row value.
            _ => match n.op.each_operand().next() {
                Some(x) if self.info.state(x) == FusionState::Row => {
                    work.tasks.push(Task::RowSame { node });
                    work.tasks.push(Task::Row(x));
                    Ok(())
                }
                _ => Err(self.internal(format!("{node} is no row value"))),
            },
        }
    }

    fn load(&mut self, node: NodeId, index: Index, work: &mut Work) -> Lowered<()> {
        let p = self.bindings.read_param(node);
        let param = p.and_then(|p| self.params.get(p).copied());
        let param = param.ok_or_else(|| self.internal(format!("{node} has no buffer")))?;
        let n = self.info.graph.node(node);
        let flat = flatten(&self.sym, &index, n.shape.dims());
        if !self.depends_on_lane(&flat) {
            let i = self.index(&flat)?;
            let v = Val::One(self.b.load(Memory::Global(param), i, 1, None)?);
            return self.done(node, index, v, work);
        }
        let Some((base, width)) = self.contiguous(&flat, n.shape.numel()) else {
            return self.per_lane(node, index, work);
        };
        let i = self.index(&base)?;
        let v = self.b.load(Memory::Global(param), i, width, None)?;
        let items: Lowered<Vec<ValueId>> = (0..width).map(|k| self.extract(v, k)).collect();
        self.done(node, index, Val::Lanes(items?), work)
    }
}
