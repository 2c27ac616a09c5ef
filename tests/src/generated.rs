//! Graphs of any size, for scaling tests: each family has one size parameter `n` and small
//! tensors, so that the graph's size (not its data) is what grows. The same families, as
//! `.egir` text, are what `scripts/scaling.py` measures.
//!
//! - [`elementwise_chain`]: `n` elementwise ops, each using the previous one (one fused
//!   kernel whose value chain is `n` deep);
//! - [`softmax_chain`]: `n` softmaxes, each of the previous one;
//! - [`layernorm_gelu_chain`]: `n` blocks of `gelu(layernorm(x))`;
//! - [`outputs`]: `n` outputs computed from one input;
//! - [`branches`]: `n` independent inputs, each with its own small computation and output;
//! - [`mlp`]: `n` layers `relu(h @ w_i)`;
//! - [`view_chain`]: `n` reshapes, each followed by a permute (not a scaling family: a
//!   test that index expressions stay small).

use egpu_ir::{BinaryOp, BuildResult, DType, Graph, GraphBuilder, NodeId, Scalar};

/// The families by name, as `scripts/scaling.py` names them.
pub const FAMILIES: [&str; 6] = [
    "chain",
    "softmax",
    "layernorm_gelu",
    "outputs",
    "branches",
    "mlp",
];

/// The graph of family `name` at size `n` (`None` for an unknown family).
pub fn family(name: &str, n: usize) -> Option<BuildResult<Graph>> {
    Some(match name {
        "chain" => elementwise_chain(n),
        "softmax" => softmax_chain(n),
        "layernorm_gelu" => layernorm_gelu_chain(n),
        "outputs" => outputs(n),
        "branches" => branches(n),
        "mlp" => mlp(n),
        _ => return None,
    })
}

fn float(g: &mut GraphBuilder, value: f64, dims: &[usize]) -> BuildResult<NodeId> {
    g.constant(Scalar::Float(value), DType::F32, dims)
}

/// `y ← y·0.5 + x`, alternately a `mul` and an `add`, until there are `n` ops (`y` starts
/// at `x`): values stay within twice the input's range however long the chain is, and
/// no rule shortens it.
pub fn elementwise_chain(n: usize) -> BuildResult<Graph> {
    let dims = [2, 4];
    let mut g = GraphBuilder::new("chain");
    let x = g.input("x", DType::F32, &dims)?;
    let half = float(&mut g, 0.5, &dims)?;
    let mut y = x;
    for i in 0..n {
        y = if i % 2 == 0 {
            g.binary(BinaryOp::Mul, y, half)?
        } else {
            g.binary(BinaryOp::Add, y, x)?
        };
    }
    g.output("y", y)?;
    g.finish()
}

/// The input shape of [`softmax_chain`] and [`layernorm_gelu_chain`].
const ROWS_DIMS: [usize; 2] = [4, 16];

/// `n` softmaxes over the last axis, each of the previous one.
pub fn softmax_chain(n: usize) -> BuildResult<Graph> {
    softmax_chain_with_dims(n, &ROWS_DIMS)
}

/// [`softmax_chain`] on an input of shape `dims`.
pub fn softmax_chain_with_dims(n: usize, dims: &[usize]) -> BuildResult<Graph> {
    let mut g = GraphBuilder::new("softmax_chain");
    let mut y = g.input("x", DType::F32, dims)?;
    for _ in 0..n {
        y = g.softmax(y, -1)?;
    }
    g.output("y", y)?;
    g.finish()
}

/// `n` blocks `gelu(layernorm(y))` over the last axis.
pub fn layernorm_gelu_chain(n: usize) -> BuildResult<Graph> {
    layernorm_gelu_chain_with_dims(n, &ROWS_DIMS)
}

/// [`layernorm_gelu_chain`] on an input of shape `dims`.
pub fn layernorm_gelu_chain_with_dims(n: usize, dims: &[usize]) -> BuildResult<Graph> {
    let mut g = GraphBuilder::new("layernorm_gelu_chain");
    let mut y = g.input("x", DType::F32, dims)?;
    for _ in 0..n {
        let normed = g.layernorm(y, None, None, 1e-5)?;
        y = g.gelu(normed)?;
    }
    g.output("y", y)?;
    g.finish()
}

/// `out_i = x · (i + 1)` for `i < n`: `n` outputs of one input.
pub fn outputs(n: usize) -> BuildResult<Graph> {
    let dims = [2, 4];
    let mut g = GraphBuilder::new("outputs");
    let x = g.input("x", DType::F32, &dims)?;
    for i in 0..n {
        let k = float(&mut g, (i + 1) as f64, &dims)?;
        let y = g.binary(BinaryOp::Mul, x, k)?;
        g.output(&format!("out{i}"), y)?;
    }
    g.finish()
}

/// `out_i = x_i·x_i + x_i` for `n` separate inputs `x_i`: `n` branches sharing nothing.
pub fn branches(n: usize) -> BuildResult<Graph> {
    let mut g = GraphBuilder::new("branches");
    for i in 0..n {
        let x = g.input(&format!("x{i}"), DType::F32, &[4])?;
        let sq = g.binary(BinaryOp::Mul, x, x)?;
        let y = g.binary(BinaryOp::Add, sq, x)?;
        g.output(&format!("out{i}"), y)?;
    }
    g.finish()
}

/// `h ← relu(h @ w_i)` for `n` weight matrices `w_i`, starting from `h = x`.
pub fn mlp(n: usize) -> BuildResult<Graph> {
    let width = 8;
    let mut g = GraphBuilder::new("mlp");
    let mut h = g.input("x", DType::F32, &[4, width])?;
    for i in 0..n {
        let w = g.input(&format!("w{i}"), DType::F32, &[width, width])?;
        let z = g.matmul(h, w, None)?;
        h = g.relu(z)?;
    }
    g.output("y", h)?;
    g.finish()
}

/// `n` times: reshape `[2, 3]` to `[3, 2]`, then transpose back to `[2, 3]` (a permutation
/// of the six elements that no rule undoes), then `y + y` so there is a kernel.
pub fn view_chain(n: usize) -> BuildResult<Graph> {
    let mut g = GraphBuilder::new("view_chain");
    let x = g.input("x", DType::F32, &[2, 3])?;
    let mut y = x;
    for _ in 0..n {
        y = g.reshape(y, &[3, 2])?;
        y = g.permute(y, &[1, 0])?;
    }
    let y = g.binary(BinaryOp::Add, y, y)?;
    g.output("y", y)?;
    g.finish()
}
