//! Faults injected into compiled kernels, to show that `--check` catches real kernel bugs.
//!
//! [`inject`] re-builds a kernel statement by statement through
//! [`egpu_ir::kernel::KernelBuilder`] (the only way to make a kernel), copying each
//! statement and perturbing one: the kernel stays well typed and in bounds, only wrong.
//! The walk is iterative (an explicit stack of work), like every walk over a kernel.

use egpu_ir::kernel::{
    AccId, AccUpdate, Axis, Expr, Kernel, KernelBuilder, Memory, Param, Stmt, TileRef, ValueId,
};
use egpu_ir::{BinaryOp, DType, ReduceOp, Scalar};
use std::collections::HashMap;

/// A bug a lowering could plausibly make.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// The `nth` load from a global buffer reads the next element (vector) instead of its
    /// own: `min(index + width, len − width)`, which stays in bounds and aligned.
    ShiftLoad { nth: usize },
    /// The `nth` sum accumulator update skips one term: lane 0 of each workgroup adds 0
    /// instead of the value on the first iteration of the innermost enclosing loop.
    DropTerm { nth: usize },
    /// The `nth` barrier is left out.
    DropBarrier { nth: usize },
}

/// `kernel` with `fault` injected; `Err` when the kernel has no such place (fewer loads,
/// sum updates or barriers than `nth + 1`) or the builder rejects the result.
pub fn inject(kernel: &Kernel, fault: Fault) -> Result<Kernel, String> {
    let mut r = Rebuild::new(kernel, fault)?;
    r.walk()?;
    if !r.applied {
        return Err(format!("{}: no place for {fault:?}", kernel.name()));
    }
    r.b.finish().map_err(|e| e.to_string())
}

/// What is left to do, innermost last.
enum Work<'k> {
    Stmt(&'k Stmt),
    EndLoop,
    Else(&'k [Stmt]),
    EndIf,
}

struct Rebuild<'k> {
    src: &'k Kernel,
    b: KernelBuilder,
    fault: Fault,
    values: HashMap<ValueId, ValueId>,
    accs: HashMap<AccId, AccId>,
    /// (new loop variable, new loop start) of each enclosing loop.
    loops: Vec<(ValueId, ValueId)>,
    /// Global loads, sum updates and barriers seen so far.
    seen: [usize; 3],
    applied: bool,
}

impl<'k> Rebuild<'k> {
    fn new(src: &'k Kernel, fault: Fault) -> Result<Rebuild<'k>, String> {
        let mut b = KernelBuilder::new(src.name(), src.launch(), src.subgroup_size());
        for (_, p) in src.params() {
            let id = match p {
                Param::Buffer {
                    name,
                    dtype,
                    len,
                    access,
                } => b.buffer(name, *dtype, *len, *access),
                Param::Scalar { name, dtype } => b.scalar_param(name, *dtype),
            };
            id.map_err(|e| e.to_string())?;
        }
        for (_, s) in src.shared_arrays() {
            b.shared(&s.name, s.dtype, s.len)
                .map_err(|e| e.to_string())?;
        }
        // Declared in order, so every fragment keeps its id.
        for (_, name) in src.fragments() {
            b.fragment(name).map_err(|e| e.to_string())?;
        }
        Ok(Rebuild {
            src,
            b,
            fault,
            values: HashMap::new(),
            accs: HashMap::new(),
            loops: Vec::new(),
            seen: [0; 3],
            applied: false,
        })
    }

    fn walk(&mut self) -> Result<(), String> {
        let mut stack: Vec<Work<'k>> = self.src.body().iter().rev().map(Work::Stmt).collect();
        while let Some(work) = stack.pop() {
            match work {
                Work::Stmt(stmt) => self.stmt(stmt, &mut stack)?,
                Work::EndLoop => {
                    self.loops.pop();
                    self.b.end_loop().map_err(|e| e.to_string())?;
                }
                Work::Else(body) => {
                    self.b.begin_else().map_err(|e| e.to_string())?;
                    stack.extend(body.iter().rev().map(Work::Stmt));
                }
                Work::EndIf => self.b.end_if().map_err(|e| e.to_string())?,
            }
        }
        Ok(())
    }

    /// The new id of an old value.
    fn v(&self, old: ValueId) -> Result<ValueId, String> {
        self.values
            .get(&old)
            .copied()
            .ok_or_else(|| format!("{old} is used before it is defined"))
    }

    fn stmt(&mut self, stmt: &'k Stmt, stack: &mut Vec<Work<'k>>) -> Result<(), String> {
        let err = |e: egpu_ir::kernel::KernelError| e.to_string();
        match stmt {
            Stmt::Let(v) => {
                let new = self.define(*v)?;
                self.values.insert(*v, new);
            }
            Stmt::Loop(l) => {
                let (start, end) = (self.v(l.start)?, self.v(l.end)?);
                let var = self
                    .b
                    .begin_loop(start, end, l.step, l.unroll)
                    .map_err(err)?;
                self.values.insert(l.var, var);
                self.loops.push((var, start));
                stack.push(Work::EndLoop);
                stack.extend(l.body.iter().rev().map(Work::Stmt));
            }
            Stmt::If {
                cond,
                then_body,
                else_body,
            } => {
                self.b.begin_if(self.v(*cond)?).map_err(err)?;
                stack.push(Work::EndIf);
                if !else_body.is_empty() {
                    stack.push(Work::Else(else_body));
                }
                stack.extend(then_body.iter().rev().map(Work::Stmt));
            }
            Stmt::Store(s) => {
                let mask = s.mask.map(|m| self.v(m)).transpose()?;
                let (index, value) = (self.v(s.index)?, self.v(s.value)?);
                self.b.store(s.target, index, value, mask).map_err(err)?;
            }
            Stmt::InitAcc { acc, init } => {
                let new = self.b.acc_init(self.v(*init)?).map_err(err)?;
                self.accs.insert(*acc, new);
            }
            Stmt::UpdateAcc { acc, update, value } => {
                let mut value = self.v(*value)?;
                if *update == AccUpdate::Combine(ReduceOp::Sum) {
                    value = self.maybe_drop_term(value)?;
                }
                let acc = *self.accs.get(acc).ok_or("accumulator used before init")?;
                self.b.acc_update(acc, *update, value).map_err(err)?;
            }
            Stmt::Barrier => {
                let nth = self.count(2);
                if self.fault == (Fault::DropBarrier { nth }) {
                    self.applied = true;
                } else {
                    self.b.barrier();
                }
            }
            Stmt::MatrixTile(t) => {
                let (a, b, d) = (self.tile(t.a)?, self.tile(t.b)?, self.tile(t.d)?);
                self.b.matrix_tile(a, b, d).map_err(err)?;
            }
            Stmt::Atomic(a) => {
                let (index, value) = (self.v(a.index)?, self.v(a.value)?);
                self.b.atomic(a.op, a.target, index, value).map_err(err)?;
            }
            Stmt::FragmentZero(f) => self.b.fragment_zero(*f).map_err(err)?,
            Stmt::FragmentMma { frag, a, b } => {
                let (a, b) = (self.tile(*a)?, self.tile(*b)?);
                self.b.fragment_mma(*frag, a, b).map_err(err)?;
            }
            Stmt::FragmentStore { frag, d } => {
                let d = self.tile(*d)?;
                self.b.fragment_store(*frag, d).map_err(err)?;
            }
        }
        Ok(())
    }

    /// Counts one more place of kind `k` (0 loads, 1 sum updates, 2 barriers); returns its
    /// index.
    fn count(&mut self, k: usize) -> usize {
        self.seen[k] += 1;
        self.seen[k] - 1
    }

    fn tile(&self, t: TileRef) -> Result<TileRef, String> {
        Ok(TileRef {
            offset: self.v(t.offset)?,
            ..t
        })
    }

    /// Re-defines the value `old` in the new kernel.
    fn define(&mut self, old: ValueId) -> Result<ValueId, String> {
        let value = self.src.value(old).ok_or("a Let of a missing value")?;
        let (ty, b) = (value.ty, &mut self.b);
        let err = |e: egpu_ir::kernel::KernelError| e.to_string();
        let map = |v: &ValueId| -> Result<ValueId, String> {
            self.values
                .get(v)
                .copied()
                .ok_or_else(|| format!("{v} is used before it is defined"))
        };
        Ok(match &value.expr {
            Expr::WorkgroupId(axis) => b.workgroup_id(*axis),
            Expr::LocalId(axis) => b.local_id(*axis),
            Expr::Const(s) => b.constant(ty.dtype, *s).map_err(err)?,
            Expr::Param(p) => b.param(*p).map_err(err)?,
            Expr::LoopVar => return Err("a Let of a loop variable".into()),
            Expr::Load {
                source,
                index,
                mask,
            } => {
                let (index, mask) = (map(index)?, mask.as_ref().map(map).transpose()?);
                return self.load(*source, index, ty.width, mask);
            }
            Expr::Unary { op, x } => b.unary(*op, map(x)?).map_err(err)?,
            Expr::Binary { op, a, b: y } => b.binary(*op, map(a)?, map(y)?).map_err(err)?,
            Expr::MulHi { a, b: y } => b.mulhi(map(a)?, map(y)?).map_err(err)?,
            Expr::Fma { a, b: y, c } => b.fma(map(a)?, map(y)?, map(c)?).map_err(err)?,
            Expr::Where { cond, a, b: y } => b.select(map(cond)?, map(a)?, map(y)?).map_err(err)?,
            Expr::Cast { x } => b.cast(map(x)?, ty.dtype).map_err(err)?,
            Expr::Bitcast { x } => b.bitcast(map(x)?, ty.dtype).map_err(err)?,
            Expr::Vector(items) => {
                let items = items.iter().map(map).collect::<Result<Vec<_>, _>>()?;
                b.vector(&items).map_err(err)?
            }
            Expr::Extract { x, lane } => b.extract(map(x)?, *lane).map_err(err)?,
            Expr::ReadAcc(acc) => {
                let acc = *self.accs.get(acc).ok_or("accumulator read before init")?;
                b.acc_read(acc).map_err(err)?
            }
            Expr::SubgroupReduce { op, x } => b.subgroup_reduce(*op, map(x)?).map_err(err)?,
        })
    }

    /// A load, shifted when it is the faulty one.
    fn load(
        &mut self,
        source: Memory,
        index: ValueId,
        width: u32,
        mask: Option<ValueId>,
    ) -> Result<ValueId, String> {
        let err = |e: egpu_ir::kernel::KernelError| e.to_string();
        let mut index = index;
        if let Memory::Global(p) = source {
            let nth = self.count(0);
            if self.fault == (Fault::ShiftLoad { nth }) {
                let len = match self.src.param(p) {
                    Some(Param::Buffer { len, .. }) => *len,
                    _ => return Err("a load from a non-buffer".into()),
                };
                index = self.shifted(index, width, len)?;
                self.applied = true;
            }
        }
        self.b.load(source, index, width, mask).map_err(err)
    }

    /// min(index + width, len − width), in the index's dtype.
    fn shifted(&mut self, index: ValueId, width: u32, len: usize) -> Result<ValueId, String> {
        let err = |e: egpu_ir::kernel::KernelError| e.to_string();
        let dtype = self.b.value_type(index).map_or(DType::I32, |t| t.dtype);
        let int = |v: usize| Scalar::Int(v as i128);
        let step = self.b.constant(dtype, int(width as usize)).map_err(err)?;
        let last = len.saturating_sub(width as usize);
        let last = self.b.constant(dtype, int(last)).map_err(err)?;
        let next = self.b.binary(BinaryOp::Add, index, step).map_err(err)?;
        self.b.binary(BinaryOp::Min, next, last).map_err(err)
    }

    /// The value added by a sum update, with one term dropped when it is the faulty one.
    fn maybe_drop_term(&mut self, value: ValueId) -> Result<ValueId, String> {
        let nth = self.count(1);
        if self.fault != (Fault::DropTerm { nth }) {
            return Ok(value);
        }
        self.applied = true;
        let err = |e: egpu_ir::kernel::KernelError| e.to_string();
        let ty = self
            .b
            .value_type(value)
            .ok_or("an update of an unknown value")?;
        let lane = self.b.local_id(Axis::X);
        let zero_i = self.b.const_i32(0);
        let mut first = self.b.binary(BinaryOp::CmpEq, lane, zero_i).map_err(err)?;
        if let Some(&(var, start)) = self.loops.last() {
            let at_start = self.b.binary(BinaryOp::CmpEq, var, start).map_err(err)?;
            first = self.b.binary(BinaryOp::And, first, at_start).map_err(err)?;
        }
        let mut zero = self
            .b
            .constant(ty.dtype, Scalar::zero(ty.dtype))
            .map_err(err)?;
        if ty.width > 1 {
            first = self.b.splat(first, ty.width).map_err(err)?;
            zero = self.b.splat(zero, ty.width).map_err(err)?;
        }
        self.b.select(first, zero, value).map_err(err)
    }
}
