//! Elementwise activations: exp, log, sigmoid, tanh, relu, silu, gelu.
//!
//! Each is computed in its compute dtype (f32 for f16/bf16, see
//! [`super::accumulation_dtype`]) and rounded once at the end. The forms avoid intermediate
//! overflow and cancellation, so that an f16/bf16 result is within one unit in the last place
//! of the exact function: bf16 has f32's exponent range, so an f32 intermediate that
//! overflows (e^89) would lose a result that bf16 can hold.

use crate::builder::{BuildResult, GraphBuilder};
use crate::{BinaryOp, NodeId, UnaryOp};

/// log2(e): exp(x) = 2^(x·log2(e)).
const LOG2_E: f64 = std::f64::consts::LOG2_E;
/// ln(2): ln(x) = log2(x)·ln(2).
const LN_2: f64 = std::f64::consts::LN_2;
/// The cubic coefficient of the tanh approximation of gelu.
const GELU_CUBIC: f64 = 0.044715;
/// Below this |x|, tanh is its Taylor polynomial: (1 − e^(−2|x|)) / (1 + e^(−2|x|)) cancels
/// as |x| → 0 (in f32 it is 0 for |x| < 3e-8), while the polynomial's first omitted term,
/// 62·x⁹/2835, is below 2^-24 relative to x for |x| < 0.2.
const TANH_SERIES_BELOW: f64 = 0.2;
/// Coefficients of tanh(x)/x in powers of x² (Taylor series: 1 − x²/3 + 2x⁴/15 − 17x⁶/315).
const TANH_SERIES: [f64; 4] = [1.0, -1.0 / 3.0, 2.0 / 15.0, -17.0 / 315.0];

impl GraphBuilder {
    /// e^x = 2^(x·log2(e)).
    pub fn exp(&mut self, x: NodeId) -> BuildResult<NodeId> {
        self.need_float("exp", x)?;
        self.widened(x, |b, x| b.exp_here(x))
    }

    /// ln(x) = log2(x)·ln(2).
    pub fn log(&mut self, x: NodeId) -> BuildResult<NodeId> {
        self.need_float("log", x)?;
        self.widened(x, |b, x| {
            let l = b.unary(UnaryOp::Log2, x)?;
            b.with_const(BinaryOp::Mul, l, LN_2)
        })
    }

    /// 1 / (1 + e^(−x)), computed as 1/(1 + e) for x ≥ 0 and e/(1 + e) for x < 0 with
    /// e = e^(−|x|) ≤ 1, which never overflows.
    pub fn sigmoid(&mut self, x: NodeId) -> BuildResult<NodeId> {
        self.need_float("sigmoid", x)?;
        self.widened(x, |b, x| b.sigmoid_here(x))
    }

    /// tanh(x): sign(x)·(1 − e)/(1 + e) with e = e^(−2|x|), or the Taylor polynomial where
    /// |x| < 0.2 (see [`TANH_SERIES_BELOW`]).
    pub fn tanh(&mut self, x: NodeId) -> BuildResult<NodeId> {
        self.need_float("tanh", x)?;
        self.widened(x, |b, x| b.tanh_here(x))
    }

    /// max(x, 0).
    pub fn relu(&mut self, x: NodeId) -> BuildResult<NodeId> {
        self.need_float("relu", x)?;
        self.with_const(BinaryOp::Max, x, 0.0)
    }

    /// x·sigmoid(x).
    pub fn silu(&mut self, x: NodeId) -> BuildResult<NodeId> {
        self.need_float("silu", x)?;
        self.widened(x, |b, x| {
            let s = b.sigmoid_here(x)?;
            b.binary(BinaryOp::Mul, x, s)
        })
    }

    /// The tanh form x·sigmoid(2·√(2/π)·(x + 0.044715·x³)). It equals
    /// 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))) because 0.5·(1 + tanh(z)) = sigmoid(2z),
    /// and it needs one exp2 and one recip instead of tanh's.
    pub fn gelu(&mut self, x: NodeId) -> BuildResult<NodeId> {
        self.need_float("gelu", x)?;
        self.widened(x, |b, x| {
            let x2 = b.binary(BinaryOp::Mul, x, x)?;
            let x3 = b.binary(BinaryOp::Mul, x2, x)?;
            let cubic = b.const_with(BinaryOp::Mul, GELU_CUBIC, x3)?;
            let inner = b.binary(BinaryOp::Add, x, cubic)?;
            let two_sqrt_2_over_pi = 2.0 * (2.0 / std::f64::consts::PI).sqrt();
            let z = b.const_with(BinaryOp::Mul, two_sqrt_2_over_pi, inner)?;
            let s = b.sigmoid_here(z)?;
            b.binary(BinaryOp::Mul, x, s)
        })
    }

    /// e^x in `x`'s own dtype.
    fn exp_here(&mut self, x: NodeId) -> BuildResult<NodeId> {
        let scaled = self.with_const(BinaryOp::Mul, x, LOG2_E)?;
        self.unary(UnaryOp::Exp2, scaled)
    }

    /// |x| = max(x, −x) (NaN stays NaN).
    fn abs_here(&mut self, x: NodeId) -> BuildResult<NodeId> {
        let neg = self.unary(UnaryOp::Neg, x)?;
        self.binary(BinaryOp::Max, x, neg)
    }

    /// Whether x < 0, elementwise (false for NaN and −0).
    fn is_negative(&mut self, x: NodeId) -> BuildResult<NodeId> {
        let zero = self.constant_like(0.0, x)?;
        self.binary(BinaryOp::CmpLt, x, zero)
    }

    /// sigmoid in `x`'s own dtype, in the overflow-free form of [`GraphBuilder::sigmoid`].
    fn sigmoid_here(&mut self, x: NodeId) -> BuildResult<NodeId> {
        let ax = self.abs_here(x)?;
        let minus = self.unary(UnaryOp::Neg, ax)?;
        let e = self.exp_here(minus)?;
        let denom = self.const_with(BinaryOp::Add, 1.0, e)?;
        let upper = self.unary(UnaryOp::Recip, denom)?; // sigmoid(|x|)
        let lower = self.binary(BinaryOp::Mul, e, upper)?; // sigmoid(−|x|)
        let negative = self.is_negative(x)?;
        self.where_(negative, lower, upper)
    }

    /// tanh in `x`'s own dtype (see [`GraphBuilder::tanh`]).
    fn tanh_here(&mut self, x: NodeId) -> BuildResult<NodeId> {
        let ax = self.abs_here(x)?;
        let minus_twice = self.const_with(BinaryOp::Mul, -2.0, ax)?;
        let e = self.exp_here(minus_twice)?;
        let num = self.const_with(BinaryOp::Sub, 1.0, e)?;
        let den = self.const_with(BinaryOp::Add, 1.0, e)?;
        let magnitude = self.binary(BinaryOp::Div, num, den)?;
        let flipped = self.unary(UnaryOp::Neg, magnitude)?;
        let negative = self.is_negative(x)?;
        let large = self.where_(negative, flipped, magnitude)?;
        let series = self.tanh_series(x)?;
        let threshold = self.constant_like(TANH_SERIES_BELOW, x)?;
        let small = self.binary(BinaryOp::CmpLt, ax, threshold)?;
        self.where_(small, series, large)
    }

    /// x·(c0 + x²·(c1 + x²·(c2 + x²·c3))), the Taylor polynomial of tanh, by Horner's rule.
    fn tanh_series(&mut self, x: NodeId) -> BuildResult<NodeId> {
        let x2 = self.binary(BinaryOp::Mul, x, x)?;
        let [c0, c1, c2, c3] = TANH_SERIES;
        let mut acc = self.constant_like(c3, x)?;
        for c in [c2, c1, c0] {
            let scaled = self.binary(BinaryOp::Mul, acc, x2)?;
            acc = self.with_const(BinaryOp::Add, scaled, c)?;
        }
        self.binary(BinaryOp::Mul, x, acc)
    }
}
