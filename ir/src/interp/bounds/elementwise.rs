//! Error bounds through elementwise operations (see the module above for the rules).

use super::Operand;
use crate::precision::{self, Bound, Family, FloatOp, ulp};
use crate::{BinaryOp, DType, UnaryOp};

/// One elementwise step: the target family (for the precision model) and the dtype the step
/// rounds to.
pub(super) struct Step {
    pub family: Family,
    pub dtype: DType,
}

/// The largest finite value of a float dtype (beyond it a perturbed result may overflow).
fn max_finite(dtype: DType) -> f64 {
    match dtype {
        DType::F16 => 65504.0,
        DType::BF16 => 3.3895313892515355e38,
        DType::F32 => f64::from(f32::MAX),
        _ => f64::MAX,
    }
}

/// A bound that is never NaN (NaN arises from ∞ − ∞ in the propagation: unbounded).
fn clean(e: f64) -> f64 {
    if e.is_nan() { f64::INFINITY } else { e }
}

impl Step {
    /// The kernel's rounding of a result whose exact value (from the reference's operands)
    /// is `v`, after the operands' errors moved it by up to `p`: nothing when the operands
    /// are exact and the op correctly rounded (same bits as the reference); otherwise the
    /// model's allowance at the perturbed magnitude plus half an ULP for the reference's own
    /// rounding.
    fn rounding(&self, bound: &Bound, v: f64, p: f64, x: f64) -> f64 {
        if p == 0.0 && bound.is_exact() {
            return 0.0;
        }
        bound.allowance(self.dtype, v.abs() + p, x) + 0.5 * ulp(v, self.dtype)
    }

    /// Total bound of a float result: propagated plus rounding, unbounded where the result
    /// may overflow.
    fn float_result(&self, bound: Option<&Bound>, v: f64, p: f64, x: f64) -> f64 {
        let e = p + bound.map_or(0.0, |b| self.rounding(b, v, p, x));
        let e = clean(e);
        if e > 0.0 && v.is_finite() && v.abs() + e > max_finite(self.dtype) {
            f64::INFINITY
        } else {
            e
        }
    }

    fn model(&self, op: FloatOp) -> Bound {
        precision::bound(self.family, op, self.dtype)
    }

    pub fn unary(&self, op: UnaryOp, x: &Operand) -> Vec<f64> {
        let xs = x.value.to_f64_vec();
        let float = self.dtype.is_float();
        xs.iter()
            .zip(x.bound)
            .map(|(&a, &e)| match (float, model_op(op)) {
                (true, Some(fop)) => {
                    let b = self.model(fop);
                    self.float_result(Some(&b), exact_unary(op, a), unary_spread(op, a, e), a)
                }
                (true, None) => clean(unary_spread(op, a, e)),
                (false, _) if op == UnaryOp::Neg => self.int_result(-a, e),
                (false, _) => unknown_unless_zero(e),
            })
            .collect()
    }

    pub fn binary(&self, op: BinaryOp, a: &Operand, b: &Operand) -> Vec<f64> {
        let (av, bv) = (a.value.to_f64_vec(), b.value.to_f64_vec());
        let operand_dtype = a.value.dtype;
        let step = Step {
            family: self.family,
            dtype: operand_dtype,
        };
        (0..av.len())
            .map(|i| {
                let (x, y) = (av[i], bv[i]);
                let (ex, ey) = (a.bound[i], b.bound[i]);
                if op.is_comparison() {
                    return comparison(x, y, ex, ey);
                }
                match operand_dtype {
                    d if d.is_float() => step.float_binary(op, x, y, ex, ey),
                    d if d.is_bool() => either_uncertain(ex, ey),
                    _ => step.int_binary(op, x, y, ex, ey),
                }
            })
            .collect()
    }

    fn float_binary(&self, op: BinaryOp, x: f64, y: f64, ex: f64, ey: f64) -> f64 {
        let (p, fop, v) = match op {
            BinaryOp::Add => (ex + ey, FloatOp::Add, x + y),
            BinaryOp::Sub => (ex + ey, FloatOp::Sub, x - y),
            BinaryOp::Mul => (x.abs() * ey + y.abs() * ex + ex * ey, FloatOp::Mul, x * y),
            BinaryOp::Div => (quotient_spread(x, y, ex, ey), FloatOp::Div, x / y),
            // max and min pick an operand: no rounding, the larger bound.
            _ => return ex.max(ey),
        };
        let p = if ex == 0.0 && ey == 0.0 { 0.0 } else { p };
        self.float_result(Some(&self.model(fop)), v, p, x)
    }

    fn int_binary(&self, op: BinaryOp, x: f64, y: f64, ex: f64, ey: f64) -> f64 {
        if ex == 0.0 && ey == 0.0 {
            return 0.0;
        }
        match op {
            BinaryOp::Add => self.int_result(x + y, ex + ey),
            BinaryOp::Sub => self.int_result(x - y, ex + ey),
            BinaryOp::Mul => self.int_result(x * y, x.abs() * ey + y.abs() * ex + ex * ey),
            BinaryOp::Max | BinaryOp::Min => ex.max(ey),
            _ => f64::INFINITY,
        }
    }

    /// An integer result `v` off by up to `e`: unbounded when that may wrap.
    fn int_result(&self, v: f64, e: f64) -> f64 {
        let Some((lo, hi)) = self.dtype.int_range() else {
            return unknown_unless_zero(e);
        };
        if e == 0.0 {
            0.0
        } else if v - e < lo as f64 || v + e > hi as f64 {
            f64::INFINITY
        } else {
            e
        }
    }

    /// Conversion to the step's dtype.
    pub fn cast(&self, x: &Operand) -> Vec<f64> {
        let from = x.value.dtype;
        let to = self.dtype;
        x.value
            .to_f64_vec()
            .iter()
            .zip(x.bound)
            .map(|(&a, &e)| {
                if e == 0.0 {
                    return 0.0; // one deterministic conversion, as in the reference
                }
                if to.is_bool() {
                    // Only a value that may be 0 may convert differently.
                    return if e >= a.abs() { f64::INFINITY } else { 0.0 };
                }
                if from.is_bool() {
                    return 1.0;
                }
                match (from.is_float(), to.is_float()) {
                    (_, true) => self.float_result(None, a, e + ulp(a.abs() + e, to), a),
                    // Truncation of a value that moved by e moves by at most e + 1.
                    (true, false) => self.int_result(a.trunc(), e + 1.0),
                    (false, false) => self.int_result(a, e),
                }
            })
            .collect()
    }
}

/// The graph's float unary ops that round (neg and trunc are exact).
fn model_op(op: UnaryOp) -> Option<FloatOp> {
    match op {
        UnaryOp::Exp2 => Some(FloatOp::Exp2),
        UnaryOp::Log2 => Some(FloatOp::Log2),
        UnaryOp::Sin => Some(FloatOp::Sin),
        UnaryOp::Sqrt => Some(FloatOp::Sqrt),
        UnaryOp::Recip => Some(FloatOp::Recip),
        _ => None,
    }
}

fn exact_unary(op: UnaryOp, a: f64) -> f64 {
    match op {
        UnaryOp::Exp2 => a.exp2(),
        UnaryOp::Log2 => a.log2(),
        UnaryOp::Sin => a.sin(),
        UnaryOp::Sqrt => a.sqrt(),
        UnaryOp::Recip => 1.0 / a,
        UnaryOp::Neg => -a,
        _ => a.trunc(),
    }
}

/// How far f(a') may be from f(a) when |a' − a| ≤ e, worst case over that interval.
fn unary_spread(op: UnaryOp, a: f64, e: f64) -> f64 {
    if e == 0.0 {
        return 0.0;
    }
    let m = a.abs();
    match op {
        UnaryOp::Neg => e,
        // 2^(a+d) − 2^a ≤ 2^a·(2^e − 1).
        UnaryOp::Exp2 => a.exp2() * (e.exp2() - 1.0),
        // |log2(a') − log2(a)| ≤ −log2(1 − e/a) while a' stays positive.
        UnaryOp::Log2 if e < m => -(1.0 - e / m).log2(),
        // |√a' − √a| = |a' − a|/(√a' + √a), and never more than √|a' − a|.
        UnaryOp::Sqrt if a > e => e / ((a - e).sqrt() + a.sqrt()),
        UnaryOp::Sqrt => e.sqrt(),
        // |1/a' − 1/a| = |a' − a|/(|a'|·|a|) while a' keeps a's sign.
        UnaryOp::Recip if e < m => e / (m * (m - e)),
        UnaryOp::Sin => e.min(2.0),
        // Truncation of a value that moved by e moves by at most e + 1.
        UnaryOp::Trunc => e + 1.0,
        _ => f64::INFINITY,
    }
}

/// |a'/b' − a/b| ≤ (e_a + |a/b|·e_b)/(|b| − e_b) while b' keeps b's sign.
fn quotient_spread(a: f64, b: f64, ea: f64, eb: f64) -> f64 {
    if eb < b.abs() {
        (ea + (a / b).abs() * eb) / (b.abs() - eb)
    } else {
        f64::INFINITY
    }
}

/// A comparison is certain unless its operands are closer than their bounds.
fn comparison(x: f64, y: f64, ex: f64, ey: f64) -> f64 {
    let slack = ex + ey;
    if slack == 0.0 || (x - y).abs() > slack {
        0.0
    } else {
        f64::INFINITY
    }
}

fn either_uncertain(ex: f64, ey: f64) -> f64 {
    if ex == 0.0 && ey == 0.0 {
        0.0
    } else {
        f64::INFINITY
    }
}

fn unknown_unless_zero(e: f64) -> f64 {
    super::unknown_unless_zero(e)
}

/// `where`: the chosen operand's bound when the condition is certain; otherwise either
/// branch may be taken.
pub(super) fn select(cond: &Operand, a: &Operand, b: &Operand) -> Vec<f64> {
    let (c, av, bv) = (
        cond.value.to_f64_vec(),
        a.value.to_f64_vec(),
        b.value.to_f64_vec(),
    );
    (0..c.len())
        .map(|i| {
            let (ea, eb) = (a.bound[i], b.bound[i]);
            if cond.bound[i] == 0.0 {
                if c[i] != 0.0 { ea } else { eb }
            } else {
                clean(ea.max(eb) + (av[i] - bv[i]).abs())
            }
        })
        .collect()
}

pub(super) fn bad_graph_here(node: &str, message: String) -> crate::interp::EvalError {
    crate::interp::elementwise::bad_graph(node, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The spread of each unary op covers f(a') − f(a) for a' sampled across [a − e, a + e].
    #[test]
    fn unary_spreads_cover_sampled_perturbations() {
        let ops = [
            (UnaryOp::Exp2, f64::exp2 as fn(f64) -> f64),
            (UnaryOp::Log2, f64::log2),
            (UnaryOp::Sqrt, f64::sqrt),
            (UnaryOp::Recip, |x: f64| 1.0 / x),
            (UnaryOp::Sin, f64::sin),
            (UnaryOp::Trunc, f64::trunc),
        ];
        for (op, f) in ops {
            for &(a, e) in &[
                (0.7, 1e-3),
                (3.0, 0.5),
                (40.0, 2.0),
                (1.0e-3, 2.0e-4),
                (2.5, 1e-7),
            ] {
                let spread = unary_spread(op, a, e);
                for k in 0..=200 {
                    let a2 = (a - e + 2.0 * e * f64::from(k) / 200.0).clamp(a - e, a + e);
                    // f64's own rounding of f(a2) − f(a) is allowed for.
                    let moved = (f(a2) - f(a)).abs();
                    let slack = 4.0 * f64::EPSILON * f(a).abs();
                    assert!(moved <= spread + slack, "{op:?} a={a} e={e} a'={a2}");
                }
            }
        }
    }

    /// Where the perturbation may reach a pole or leave the domain, the bound is unbounded.
    #[test]
    fn log_and_recip_near_zero_are_unbounded() {
        assert!(unary_spread(UnaryOp::Log2, 0.5, 0.6).is_infinite());
        assert!(unary_spread(UnaryOp::Recip, -0.1, 0.2).is_infinite());
        assert!(quotient_spread(1.0, 0.1, 0.0, 0.2).is_infinite());
        assert_eq!(unary_spread(UnaryOp::Exp2, 3.0, 0.0), 0.0);
    }

    /// The quotient's spread covers sampled perturbations of both operands.
    #[test]
    fn quotient_spread_covers_samples() {
        let (a, b, ea, eb) = (3.0, -0.7, 0.01, 0.05);
        let spread = quotient_spread(a, b, ea, eb);
        for i in 0..=20 {
            for j in 0..=20 {
                let a2 = a - ea + 2.0 * ea * f64::from(i) / 20.0;
                let b2 = b - eb + 2.0 * eb * f64::from(j) / 20.0;
                assert!((a2 / b2 - a / b).abs() <= spread * (1.0 + 1e-12));
            }
        }
    }

    #[test]
    fn close_comparisons_are_uncertain() {
        assert_eq!(comparison(1.0, 2.0, 0.1, 0.1), 0.0);
        assert!(comparison(1.0, 1.0 + 1e-9, 1e-6, 0.0).is_infinite());
        assert_eq!(comparison(1.0, 1.0, 0.0, 0.0), 0.0);
    }
}
