//! Random valid graphs for property tests: a few inputs of assorted dtypes and small shapes,
//! then a random sequence of primitive operations (elementwise, where, reductions, movement
//! ops, casts, constants with awkward values such as -0.0, 1e-300, NaN and inf, iota).
//!
//! Each step draws a candidate operation; candidates the builder refuses (a wrong dtype, say)
//! are skipped, so every generated graph is valid. Every tensor has at most
//! [`MAX_NUMEL`] elements and no dimension is zero.

use egpu_ir::interp::SplitMix64;
use egpu_ir::{BinaryOp, DType, Graph, GraphBuilder, NodeId, ReduceOp, Scalar, UnaryOp};
use proptest::prelude::*;

/// The most elements any tensor of a generated graph has.
pub const MAX_NUMEL: usize = 64;

/// Names some nodes are given: some collide with the printer's `t<N>` names, with input
/// names, with reserved words, or are not identifiers at all, to exercise the printer.
const NAMES: [&str; 12] = [
    "a",
    "b",
    "acc",
    "t0",
    "t1",
    "t3",
    "in0",
    "x_1",
    "out0",
    "f32",
    "inf",
    "not a name",
];

/// Float constants that are easy to get wrong when printing and parsing.
const FLOATS: [f64; 16] = [
    0.0,
    -0.0,
    1.0,
    -2.25,
    0.1,
    1.0 / 3.0,
    1e-300,
    5e-324,
    f64::NAN,
    f64::INFINITY,
    f64::NEG_INFINITY,
    65504.0,
    3.4028234663852886e38,
    1e300,
    -1.5e-7,
    123456789.0,
];

/// Integer constants; those out of a dtype's range are skipped for it.
const INTS: [i128; 12] = [
    0,
    1,
    -1,
    7,
    127,
    -128,
    255,
    65535,
    -2147483648,
    9223372036854775807,
    18446744073709551615,
    -9223372036854775808,
];

/// One random operation: which kind, the seed its choices are drawn from, and maybe a name.
type Step = (u8, u64, u8);

/// A strategy for random valid graphs (see the module doc). Inputs are named `in0`, `in1`, …
/// and come first; outputs are named `out0`, `out1`, … or after the node's given name.
pub fn arb_graph() -> impl Strategy<Value = Graph> {
    let input = (
        0..DType::ALL.len(),
        prop::collection::vec(1usize..=4, 0..=3),
    );
    (
        prop::collection::vec(input, 1..=3),
        prop::collection::vec((any::<u8>(), any::<u64>(), 0u8..32), 1..32),
        prop::collection::vec((any::<u16>(), any::<bool>()), 1..=3),
    )
        .prop_map(|(inputs, steps, outputs)| build(&inputs, &steps, &outputs))
}

/// Reproducible choices inside one step (the interpreter's splitmix64).
struct Rng(SplitMix64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0.next()
    }

    /// A number in `0..n` (0 when `n` is 0).
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> Option<T> {
        items.get(self.below(items.len())).copied()
    }
}

fn build(inputs: &[(usize, Vec<usize>)], steps: &[Step], outputs: &[(u16, bool)]) -> Graph {
    let mut b = GraphBuilder::new("random");
    let mut nodes: Vec<NodeId> = Vec::new();
    for (i, (dtype, dims)) in inputs.iter().enumerate() {
        let dtype = DType::ALL.get(*dtype).copied().unwrap_or(DType::F32);
        if let Ok(id) = b.input(&format!("in{i}"), dtype, dims) {
            nodes.push(id);
        }
    }
    let mut given: Vec<Option<&str>> = vec![None; nodes.len()];
    for &(kind, seed, name) in steps {
        let mut rng = Rng(SplitMix64(seed));
        if let Some(id) = step(&mut b, &nodes, kind, &mut rng)
            && !nodes.contains(&id)
        {
            let name = NAMES.get(usize::from(name)).copied();
            if let Some(name) = name {
                b.set_name(id, name);
            }
            nodes.push(id);
            given.push(name);
        }
    }
    for (i, &(which, use_name)) in outputs.iter().enumerate() {
        let k = usize::from(which) % nodes.len().max(1);
        let Some(&id) = nodes.get(k) else { continue };
        let name = match given.get(k).copied().flatten() {
            Some(n) if use_name && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') => {
                n.to_string()
            }
            _ => format!("out{i}"),
        };
        let _ = b.output(&name, id);
    }
    match b.finish() {
        Ok(g) => g,
        Err(e) => panic!("a random graph with inputs has outputs: {e}"),
    }
}

fn numel(dims: &[usize]) -> usize {
    dims.iter().product()
}

/// Nodes of `dtype` among `nodes`.
fn of_dtype(b: &GraphBuilder, nodes: &[NodeId], dtype: DType) -> Vec<NodeId> {
    nodes
        .iter()
        .copied()
        .filter(|&n| b.dtype(n) == dtype)
        .collect()
}

/// A non-empty random subset of `0..rank`, in random order.
fn axes(rng: &mut Rng, rank: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..rank).collect();
    shuffle(rng, &mut order);
    order.truncate(1 + rng.below(rank));
    order
}

fn shuffle(rng: &mut Rng, items: &mut [usize]) {
    for i in (1..items.len()).rev() {
        items.swap(i, rng.below(i + 1));
    }
}

/// Random small dims (rank 0..=3, each 1..=4).
fn small_dims(rng: &mut Rng) -> Vec<usize> {
    (0..rng.below(4)).map(|_| 1 + rng.below(4)).collect()
}

/// A value of `dtype`, often an awkward one.
fn value(rng: &mut Rng, dtype: DType) -> Scalar {
    if dtype.is_bool() {
        return Scalar::Bool(rng.below(2) == 1);
    }
    if dtype.is_float() {
        return Scalar::Float(rng.pick(&FLOATS).unwrap_or(0.0));
    }
    let (lo, hi) = dtype.int_range().unwrap_or((0, 0));
    let fitting: Vec<i128> = INTS
        .iter()
        .copied()
        .filter(|v| (lo..=hi).contains(v))
        .collect();
    Scalar::Int(rng.pick(&fitting).unwrap_or(0))
}

/// One candidate operation; `None` when it does not apply or the builder refuses it.
fn step(b: &mut GraphBuilder, nodes: &[NodeId], kind: u8, rng: &mut Rng) -> Option<NodeId> {
    let x = rng.pick(nodes)?;
    let dims = b.shape(x).to_vec();
    let rank = dims.len();
    match kind % 16 {
        0 => {
            let op = rng.pick(&UnaryOp::ALL)?;
            b.unary(op, x).ok()
        }
        1 | 2 | 15 => {
            let y = rng.pick(&of_dtype(b, nodes, b.dtype(x)))?;
            if numel(&b.broadcast_shape("random", &[x, y]).ok()?) > MAX_NUMEL {
                return None;
            }
            let op = if kind % 16 == 15 {
                rng.pick(&[BinaryOp::CmpLt, BinaryOp::CmpEq, BinaryOp::CmpNe])?
            } else {
                rng.pick(&BinaryOp::ALL)?
            };
            b.binary(op, x, y).ok()
        }
        3 => {
            let cond = rng.pick(&of_dtype(b, nodes, DType::Bool))?;
            let y = rng.pick(&of_dtype(b, nodes, b.dtype(x)))?;
            if numel(&b.broadcast_shape("random", &[cond, x, y]).ok()?) > MAX_NUMEL {
                return None;
            }
            b.where_(cond, x, y).ok()
        }
        4 => {
            let op = rng.pick(&ReduceOp::ALL)?;
            b.reduce(op, x, &axes(rng, rank)).ok()
        }
        5 => {
            // A random factorization of the element count.
            let mut left = numel(&dims);
            let mut new = Vec::new();
            for _ in 0..rng.below(4) {
                let divisors: Vec<usize> = (1..=left).filter(|&d| left.is_multiple_of(d)).collect();
                let d = rng.pick(&divisors)?;
                new.push(d);
                left /= d;
            }
            new.push(left);
            shuffle(rng, &mut new);
            b.reshape(x, &new).ok()
        }
        6 => {
            let mut perm: Vec<usize> = (0..rank).collect();
            shuffle(rng, &mut perm);
            b.permute(x, &perm).ok()
        }
        7 => {
            let mut new = dims.clone();
            for d in new.iter_mut().filter(|d| **d == 1) {
                *d = 1 + rng.below(4);
            }
            if numel(&new) > MAX_NUMEL {
                return None;
            }
            b.expand(x, &new).ok()
        }
        8 => {
            let pads: Vec<(usize, usize)> =
                (0..rank).map(|_| (rng.below(3), rng.below(3))).collect();
            let new: Vec<usize> = dims
                .iter()
                .zip(&pads)
                .map(|(d, (p, q))| d + p + q)
                .collect();
            if numel(&new) > MAX_NUMEL {
                return None;
            }
            let v = value(rng, b.dtype(x));
            b.pad(x, &pads, v).ok()
        }
        9 => {
            let ranges: Vec<(usize, usize)> = dims
                .iter()
                .map(|&d| {
                    let start = rng.below(d);
                    (start, start + 1 + rng.below(d - start))
                })
                .collect();
            b.shrink(x, &ranges).ok()
        }
        10 => b.flip(x, &axes(rng, rank)).ok(),
        11 => {
            let dtype = rng.pick(&DType::ALL)?;
            let v = value(rng, dtype);
            b.constant(v, dtype, &small_dims(rng)).ok()
        }
        12 => {
            let dtype = rng.pick(&DType::ALL)?;
            let dims = small_dims(rng);
            let axis = rng.below(dims.len());
            b.iota(dtype, &dims, axis).ok()
        }
        13 => {
            let dtype = rng.pick(&DType::ALL)?;
            b.cast(x, dtype).ok()
        }
        _ => {
            let dtype = rng.pick(&DType::ALL)?;
            b.bitcast(x, dtype).ok()
        }
    }
}

/// `n` graphs drawn from [`arb_graph`] with a fixed seed: the same list on every run, for
/// tests and scripts that want many random graphs without a proptest runner around them.
pub fn sample(n: usize, seed: u64) -> Vec<Graph> {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
    let mut bytes = [0u8; 32];
    bytes[..8].copy_from_slice(&seed.to_le_bytes());
    let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &bytes);
    let mut runner = TestRunner::new_with_rng(Config::default(), rng);
    let strategy = arb_graph();
    (0..n)
        .filter_map(|_| strategy.new_tree(&mut runner).ok().map(|t| t.current()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;

    /// The generator makes varied graphs within the size limit.
    #[test]
    fn graphs_are_small_and_varied() {
        let mut runner = TestRunner::deterministic();
        let strategy = arb_graph();
        let mut ops = std::collections::BTreeSet::new();
        for _ in 0..200 {
            let g = strategy.new_tree(&mut runner).map(|t| t.current()).unwrap();
            assert!(!g.outputs().is_empty());
            for (_, node) in g.nodes() {
                assert!(node.shape.numel() <= MAX_NUMEL, "{:?}", node.shape);
                assert!(node.shape.iter().all(|&d| d > 0));
                ops.insert(node.op.name());
            }
        }
        for op in [
            "input", "const", "iota", "cast", "bitcast", "where", "sum", "reshape", "expand",
        ] {
            assert!(ops.contains(op), "no {op} in 200 graphs: {ops:?}");
        }
        for op in ["permute", "pad", "shrink", "flip", "add", "cmplt", "neg"] {
            assert!(ops.contains(op), "no {op} in 200 graphs: {ops:?}");
        }
    }
}
