//! Sliding windows from movement ops only, and the two operations built on them: conv2d
//! (window view × weight, one sum) and max_pool2d (one max over the window view).
//!
//! Keeping the window a pure view of the input — no gather, no index arithmetic in values —
//! leaves each convolution as movement ops + one multiply + one reduce, which the scheduler
//! fuses into a single kernel and the optimizer may tile like a matmul.

use super::{Conv2dParams, Pool2dParams, accumulation_dtype, within};
use crate::builder::{BuildResult, GraphBuilder, err};
use crate::{BinaryOp, NodeId, ReduceOp, Scalar};

/// One spatial axis of a window and the sizes `window_axis` builds it with, all checked for
/// overflow when made so that building never wraps around.
#[derive(Clone, Copy, Debug)]
struct Window {
    kernel: usize,
    /// The stride between output positions; 1 when there is only one (it is then unused).
    stride: usize,
    pad: usize,
    /// Number of output positions: (padded − dilation·(kernel − 1) − 1) / stride + 1.
    out: usize,
    /// Length of the axis after padding.
    padded: usize,
    /// Row length of the [kernel, row] matrix `window_axis` reshapes the repeated axis into:
    /// padded + dilation, so that moving one row down moves `dilation` along the input.
    row: usize,
    /// How many times `window_axis` repeats the axis.
    reps: usize,
}

impl Window {
    /// The height and width windows of a 2-D window operation on input `x_dims` [N, C, H, W].
    fn pair(op: &str, x_dims: &[usize], p: &Pool2dParams) -> BuildResult<[Window; 2]> {
        Ok([
            Window::new(op, p, x_dims, 0)?,
            Window::new(op, p, x_dims, 1)?,
        ])
    }

    /// Checks the parameters of spatial axis `i` (0 height, 1 width) against the input.
    fn new(op: &str, p: &Pool2dParams, x_dims: &[usize], i: usize) -> BuildResult<Window> {
        let axis = ["height", "width"][i];
        let len = x_dims[2 + i];
        let (kernel, stride, pad, dilation) =
            (p.kernel[i], p.stride[i], p.padding[i], p.dilation[i]);
        if kernel == 0 || stride == 0 || dilation == 0 {
            let got = format!("kernel {kernel}, stride {stride}, dilation {dilation}");
            return err(
                op,
                format!(
                    "kernel, stride and dilation must be at least 1 ({got} on the {axis} axis)"
                ),
            );
        }
        let too_big = || {
            err(
                op,
                format!("the window or padding on the {axis} axis is too large"),
            )
        };
        let padded = pad.checked_mul(2).and_then(|p| p.checked_add(len));
        let span = dilation
            .checked_mul(kernel - 1)
            .and_then(|s| s.checked_add(1));
        let (Some(padded), Some(span)) = (padded, span) else {
            return too_big();
        };
        if span > padded {
            let window =
                format!("the window spans {span} elements (kernel {kernel}, dilation {dilation})");
            return err(
                op,
                format!("{window} but the padded input has {padded} on the {axis} axis"),
            );
        }
        let out = (padded - span) / stride + 1;
        let stride = if out == 1 { 1 } else { stride };
        let Some((row, reps)) = repetition(padded, kernel, dilation) else {
            return too_big();
        };
        if stride.checked_mul(out).is_none() {
            return too_big();
        }
        Ok(Window {
            kernel,
            stride,
            pad,
            out,
            padded,
            row,
            reps,
        })
    }
}

/// (row, reps) of `window_axis` for an axis of `padded` elements, or None if the repeated
/// axis' length overflows. With one kernel tap there is nothing to repeat: the row is the
/// axis itself.
fn repetition(padded: usize, kernel: usize, dilation: usize) -> Option<(usize, usize)> {
    if kernel == 1 {
        return Some((padded, 1));
    }
    let row = padded.checked_add(dilation)?;
    let reps = row.checked_mul(kernel)?.div_ceil(padded);
    reps.checked_mul(padded)?;
    Some((row, reps))
}

/// `dims` with the axis at `axis` replaced by `mid`.
fn replace_axis(dims: &[usize], axis: usize, mid: &[usize]) -> Vec<usize> {
    let mut out = dims[..axis].to_vec();
    out.extend_from_slice(mid);
    out.extend_from_slice(&dims[axis + 1..]);
    out
}

impl GraphBuilder {
    /// Cross-correlation of x [N, C, H, W] with w [O, C, KH, KW] (+ bias [O]) → [N, O, OH, OW].
    /// f16/bf16 multiply, sum and add the bias in f32 and round once at the end.
    pub fn conv2d(
        &mut self,
        x: NodeId,
        w: NodeId,
        bias: Option<NodeId>,
        p: &Conv2dParams,
    ) -> BuildResult<NodeId> {
        self.conv_operands(x, w, bias)?;
        let ws = self.shape(w);
        let window = Pool2dParams {
            kernel: [ws[2], ws[3]],
            stride: p.stride,
            padding: p.padding,
            dilation: p.dilation,
        };
        let [gh, gw] = Window::pair("conv2d", self.shape(x), &window)?;
        // A product too large for a shape is reported as conv2d's, not expand's.
        within("conv2d", self.conv_form(x, w, bias, gh, gw))
    }

    /// The primitives of a checked conv2d.
    fn conv_form(
        &mut self,
        x: NodeId,
        w: NodeId,
        bias: Option<NodeId>,
        gh: Window,
        gw: Window,
    ) -> BuildResult<NodeId> {
        let dtype = self.dtype(x);
        let (n, c) = (self.shape(x)[0], self.shape(x)[1]);
        let (o, kh, kw) = (self.shape(w)[0], gh.kernel, gw.kernel);
        let acc = accumulation_dtype(dtype);
        let xa = self.cast_if_needed(x, acc)?;
        let wa = self.cast_if_needed(w, acc)?;
        let view = self.window_view(xa, gh, gw, Scalar::zero(acc))?;
        // Both operands as [N, O, C, OH, OW, KH, KW]: one multiply, one sum over (C, KH, KW).
        let full = [n, o, c, gh.out, gw.out, kh, kw];
        let xv = self.reshape(view, &[n, 1, c, gh.out, gw.out, kh, kw])?;
        let xe = self.broadcast_to(xv, &full)?;
        let w7 = self.reshape(wa, &[1, o, c, 1, 1, kh, kw])?;
        let we = self.broadcast_to(w7, &full)?;
        let prod = self.binary(BinaryOp::Mul, xe, we)?;
        let summed = self.reduce(ReduceOp::Sum, prod, &[2, 5, 6])?;
        let mut y = self.reshape(summed, &[n, o, gh.out, gw.out])?;
        if let Some(b) = bias {
            let b = self.cast_if_needed(b, acc)?;
            let b4 = self.reshape(b, &[1, o, 1, 1])?;
            y = self.binary(BinaryOp::Add, y, b4)?;
        }
        self.cast_if_needed(y, dtype)
    }

    /// Checks conv2d's operands: ranks, one numeric dtype, channels, bias length.
    fn conv_operands(&self, x: NodeId, w: NodeId, bias: Option<NodeId>) -> BuildResult<()> {
        let (xs, ws) = (self.shape(x), self.shape(w));
        if xs.rank() != 4 || ws.rank() != 4 {
            return err(
                "conv2d",
                format!("needs input [N, C, H, W] and weight [O, C, KH, KW], got {xs} and {ws}"),
            );
        }
        let dtype = self.dtype(x);
        let same = self.dtype(w) == dtype && bias.is_none_or(|b| self.dtype(b) == dtype);
        if !same {
            return err("conv2d", "input, weight and bias must have one dtype");
        }
        if !dtype.is_numeric() {
            return err("conv2d", format!("needs numeric operands, got {dtype}"));
        }
        if xs[1] != ws[1] {
            return err(
                "conv2d",
                format!(
                    "the input has {} channels but the weight expects {}: input {xs}, weight {ws}",
                    xs[1], ws[1]
                ),
            );
        }
        if let Some(b) = bias.filter(|&b| self.shape(b).dims() != [ws[0]]) {
            return err(
                "conv2d",
                format!(
                    "bias must be [{}] (one per output channel), got {}",
                    ws[0],
                    self.shape(b)
                ),
            );
        }
        Ok(())
    }

    /// Maximum over each window of x [N, C, H, W] → [N, C, OH, OW]; padding never wins (−inf,
    /// or the dtype's minimum for integers).
    pub fn max_pool2d(&mut self, x: NodeId, p: &Pool2dParams) -> BuildResult<NodeId> {
        let xs = self.shape(x).to_vec();
        if xs.len() != 4 {
            return err(
                "max_pool2d",
                format!("needs an input [N, C, H, W], got {}", self.shape(x)),
            );
        }
        let dtype = self.dtype(x);
        let lowest = match dtype.int_range() {
            _ if dtype.is_float() => Scalar::Float(f64::NEG_INFINITY),
            Some((lo, _)) if dtype.is_int() => Scalar::Int(lo),
            _ => {
                return err(
                    "max_pool2d",
                    format!("needs a numeric operand, got {dtype}"),
                );
            }
        };
        let [gh, gw] = Window::pair("max_pool2d", &xs, p)?;
        within("max_pool2d", self.pool_form(x, gh, gw, lowest))
    }

    /// The primitives of a checked max_pool2d.
    fn pool_form(
        &mut self,
        x: NodeId,
        gh: Window,
        gw: Window,
        lowest: Scalar,
    ) -> BuildResult<NodeId> {
        let (n, c) = (self.shape(x)[0], self.shape(x)[1]);
        let view = self.window_view(x, gh, gw, lowest)?;
        let m = self.reduce(ReduceOp::Max, view, &[4, 5])?;
        self.reshape(m, &[n, c, gh.out, gw.out])
    }

    /// The windows of x [N, C, H, W] as one view [N, C, OH, OW, KH, KW]: element
    /// (n, c, oh, ow, i, j) is padded-input element (n, c, oh·sh + i·dh, ow·sw + j·dw).
    fn window_view(
        &mut self,
        x: NodeId,
        gh: Window,
        gw: Window,
        pad_value: Scalar,
    ) -> BuildResult<NodeId> {
        let padded = if gh.pad > 0 || gw.pad > 0 {
            let pads = [(0, 0), (0, 0), (gh.pad, gh.pad), (gw.pad, gw.pad)];
            self.pad(x, &pads, pad_value)?
        } else {
            x
        };
        let rows = self.window_axis(padded, 2, gh)?; // [N, C, KH, OH, Wp]
        let both = self.window_axis(rows, 4, gw)?; // [N, C, KH, OH, KW, OW]
        self.permute(both, &[0, 1, 3, 5, 2, 4])
    }

    /// Replaces axis `axis` (length L) of `x` by two axes [K, OUT] whose element (k, o) is
    /// element o·stride + k·dilation of that axis; the axes after it ride along unchanged.
    ///
    /// Why the index arithmetic works, with d = dilation, s = stride:
    /// 1. Repeat the axis R times (reshape to [1, L], expand to [R, L], reshape to [R·L]):
    ///    flat position f holds element f mod L.
    /// 2. Keep the first K·(L + d) positions and reshape to [K, L + d]: (k, j) is flat
    ///    position k·(L + d) + j, which holds element (k·d + j) mod L. R = ⌈K·(L + d) / L⌉
    ///    makes enough positions.
    /// 3. Keep (or pad with don't-care values to) the first s·OUT columns and reshape to
    ///    [K, OUT, s]; keeping only s-index 0 leaves j = o·s, i.e. element (k·d + o·s) mod L.
    /// 4. The mod is a no-op: k·d + o·s ≤ d·(K − 1) + s·(OUT − 1) ≤ L − 1, the last step by
    ///    the definition OUT = (L − d·(K − 1) − 1)/s + 1. Wrapped or padded columns are exactly
    ///    the ones step 3 drops.
    ///
    /// With K = 1 only k = 0 exists, so step 1 is skipped (R = 1) and the row length is L.
    /// With OUT = 1 the stride is never applied, so `Window` sets it to 1.
    fn window_axis(&mut self, x: NodeId, axis: usize, g: Window) -> BuildResult<NodeId> {
        let dims = self.shape(x).to_vec();
        let (len, row, reps) = (g.padded, g.row, g.reps);
        let mut y = x;
        if reps > 1 {
            y = self.reshape(y, &replace_axis(&dims, axis, &[1, len]))?;
            y = self.expand(y, &replace_axis(&dims, axis, &[reps, len]))?;
            y = self.reshape(y, &replace_axis(&dims, axis, &[reps * len]))?;
        }
        y = self.keep_prefix(y, axis, g.kernel * row)?;
        y = self.reshape(y, &replace_axis(&dims, axis, &[g.kernel, row]))?;
        let wanted = g.stride * g.out;
        y = if wanted <= row {
            self.keep_prefix(y, axis + 1, wanted)?
        } else {
            self.pad_end(y, axis + 1, wanted - row)?
        };
        if g.stride > 1 {
            y = self.reshape(y, &replace_axis(&dims, axis, &[g.kernel, g.out, g.stride]))?;
            y = self.keep_prefix(y, axis + 2, 1)?;
            y = self.reshape(y, &replace_axis(&dims, axis, &[g.kernel, g.out]))?;
        }
        Ok(y)
    }

    /// The first `keep` elements along `axis` (no node when that is all of them).
    fn keep_prefix(&mut self, x: NodeId, axis: usize, keep: usize) -> BuildResult<NodeId> {
        let dims = self.shape(x).to_vec();
        if dims[axis] == keep {
            return Ok(x);
        }
        let mut ranges: Vec<(usize, usize)> = dims.iter().map(|&d| (0, d)).collect();
        ranges[axis] = (0, keep);
        self.shrink(x, &ranges)
    }

    /// `extra` zeros appended along `axis`; only used for positions that are dropped later.
    fn pad_end(&mut self, x: NodeId, axis: usize, extra: usize) -> BuildResult<NodeId> {
        let mut pads = vec![(0, 0); self.rank(x)];
        pads[axis] = (0, extra);
        let zero = Scalar::zero(self.dtype(x));
        self.pad(x, &pads, zero)
    }
}
