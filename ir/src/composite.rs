//! Composite operations: each expands to primitives through the checked builder methods.

use crate::builder::{BuildResult, GraphBuilder, err};
use crate::{DType, NodeId};

/// Stride, padding and dilation of a 2-D convolution, (height, width) each.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Conv2dParams {
    pub stride: [usize; 2],
    pub padding: [usize; 2],
    pub dilation: [usize; 2],
}

impl Default for Conv2dParams {
    fn default() -> Self {
        Conv2dParams { stride: [1, 1], padding: [0, 0], dilation: [1, 1] }
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

// TODO(composites helper): replace each stub body with the real expansion.
#[allow(unused_variables)]
impl GraphBuilder {
    /// `[..., m, k] @ [..., k, n]` with broadcast batch axes. f16/bf16 are multiplied and summed
    /// in f32; the result has the inputs' dtype unless `out` names another.
    pub fn matmul(&mut self, a: NodeId, b: NodeId, out: Option<DType>) -> BuildResult<NodeId> {
        err("matmul", "not implemented yet")
    }
    pub fn softmax(&mut self, x: NodeId, axis: i64) -> BuildResult<NodeId> {
        err("softmax", "not implemented yet")
    }
    pub fn log_softmax(&mut self, x: NodeId, axis: i64) -> BuildResult<NodeId> {
        err("log_softmax", "not implemented yet")
    }
    pub fn layernorm(&mut self, x: NodeId, weight: Option<NodeId>, bias: Option<NodeId>, eps: f64) -> BuildResult<NodeId> {
        err("layernorm", "not implemented yet")
    }
    pub fn rmsnorm(&mut self, x: NodeId, weight: Option<NodeId>, eps: f64) -> BuildResult<NodeId> {
        err("rmsnorm", "not implemented yet")
    }
    pub fn gelu(&mut self, x: NodeId) -> BuildResult<NodeId> {
        err("gelu", "not implemented yet")
    }
    pub fn silu(&mut self, x: NodeId) -> BuildResult<NodeId> {
        err("silu", "not implemented yet")
    }
    pub fn relu(&mut self, x: NodeId) -> BuildResult<NodeId> {
        err("relu", "not implemented yet")
    }
    pub fn sigmoid(&mut self, x: NodeId) -> BuildResult<NodeId> {
        err("sigmoid", "not implemented yet")
    }
    pub fn exp(&mut self, x: NodeId) -> BuildResult<NodeId> {
        err("exp", "not implemented yet")
    }
    pub fn log(&mut self, x: NodeId) -> BuildResult<NodeId> {
        err("log", "not implemented yet")
    }
    pub fn tanh(&mut self, x: NodeId) -> BuildResult<NodeId> {
        err("tanh", "not implemented yet")
    }
    pub fn mean(&mut self, x: NodeId, axes: &[usize]) -> BuildResult<NodeId> {
        err("mean", "not implemented yet")
    }
    pub fn var(&mut self, x: NodeId, axes: &[usize], correction: usize) -> BuildResult<NodeId> {
        err("var", "not implemented yet")
    }
    pub fn conv2d(&mut self, x: NodeId, w: NodeId, bias: Option<NodeId>, p: &Conv2dParams) -> BuildResult<NodeId> {
        err("conv2d", "not implemented yet")
    }
    pub fn max_pool2d(&mut self, x: NodeId, p: &Pool2dParams) -> BuildResult<NodeId> {
        err("max_pool2d", "not implemented yet")
    }
    /// softmax(q·kᵀ·scale [+ causal mask])·v; `scale` defaults to 1/sqrt(d).
    pub fn attention(&mut self, q: NodeId, k: NodeId, v: NodeId, causal: bool, scale: Option<f64>) -> BuildResult<NodeId> {
        err("attention", "not implemented yet")
    }
}
