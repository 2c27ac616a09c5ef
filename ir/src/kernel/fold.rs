//! [`evaluate_constant`]: an elementwise expression on constant operands, computed by the very
//! per-element functions the interpreter runs, so that an optimizer folding constants
//! produces exactly the bits a run would.

use super::interp::{fma, mulhi};
use super::types::{Expr, Kernel, ValueType};
use crate::Scalar;
use crate::interp::{Data, elementwise};

/// The scalar `expr` (of type `ty`) gives when every operand is a constant of `kernel`, or
/// `None` when it is not elementwise, an operand is not a constant, or evaluating it is an
/// error at run time (an integer division by zero), which folding must leave to run time.
pub fn evaluate_constant(kernel: &Kernel, expr: &Expr, ty: ValueType) -> Option<Scalar> {
    if !ty.is_scalar() {
        return None;
    }
    let arg = |v| {
        let value = kernel.value(v)?;
        let s = kernel.constant(v)?;
        Some((
            Data::cast_from(value.ty.dtype, std::iter::once(s)),
            value.ty.dtype,
        ))
    };
    let data = match expr {
        Expr::Unary { op, x } => {
            let (x, from) = arg(*x)?;
            elementwise::unary(*op, from, &x, "").ok()?
        }
        Expr::Binary { op, a, b } => {
            let ((a, from), (b, _)) = (arg(*a)?, arg(*b)?);
            elementwise::binary(*op, from, &a, &b, "").ok()?
        }
        Expr::MulHi { a, b } => match (arg(*a)?.0, arg(*b)?.0) {
            (Data::Int(a), Data::Int(b)) => {
                Data::Int(vec![mulhi(*a.first()?, *b.first()?, ty.dtype)])
            }
            _ => return None,
        },
        Expr::Fma { a, b, c } => match (arg(*a)?.0, arg(*b)?.0, arg(*c)?.0) {
            (Data::Float(a), Data::Float(b), Data::Float(c)) => {
                Data::Float(vec![fma(*a.first()?, *b.first()?, *c.first()?, ty.dtype)])
            }
            _ => return None,
        },
        Expr::Where { cond, a, b } => {
            let ((c, _), (a, _), (b, _)) = (arg(*cond)?, arg(*a)?, arg(*b)?);
            elementwise::select(&c, &a, &b, "").ok()?
        }
        Expr::Cast { x } => elementwise::cast(&arg(*x)?.0, ty.dtype),
        Expr::Bitcast { x } => {
            let (x, from) = arg(*x)?;
            elementwise::bitcast(&x, from, ty.dtype)
        }
        _ => return None,
    };
    data.get(0)
}
