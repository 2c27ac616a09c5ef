//! Composite operations: each expands to primitives through the checked builder methods, so a
//! composite can only produce graphs that the primitives accept. Every operand problem a
//! composite can see is reported as a [`GraphError`] naming the composite, before any node is
//! added where that is possible.
//!
//! - this file: parameters, shared helpers, elementwise activations, softmax, norms, mean, var
//! - `matmul.rs`: matmul and attention
//! - `conv.rs`: the sliding-window view, conv2d and max_pool2d

mod conv;
mod matmul;
#[cfg(test)]
mod tests;

use crate::builder::{BuildResult, GraphBuilder, GraphError, err};
use crate::{BinaryOp, DType, NodeId, ReduceOp, UnaryOp};

/// Stride, padding and dilation of a 2-D convolution, (height, width) each.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Conv2dParams {
    pub stride: [usize; 2],
    pub padding: [usize; 2],
    pub dilation: [usize; 2],
}

impl Default for Conv2dParams {
    fn default() -> Self {
        Conv2dParams {
            stride: [1, 1],
            padding: [0, 0],
            dilation: [1, 1],
        }
    }
}

/// Window, stride, padding and dilation of a 2-D pooling, (height, width) each.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pool2dParams {
    pub kernel: [usize; 2],
    pub stride: [usize; 2],
    pub padding: [usize; 2],
    pub dilation: [usize; 2],
}

/// log2(e): exp(x) = 2^(x·log2(e)).
const LOG2_E: f64 = std::f64::consts::LOG2_E;
/// ln(2): ln(x) = log2(x)·ln(2).
const LN_2: f64 = std::f64::consts::LN_2;
/// The cubic coefficient of the tanh approximation of gelu.
const GELU_CUBIC: f64 = 0.044715;

/// The dtype products are summed in: f16/bf16 accumulate in f32 (as tensor cores do), every
/// other dtype in itself.
pub(crate) fn accumulation_dtype(dtype: DType) -> DType {
    match dtype {
        DType::F16 | DType::BF16 => DType::F32,
        other => other,
    }
}

/// Re-labels an error from a primitive with the composite it happened in, so a user who wrote
/// `mean(x, axes=[5])` reads "mean: axis 5 is out of range" rather than "sum: …".
fn within<T>(op: &str, result: BuildResult<T>) -> BuildResult<T> {
    result.map_err(|e| GraphError {
        op: op.to_string(),
        message: e.message,
    })
}

impl GraphBuilder {
    /// Fails unless `x` is a float: the transcendental composites have no integer meaning.
    fn need_float(&self, op: &str, x: NodeId) -> BuildResult<()> {
        let dtype = self.dtype(x);
        if dtype.is_float() {
            Ok(())
        } else {
            err(op, format!("needs a float operand, got {dtype}"))
        }
    }

    /// Fails unless `x` has at least `rank` axes.
    fn need_rank(&self, op: &str, what: &str, x: NodeId, rank: usize) -> BuildResult<()> {
        let shape = self.shape(x);
        if shape.rank() >= rank {
            return Ok(());
        }
        err(
            op,
            format!("{what} needs at least {rank} axes, got {shape}"),
        )
    }

    /// `x` converted to `dtype`, without a node when it already is.
    fn cast_if_needed(&mut self, x: NodeId, dtype: DType) -> BuildResult<NodeId> {
        if self.dtype(x) == dtype {
            Ok(x)
        } else {
            self.cast(x, dtype)
        }
    }

    /// `x op c` with `c` a constant of `x`'s dtype and shape (a full-shape constant needs no
    /// broadcast nodes, and the simplify pass folds it like a scalar).
    fn with_const(&mut self, op: BinaryOp, x: NodeId, c: f64) -> BuildResult<NodeId> {
        let c = self.constant_like(c, x)?;
        self.binary(op, x, c)
    }

    /// `c op x`, the constant on the left (for `1 + e`, `2·s − 1` as written in the contract).
    fn const_with(&mut self, op: BinaryOp, c: f64, x: NodeId) -> BuildResult<NodeId> {
        let c = self.constant_like(c, x)?;
        self.binary(op, c, x)
    }

    /// A reduction over one axis, kept as size 1.
    fn reduce_axis(&mut self, op: ReduceOp, x: NodeId, axis: usize) -> BuildResult<NodeId> {
        self.reduce(op, x, &[axis])
    }

    /// e^x = 2^(x·log2(e)).
    pub fn exp(&mut self, x: NodeId) -> BuildResult<NodeId> {
        self.need_float("exp", x)?;
        let scaled = self.with_const(BinaryOp::Mul, x, LOG2_E)?;
        self.unary(UnaryOp::Exp2, scaled)
    }

    /// ln(x) = log2(x)·ln(2).
    pub fn log(&mut self, x: NodeId) -> BuildResult<NodeId> {
        self.need_float("log", x)?;
        let l = self.unary(UnaryOp::Log2, x)?;
        self.with_const(BinaryOp::Mul, l, LN_2)
    }

    /// 1 / (1 + e^(−x)).
    pub fn sigmoid(&mut self, x: NodeId) -> BuildResult<NodeId> {
        self.need_float("sigmoid", x)?;
        let neg = self.unary(UnaryOp::Neg, x)?;
        let e = self.exp(neg)?;
        let denom = self.const_with(BinaryOp::Add, 1.0, e)?;
        self.unary(UnaryOp::Recip, denom)
    }

    /// tanh(x) = 2·sigmoid(2x) − 1.
    pub fn tanh(&mut self, x: NodeId) -> BuildResult<NodeId> {
        self.need_float("tanh", x)?;
        let twice = self.const_with(BinaryOp::Mul, 2.0, x)?;
        let s = self.sigmoid(twice)?;
        let s2 = self.const_with(BinaryOp::Mul, 2.0, s)?;
        self.with_const(BinaryOp::Sub, s2, 1.0)
    }

    /// max(x, 0).
    pub fn relu(&mut self, x: NodeId) -> BuildResult<NodeId> {
        self.need_float("relu", x)?;
        self.with_const(BinaryOp::Max, x, 0.0)
    }

    /// x·sigmoid(x).
    pub fn silu(&mut self, x: NodeId) -> BuildResult<NodeId> {
        self.need_float("silu", x)?;
        let s = self.sigmoid(x)?;
        self.binary(BinaryOp::Mul, x, s)
    }

    /// The tanh form x·sigmoid(2·√(2/π)·(x + 0.044715·x³)). It equals
    /// 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))) because 0.5·(1 + tanh(z)) = sigmoid(2z),
    /// and it needs one exp2 and one recip instead of tanh's.
    pub fn gelu(&mut self, x: NodeId) -> BuildResult<NodeId> {
        self.need_float("gelu", x)?;
        let x2 = self.binary(BinaryOp::Mul, x, x)?;
        let x3 = self.binary(BinaryOp::Mul, x2, x)?;
        let cubic = self.const_with(BinaryOp::Mul, GELU_CUBIC, x3)?;
        let inner = self.binary(BinaryOp::Add, x, cubic)?;
        let two_sqrt_2_over_pi = 2.0 * (2.0 / std::f64::consts::PI).sqrt();
        let z = self.const_with(BinaryOp::Mul, two_sqrt_2_over_pi, inner)?;
        let s = self.sigmoid(z)?;
        self.binary(BinaryOp::Mul, x, s)
    }

    /// exp(x − max) / sum(exp(x − max)) along `axis`; subtracting the maximum keeps every
    /// exponent ≤ 0, so nothing overflows.
    pub fn softmax(&mut self, x: NodeId, axis: i64) -> BuildResult<NodeId> {
        self.need_float("softmax", x)?;
        let axis = self.axis("softmax", x, axis)?;
        let e = self.shifted_exp(x, axis)?.1;
        let s = self.reduce_axis(ReduceOp::Sum, e, axis)?;
        self.binary(BinaryOp::Div, e, s)
    }

    /// (x − max) − ln(sum(exp(x − max))) along `axis`.
    pub fn log_softmax(&mut self, x: NodeId, axis: i64) -> BuildResult<NodeId> {
        self.need_float("log_softmax", x)?;
        let axis = self.axis("log_softmax", x, axis)?;
        let (shifted, e) = self.shifted_exp(x, axis)?;
        let s = self.reduce_axis(ReduceOp::Sum, e, axis)?;
        let l = self.log(s)?;
        self.binary(BinaryOp::Sub, shifted, l)
    }

    /// (x − max(x), exp(x − max(x))) along `axis`, the common start of both softmaxes.
    fn shifted_exp(&mut self, x: NodeId, axis: usize) -> BuildResult<(NodeId, NodeId)> {
        let m = self.reduce_axis(ReduceOp::Max, x, axis)?;
        let shifted = self.binary(BinaryOp::Sub, x, m)?;
        let e = self.exp(shifted)?;
        Ok((shifted, e))
    }

    /// sum(x)·(1/n) over `axes` (kept as size 1), n the number of elements summed.
    pub fn mean(&mut self, x: NodeId, axes: &[usize]) -> BuildResult<NodeId> {
        self.need_float("mean", x)?;
        let s = within("mean", self.reduce(ReduceOp::Sum, x, axes))?;
        let n = self.count(x, axes);
        self.with_const(BinaryOp::Mul, s, 1.0 / n as f64)
    }

    /// sum((x − mean)²)·(1/(n − correction)) over `axes`: correction 0 is the population
    /// variance, 1 the unbiased sample variance.
    pub fn var(&mut self, x: NodeId, axes: &[usize], correction: usize) -> BuildResult<NodeId> {
        self.need_float("var", x)?;
        let m = within("var", self.mean(x, axes))?;
        let n = self.count(x, axes);
        if n <= correction {
            return err(
                "var",
                format!(
                    "correction {correction} leaves no degrees of freedom: {n} elements are reduced"
                ),
            );
        }
        let d = self.binary(BinaryOp::Sub, x, m)?;
        let sq = self.binary(BinaryOp::Mul, d, d)?;
        let s = self.reduce(ReduceOp::Sum, sq, axes)?;
        self.with_const(BinaryOp::Mul, s, 1.0 / (n - correction) as f64)
    }

    /// The number of elements of `x` along `axes`; the axes were checked by a reduce already.
    fn count(&self, x: NodeId, axes: &[usize]) -> usize {
        let shape = self.shape(x);
        axes.iter().filter_map(|&a| shape.get(a)).product()
    }

    /// (x − mean)·recip(sqrt(var + eps)) over the last axis, then ·weight and +bias.
    pub fn layernorm(
        &mut self,
        x: NodeId,
        weight: Option<NodeId>,
        bias: Option<NodeId>,
        eps: f64,
    ) -> BuildResult<NodeId> {
        let last = self.norm_operands("layernorm", x, &[weight, bias], eps)?;
        let m = self.mean(x, &[last])?;
        let d = self.binary(BinaryOp::Sub, x, m)?;
        let sq = self.binary(BinaryOp::Mul, d, d)?;
        let v = self.mean(sq, &[last])?;
        let y = self.scale_by_inverse_root(d, v, eps)?;
        let y = self.optional(BinaryOp::Mul, y, weight)?;
        self.optional(BinaryOp::Add, y, bias)
    }

    /// x·recip(sqrt(mean(x²) + eps)) over the last axis, then ·weight.
    pub fn rmsnorm(&mut self, x: NodeId, weight: Option<NodeId>, eps: f64) -> BuildResult<NodeId> {
        let last = self.norm_operands("rmsnorm", x, &[weight], eps)?;
        let sq = self.binary(BinaryOp::Mul, x, x)?;
        let ms = self.mean(sq, &[last])?;
        let y = self.scale_by_inverse_root(x, ms, eps)?;
        self.optional(BinaryOp::Mul, y, weight)
    }

    /// Checks a norm's operands; returns the last axis. Weight and bias are per-feature
    /// vectors of the last axis' length and the input's dtype.
    fn norm_operands(
        &self,
        op: &str,
        x: NodeId,
        params: &[Option<NodeId>],
        eps: f64,
    ) -> BuildResult<usize> {
        self.need_float(op, x)?;
        self.need_rank(op, "the input", x, 1)?;
        if !(eps.is_finite() && eps >= 0.0) {
            return err(op, format!("eps must be a finite number ≥ 0, got {eps}"));
        }
        let last = self.rank(x) - 1;
        let features = self.shape(x)[last];
        for &p in params.iter().flatten() {
            if self.shape(p).dims() != [features] || self.dtype(p) != self.dtype(x) {
                let (xd, pd) = (self.dtype(x), self.dtype(p));
                let (xs, ps) = (self.shape(x), self.shape(p));
                return err(
                    op,
                    format!(
                        "weight and bias must be {xd}[{features}] for input {xd}{xs}, got {pd}{ps}"
                    ),
                );
            }
        }
        Ok(last)
    }

    /// y·recip(sqrt(v + eps)), `v` broadcast along the reduced axis.
    fn scale_by_inverse_root(&mut self, y: NodeId, v: NodeId, eps: f64) -> BuildResult<NodeId> {
        let shifted = self.with_const(BinaryOp::Add, v, eps)?;
        let root = self.unary(UnaryOp::Sqrt, shifted)?;
        let inv = self.unary(UnaryOp::Recip, root)?;
        self.binary(BinaryOp::Mul, y, inv)
    }

    /// `y op p` when the optional operand is present, else `y`.
    fn optional(&mut self, op: BinaryOp, y: NodeId, p: Option<NodeId>) -> BuildResult<NodeId> {
        match p {
            Some(p) => self.binary(op, y, p),
            None => Ok(y),
        }
    }
}
