//! Value ranges of scalar integers, for strength reduction: an interval `[lo, hi]` that
//! holds every value a value can take, from launch ids, constants, loop bounds and interval
//! arithmetic. An operation whose result interval leaves its dtype (it might wrap) gets the
//! dtype's whole range. Computed in definition order (operands come first), so linear.

use super::rebuild::Emitter;
use egpu_ir::kernel::{Expr, ValueId};
use egpu_ir::{BinaryOp, DType, Scalar};

/// An inclusive interval.
pub(super) type Range = (i128, i128);

/// The ranges of the values of the kernel being built, by id.
#[derive(Default)]
pub(super) struct Ranges {
    ranges: Vec<Option<Range>>,
}

impl Ranges {
    /// The range of `v` (scalar integers only), after catching up with every value the
    /// emitter has defined so far.
    pub fn of(&mut self, e: &Emitter, v: ValueId) -> Option<Range> {
        let kernel = e.b.kernel();
        for (id, _) in kernel.values().skip(self.ranges.len()) {
            let r = self.compute(e, id);
            self.ranges.push(r);
        }
        self.ranges.get(v.as_u32() as usize).copied().flatten()
    }

    fn get(&self, v: ValueId) -> Option<Range> {
        self.ranges.get(v.as_u32() as usize).copied().flatten()
    }

    fn compute(&self, e: &Emitter, v: ValueId) -> Option<Range> {
        let value = e.value(v)?;
        let dtype = value.ty.dtype;
        if !value.ty.is_scalar() && dtype.is_int() {
            return full(dtype);
        }
        if dtype.is_bool() {
            return Some((0, 1));
        }
        let launch = e.b.kernel().launch();
        let r = match &value.expr {
            Expr::Const(Scalar::Int(c)) => Some((*c, *c)),
            Expr::WorkgroupId(a) => Some((0, i128::from(launch.grid[a.index()]) - 1)),
            Expr::LocalId(a) => Some((0, i128::from(launch.workgroup[a.index()]) - 1)),
            Expr::LoopVar => {
                let (start, end) = e.loop_bounds(v)?;
                let (s, (_, end_hi)) = (self.get(start)?, self.get(end)?);
                // The variable is at least start and always below end.
                Some((s.0, (end_hi - 1).max(s.0)))
            }
            Expr::Binary { op, a, b } => binary(*op, self.get(*a)?, self.get(*b)?),
            Expr::MulHi { a, b } => {
                let ((alo, ahi), (blo, bhi)) = (self.get(*a)?, self.get(*b)?);
                let bits = dtype.bits();
                (alo >= 0 && blo >= 0).then(|| ((alo * blo) >> bits, (ahi * bhi) >> bits))
            }
            Expr::Where { a, b, .. } => {
                let (a, b) = (self.get(*a)?, self.get(*b)?);
                Some((a.0.min(b.0), a.1.max(b.1)))
            }
            Expr::Cast { x } => self.get(*x),
            _ => None,
        };
        match (r, full(dtype)) {
            (Some((lo, hi)), Some((min, max))) if min <= lo && hi <= max && lo <= hi => {
                Some((lo, hi))
            }
            (_, whole) => whole,
        }
    }
}

/// Every value of an integer dtype.
fn full(dtype: DType) -> Option<Range> {
    if !dtype.is_int() {
        return None;
    }
    let bits = dtype.bits();
    Some(if dtype.is_signed_int() {
        (-(1i128 << (bits - 1)), (1i128 << (bits - 1)) - 1)
    } else {
        (0, (1i128 << bits) - 1)
    })
}

/// Shift amounts are taken only below 32, where `b mod bits` is `b` for every dtype.
/// Interval arithmetic in i128 (exact for 64-bit operands); `None` when unknown. The caller
/// replaces a result outside the dtype by the whole dtype.
fn binary(op: BinaryOp, (alo, ahi): Range, (blo, bhi): Range) -> Option<Range> {
    let constant = (blo == bhi).then_some(blo);
    match op {
        BinaryOp::Add => Some((alo.checked_add(blo)?, ahi.checked_add(bhi)?)),
        BinaryOp::Sub => Some((alo.checked_sub(bhi)?, ahi.checked_sub(blo)?)),
        BinaryOp::Mul => {
            let corners = [
                alo.checked_mul(blo)?,
                alo.checked_mul(bhi)?,
                ahi.checked_mul(blo)?,
                ahi.checked_mul(bhi)?,
            ];
            Some((*corners.iter().min()?, *corners.iter().max()?))
        }
        // Truncating division by a positive constant is monotonic.
        BinaryOp::Idiv => constant.filter(|&d| d > 0).map(|d| (alo / d, ahi / d)),
        BinaryOp::Mod => match constant {
            Some(d) if d > 0 && alo >= 0 => Some((0, ahi.min(d - 1))),
            _ => None,
        },
        BinaryOp::Shr => match constant {
            Some(k) if (0..32).contains(&k) && alo >= 0 => Some((alo >> k, ahi >> k)),
            _ => None,
        },
        BinaryOp::Shl => match constant {
            Some(k) if (0..32).contains(&k) => {
                Some((alo.checked_shl(k as u32)?, ahi.checked_shl(k as u32)?))
            }
            _ => None,
        },
        BinaryOp::And if blo >= 0 => Some((0, bhi)),
        BinaryOp::And if alo >= 0 => Some((0, ahi)),
        BinaryOp::Max => Some((alo.max(blo), ahi.max(bhi))),
        BinaryOp::Min => Some((alo.min(blo), ahi.min(bhi))),
        _ => None,
    }
}
