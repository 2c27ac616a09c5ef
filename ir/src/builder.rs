//! Building graphs: every primitive with its shape and dtype checks, numpy broadcasting.
//! Composite operations (matmul, softmax, …) are in `composite.rs`.

use crate::graph::{Graph, Node, NodeId, Output};
use crate::{BinaryOp, DType, Op, ReduceOp, Scalar, Shape, UnaryOp};
use cranelift_entity::PrimaryMap;
use std::collections::BTreeSet;

/// A graph that could not be built: which operation, and what is wrong with it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{op}: {message}")]
pub struct GraphError {
    pub op: String,
    pub message: String,
}

pub type BuildResult<T> = Result<T, GraphError>;

pub(crate) fn err<T>(op: &str, message: impl Into<String>) -> BuildResult<T> {
    Err(GraphError {
        op: op.to_string(),
        message: message.into(),
    })
}

/// Builds a [`Graph`] node by node. Each method checks its operands and returns the new
/// node, or a [`GraphError`] saying what is wrong; nothing is added on error.
#[derive(Clone, Debug)]
pub struct GraphBuilder {
    graph: Graph,
    /// Input and output names given so far, so that a repeat is found without a scan
    /// (graphs may have tens of thousands of each).
    input_names: BTreeSet<String>,
    output_names: BTreeSet<String>,
}

impl GraphBuilder {
    pub fn new(name: &str) -> GraphBuilder {
        GraphBuilder {
            graph: Graph {
                name: name.to_string(),
                doc: Vec::new(),
                nodes: PrimaryMap::new(),
                inputs: Vec::new(),
                outputs: Vec::new(),
            },
            input_names: BTreeSet::new(),
            output_names: BTreeSet::new(),
        }
    }

    /// Sets the comment lines printed above the graph.
    pub fn set_doc(&mut self, lines: Vec<String>) {
        self.graph.doc = lines;
    }

    pub fn node(&self, id: NodeId) -> &Node {
        &self.graph.nodes[id]
    }

    pub fn dtype(&self, id: NodeId) -> DType {
        self.graph.nodes[id].dtype
    }

    pub fn shape(&self, id: NodeId) -> &Shape {
        &self.graph.nodes[id].shape
    }

    pub fn rank(&self, id: NodeId) -> usize {
        self.graph.nodes[id].shape.rank()
    }

    /// Gives a node a name for dumps; a node keeps the first name it is given.
    pub fn set_name(&mut self, id: NodeId, name: &str) {
        let node = &mut self.graph.nodes[id];
        if node.name.is_none() {
            node.name = Some(name.to_string());
        }
    }

    fn push(&mut self, op: Op, dtype: DType, shape: Shape) -> NodeId {
        self.graph.nodes.push(Node {
            op,
            dtype,
            shape,
            name: None,
        })
    }

    /// Turns a possibly negative axis (numpy style, -1 = last) into an axis of `x`.
    pub fn axis(&self, op: &str, x: NodeId, axis: i64) -> BuildResult<usize> {
        let rank = self.rank(x) as i64;
        let a = if axis < 0 { axis + rank } else { axis };
        if a < 0 || a >= rank {
            return err(op, format!("axis {axis} is out of range for rank {rank}"));
        }
        Ok(a as usize)
    }

    /// A named input of the graph.
    pub fn input(&mut self, name: &str, dtype: DType, dims: &[usize]) -> BuildResult<NodeId> {
        if self.input_names.contains(name) {
            return err("input", format!("input '{name}' is declared twice"));
        }
        let shape = Shape::new(dims.to_vec()).or_else(|m| err("input", m))?;
        self.input_names.insert(name.to_string());
        let id = self.push(
            Op::Input {
                name: name.to_string(),
            },
            dtype,
            shape,
        );
        self.graph.nodes[id].name = Some(name.to_string());
        self.graph.inputs.push(id);
        Ok(id)
    }

    /// `value` of `dtype` at every element of `dims`. The value must be representable:
    /// integers in range for integer dtypes, 0/1 or true/false for bool; floats are rounded.
    pub fn constant(&mut self, value: Scalar, dtype: DType, dims: &[usize]) -> BuildResult<NodeId> {
        let value = representable(value, dtype).or_else(|m| err("const", m))?;
        let shape = Shape::new(dims.to_vec()).or_else(|m| err("const", m))?;
        Ok(self.push(Op::Const { value }, dtype, shape))
    }

    /// A float constant with the dtype and shape of `like` (for composites).
    pub fn constant_like(&mut self, value: f64, like: NodeId) -> BuildResult<NodeId> {
        let dtype = self.dtype(like);
        let dims = self.shape(like).to_vec();
        self.constant(Scalar::Float(value).cast(dtype), dtype, &dims)
    }

    /// Each element's index along `axis`.
    pub fn iota(&mut self, dtype: DType, dims: &[usize], axis: usize) -> BuildResult<NodeId> {
        if !dtype.is_numeric() {
            return err("iota", format!("needs a numeric dtype, not {dtype}"));
        }
        if axis >= dims.len() {
            return err(
                "iota",
                format!("axis {axis} is out of range for rank {}", dims.len()),
            );
        }
        let shape = Shape::new(dims.to_vec()).or_else(|m| err("iota", m))?;
        Ok(self.push(Op::Iota { axis }, dtype, shape))
    }

    pub fn unary(&mut self, op: UnaryOp, x: NodeId) -> BuildResult<NodeId> {
        let dtype = self.dtype(x);
        let ok = match op {
            UnaryOp::Neg => dtype.is_numeric(),
            UnaryOp::Not => dtype.is_int() || dtype.is_bool(),
            _ => dtype.is_float(),
        };
        if !ok {
            let wants = match op {
                UnaryOp::Neg => "a numeric",
                UnaryOp::Not => "a bool or integer",
                _ => "a float",
            };
            return err(op.name(), format!("needs {wants} operand, got {dtype}"));
        }
        let shape = self.shape(x).clone();
        Ok(self.push(Op::Unary { op, x }, dtype, shape))
    }

    /// Converts values to `dtype` (see [`Scalar::cast`] for the exact rules).
    pub fn cast(&mut self, x: NodeId, dtype: DType) -> BuildResult<NodeId> {
        let shape = self.shape(x).clone();
        Ok(self.push(Op::Cast { x }, dtype, shape))
    }

    /// Reinterprets bits as `dtype`, which must have the same width.
    pub fn bitcast(&mut self, x: NodeId, dtype: DType) -> BuildResult<NodeId> {
        let from = self.dtype(x);
        if from.bits() != dtype.bits() || from.is_bool() || dtype.is_bool() {
            return err(
                "bitcast",
                format!(
                    "cannot reinterpret {from} ({} bits) as {dtype} ({} bits)",
                    from.bits(),
                    dtype.bits()
                ),
            );
        }
        let shape = self.shape(x).clone();
        Ok(self.push(Op::Bitcast { x }, dtype, shape))
    }

    /// `a op b` elementwise, broadcasting numpy-style.
    pub fn binary(&mut self, op: BinaryOp, a: NodeId, b: NodeId) -> BuildResult<NodeId> {
        let dtype = self.dtype(a);
        if self.dtype(b) != dtype {
            return err(
                op.name(),
                format!(
                    "operand dtypes differ: {} and {} (cast one explicitly)",
                    dtype,
                    self.dtype(b)
                ),
            );
        }
        check_binary_dtype(op, dtype)?;
        let dims = self.broadcast_shape(op.name(), &[a, b])?;
        let a = self.broadcast_to(a, &dims)?;
        let b = self.broadcast_to(b, &dims)?;
        let out = if op.is_comparison() {
            DType::Bool
        } else {
            dtype
        };
        let shape = self.shape(a).clone();
        Ok(self.push(Op::Binary { op, a, b }, out, shape))
    }

    /// `cond ? a : b` elementwise, broadcasting all three.
    pub fn where_(&mut self, cond: NodeId, a: NodeId, b: NodeId) -> BuildResult<NodeId> {
        if self.dtype(cond) != DType::Bool {
            return err(
                "where",
                format!("condition must be bool, got {}", self.dtype(cond)),
            );
        }
        if self.dtype(a) != self.dtype(b) {
            return err(
                "where",
                format!(
                    "value dtypes differ: {} and {}",
                    self.dtype(a),
                    self.dtype(b)
                ),
            );
        }
        let dims = self.broadcast_shape("where", &[cond, a, b])?;
        let cond = self.broadcast_to(cond, &dims)?;
        let a = self.broadcast_to(a, &dims)?;
        let b = self.broadcast_to(b, &dims)?;
        let (dtype, shape) = (self.dtype(a), self.shape(a).clone());
        Ok(self.push(Op::Where { cond, a, b }, dtype, shape))
    }

    /// Reduces over `axes`, keeping each as size 1.
    pub fn reduce(&mut self, op: ReduceOp, x: NodeId, axes: &[usize]) -> BuildResult<NodeId> {
        let dtype = self.dtype(x);
        if !dtype.is_numeric() {
            return err(op.name(), format!("cannot reduce {dtype} values"));
        }
        if axes.is_empty() {
            return err(op.name(), "needs at least one axis");
        }
        self.check_axes(op.name(), x, axes)?;
        let mut dims = self.shape(x).to_vec();
        for &a in axes {
            dims[a] = 1;
        }
        let mut axes = axes.to_vec();
        axes.sort_unstable();
        Ok(self.push(
            Op::Reduce { op, x, axes },
            dtype,
            Shape::new(dims).unwrap_or_default(),
        ))
    }

    pub fn reshape(&mut self, x: NodeId, dims: &[usize]) -> BuildResult<NodeId> {
        let shape = Shape::new(dims.to_vec()).or_else(|m| err("reshape", m))?;
        if shape.numel() != self.shape(x).numel() {
            return err(
                "reshape",
                format!(
                    "cannot reshape {} ({} elements) to {} ({} elements)",
                    self.shape(x),
                    self.shape(x).numel(),
                    shape,
                    shape.numel()
                ),
            );
        }
        let dtype = self.dtype(x);
        Ok(self.push(Op::Reshape { x }, dtype, shape))
    }

    pub fn permute(&mut self, x: NodeId, perm: &[usize]) -> BuildResult<NodeId> {
        let rank = self.rank(x);
        let mut seen = vec![false; rank];
        let valid = perm.len() == rank
            && perm
                .iter()
                .all(|&p| p < rank && !std::mem::replace(&mut seen[p], true));
        if !valid {
            return err(
                "permute",
                format!(
                    "{perm:?} is not a permutation of the {rank} axes of {}",
                    self.shape(x)
                ),
            );
        }
        let dims: Vec<usize> = perm.iter().map(|&p| self.shape(x)[p]).collect();
        let dtype = self.dtype(x);
        Ok(self.push(
            Op::Permute {
                x,
                perm: perm.to_vec(),
            },
            dtype,
            Shape::new(dims).unwrap_or_default(),
        ))
    }

    /// Repeats size-1 axes to `dims` (same rank).
    pub fn expand(&mut self, x: NodeId, dims: &[usize]) -> BuildResult<NodeId> {
        let from = self.shape(x).clone();
        let ok =
            from.rank() == dims.len() && from.iter().zip(dims).all(|(&f, &t)| f == t || f == 1);
        if !ok {
            return err(
                "expand",
                format!(
                    "cannot expand {from} to {:?} (only size-1 axes grow, rank stays)",
                    dims
                ),
            );
        }
        let shape = Shape::new(dims.to_vec()).or_else(|m| err("expand", m))?;
        let dtype = self.dtype(x);
        Ok(self.push(Op::Expand { x }, dtype, shape))
    }

    pub fn pad(
        &mut self,
        x: NodeId,
        pads: &[(usize, usize)],
        value: Scalar,
    ) -> BuildResult<NodeId> {
        let from = self.shape(x).clone();
        if pads.len() != from.rank() {
            return err(
                "pad",
                format!(
                    "needs one (before, after) pair per axis: {} given for {from}",
                    pads.len()
                ),
            );
        }
        let dtype = self.dtype(x);
        let value = representable(value, dtype).or_else(|m| err("pad", m))?;
        let mut dims = Vec::with_capacity(pads.len());
        for (&d, &(b, a)) in from.iter().zip(pads) {
            match d.checked_add(b).and_then(|v| v.checked_add(a)) {
                Some(v) => dims.push(v),
                None => return err("pad", "padding overflows"),
            }
        }
        let shape = Shape::new(dims).or_else(|m| err("pad", m))?;
        Ok(self.push(
            Op::Pad {
                x,
                pads: pads.to_vec(),
                value,
            },
            dtype,
            shape,
        ))
    }

    pub fn shrink(&mut self, x: NodeId, ranges: &[(usize, usize)]) -> BuildResult<NodeId> {
        let from = self.shape(x).clone();
        if ranges.len() != from.rank() {
            return err(
                "shrink",
                format!(
                    "needs one (start, end) pair per axis: {} given for {from}",
                    ranges.len()
                ),
            );
        }
        for (axis, (&d, &(s, e))) in from.iter().zip(ranges).enumerate() {
            if s > e || e > d {
                return err(
                    "shrink",
                    format!("range {s}..{e} on axis {axis} is not within 0..{d}"),
                );
            }
        }
        let dims: Vec<usize> = ranges.iter().map(|&(s, e)| e - s).collect();
        let dtype = self.dtype(x);
        Ok(self.push(
            Op::Shrink {
                x,
                ranges: ranges.to_vec(),
            },
            dtype,
            Shape::new(dims).unwrap_or_default(),
        ))
    }

    pub fn flip(&mut self, x: NodeId, axes: &[usize]) -> BuildResult<NodeId> {
        if axes.is_empty() {
            return err("flip", "needs at least one axis");
        }
        self.check_axes("flip", x, axes)?;
        let mut axes = axes.to_vec();
        axes.sort_unstable();
        let (dtype, shape) = (self.dtype(x), self.shape(x).clone());
        Ok(self.push(Op::Flip { x, axes }, dtype, shape))
    }

    /// Marks `x` as an output called `name`.
    pub fn output(&mut self, name: &str, x: NodeId) -> BuildResult<()> {
        if !self.output_names.insert(name.to_string()) {
            return err("return", format!("output '{name}' is returned twice"));
        }
        self.graph.outputs.push(Output {
            name: name.to_string(),
            node: x,
        });
        Ok(())
    }

    /// The finished graph; it must have at least one output.
    pub fn finish(self) -> BuildResult<Graph> {
        if self.graph.outputs.is_empty() {
            return err("return", "the graph has no outputs");
        }
        Ok(self.graph)
    }

    /// The numpy broadcast of the operands' shapes.
    pub fn broadcast_shape(&self, op: &str, xs: &[NodeId]) -> BuildResult<Vec<usize>> {
        let rank = xs.iter().map(|&x| self.rank(x)).max().unwrap_or(0);
        let mut dims = vec![1usize; rank];
        for &x in xs {
            let shape = self.shape(x);
            let offset = rank - shape.rank();
            for (i, &d) in shape.iter().enumerate() {
                let slot = &mut dims[offset + i];
                if *slot == 1 {
                    *slot = d;
                } else if d != 1 && d != *slot {
                    let shapes: Vec<String> =
                        xs.iter().map(|&x| self.shape(x).to_string()).collect();
                    return err(
                        op,
                        format!(
                            "shapes {} cannot be broadcast together",
                            shapes.join(" and ")
                        ),
                    );
                }
            }
        }
        Ok(dims)
    }

    /// `x` broadcast to `dims`: leading size-1 axes added by reshape, then expanded.
    pub fn broadcast_to(&mut self, x: NodeId, dims: &[usize]) -> BuildResult<NodeId> {
        if self.shape(x).dims() == dims {
            return Ok(x);
        }
        let rank = self.rank(x);
        if rank > dims.len() {
            return err(
                "broadcast",
                format!("cannot broadcast {} to {:?}", self.shape(x), dims),
            );
        }
        let mut x = x;
        if rank < dims.len() {
            let mut padded = vec![1; dims.len() - rank];
            padded.extend_from_slice(self.shape(x));
            x = self.reshape(x, &padded)?;
        }
        if self.shape(x).dims() == dims {
            Ok(x)
        } else {
            self.expand(x, dims)
        }
    }

    fn check_axes(&self, op: &str, x: NodeId, axes: &[usize]) -> BuildResult<()> {
        let rank = self.rank(x);
        for (i, &a) in axes.iter().enumerate() {
            if a >= rank {
                return err(
                    op,
                    format!(
                        "axis {a} is out of range for {} (rank {rank})",
                        self.shape(x)
                    ),
                );
            }
            if axes[..i].contains(&a) {
                return err(op, format!("axis {a} is listed twice"));
            }
        }
        Ok(())
    }
}

fn check_binary_dtype(op: BinaryOp, dtype: DType) -> BuildResult<()> {
    use BinaryOp::*;
    let (ok, wants) = match op {
        Add | Sub | Mul | Max | Min => (dtype.is_numeric(), "numeric"),
        Div => (dtype.is_float(), "float"),
        Idiv | Mod | Shl | Shr => (dtype.is_int(), "integer"),
        And | Or | Xor => (dtype.is_int() || dtype.is_bool(), "bool or integer"),
        CmpLt => (dtype.is_numeric(), "numeric"),
        CmpEq | CmpNe => (true, ""),
    };
    if ok {
        Ok(())
    } else {
        err(op.name(), format!("needs {wants} operands, got {dtype}"))
    }
}

/// `value` as a value of `dtype`, if it is one: integer dtypes take whole numbers in range,
/// bool takes true/false or 0/1, floats take any number (rounded to the dtype).
pub fn representable(value: Scalar, dtype: DType) -> Result<Scalar, String> {
    let fits = match (value, dtype.int_range()) {
        (_, None) => true,
        (Scalar::Bool(_), Some(_)) => true,
        (Scalar::Int(i), Some((lo, hi))) => lo <= i && i <= hi,
        (Scalar::Float(f), Some((lo, hi))) => f.fract() == 0.0 && lo as f64 <= f && f <= hi as f64,
    };
    let bool_ok = !matches!(value, Scalar::Bool(_)) || dtype.is_bool() || dtype.is_numeric();
    if fits && bool_ok {
        Ok(value.cast(dtype))
    } else {
        Err(format!("{value} is not a value of {dtype}"))
    }
}
