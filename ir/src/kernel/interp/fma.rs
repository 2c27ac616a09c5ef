//! [`fma`]: `a · b + c` rounded once to a float dtype, as the fused multiply-add of every
//! target computes it.

use crate::{DType, round_float};

/// `a · b + c` rounded once (nearest, ties to even) to `dtype`, the operands being values of
/// that dtype. For f64 this is the platform's fused multiply-add. For narrower dtypes the
/// product of two operands is exact in f64 (at most 2 · 24 significant bits); the sum is
/// then taken "rounded to odd" in f64 (its error, found exactly by two-sum, forces the last
/// bit), and rounding a round-to-odd result of at least `2p + 2` bits to `p` bits is
/// correctly rounded, so there is no double rounding.
pub fn fma(a: f64, b: f64, c: f64, dtype: DType) -> f64 {
    if dtype == DType::F64 || !dtype.is_float() {
        return a.mul_add(b, c);
    }
    let product = a * b;
    let sum = product + c;
    if !sum.is_finite() {
        return round_float(sum, dtype);
    }
    // Two-sum: `error` is exactly `product + c - sum`.
    let b_virtual = sum - product;
    let error = (product - (sum - b_virtual)) + (c - b_virtual);
    round_float(round_to_odd(sum, error), dtype)
}

/// `sum` with its last bit set when the exact value `sum + error` lies strictly beyond it:
/// the neighbour toward `error` when `sum` is even, `sum` itself when it is odd.
fn round_to_odd(sum: f64, error: f64) -> f64 {
    let bits = sum.to_bits();
    if error == 0.0 || bits & 1 == 1 {
        return sum;
    }
    // Sign and magnitude: moving away from zero adds one to the bits.
    let away = (error > 0.0) == (sum > 0.0);
    f64::from_bits(if away { bits + 1 } else { bits - 1 })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn f64_is_the_fused_result() {
        // (1 + 2^-30)^2 - 1 = 2^-29 + 2^-60: unfused, the 2^-60 is lost.
        let x = 1.0 + 2f64.powi(-30);
        assert_eq!(fma(x, x, -1.0, DType::F64), 2f64.powi(-29) + 2f64.powi(-60));
        assert_ne!(x * x - 1.0, 2f64.powi(-29) + 2f64.powi(-60));
    }

    #[test]
    fn f32_rounds_once_where_f64_then_f32_rounds_twice() {
        let (a, b) = (1.0 + 2f64.powi(-12), 1.0 + 2f64.powi(-12));
        // a · b = 1 + 2^-11 + 2^-24: the 2^-24 is half an f32 ulp above 1 + 2^-11, a tie
        // that c = ±2^-80 breaks; summed in f64 first, c is lost and the tie goes to even.
        let c = 2f64.powi(-80);
        let exact_up = 1.0 + 2f64.powi(-11) + 2f64.powi(-23);
        assert_eq!(fma(a, b, c, DType::F32), exact_up);
        assert_eq!(fma(a, b, -c, DType::F32), 1.0 + 2f64.powi(-11));
        // The naive route (f64 sum, then f32) ties to even and loses the c.
        assert_eq!(f64::from((a * b + c) as f32), 1.0 + 2f64.powi(-11));
    }

    #[test]
    fn f16_and_specials() {
        // In f16 (11 bits) 1 + 2^-11 is a tie between 1 and 1 + 2^-10; a tiny c decides it.
        let a = 1.0 + 2f64.powi(-6);
        let b = 1.0 + 2f64.powi(-5);
        // a · b = 1 + 2^-5 + 2^-6 + 2^-11.
        let base = 1.0 + 2f64.powi(-5) + 2f64.powi(-6);
        assert_eq!(fma(a, b, 2f64.powi(-40), DType::F16), base + 2f64.powi(-10));
        assert_eq!(fma(a, b, -(2f64.powi(-40)), DType::F16), base);
        assert!(fma(f64::INFINITY, 0.0, 1.0, DType::F32).is_nan());
        assert_eq!(fma(f64::INFINITY, 2.0, 1.0, DType::F32), f64::INFINITY);
        assert_eq!(fma(3.0, 4.0, -12.0, DType::F32), 0.0);
    }
}
