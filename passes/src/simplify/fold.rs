//! Constant folding with exactly the reference interpreter's semantics.
//!
//! Elementwise operations are not re-implemented here: each fold builds a one-operation
//! graph of scalar constants and runs `interp::evaluate` on it, so a folded value is the
//! value the interpreter computes for every element of the original node (rounding, integer
//! wrapping, NaN and signed-zero rules included). Reductions of a constant over `n`
//! elements are evaluated the same way while `n` is small, and in closed form, where that
//! form is provably the interpreter's answer, when it is large.

use super::language::{Kind, Value};
use egpu_ir::interp::evaluate;
use egpu_ir::{BuildResult, DType, GraphBuilder, NodeId, ReduceOp, Scalar, round_float, wrap_int};
use std::collections::BTreeMap;

/// Reductions over at most this many elements are folded by running the interpreter.
const INTERPRETED_REDUCE: usize = 4096;

/// The value of a one-node graph built by `build` from scalar constants, or `None` when the
/// interpreter refuses it (an integer division by zero, say).
fn evaluate_scalar(build: impl FnOnce(&mut GraphBuilder) -> BuildResult<NodeId>) -> Option<Value> {
    let mut b = GraphBuilder::new("fold");
    let result = build(&mut b).ok()?;
    b.output("r", result).ok()?;
    let graph = b.finish().ok()?;
    let outputs = evaluate(&graph, &BTreeMap::new()).ok()?;
    let (_, tensor) = outputs.first()?;
    tensor.data.get(0).map(Value::from_scalar)
}

/// A scalar constant operand.
fn scalar(b: &mut GraphBuilder, (value, dtype): (Value, DType)) -> BuildResult<NodeId> {
    b.constant(value.scalar(), dtype, &[])
}

/// The value of an elementwise `kind` whose operands are the uniform constants `args`
/// (value and dtype each, in operand order); `to` is the result dtype of a cast or bitcast.
pub fn elementwise(kind: Kind, args: &[(Value, DType)], to: DType) -> Option<Value> {
    match (kind, args) {
        (Kind::Unary(op, _), &[x]) => evaluate_scalar(|b| {
            let x = scalar(b, x)?;
            b.unary(op, x)
        }),
        (Kind::Cast(..), &[x]) => evaluate_scalar(|b| {
            let x = scalar(b, x)?;
            b.cast(x, to)
        }),
        (Kind::Bitcast(..), &[x]) => evaluate_scalar(|b| {
            let x = scalar(b, x)?;
            b.bitcast(x, to)
        }),
        (Kind::Binary(op, ..), &[x, y]) => evaluate_scalar(|b| {
            let (x, y) = (scalar(b, x)?, scalar(b, y)?);
            b.binary(op, x, y)
        }),
        (Kind::Where(..), &[(Value::Bool(c), _), x, y]) => Some(if c { x.0 } else { y.0 }),
        _ => None,
    }
}

/// The value of reducing `n` elements that all equal `c` (of `dtype`) with `op`.
pub fn reduce(op: ReduceOp, c: Value, dtype: DType, n: usize) -> Option<Value> {
    if n <= INTERPRETED_REDUCE {
        return evaluate_scalar(|b| {
            let x = b.constant(c.scalar(), dtype, &[n])?;
            b.reduce(op, x, &[0])
        });
    }
    closed_form(op, c, dtype, n)
}

/// Large reductions of a constant, in the cases where a formula gives the interpreter's
/// exact answer; `None` otherwise (the node then stays).
fn closed_form(op: ReduceOp, c: Value, dtype: DType, n: usize) -> Option<Value> {
    match (op, c.scalar()) {
        // n > 0 copies of one value: max and min are that value (NaN included: the
        // interpreter's max of NaNs is the canonical NaN, which is what `c` must then be
        // compared with; keep to non-NaN values to stay bit-exact).
        (ReduceOp::Max | ReduceOp::Min, Scalar::Float(f)) if !f.is_nan() => Some(c),
        (ReduceOp::Max | ReduceOp::Min, Scalar::Int(_)) => Some(c),
        // Integer sums and products wrap at every step, which equals wrapping once.
        (ReduceOp::Sum, Scalar::Int(i)) => {
            Some(Value::Int(wrap_int(i.wrapping_mul(n as i128), dtype)))
        }
        (ReduceOp::Prod, Scalar::Int(i)) => Some(Value::Int(int_power(i, n, dtype))),
        // The interpreter adds in f64 and rounds once. A value of f32 or narrower has at
        // most 24 significant bits, so below 2^29 copies every partial sum k·c is exact in
        // f64 and the sum is c·n, rounded once.
        (ReduceOp::Sum, Scalar::Float(f)) if dtype != DType::F64 && n < 1 << 29 => Some(
            Value::from_scalar(Scalar::Float(round_float(f * n as f64, dtype))),
        ),
        _ => None,
    }
}

/// `base^exp` wrapped to `dtype` (square-and-multiply; wrapping commutes with products).
fn int_power(base: i128, mut exp: usize, dtype: DType) -> i128 {
    let (mut result, mut square) = (wrap_int(1, dtype), wrap_int(base, dtype));
    while exp > 0 {
        if exp & 1 == 1 {
            result = wrap_int(result.wrapping_mul(square), dtype);
        }
        square = wrap_int(square.wrapping_mul(square), dtype);
        exp >>= 1;
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closed_forms_agree_with_the_interpreter() {
        let cases = [
            (ReduceOp::Sum, Value::of(0.1, DType::F32), DType::F32),
            (ReduceOp::Sum, Value::of(-0.0, DType::F16), DType::F16),
            (ReduceOp::Sum, Value::Int(7), DType::I8),
            (ReduceOp::Prod, Value::Int(3), DType::U16),
            (ReduceOp::Prod, Value::Int(-3), DType::I32),
            (ReduceOp::Max, Value::of(2.5, DType::BF16), DType::BF16),
            (ReduceOp::Min, Value::Int(-9), DType::I64),
        ];
        for (op, c, dtype) in cases {
            for n in [1, 2, 3, 1000, 4095] {
                assert_eq!(closed_form(op, c, dtype, n), reduce(op, c, dtype, n));
            }
        }
    }

    #[test]
    fn integer_division_by_zero_does_not_fold() {
        let args = [(Value::Int(1), DType::I32), (Value::Int(0), DType::I32)];
        let idiv = Kind::Binary(egpu_ir::BinaryOp::Idiv, egg::Id::from(0), egg::Id::from(0));
        assert_eq!(elementwise(idiv, &args, DType::I32), None);
    }
}
