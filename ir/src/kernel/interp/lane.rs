//! One lane's walk over the kernel body. The walk keeps a stack of open blocks (with the
//! state of each open loop), so that it can stop at a synchronizing statement and resume
//! there once the other lanes have caught up.

use super::Env;
use super::fma::fma;
use super::memory::{self, Clock, Who};
use crate::interp::elementwise;
use crate::interp::{Data, EvalError};
use crate::kernel::KernelError;
use crate::kernel::printer::expr_text;
use crate::kernel::types::{
    AccId, AccUpdate, Expr, Kernel, Loop, Stmt, Store, Value, ValueId, ValueType,
};
use crate::{BinaryOp, ReduceOp};
use cranelift_entity::EntityRef;

/// Where a lane is.
#[derive(Clone, Copy, Debug)]
pub(super) enum State<'k> {
    Running,
    /// Stopped before a synchronizing statement, which it has not executed yet.
    Waiting(&'k Stmt),
    Done,
}

/// An open block: its statements, the next one to run, and for a loop body the loop.
#[derive(Clone, Debug)]
struct Frame<'k> {
    stmts: &'k [Stmt],
    pos: usize,
    repeat: Option<Repeat>,
}

/// The rest of a running loop: the variable's next value and the end it must stay below.
#[derive(Clone, Copy, Debug)]
struct Repeat {
    var: ValueId,
    next: i128,
    end: i128,
    step: i128,
}

/// One lane's state: position, values by id, accumulators by id, open blocks.
#[derive(Clone, Debug)]
pub(super) struct Lane<'k> {
    pub local: [u32; 3],
    pub clock: Clock,
    pub values: Vec<Option<Data>>,
    accs: Vec<Option<Data>>,
    stack: Vec<Frame<'k>>,
    pub state: State<'k>,
}

impl<'k> Lane<'k> {
    pub fn new(kernel: &'k Kernel, local: [u32; 3], linear: u32) -> Lane<'k> {
        let body = Frame {
            stmts: &kernel.body,
            pos: 0,
            repeat: None,
        };
        Lane {
            local,
            clock: Clock {
                lane: linear,
                barriers: 0,
                syncs: 0,
            },
            values: vec![None; kernel.values.len()],
            accs: vec![None; kernel.accs.len()],
            stack: vec![body],
            state: State::Running,
        }
    }

    pub fn who(&self) -> Who {
        Who {
            local: self.local,
            clock: self.clock,
        }
    }

    pub fn set(&mut self, v: ValueId, data: Data) {
        if let Some(slot) = self.values.get_mut(v.index()) {
            *slot = Some(data);
        }
    }

    /// Moves past the synchronizing statement the lane waits at.
    pub fn resume(&mut self) {
        if let Some(frame) = self.stack.last_mut() {
            frame.pos += 1;
        }
        self.state = State::Running;
    }
}

/// Whether `stmt` needs other lanes: a barrier, a matrix tile, a subgroup reduction.
pub(super) fn is_sync(kernel: &Kernel, stmt: &Stmt) -> bool {
    match stmt {
        Stmt::Barrier
        | Stmt::MatrixTile(_)
        | Stmt::FragmentZero(_)
        | Stmt::FragmentMma { .. }
        | Stmt::FragmentStore { .. } => true,
        Stmt::Let(v) => matches!(
            kernel.value(*v).map(|value| &value.expr),
            Some(Expr::SubgroupReduce { .. })
        ),
        _ => false,
    }
}

/// Runs the lane until it waits at a synchronizing statement or finishes.
pub(super) fn run<'k>(env: &mut Env<'k, '_>, lane: &mut Lane<'k>) -> Result<(), KernelError> {
    while let State::Running = lane.state {
        step(env, lane)?;
    }
    Ok(())
}

fn step<'k>(env: &mut Env<'k, '_>, lane: &mut Lane<'k>) -> Result<(), KernelError> {
    env.spend_step()?;
    let Some(frame) = lane.stack.last_mut() else {
        lane.state = State::Done;
        return Ok(());
    };
    let stmts = frame.stmts;
    let Some(stmt) = stmts.get(frame.pos) else {
        end_of_block(lane);
        return Ok(());
    };
    if is_sync(env.kernel, stmt) {
        lane.state = State::Waiting(stmt);
        return Ok(());
    }
    frame.pos += 1;
    exec(env, lane, stmt)
}

/// At the end of a loop body, starts the next iteration if there is one; otherwise (and
/// at the end of any other block) closes the block.
fn end_of_block(lane: &mut Lane) {
    let Some(frame) = lane.stack.last_mut() else {
        return;
    };
    match &mut frame.repeat {
        Some(r) if r.next < r.end => {
            let (var, value) = (r.var, r.next);
            // i128 holds any i64 plus a u32 step, so this never overflows.
            r.next += r.step;
            frame.pos = 0;
            lane.set(var, Data::Int(vec![value]));
        }
        _ => {
            lane.stack.pop();
        }
    }
}

fn exec<'k>(env: &mut Env<'k, '_>, lane: &mut Lane<'k>, stmt: &'k Stmt) -> Result<(), KernelError> {
    match stmt {
        Stmt::Let(v) => {
            let data = eval(env, lane, *v)?;
            lane.set(*v, data);
            Ok(())
        }
        Stmt::Loop(l) => enter_loop(env, lane, l),
        Stmt::If {
            cond,
            then_body,
            else_body,
        } => {
            let taken = match operand(env, lane, *cond)? {
                Data::Bool(c) => c.first().copied().unwrap_or(false),
                _ => return Err(env.internal(format!("the condition {cond} is not bool"))),
            };
            let stmts = if taken { then_body } else { else_body };
            lane.stack.push(Frame {
                stmts,
                pos: 0,
                repeat: None,
            });
            Ok(())
        }
        Stmt::Store(s) => store(env, lane, s),
        Stmt::Atomic(a) => {
            let index = int_operand(env, lane, a.index)?;
            let value = operand(env, lane, a.value)?.get(0);
            let value = value.ok_or_else(|| env.internal(format!("{} is empty", a.value)))?;
            memory::atomic(env, lane.who(), a, index, value)
        }
        Stmt::InitAcc { acc, init } => {
            let data = operand(env, lane, *init)?.clone();
            set_acc(env, lane, *acc, data)
        }
        Stmt::UpdateAcc { acc, update, value } => update_acc(env, lane, *acc, *update, *value),
        Stmt::Barrier
        | Stmt::MatrixTile(_)
        | Stmt::FragmentZero(_)
        | Stmt::FragmentMma { .. }
        | Stmt::FragmentStore { .. } => Err(env.internal("a synchronizing statement ran alone")),
    }
}

/// Enters a loop: no iteration when `start >= end`.
fn enter_loop<'k>(env: &Env<'k, '_>, lane: &mut Lane<'k>, l: &'k Loop) -> Result<(), KernelError> {
    let start = int_operand(env, lane, l.start)?;
    let end = int_operand(env, lane, l.end)?;
    if start < end {
        lane.set(l.var, Data::Int(vec![start]));
        let step = i128::from(l.step);
        let repeat = Repeat {
            var: l.var,
            next: start + step,
            end,
            step,
        };
        lane.stack.push(Frame {
            stmts: &l.body,
            pos: 0,
            repeat: Some(repeat),
        });
    }
    Ok(())
}

fn store(env: &mut Env, lane: &Lane, s: &Store) -> Result<(), KernelError> {
    let index = int_operand(env, lane, s.index)?;
    let value = operand(env, lane, s.value)?;
    let mask = s.mask.map(|m| operand(env, lane, m)).transpose()?;
    memory::store(env, lane.who(), s.target, index, value, mask)
}

fn set_acc(env: &Env, lane: &mut Lane, acc: AccId, data: Data) -> Result<(), KernelError> {
    match lane.accs.get_mut(acc.index()) {
        Some(slot) => {
            *slot = Some(data);
            Ok(())
        }
        None => Err(env.internal(format!("{acc} does not exist"))),
    }
}

fn update_acc(
    env: &Env,
    lane: &mut Lane,
    acc: AccId,
    update: AccUpdate,
    value: ValueId,
) -> Result<(), KernelError> {
    let value = operand(env, lane, value)?;
    let new = match update {
        AccUpdate::Assign => value.clone(),
        AccUpdate::Combine(op) => {
            let current = lane.accs.get(acc.index()).and_then(Option::as_ref);
            let current =
                current.ok_or_else(|| env.internal(format!("{acc} is not initialized")))?;
            let dtype = env.kernel.acc_type(acc).map(|t| t.dtype);
            let dtype = dtype.ok_or_else(|| env.internal(format!("{acc} does not exist")))?;
            elementwise::binary(combine_op(op), dtype, current, value, "")
                .map_err(|e| env.internal(format!("{acc}: {e}")))?
        }
    };
    set_acc(env, lane, acc, new)
}

/// The binary op that combines two partial results of a reduction.
pub(super) fn combine_op(op: ReduceOp) -> BinaryOp {
    match op {
        ReduceOp::Sum => BinaryOp::Add,
        ReduceOp::Prod => BinaryOp::Mul,
        ReduceOp::Max => BinaryOp::Max,
        ReduceOp::Min => BinaryOp::Min,
    }
}

/// The value of operand `v` in this lane.
pub(super) fn operand<'l>(env: &Env, lane: &'l Lane, v: ValueId) -> Result<&'l Data, KernelError> {
    let data = lane.values.get(v.index()).and_then(Option::as_ref);
    data.ok_or_else(|| env.internal(format!("{v} is used before it is defined")))
}

/// The value of a scalar integer operand (an index, bound or offset).
pub(super) fn int_operand(env: &Env, lane: &Lane, v: ValueId) -> Result<i128, KernelError> {
    match operand(env, lane, v)? {
        Data::Int(x) if x.len() == 1 => Ok(x[0]),
        _ => Err(env.internal(format!("{v} is not a scalar integer"))),
    }
}

fn type_of(env: &Env, v: ValueId) -> Result<ValueType, KernelError> {
    let ty = env.kernel.value(v).map(|value| value.ty);
    ty.ok_or_else(|| env.internal(format!("{v} does not exist")))
}

/// The value `v` takes in this lane; its operands are already computed.
fn eval(env: &mut Env, lane: &Lane, v: ValueId) -> Result<Data, KernelError> {
    let kernel = env.kernel;
    let Some(value) = kernel.value(v) else {
        return Err(env.internal(format!("{v} does not exist")));
    };
    let dtype = value.ty.dtype;
    let one = |s| Data::cast_from(dtype, std::iter::once(s));
    match &value.expr {
        Expr::WorkgroupId(axis) => Ok(Data::Int(vec![i128::from(env.workgroup[axis.index()])])),
        Expr::LocalId(axis) => Ok(Data::Int(vec![i128::from(lane.local[axis.index()])])),
        Expr::Const(s) => Ok(one(*s)),
        Expr::Param(p) => env.scalars[*p]
            .map(|x| Data::Int(vec![x]))
            .ok_or_else(|| env.internal(format!("{p} is not bound"))),
        Expr::Load {
            source,
            index,
            mask,
        } => {
            let index = int_operand(env, lane, *index)?;
            let mask = mask.map(|m| operand(env, lane, m)).transpose()?;
            memory::load(env, lane.who(), *source, index, value.ty, mask)
        }
        Expr::Vector(items) => {
            let mut scalars = Vec::with_capacity(items.len());
            for &item in items {
                scalars.extend(operand(env, lane, item)?.scalars());
            }
            Ok(Data::cast_from(dtype, scalars.into_iter()))
        }
        Expr::Extract { x, lane: e } => {
            let element = operand(env, lane, *x)?.get(*e as usize);
            element
                .map(one)
                .ok_or_else(|| env.internal(format!("{x} has no element {e}")))
        }
        Expr::ReadAcc(acc) => {
            let data = lane.accs.get(acc.index()).and_then(Option::clone);
            data.ok_or_else(|| env.internal(format!("{acc} is read before it is initialized")))
        }
        Expr::LoopVar | Expr::SubgroupReduce { .. } => {
            Err(env.internal(format!("{v} cannot be evaluated by one lane")))
        }
        Expr::Unary { .. }
        | Expr::Binary { .. }
        | Expr::MulHi { .. }
        | Expr::Fma { .. }
        | Expr::Where { .. }
        | Expr::Cast { .. }
        | Expr::Bitcast { .. } => alu(env, lane, v, value),
    }
}

/// An elementwise op, computed by the graph reference interpreter's functions.
fn alu(env: &Env, lane: &Lane, v: ValueId, value: &Value) -> Result<Data, KernelError> {
    let dtype = value.ty.dtype;
    let fault = |e: EvalError| match e {
        EvalError::DivisionByZero { .. } => KernelError::DivisionByZero {
            kernel: env.kernel.name.clone(),
            value: format!("{v} = {}", expr_text(env.kernel, &value.expr)),
            lane: env.lane_id(lane.local),
        },
        other => env.internal(format!("{v}: {other}")),
    };
    let arg = |x: ValueId| operand(env, lane, x);
    match &value.expr {
        Expr::Unary { op, x } => {
            let from = type_of(env, *x)?.dtype;
            elementwise::unary(*op, from, arg(*x)?, "").map_err(fault)
        }
        Expr::Binary { op, a, b } => {
            let from = type_of(env, *a)?.dtype;
            elementwise::binary(*op, from, arg(*a)?, arg(*b)?, "").map_err(fault)
        }
        Expr::MulHi { a, b } => match (arg(*a)?, arg(*b)?) {
            (Data::Int(x), Data::Int(y)) if x.len() == y.len() => {
                let high = x.iter().zip(y).map(|(&x, &y)| mulhi(x, y, dtype));
                Ok(Data::Int(high.collect()))
            }
            _ => Err(env.internal(format!("{v}: mulhi needs integer operands of one width"))),
        },
        Expr::Fma { a, b, c } => match (arg(*a)?, arg(*b)?, arg(*c)?) {
            (Data::Float(x), Data::Float(y), Data::Float(z))
                if x.len() == y.len() && y.len() == z.len() =>
            {
                let r = x.iter().zip(y).zip(z);
                Ok(Data::Float(
                    r.map(|((&x, &y), &z)| fma(x, y, z, dtype)).collect(),
                ))
            }
            _ => Err(env.internal(format!("{v}: fma needs float operands of one width"))),
        },
        Expr::Where { cond, a, b } => {
            elementwise::select(arg(*cond)?, arg(*a)?, arg(*b)?, "").map_err(fault)
        }
        Expr::Cast { x } => Ok(elementwise::cast(arg(*x)?, dtype)),
        Expr::Bitcast { x } => {
            let from = type_of(env, *x)?.dtype;
            Ok(elementwise::bitcast(arg(*x)?, from, dtype))
        }
        _ => Err(env.internal(format!("{v} is not an elementwise op"))),
    }
}

/// The high half of the double-width product of two elements of `dtype` (32 or 64 bits):
/// signed operands multiply as signed, unsigned ones (whose values are never negative) as
/// unsigned. The exact product of two 64-bit values fits in `i128` when signed and in `u128`
/// when unsigned, so nothing is lost before the shift.
pub fn mulhi(a: i128, b: i128, dtype: crate::DType) -> i128 {
    let bits = dtype.bits();
    if dtype.is_signed_int() {
        crate::wrap_int((a * b) >> bits, dtype)
    } else {
        let (a, b) = (a.unsigned_abs(), b.unsigned_abs());
        crate::wrap_int(((a * b) >> bits) as i128, dtype)
    }
}
