//! Elementwise operations: unary, binary, where, cast and bitcast.
//!
//! Floats are computed in f64 on the exact operand values and rounded once to the dtype;
//! integers are computed in `i128` and wrapped to the dtype's width.

use super::{Data, EvalError};
use crate::{BinaryOp, DType, Scalar, UnaryOp, round_float, wrap_int};

/// What went wrong with one element, before the node is known.
enum Fault {
    DivisionByZero,
    Unsupported,
}

/// `op` applied to every element of `x`, whose dtype is `dtype`.
pub(crate) fn unary(op: UnaryOp, dtype: DType, x: &Data, node: &str) -> Result<Data, EvalError> {
    let data = match x {
        Data::Float(v) => v
            .iter()
            .map(|&a| float_unary(op, a).map(|r| round_float(r, dtype)))
            .collect::<Option<_>>()
            .map(Data::Float),
        Data::Int(v) => v
            .iter()
            .map(|&a| int_unary(op, a, dtype))
            .collect::<Option<_>>()
            .map(Data::Int),
        Data::Bool(v) if op == UnaryOp::Not => Some(Data::Bool(v.iter().map(|b| !b).collect())),
        Data::Bool(_) => None,
    };
    data.ok_or_else(|| unsupported(node, dtype))
}

fn float_unary(op: UnaryOp, a: f64) -> Option<f64> {
    Some(match op {
        UnaryOp::Neg => -a,
        UnaryOp::Exp2 => a.exp2(),
        UnaryOp::Log2 => a.log2(),
        UnaryOp::Sin => a.sin(),
        UnaryOp::Sqrt => a.sqrt(),
        UnaryOp::Recip => 1.0 / a,
        UnaryOp::Trunc => a.trunc(),
        UnaryOp::Not => return None,
    })
}

fn int_unary(op: UnaryOp, a: i128, dtype: DType) -> Option<i128> {
    match op {
        // In i128 the negation of any 64-bit value is exact; wrapping maps MIN to MIN.
        UnaryOp::Neg => Some(wrap_int(a.wrapping_neg(), dtype)),
        // Bitwise not of the sign-extended value is the not of the two's complement pattern.
        UnaryOp::Not => Some(wrap_int(!a, dtype)),
        _ => None,
    }
}

/// `a op b` elementwise; `dtype` is the operands' dtype (comparisons answer bool).
pub(crate) fn binary(
    op: BinaryOp,
    dtype: DType,
    a: &Data,
    b: &Data,
    node: &str,
) -> Result<Data, EvalError> {
    if a.len() != b.len() {
        return Err(bad_graph(
            node,
            format!("operands have {} and {} elements", a.len(), b.len()),
        ));
    }
    if op.is_comparison() {
        return compare(op, a, b).ok_or_else(|| unsupported(node, dtype));
    }
    let result = match (a, b) {
        (Data::Float(a), Data::Float(b)) => {
            zip(a, b, |x, y| float_binary(op, x, y, dtype)).map(Data::Float)
        }
        (Data::Int(a), Data::Int(b)) => {
            zip(a, b, |x, y| int_binary(op, x, y, dtype)).map(Data::Int)
        }
        (Data::Bool(a), Data::Bool(b)) => zip(a, b, |x, y| bool_binary(op, x, y)).map(Data::Bool),
        _ => Err(Fault::Unsupported),
    };
    result.map_err(|fault| match fault {
        Fault::DivisionByZero => EvalError::DivisionByZero {
            node: node.to_string(),
        },
        Fault::Unsupported => unsupported(node, dtype),
    })
}

/// `f` over pairs of elements, stopping at the first fault.
fn zip<T: Copy, R>(
    a: &[T],
    b: &[T],
    f: impl Fn(T, T) -> Result<R, Fault>,
) -> Result<Vec<R>, Fault> {
    a.iter().zip(b).map(|(&x, &y)| f(x, y)).collect()
}

/// IEEE comparisons for floats (NaN compares false, except `cmpne`); by value otherwise.
fn compare(op: BinaryOp, a: &Data, b: &Data) -> Option<Data> {
    fn cmp<T: PartialOrd>(op: BinaryOp, a: &[T], b: &[T]) -> Vec<bool> {
        let test = |x: &T, y: &T| match op {
            BinaryOp::CmpLt => x < y,
            BinaryOp::CmpEq => x == y,
            _ => x != y,
        };
        a.iter().zip(b).map(|(x, y)| test(x, y)).collect()
    }
    Some(Data::Bool(match (a, b) {
        (Data::Float(a), Data::Float(b)) => cmp(op, a, b),
        (Data::Int(a), Data::Int(b)) => cmp(op, a, b),
        (Data::Bool(a), Data::Bool(b)) => cmp(op, a, b),
        _ => return None,
    }))
}

fn float_binary(op: BinaryOp, a: f64, b: f64, dtype: DType) -> Result<f64, Fault> {
    let exact = match op {
        BinaryOp::Add => a + b,
        BinaryOp::Sub => a - b,
        BinaryOp::Mul => a * b,
        BinaryOp::Div => a / b,
        BinaryOp::Max => float_max(a, b),
        BinaryOp::Min => float_min(a, b),
        _ => return Err(Fault::Unsupported),
    };
    Ok(round_float(exact, dtype))
}

/// The larger value; NaN if either is NaN; +0 is larger than -0 (IEEE 754-2019 `maximum`),
/// so the answer does not depend on operand order.
pub(super) fn float_max(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else if a == b {
        if a.is_sign_negative() { b } else { a }
    } else if a > b {
        a
    } else {
        b
    }
}

/// The smaller value; NaN if either is NaN; -0 is smaller than +0.
pub(super) fn float_min(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else if a == b {
        if a.is_sign_negative() { a } else { b }
    } else if a < b {
        a
    } else {
        b
    }
}

fn int_binary(op: BinaryOp, a: i128, b: i128, dtype: DType) -> Result<i128, Fault> {
    // Operands are at most 64 bits wide, so i128 wrapping keeps every low bit the dtype needs.
    let exact = match op {
        BinaryOp::Add => a.wrapping_add(b),
        BinaryOp::Sub => a.wrapping_sub(b),
        BinaryOp::Mul => a.wrapping_mul(b),
        BinaryOp::Idiv | BinaryOp::Mod if b == 0 => return Err(Fault::DivisionByZero),
        // i128 division truncates toward zero and the remainder takes the dividend's sign;
        // MIN / -1 is exact here and wraps back to MIN below.
        BinaryOp::Idiv => a.wrapping_div(b),
        BinaryOp::Mod => a.wrapping_rem(b),
        BinaryOp::Max => a.max(b),
        BinaryOp::Min => a.min(b),
        BinaryOp::And => a & b,
        BinaryOp::Or => a | b,
        BinaryOp::Xor => a ^ b,
        BinaryOp::Shl => a << shift_amount(b, dtype),
        // Signed values are sign-extended, so i128 `>>` is arithmetic on them and logical on
        // unsigned values, which are never negative.
        BinaryOp::Shr => a >> shift_amount(b, dtype),
        _ => return Err(Fault::Unsupported),
    };
    Ok(wrap_int(exact, dtype))
}

/// The shift amount: `b`'s bit pattern, as unsigned, modulo the bit width. The width is a
/// power of two, so this is the pattern's low bits, which `rem_euclid` gives for any sign.
fn shift_amount(b: i128, dtype: DType) -> u32 {
    b.rem_euclid(i128::from(dtype.bits())) as u32
}

fn bool_binary(op: BinaryOp, a: bool, b: bool) -> Result<bool, Fault> {
    match op {
        BinaryOp::And => Ok(a & b),
        BinaryOp::Or => Ok(a | b),
        BinaryOp::Xor => Ok(a ^ b),
        _ => Err(Fault::Unsupported),
    }
}

/// `cond ? a : b` elementwise.
pub(crate) fn select(cond: &Data, a: &Data, b: &Data, node: &str) -> Result<Data, EvalError> {
    fn pick<T: Copy>(c: &[bool], a: &[T], b: &[T]) -> Vec<T> {
        c.iter()
            .zip(a.iter().zip(b))
            .map(|(&c, (&x, &y))| if c { x } else { y })
            .collect()
    }
    let Data::Bool(c) = cond else {
        return Err(bad_graph(node, "the condition is not bool".to_string()));
    };
    if c.len() != a.len() || c.len() != b.len() {
        return Err(bad_graph(
            node,
            "operands differ in element count".to_string(),
        ));
    }
    match (a, b) {
        (Data::Bool(a), Data::Bool(b)) => Ok(Data::Bool(pick(c, a, b))),
        (Data::Int(a), Data::Int(b)) => Ok(Data::Int(pick(c, a, b))),
        (Data::Float(a), Data::Float(b)) => Ok(Data::Float(pick(c, a, b))),
        _ => Err(bad_graph(
            node,
            "value operands differ in dtype".to_string(),
        )),
    }
}

/// Value conversion to `to` (see [`Scalar::cast`]).
pub(crate) fn cast(x: &Data, to: DType) -> Data {
    Data::cast_from(to, x.scalars())
}

/// The bits of each `from` value reinterpreted as a `to` value.
pub(crate) fn bitcast(x: &Data, from: DType, to: DType) -> Data {
    Data::cast_from(
        to,
        x.scalars().map(|s| Scalar::from_bits(s.to_bits(from), to)),
    )
}

fn unsupported(node: &str, dtype: DType) -> EvalError {
    bad_graph(
        node,
        format!("the operation does not apply to {dtype} operands"),
    )
}

pub(super) fn bad_graph(node: &str, message: String) -> EvalError {
    EvalError::BadGraph {
        node: node.to_string(),
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_and_min_order_signed_zeros_and_propagate_nan() {
        assert!(float_max(-0.0, 0.0).is_sign_positive());
        assert!(float_max(0.0, -0.0).is_sign_positive());
        assert!(float_min(0.0, -0.0).is_sign_negative());
        assert!(float_min(-0.0, 0.0).is_sign_negative());
        assert!(float_max(1.0, f64::NAN).is_nan());
        assert!(float_min(f64::NAN, 1.0).is_nan());
    }

    #[test]
    fn shifts_take_the_amount_modulo_the_width() {
        let shl = |a, b, d| int_binary(BinaryOp::Shl, a, b, d).ok();
        let shr = |a, b, d| int_binary(BinaryOp::Shr, a, b, d).ok();
        assert_eq!(shl(1, 9, DType::I8), Some(2));
        assert_eq!(shl(1, -1, DType::I8), Some(-128));
        assert_eq!(shr(-128, 7, DType::I8), Some(-1));
        assert_eq!(shr(128, 7, DType::U8), Some(1));
        assert_eq!(shl(1, 64, DType::U64), Some(1));
    }

    #[test]
    fn integer_division_truncates_and_wraps() {
        let div = |a, b| int_binary(BinaryOp::Idiv, a, b, DType::I64).ok();
        let rem = |a, b| int_binary(BinaryOp::Mod, a, b, DType::I64).ok();
        assert_eq!(div(-7, 2), Some(-3));
        assert_eq!(rem(-7, 2), Some(-1));
        assert_eq!(div(i128::from(i64::MIN), -1), Some(i128::from(i64::MIN)));
        assert!(matches!(
            int_binary(BinaryOp::Idiv, 1, 0, DType::I64),
            Err(Fault::DivisionByZero)
        ));
    }
}
