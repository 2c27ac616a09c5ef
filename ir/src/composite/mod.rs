//! Composite operations: each expands to primitives through the checked builder methods, so a
//! composite can only produce graphs that the primitives accept. Every operand problem a
//! composite can see is reported as a [`GraphError`] naming the composite, before any node is
//! added where that is possible.
//!
//! - this file: parameters, shared helpers, softmax, norms, mean, var
//! - `activation.rs`: exp, log, sigmoid, tanh, relu, silu, gelu
//! - `matmul.rs`: matmul and attention
//! - `conv.rs`: the sliding-window view, conv2d and max_pool2d

mod activation;
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

/// The dtype products are summed in, and the dtype every float composite computes in:
/// f16/bf16 are widened to f32 (as tensor cores accumulate, and as PyTorch computes its f16
/// activations and norms), every other dtype stays itself. A composite on f16/bf16 casts its
/// operands up at entry and rounds its result once at exit ([`GraphBuilder::widened`]).
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

    /// `body` applied to `x` widened to its compute dtype ([`accumulation_dtype`]), the result
    /// rounded back to `x`'s dtype once: f16/bf16 composites are computed in f32 and round
    /// once at the end, so they are within one unit in the last place of the exact math
    /// (rounding after every step lost up to 21 ULP in f16 gelu, whose exp overflowed f16
    /// for x < −4).
    fn widened(
        &mut self,
        x: NodeId,
        body: impl FnOnce(&mut Self, NodeId) -> BuildResult<NodeId>,
    ) -> BuildResult<NodeId> {
        let dtype = self.dtype(x);
        let wide = self.cast_if_needed(x, accumulation_dtype(dtype))?;
        let y = body(self, wide)?;
        self.cast_if_needed(y, dtype)
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

    /// exp(x − max) / sum(exp(x − max)) along `axis`; subtracting the maximum keeps every
    /// exponent ≤ 0, so nothing overflows.
    pub fn softmax(&mut self, x: NodeId, axis: i64) -> BuildResult<NodeId> {
        self.need_float("softmax", x)?;
        let axis = self.axis("softmax", x, axis)?;
        self.widened(x, |b, x| {
            let e = b.shifted_exp(x, axis)?.1;
            let s = b.reduce_axis(ReduceOp::Sum, e, axis)?;
            b.binary(BinaryOp::Div, e, s)
        })
    }

    /// (x − max) − ln(sum(exp(x − max))) along `axis`.
    pub fn log_softmax(&mut self, x: NodeId, axis: i64) -> BuildResult<NodeId> {
        self.need_float("log_softmax", x)?;
        let axis = self.axis("log_softmax", x, axis)?;
        self.widened(x, |b, x| {
            let (shifted, e) = b.shifted_exp(x, axis)?;
            let s = b.reduce_axis(ReduceOp::Sum, e, axis)?;
            let l = b.log(s)?;
            b.binary(BinaryOp::Sub, shifted, l)
        })
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
        let n = self.count(x, axes);
        self.widened(x, |b, x| {
            let s = within("mean", b.reduce(ReduceOp::Sum, x, axes))?;
            b.with_const(BinaryOp::Mul, s, 1.0 / n as f64)
        })
    }

    /// sum((x − mean)²)·(1/(n − correction)) over `axes`: correction 0 is the population
    /// variance, 1 the unbiased sample variance.
    pub fn var(&mut self, x: NodeId, axes: &[usize], correction: usize) -> BuildResult<NodeId> {
        self.need_float("var", x)?;
        let n = self.count(x, axes);
        self.widened(x, |b, x| {
            // mean's reduce checks the axes first, so a bad axis is reported as such.
            let m = within("var", b.mean(x, axes))?;
            if n <= correction {
                return err(
                    "var",
                    format!(
                        "correction {correction} leaves no degrees of freedom: {n} elements are reduced"
                    ),
                );
            }
            let d = b.binary(BinaryOp::Sub, x, m)?;
            let sq = b.binary(BinaryOp::Mul, d, d)?;
            let s = b.reduce(ReduceOp::Sum, sq, axes)?;
            b.with_const(BinaryOp::Mul, s, 1.0 / (n - correction) as f64)
        })
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
        self.widened(x, |b, x| {
            let m = b.mean(x, &[last])?;
            let d = b.binary(BinaryOp::Sub, x, m)?;
            let sq = b.binary(BinaryOp::Mul, d, d)?;
            let v = b.mean(sq, &[last])?;
            let y = b.scale_by_inverse_root(d, v, eps)?;
            let y = b.optional(BinaryOp::Mul, y, weight)?;
            b.optional(BinaryOp::Add, y, bias)
        })
    }

    /// x·recip(sqrt(mean(x²) + eps)) over the last axis, then ·weight.
    pub fn rmsnorm(&mut self, x: NodeId, weight: Option<NodeId>, eps: f64) -> BuildResult<NodeId> {
        let last = self.norm_operands("rmsnorm", x, &[weight], eps)?;
        self.widened(x, |b, x| {
            let sq = b.binary(BinaryOp::Mul, x, x)?;
            let ms = b.mean(sq, &[last])?;
            let y = b.scale_by_inverse_root(x, ms, eps)?;
            b.optional(BinaryOp::Mul, y, weight)
        })
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

    /// `y op p` when the optional operand is present, else `y`; `p` is converted to `y`'s
    /// dtype first (a norm's f16 weight meets its f32 intermediate).
    fn optional(&mut self, op: BinaryOp, y: NodeId, p: Option<NodeId>) -> BuildResult<NodeId> {
        match p {
            Some(p) => {
                let p = self.cast_if_needed(p, self.dtype(y))?;
                self.binary(op, y, p)
            }
            None => Ok(y),
        }
    }
}
