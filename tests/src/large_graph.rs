//! Large random graphs from a byte string, for the `schedule_lower` fuzz target (which
//! includes this file by path; it therefore uses nothing but `egpu_ir`) and for the tests
//! that keep that target's code working without cargo-fuzz.
//!
//! The first bytes choose the tensor sizes (`[R, C]` with R ≤ 8, C ≤ 16) and how many nodes
//! the graph gets (1,000 to 4,000); every later byte drives one step: an elementwise op, a
//! chain of up to 64 of them, a broadcast, a reduction, a transpose, a shift (shrink + pad),
//! a flip, a softmax or an output. When the bytes run out, a generator seeded from them
//! supplies the rest, so every input grows to the chosen size. Values stay bounded (inputs
//! in [-1, 1), sums scaled back to means, no exp of unbounded values) so that comparing with
//! the reference measures the compiler, not floating-point growth.

use egpu_ir::interp::SplitMix64;
use egpu_ir::{
    BinaryOp, BuildResult, DType, Graph, GraphBuilder, NodeId, ReduceOp, Scalar, UnaryOp,
};

/// The fewest and the most nodes a generated graph gets (the most is exceeded by at most
/// one step: a chain or a composite).
pub const MIN_NODES: usize = 1000;
pub const MAX_NODES: usize = 4000;
/// The most outputs a generated graph gets besides the newest node of each of the four
/// shape pools (so at most 12 in all).
const MAX_OUTPUTS: usize = 8;

/// Bytes from the fuzzer, then from a generator seeded with them.
struct Choices<'a> {
    data: &'a [u8],
    at: usize,
    rest: SplitMix64,
}

impl Choices<'_> {
    fn byte(&mut self) -> u8 {
        match self.data.get(self.at) {
            Some(&b) => {
                self.at += 1;
                b
            }
            None => (self.rest.next() >> 56) as u8,
        }
    }

    /// A number in `0..n` (`n` ≥ 1, at most 256).
    fn below(&mut self, n: usize) -> usize {
        usize::from(self.byte()) % n.max(1)
    }
}

/// FNV-1a: the seed of the generator that continues after the fuzzer's bytes.
fn seed(data: &[u8]) -> u64 {
    data.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The nodes built so far, grouped by shape: `[R, C]`, its transpose `[C, R]`, rows
/// `[R, 1]` and columns `[C]`. Every pool starts with an input.
struct Pools {
    rows: usize,
    cols: usize,
    full: Vec<NodeId>,
    transposed: Vec<NodeId>,
    row: Vec<NodeId>,
    col: Vec<NodeId>,
    outputs: Vec<NodeId>,
}

/// Which pool a step works on.
#[derive(Clone, Copy)]
enum Pool {
    Full,
    Transposed,
    Row,
    Col,
}

impl Pools {
    fn pool(&mut self, which: Pool) -> &mut Vec<NodeId> {
        match which {
            Pool::Full => &mut self.full,
            Pool::Transposed => &mut self.transposed,
            Pool::Row => &mut self.row,
            Pool::Col => &mut self.col,
        }
    }

    /// A node of `which`: mostly one of the newest two (so that most nodes feed an output
    /// and chains grow long), sometimes one of the newest sixteen (so branches join).
    fn pick(&mut self, which: Pool, c: &mut Choices) -> Option<NodeId> {
        let reach = if c.byte() < 224 { 2 } else { 16 };
        let pool = self.pool(which);
        let back = c.below(pool.len().min(reach));
        pool.len()
            .checked_sub(1 + back)
            .and_then(|i| pool.get(i).copied())
    }
}

/// Builds the graph `data` describes (see the module doc). Always a valid graph with at
/// least one output.
pub fn build(data: &[u8]) -> BuildResult<Graph> {
    let mut c = Choices {
        data,
        at: 0,
        rest: SplitMix64(seed(data)),
    };
    let (rows, cols) = (1 + c.below(8), 1 + c.below(16));
    let wanted = MIN_NODES
        + (usize::from(c.byte()) * 256 + usize::from(c.byte())) % (MAX_NODES - MIN_NODES + 1);
    let mut b = GraphBuilder::new("fuzz");
    let mut p = Pools {
        rows,
        cols,
        full: vec![
            b.input("x", DType::F32, &[rows, cols])?,
            b.input("y", DType::F32, &[rows, cols])?,
        ],
        transposed: vec![b.input("t", DType::F32, &[cols, rows])?],
        row: vec![b.input("r", DType::F32, &[rows, 1])?],
        col: vec![b.input("w", DType::F32, &[cols])?],
        outputs: Vec::new(),
    };
    let mut last = p.col[0];
    while last.as_u32() as usize + 1 < wanted {
        if let Some(id) = step(&mut b, &mut p, &mut c)? {
            last = last.max(id);
        }
    }
    for which in [Pool::Full, Pool::Transposed, Pool::Row, Pool::Col] {
        if let Some(&id) = p.pool(which).last() {
            p.outputs.push(id);
        }
    }
    p.outputs.dedup();
    for (i, &id) in p.outputs.iter().enumerate() {
        b.output(&format!("out{i}"), id)?;
    }
    b.finish()
}

/// One step; answers the newest node it made, if any.
fn step(b: &mut GraphBuilder, p: &mut Pools, c: &mut Choices) -> BuildResult<Option<NodeId>> {
    let which = [
        Pool::Full,
        Pool::Full,
        Pool::Transposed,
        Pool::Row,
        Pool::Col,
    ][c.below(5)];
    let Some(x) = p.pick(which, c) else {
        return Ok(None);
    };
    let made = match c.below(12) {
        0..=2 => elementwise(b, x, c)?,
        3 => {
            let mut v = x;
            for _ in 0..=c.below(64) {
                v = elementwise(b, v, c)?;
            }
            v
        }
        4 | 5 => {
            let Some(y) = p.pick(which, c) else {
                return Ok(None);
            };
            binary(b, x, y, c)?
        }
        6 => return broadcast(b, p, c).map(Some),
        7 => return reduce(b, p, c).map(Some),
        8 => return movement(b, p, c).map(Some),
        9 => {
            let axis = if b.rank(x) == 2 { 1 } else { -1 };
            b.softmax(x, axis)?
        }
        10 if p.outputs.len() < MAX_OUTPUTS => {
            p.outputs.push(x);
            return Ok(None);
        }
        _ => {
            let y = b.cast(x, DType::F16)?;
            b.cast(y, DType::F32)?
        }
    };
    p.pool(which).push(made);
    Ok(Some(made))
}

/// One bounded elementwise op: |result| ≤ max(|x|, 1).
fn elementwise(b: &mut GraphBuilder, x: NodeId, c: &mut Choices) -> BuildResult<NodeId> {
    match c.below(8) {
        0 => b.unary(UnaryOp::Neg, x),
        1 => b.tanh(x),
        2 => b.sigmoid(x),
        3 => b.gelu(x),
        4 => b.relu(x),
        5 => b.unary(UnaryOp::Sin, x),
        6 => {
            let k = b.constant_like(f64::from(c.byte()) / 256.0 - 0.5, x)?;
            b.binary(BinaryOp::Mul, x, k)
        }
        _ => {
            let y = b.unary(UnaryOp::Neg, x)?;
            b.binary(BinaryOp::Max, x, y)
        }
    }
}

/// A bounded binary op of two same-shaped nodes: sums and differences are halved.
fn binary(b: &mut GraphBuilder, x: NodeId, y: NodeId, c: &mut Choices) -> BuildResult<NodeId> {
    let op = [
        BinaryOp::Add,
        BinaryOp::Sub,
        BinaryOp::Mul,
        BinaryOp::Max,
        BinaryOp::Min,
    ][c.below(5)];
    let v = b.binary(op, x, y)?;
    if matches!(op, BinaryOp::Add | BinaryOp::Sub) {
        let half = b.constant_like(0.5, v)?;
        return b.binary(BinaryOp::Mul, v, half);
    }
    Ok(v)
}

/// A row or column broadcast over `[R, C]`, combined with a full node.
fn broadcast(b: &mut GraphBuilder, p: &mut Pools, c: &mut Choices) -> BuildResult<NodeId> {
    let (rows, cols) = (p.rows, p.cols);
    let spread = if c.below(2) == 0 {
        match p.pick(Pool::Row, c) {
            Some(r) => b.expand(r, &[rows, cols])?,
            None => return Ok(p.full[0]),
        }
    } else {
        match p.pick(Pool::Col, c) {
            Some(w) => {
                let w = b.reshape(w, &[1, cols])?;
                b.expand(w, &[rows, cols])?
            }
            None => return Ok(p.full[0]),
        }
    };
    let Some(x) = p.pick(Pool::Full, c) else {
        return Ok(spread);
    };
    let v = binary(b, x, spread, c)?;
    p.full.push(v);
    Ok(v)
}

/// A mean or max over the rows (→ `[R, 1]`) or the columns (→ `[C]`) of a full node.
fn reduce(b: &mut GraphBuilder, p: &mut Pools, c: &mut Choices) -> BuildResult<NodeId> {
    let Some(x) = p.pick(Pool::Full, c) else {
        return Ok(p.row[0]);
    };
    let along_rows = c.below(2) == 0;
    let axes: &[usize] = if along_rows { &[1] } else { &[0] };
    let v = match c.below(3) {
        0 => b.reduce(ReduceOp::Max, x, axes)?,
        1 => b.reduce(ReduceOp::Min, x, axes)?,
        _ => b.mean(x, axes)?,
    };
    if along_rows {
        p.row.push(v);
        Ok(v)
    } else {
        let v = b.reshape(v, &[p.cols])?;
        p.col.push(v);
        Ok(v)
    }
}

/// A transpose, a flip, or a shift by one along an axis (shrink, then pad with a value).
fn movement(b: &mut GraphBuilder, p: &mut Pools, c: &mut Choices) -> BuildResult<NodeId> {
    let from_full = c.below(2) == 0;
    let (source, target) = if from_full {
        (Pool::Full, Pool::Transposed)
    } else {
        (Pool::Transposed, Pool::Full)
    };
    let Some(x) = p.pick(source, c) else {
        return Ok(p.full[0]);
    };
    let dims = b.shape(x).to_vec();
    let (v, pool) = match c.below(3) {
        0 => (b.permute(x, &[1, 0])?, target),
        1 => (b.flip(x, &[c.below(2)])?, source),
        _ => {
            let axis = c.below(2);
            let mut ranges: Vec<(usize, usize)> = dims.iter().map(|&d| (0, d)).collect();
            let mut pads = vec![(0, 0); dims.len()];
            if dims[axis] > 1 {
                ranges[axis].1 -= 1;
                pads[axis].0 = 1;
            }
            let value = Scalar::Float(f64::from(c.byte()) / 128.0 - 1.0);
            let shrunk = b.shrink(x, &ranges)?;
            (b.pad(shrunk, &pads, value)?, source)
        }
    };
    p.pool(pool).push(v);
    Ok(v)
}
