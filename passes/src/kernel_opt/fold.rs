//! Constant folding: an elementwise operation whose operands are all constants becomes a
//! constant, computed by the interpreter's own element functions
//! ([`egpu_ir::kernel::evaluate_constant`]), so the folded bits are the bits a run would
//! produce. Not folded: an integer division by zero (an error at run time, which folding
//! must keep), and a float operation the precision model lets a backend compute
//! approximately (`exp2`, `log2`, `sin`, `sqrt`, `recip`), whose folded value could differ
//! from what the unfolded kernel gives on hardware. Also: `where` on a constant condition
//! picks its operand, and integer identities (`x + 0`, `x * 1`, `x / 1`, shifts by 0, …)
//! give `x`.

use super::rebuild::{Emitter, Rewrite, rebuild};
use egpu_ir::kernel::{Expr, Kernel, KernelError, Value, ValueId, evaluate_constant};
use egpu_ir::{BinaryOp, Scalar, UnaryOp};

pub fn fold(kernel: &Kernel) -> Result<Option<Kernel>, KernelError> {
    if !kernel.values().any(|(_, value)| folds(kernel, value)) {
        return Ok(None);
    }
    rebuild(kernel, &mut Fold).map(Some)
}

/// Whether [`Fold`] replaces `value` as the kernel defines it. Exact: a rebuild copies
/// every value before the first one replaced, so it changes something if and only if some
/// value of the input folds or is an identity as it stands (most kernels have none, and
/// are then neither rebuilt nor verified again).
fn folds(kernel: &Kernel, value: &Value) -> bool {
    identity(kernel, &value.expr).is_some()
        || (exact(kernel, &value.expr)
            && evaluate_constant(kernel, &value.expr, value.ty).is_some())
}

struct Fold;

impl Rewrite for Fold {
    fn value(
        &mut self,
        e: &mut Emitter,
        _old: ValueId,
        value: &Value,
    ) -> Result<Option<ValueId>, KernelError> {
        let expr = e.renamed(&value.expr)?;
        if let Some(same) = identity(e.b.kernel(), &expr) {
            return Ok(Some(same));
        }
        if !exact(e.b.kernel(), &expr) {
            return Ok(None);
        }
        match evaluate_constant(e.b.kernel(), &expr, value.ty) {
            Some(s) => e.emit(value.ty, &Expr::Const(s)).map(Some),
            None => Ok(None),
        }
    }
}

/// Whether the operation's result is exactly defined on every target (so a folded constant
/// equals what any backend computes): integer and bool operations always; float operations
/// with round-to-nearest results (the precision model's exact ones).
fn exact(kernel: &Kernel, expr: &Expr) -> bool {
    match expr {
        Expr::Unary { op, x } => {
            let float = kernel.value(*x).is_some_and(|v| v.ty.dtype.is_float());
            !float || matches!(op, UnaryOp::Neg | UnaryOp::Trunc)
        }
        Expr::Binary { .. }
        | Expr::MulHi { .. }
        | Expr::Fma { .. }
        | Expr::Where { .. }
        | Expr::Cast { .. }
        | Expr::Bitcast { .. } => true,
        _ => false,
    }
}

/// The operand the expression equals whatever its other operand is: `where` on a constant
/// condition, and integer identities.
fn identity(kernel: &Kernel, expr: &Expr) -> Option<ValueId> {
    let constant = |v: ValueId| kernel.constant(v);
    match expr {
        Expr::Where { cond, a, b } => match constant(*cond)? {
            Scalar::Bool(true) => Some(*a),
            Scalar::Bool(false) => Some(*b),
            _ => None,
        },
        Expr::Binary { op, a, b } => {
            let ty = kernel.value(*a)?.ty;
            if !ty.dtype.is_int() || !ty.is_scalar() {
                return None;
            }
            let is = |v: ValueId, n: i128| matches!(constant(v), Some(Scalar::Int(c)) if c == n);
            use BinaryOp::*;
            match op {
                Add | Or | Xor if is(*a, 0) => Some(*b),
                Add | Sub | Or | Xor | Shl | Shr if is(*b, 0) => Some(*a),
                Mul if is(*a, 1) => Some(*b),
                Mul | Idiv if is(*b, 1) => Some(*a),
                _ => None,
            }
        }
        _ => None,
    }
}
