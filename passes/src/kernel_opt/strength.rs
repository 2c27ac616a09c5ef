//! Strength reduction: integer division and remainder by a positive constant `d` become
//! shifts, masks and a `mulhi`, when the dividend is known (by [`super::range`]) to lie in
//! `[0, 2^(bits-1))`. There truncating, signed and unsigned division all agree, and:
//! - `d = 1`: `x / 1 = x`, `x % 1 = 0`; `d > max x`: `x / d = 0`, `x % d = x`;
//! - `d = 2^k`: `x / d = x >> k`, `x % d = x & (d - 1)`;
//! - otherwise `x / d = mulhi(x, m) >> s` with `m = ⌈2^(bits+s) / d⌉ < 2^bits`, for the
//!   smallest `s` with `max x · (m·d − 2^(bits+s)) < 2^(bits+s)`. Proof: writing
//!   `m·d = 2^(bits+s) + e`, `x·m / 2^(bits+s) = x/d + x·e / (d·2^(bits+s))`, and the added
//!   term is below `1/d`, which cannot carry `x/d` past the next integer. When `m` does
//!   not fit the signed dtype, the product is taken on the unsigned dtype of the same
//!   width (bitcasts, which cost nothing);
//! - `x % d = x − (x / d)·d`.
//!
//! Scalars only (indices are scalars).

use super::range::Ranges;
use super::rebuild::{Emitter, Rewrite, rebuild};
use egpu_ir::kernel::{Expr, Kernel, KernelError, Value, ValueId, ValueType};
use egpu_ir::{BinaryOp, DType, Scalar, wrap_int};

pub fn strength_reduce(kernel: &Kernel) -> Result<Option<Kernel>, KernelError> {
    let candidate = |expr: &Expr| match expr {
        Expr::Binary {
            op: BinaryOp::Idiv | BinaryOp::Mod,
            b,
            ..
        } => matches!(kernel.constant(*b), Some(Scalar::Int(d)) if d > 0),
        _ => false,
    };
    if !kernel.values().any(|(_, value)| candidate(&value.expr)) {
        return Ok(None);
    }
    let mut pass = Strength {
        ranges: Ranges::default(),
    };
    rebuild(kernel, &mut pass).map(Some)
}

struct Strength {
    ranges: Ranges,
}

impl Rewrite for Strength {
    fn value(
        &mut self,
        e: &mut Emitter,
        _old: ValueId,
        value: &Value,
    ) -> Result<Option<ValueId>, KernelError> {
        let Expr::Binary { op, a, b } = value.expr else {
            return Ok(None);
        };
        let ty = value.ty;
        if !matches!(op, BinaryOp::Idiv | BinaryOp::Mod) || !ty.is_scalar() {
            return Ok(None);
        }
        let (x, divisor) = (e.new_of(a)?, e.new_of(b)?);
        let Some(Scalar::Int(d)) = e.b.kernel().constant(divisor) else {
            return Ok(None);
        };
        let Some((lo, hi)) = self.ranges.of(e, x) else {
            return Ok(None);
        };
        let bits = ty.dtype.bits();
        if d < 1 || lo < 0 || hi >= 1i128 << (bits - 1) {
            return Ok(None);
        }
        if op == BinaryOp::Idiv {
            return divide(e, x, d, hi, ty).map(Some);
        }
        if let Some(rest) = simple_remainder(e, x, d, hi, ty)? {
            return Ok(Some(rest));
        }
        let quotient = divide(e, x, d, hi, ty)?;
        let product = e.emit(
            ty,
            &Expr::Binary {
                op: BinaryOp::Mul,
                a: quotient,
                b: divisor,
            },
        )?;
        let rest = Expr::Binary {
            op: BinaryOp::Sub,
            a: x,
            b: product,
        };
        e.emit(ty, &rest).map(Some)
    }
}

/// `x % d` without a product where there is a shortcut: 0 for `d = 1`, `x` for `d > hi`,
/// a mask for a power of two.
fn simple_remainder(
    e: &mut Emitter,
    x: ValueId,
    d: i128,
    hi: i128,
    ty: ValueType,
) -> Result<Option<ValueId>, KernelError> {
    let int = |e: &mut Emitter, c: i128| e.emit(ty, &Expr::Const(Scalar::Int(c)));
    if d == 1 {
        return int(e, 0).map(Some);
    }
    if d > hi {
        return Ok(Some(x));
    }
    if d.count_ones() == 1 {
        let mask = int(e, d - 1)?;
        let and = Expr::Binary {
            op: BinaryOp::And,
            a: x,
            b: mask,
        };
        return e.emit(ty, &and).map(Some);
    }
    Ok(None)
}

/// `x / d` for `0 ≤ x ≤ hi < 2^(bits-1)` and `d ≥ 1`, without a division.
fn divide(
    e: &mut Emitter,
    x: ValueId,
    d: i128,
    hi: i128,
    ty: ValueType,
) -> Result<ValueId, KernelError> {
    let dtype = ty.dtype;
    let int = |e: &mut Emitter, dtype: DType, c: i128| {
        e.emit(
            ValueType::scalar(dtype),
            &Expr::Const(Scalar::Int(wrap_int(c, dtype))),
        )
    };
    let binary = |e: &mut Emitter, op, a, b| e.emit(ty, &Expr::Binary { op, a, b });
    if d == 1 {
        return Ok(x);
    }
    if d > hi {
        return int(e, dtype, 0);
    }
    if d.count_ones() == 1 {
        let k = int(e, dtype, i128::from(d.trailing_zeros()))?;
        return binary(e, BinaryOp::Shr, x, k);
    }
    let bits = dtype.bits();
    let Some((m, s)) = magic(d, hi, bits) else {
        // Not reached for hi < 2^(bits-1) (s = bits always works), but kept safe.
        let divisor = int(e, dtype, d)?;
        return binary(e, BinaryOp::Idiv, x, divisor);
    };
    let high = if dtype.is_unsigned_int() || m < 1i128 << (bits - 1) {
        let m = int(e, dtype, m)?;
        e.emit(ty, &Expr::MulHi { a: x, b: m })?
    } else {
        let unsigned = if bits == 32 { DType::U32 } else { DType::U64 };
        let ux = e.emit(ValueType::scalar(unsigned), &Expr::Bitcast { x })?;
        let m = int(e, unsigned, m)?;
        let high = e.emit(ValueType::scalar(unsigned), &Expr::MulHi { a: ux, b: m })?;
        e.emit(ty, &Expr::Bitcast { x: high })?
    };
    if s == 0 {
        return Ok(high);
    }
    let shift = int(e, dtype, i128::from(s))?;
    binary(e, BinaryOp::Shr, high, shift)
}

/// The multiplier `m < 2^bits` and extra shift `s` with `⌊x·m / 2^(bits+s)⌋ = ⌊x / d⌋` for
/// every `0 ≤ x ≤ hi` (see the module documentation); the smallest such `s`.
pub(super) fn magic(d: i128, hi: i128, bits: u32) -> Option<(i128, u32)> {
    let (d, hi) = (u128::try_from(d).ok()?, u128::try_from(hi).ok()?);
    for s in 0..bits {
        let k = bits + s;
        if k > 127 {
            return None;
        }
        let two_k = 1u128 << k;
        let m = two_k.div_ceil(d);
        if m >= 1u128 << bits {
            return None;
        }
        let excess = m * d - two_k;
        if hi.checked_mul(excess)? < two_k {
            return Some((i128::try_from(m).ok()?, s));
        }
    }
    None
}
