//! A `let`: the value's expression, written element by element into the value's
//! registers. Vectors are one register per element, so `vec`/`extract` are moves.

use super::PtxError;
use super::emitter::Emitter;
use super::sink::{RegClass, reg_class};
use super::subgroup;
use egpu_ir::kernel::{Expr, Param, ValueId};
use egpu_ir::{BinaryOp, DType, ReduceOp};

impl Emitter<'_> {
    pub(crate) fn let_value(&mut self, v: ValueId) -> Result<(), PtxError> {
        let kernel = self.kernel;
        let value = kernel
            .value(v)
            .ok_or_else(|| self.malformed(format!("{v} does not exist")))?;
        let (dtype, width) = (value.ty.dtype, value.ty.width);
        match &value.expr {
            Expr::WorkgroupId(axis) => {
                let d = self.reg(v, 0)?;
                self.ins(format!("mov.u32 {d}, %ctaid.{}", axis.name()));
            }
            Expr::LocalId(axis) => {
                let d = self.reg(v, 0)?;
                self.ins(format!("mov.u32 {d}, %tid.{}", axis.name()));
            }
            Expr::Const(s) => {
                let d = self.reg(v, 0)?;
                self.constant(dtype, &d, *s);
            }
            Expr::Param(p) => {
                let Some(Param::Scalar { name, .. }) = kernel.param(*p) else {
                    return Err(self.malformed(format!("{p} is not a scalar parameter")));
                };
                let d = self.reg(v, 0)?;
                let ty = if dtype == DType::I64 { "u64" } else { "u32" };
                self.ins(format!("ld.param.{ty} {d}, [param_{name}]"));
            }
            // written by its loop
            Expr::LoopVar => {}
            Expr::Load {
                source,
                index,
                mask,
            } => self.load(v, *source, *index, *mask)?,
            Expr::Vector(items) => {
                for (e, item) in (0u32..).zip(items) {
                    let (d, s) = (self.reg(v, e)?, self.reg(*item, 0)?);
                    self.mov(reg_class(dtype), &d, &s);
                }
            }
            Expr::Extract { x, lane } => {
                let (d, s) = (self.reg(v, 0)?, self.reg(*x, *lane)?);
                self.mov(reg_class(dtype), &d, &s);
            }
            Expr::ReadAcc(acc) => {
                let (_, regs) = self.acc_regs(*acc)?;
                for (e, s) in (0u32..).zip(&regs) {
                    let d = self.reg(v, e)?;
                    self.mov(reg_class(dtype), &d, s);
                }
            }
            expr => {
                for e in 0..width {
                    self.element(v, expr, e)?;
                }
            }
        }
        Ok(())
    }

    /// Element `e` of an elementwise expression.
    fn element(&mut self, v: ValueId, expr: &Expr, e: u32) -> Result<(), PtxError> {
        let (dtype, _) = self.ty(v)?;
        let d = self.reg(v, e)?;
        match *expr {
            Expr::Unary { op, x } => {
                let x = self.reg(x, e)?;
                self.unary_scalar(op, dtype, &d, &x)?;
            }
            Expr::Binary { op, a, b } => {
                // comparisons take the operands' dtype, not the bool result's
                let (operand, _) = self.ty(a)?;
                let (a, b) = (self.reg(a, e)?, self.reg(b, e)?);
                self.binary_scalar(op, operand, &d, &a, &b)?;
            }
            Expr::MulHi { a, b } => {
                let (a, b) = (self.reg(a, e)?, self.reg(b, e)?);
                self.mulhi_scalar(dtype, &d, &a, &b);
            }
            Expr::Fma { a, b, c } => {
                let (a, b, c) = (self.reg(a, e)?, self.reg(b, e)?, self.reg(c, e)?);
                self.fma_scalar(dtype, &d, &a, &b, &c);
            }
            Expr::Where { cond, a, b } => {
                let (c, a, b) = (self.reg(cond, e)?, self.reg(a, e)?, self.reg(b, e)?);
                self.select(dtype, &d, &c, &a, &b);
            }
            Expr::Cast { x } => {
                let (from, _) = self.ty(x)?;
                let x = self.reg(x, e)?;
                self.cast_scalar(from, dtype, &d, &x);
            }
            Expr::Bitcast { x } => {
                let (from, _) = self.ty(x)?;
                let x = self.reg(x, e)?;
                self.bitcast_scalar(from, dtype, &d, &x)?;
            }
            Expr::SubgroupReduce { op, x } => {
                let x = self.reg(x, e)?;
                subgroup::subgroup_reduce(self, op, dtype, &d, &x);
            }
            _ => return Err(self.malformed(format!("{v}: not an elementwise expression"))),
        }
        Ok(())
    }

    /// `d = c ? a : b`; `selp` has no predicate form, so bools take two moves.
    fn select(&mut self, dtype: DType, d: &str, c: &str, a: &str, b: &str) {
        let class = reg_class(dtype);
        if class == RegClass::Pred {
            self.ins(format!("mov.pred {d}, {b}"));
            self.ins(format!("@{c} mov.pred {d}, {a}"));
        } else {
            self.ins(format!("selp{} {d}, {a}, {b}, {c}", class.ptx_type()));
        }
    }
}

/// The binary op an accumulator combine or subgroup reduction applies.
pub(crate) fn reduce_binary(op: ReduceOp) -> BinaryOp {
    match op {
        ReduceOp::Sum => BinaryOp::Add,
        ReduceOp::Max => BinaryOp::Max,
        ReduceOp::Min => BinaryOp::Min,
        ReduceOp::Prod => BinaryOp::Mul,
    }
}
