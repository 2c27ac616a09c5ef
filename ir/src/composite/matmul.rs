//! matmul and scaled dot-product attention.

use super::{accumulation_dtype, within};
use crate::builder::{BuildResult, GraphBuilder, err};
use crate::{BinaryOp, DType, NodeId, ReduceOp, Scalar, Shape};

/// The numpy broadcast of two batch shapes, or None when an axis disagrees.
fn broadcast_batch(a: &[usize], b: &[usize]) -> Option<Vec<usize>> {
    let rank = a.len().max(b.len());
    let at = |s: &[usize], i: usize| {
        if i + s.len() >= rank {
            s[i + s.len() - rank]
        } else {
            1
        }
    };
    (0..rank)
        .map(|i| match (at(a, i), at(b, i)) {
            (x, y) if x == y || y == 1 => Some(x),
            (1, y) => Some(y),
            _ => None,
        })
        .collect()
}

/// `batch` preceded by enough 1s to make `batch_rank` axes, then `tail`.
fn lead_ones(batch_rank: usize, batch: &[usize], tail: &[usize]) -> Vec<usize> {
    let mut dims = vec![1; batch_rank.saturating_sub(batch.len())];
    dims.extend_from_slice(batch);
    dims.extend_from_slice(tail);
    dims
}

impl GraphBuilder {
    /// `[..., m, k] @ [..., k, n]` with broadcast batch axes. f16/bf16 are multiplied and summed
    /// in f32; the result has the inputs' dtype unless `out` names another.
    ///
    /// Form: a as `[..., m, k, 1]` and b as `[..., 1, k, n]`, both expanded to `[..., m, k, n]`,
    /// multiplied, summed over k: the `reduce(mul(expand, expand))` shape that the simplify
    /// pass recognises as a matmul for tensor cores.
    pub fn matmul(&mut self, a: NodeId, b: NodeId, out: Option<DType>) -> BuildResult<NodeId> {
        let dtype = self.matmul_dtype(a, b)?;
        let dims = matmul_dims(self.shape(a), self.shape(b))?;
        // A product too large for a shape is reported as matmul's, not expand's.
        within(
            "matmul",
            self.matmul_form(a, b, &dims, out.unwrap_or(dtype)),
        )
    }

    /// The primitives of a checked matmul, with the result converted to `out`.
    fn matmul_form(
        &mut self,
        a: NodeId,
        b: NodeId,
        d: &MatDims,
        out: DType,
    ) -> BuildResult<NodeId> {
        let (m, k, n, nb) = (d.m, d.k, d.n, d.batch.len());
        let acc = accumulation_dtype(self.dtype(a));
        // Casting the operands, not the expanded views, keeps the conversion on m·k and k·n
        // elements and leaves the mul's operands plain expands.
        let a = self.cast_if_needed(a, acc)?;
        let b = self.cast_if_needed(b, acc)?;
        let full = lead_ones(nb, &d.batch, &[m, k, n]);
        let a3 = self.reshape(a, &lead_ones(nb, &d.batch_a, &[m, k, 1]))?;
        let b3 = self.reshape(b, &lead_ones(nb, &d.batch_b, &[1, k, n]))?;
        let ae = self.broadcast_to(a3, &full)?;
        let be = self.broadcast_to(b3, &full)?;
        let prod = self.binary(BinaryOp::Mul, ae, be)?;
        let summed = self.reduce(ReduceOp::Sum, prod, &[nb + 1])?;
        let y = self.reshape(summed, &lead_ones(nb, &d.batch, &[m, n]))?;
        self.cast_if_needed(y, out)
    }

    /// The common dtype of matmul's operands: equal, and numbers (bool has no product).
    fn matmul_dtype(&self, a: NodeId, b: NodeId) -> BuildResult<DType> {
        let (da, db) = (self.dtype(a), self.dtype(b));
        if da != db {
            return err(
                "matmul",
                format!("operand dtypes differ: {da} and {db} (cast one explicitly)"),
            );
        }
        if !da.is_numeric() {
            return err("matmul", format!("needs numeric operands, got {da}"));
        }
        Ok(da)
    }

    /// softmax(q·kᵀ·scale [+ causal mask])·v; `scale` defaults to 1/sqrt(d).
    ///
    /// For f16/bf16, like every float composite, it computes in f32 and rounds once at the
    /// end: the scores, the softmax and the probabilities stay in f32 and `v` is widened for
    /// the second matmul. (Rounding the probabilities to f16 first, as some fused kernels
    /// do, costs several units in the last place of the result.)
    pub fn attention(
        &mut self,
        q: NodeId,
        k: NodeId,
        v: NodeId,
        causal: bool,
        scale: Option<f64>,
    ) -> BuildResult<NodeId> {
        let dtype = self.attention_operands(q, k, v)?;
        let d = self.shape(q)[self.rank(q) - 1];
        let scale = match scale {
            Some(s) if s.is_finite() => s,
            Some(s) => return err("attention", format!("scale must be finite, got {s}")),
            None if d == 0 => {
                return err(
                    "attention",
                    "the head size is 0, so the default scale 1/sqrt(d) is infinite",
                );
            }
            None => 1.0 / (d as f64).sqrt(),
        };
        let acc = accumulation_dtype(dtype);
        let rk = self.rank(k);
        let mut perm: Vec<usize> = (0..rk).collect();
        perm.swap(rk - 2, rk - 1);
        let kt = self.permute(k, &perm)?;
        let scores = self.matmul(q, kt, Some(acc))?;
        let scaled = self.with_const(BinaryOp::Mul, scores, scale)?;
        let masked = if causal {
            self.causal_mask(scaled)?
        } else {
            scaled
        };
        let p = self.softmax(masked, -1)?;
        let v = self.cast_if_needed(v, acc)?;
        let y = self.matmul(p, v, None)?;
        self.cast_if_needed(y, dtype)
    }

    /// Checks attention's operands; returns their dtype.
    fn attention_operands(&self, q: NodeId, k: NodeId, v: NodeId) -> BuildResult<DType> {
        for (what, x) in [("the query", q), ("the key", k), ("the value", v)] {
            self.need_rank("attention", what, x, 2)?;
        }
        let dtype = self.dtype(q);
        if self.dtype(k) != dtype || self.dtype(v) != dtype {
            let (dq, dk, dv) = (self.dtype(q), self.dtype(k), self.dtype(v));
            return err(
                "attention",
                format!("q, k and v must have one dtype, got {dq}, {dk} and {dv}"),
            );
        }
        self.need_float("attention", q)?;
        let (sq, sk, sv) = (self.shape(q), self.shape(k), self.shape(v));
        let last = |s: &Shape, from_end: usize| s[s.rank() - from_end];
        if last(sq, 1) != last(sk, 1) {
            return err(
                "attention",
                format!("query and key head sizes differ: q {sq}, k {sk}"),
            );
        }
        if last(sk, 2) != last(sv, 2) {
            return err(
                "attention",
                format!("key and value lengths differ: k {sk}, v {sv}"),
            );
        }
        Ok(dtype)
    }

    /// −inf where the key position is after the query position (col > row), else the score.
    fn causal_mask(&mut self, scores: NodeId) -> BuildResult<NodeId> {
        let shape = self.shape(scores).clone();
        let (s, t) = (shape[shape.rank() - 2], shape[shape.rank() - 1]);
        let fits_i32 = i32::try_from(s.max(t)).is_ok();
        let index = if fits_i32 { DType::I32 } else { DType::I64 };
        let row = self.iota(index, &[s, t], 0)?;
        let col = self.iota(index, &[s, t], 1)?;
        let future = self.binary(BinaryOp::CmpLt, row, col)?;
        let dtype = self.dtype(scores);
        let neg_inf = self.constant(Scalar::Float(f64::NEG_INFINITY), dtype, shape.dims())?;
        self.where_(future, neg_inf, scores)
    }
}

/// The sizes of a matmul: `[batch_a..., m, k] @ [batch_b..., k, n]`, and the broadcast
/// batch axes of the result.
struct MatDims {
    m: usize,
    k: usize,
    n: usize,
    batch_a: Vec<usize>,
    batch_b: Vec<usize>,
    batch: Vec<usize>,
}

/// The sizes of `a @ b`, or the error that says why the shapes do not multiply.
fn matmul_dims(sa: &Shape, sb: &Shape) -> BuildResult<MatDims> {
    if sa.rank() < 2 || sb.rank() < 2 {
        return err(
            "matmul",
            format!("needs operands of rank at least 2: {sa} @ {sb}"),
        );
    }
    let (ra, rb) = (sa.rank(), sb.rank());
    let (m, k, k2, n) = (sa[ra - 2], sa[ra - 1], sb[rb - 2], sb[rb - 1]);
    if k != k2 {
        return err("matmul", format!("inner dimensions differ: {sa} @ {sb}"));
    }
    let (batch_a, batch_b) = (sa[..ra - 2].to_vec(), sb[..rb - 2].to_vec());
    match broadcast_batch(&batch_a, &batch_b) {
        Some(batch) => Ok(MatDims {
            m,
            k,
            n,
            batch_a,
            batch_b,
            batch,
        }),
        None => err(
            "matmul",
            format!("batch dimensions cannot be broadcast together: {sa} @ {sb}"),
        ),
    }
}
