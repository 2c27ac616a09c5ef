//! The e-graph language: one e-node per primitive graph operation.
//!
//! egg's e-nodes are compared and hash-consed by their operation and children, so every
//! attribute an operation has (a target dtype, axes, a shape, a permutation, pads, ranges,
//! a pad value) is a child: an [`Attr`] leaf e-node. Two reshapes to the same shape then
//! share the attribute's e-class, patterns can bind attributes like any operand
//! (`(reshape (reshape ?x ?a) ?b)`), and a rule reads one through the class's analysis data.
//! Sources (inputs, constants, iota) are leaves carrying their dtype and shape, so the
//! analysis can type them without looking anywhere else.

use egg::{Id, define_language};
use egpu_ir::{BinaryOp, DType, ReduceOp, Scalar, UnaryOp};
use std::fmt;
use std::str::FromStr;

/// A scalar in a form that can be ordered and hashed: floats by their bits, so -0.0 and
/// 0.0 (and NaNs with different payloads) are different values, as they are to `bitcast`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Value {
    Bool(bool),
    Int(i128),
    Float(u64),
}

impl Value {
    pub fn from_scalar(s: Scalar) -> Value {
        match s {
            Scalar::Bool(b) => Value::Bool(b),
            Scalar::Int(i) => Value::Int(i),
            Scalar::Float(f) => Value::Float(f.to_bits()),
        }
    }

    pub fn scalar(self) -> Scalar {
        match self {
            Value::Bool(b) => Scalar::Bool(b),
            Value::Int(i) => Scalar::Int(i),
            Value::Float(bits) => Scalar::Float(f64::from_bits(bits)),
        }
    }

    /// `v` converted to `dtype` with the `cast` op's rules (for building rule constants).
    pub fn of(v: f64, dtype: DType) -> Value {
        Value::from_scalar(Scalar::Float(v).cast(dtype))
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.scalar())
    }
}

/// Leaves never come from text: egg only parses the rules' patterns, which name operations
/// and variables, never a source or an attribute.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NotParsed;

impl fmt::Display for NotParsed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("sources and attributes have no text form")
    }
}

/// An operation's attribute, held as a leaf e-node.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Attr {
    /// The target dtype of `cast` and `bitcast`.
    DType(DType),
    /// A shape (reshape, expand), axes (reductions, flip) or a permutation.
    Dims(Vec<usize>),
    /// Pads (before, after) or shrink ranges (start, end), one pair per axis.
    Pairs(Vec<(usize, usize)>),
    /// A pad value.
    Value(Value),
}

impl fmt::Display for Attr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Attr::DType(d) => write!(f, "{d}"),
            Attr::Dims(d) => write!(f, "{d:?}"),
            Attr::Pairs(p) => write!(f, "{p:?}"),
            Attr::Value(v) => write!(f, "{v}"),
        }
    }
}

impl FromStr for Attr {
    type Err = NotParsed;
    fn from_str(_: &str) -> Result<Self, NotParsed> {
        Err(NotParsed)
    }
}

/// A leaf that produces values: its dtype and shape travel with it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Source {
    /// The graph's input number `index` (in declaration order).
    Input {
        index: usize,
        dtype: DType,
        dims: Vec<usize>,
    },
    /// `value` at every element.
    Const {
        value: Value,
        dtype: DType,
        dims: Vec<usize>,
    },
    /// Each element's index along `axis`.
    Iota {
        axis: usize,
        dtype: DType,
        dims: Vec<usize>,
    },
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Input { index, .. } => write!(f, "input{index}"),
            Source::Const { value, dtype, dims } => write!(f, "const({value}:{dtype}{dims:?})"),
            Source::Iota { axis, dtype, dims } => write!(f, "iota({axis}:{dtype}{dims:?})"),
        }
    }
}

impl FromStr for Source {
    type Err = NotParsed;
    fn from_str(_: &str) -> Result<Self, NotParsed> {
        Err(NotParsed)
    }
}

// The variant order matters: extraction breaks cost ties by e-node order, so among equally
// cheap forms it keeps an elementwise op outside a movement op (the form the builder
// writes) and prefers reshape, the simplest view, to the other movement ops.
define_language! {
    /// One e-node: a primitive graph operation whose attributes are [`Attr`] children.
    pub enum ENode {
        "neg" = Neg([Id; 1]),
        "exp2" = Exp2([Id; 1]),
        "log2" = Log2([Id; 1]),
        "sin" = Sin([Id; 1]),
        "sqrt" = Sqrt([Id; 1]),
        "recip" = Recip([Id; 1]),
        "trunc" = Trunc([Id; 1]),
        "not" = Not([Id; 1]),
        // (x, dtype)
        "cast" = Cast([Id; 2]),
        "bitcast" = Bitcast([Id; 2]),
        "add" = Add([Id; 2]),
        "sub" = Sub([Id; 2]),
        "mul" = Mul([Id; 2]),
        "div" = Div([Id; 2]),
        "idiv" = Idiv([Id; 2]),
        "mod" = Mod([Id; 2]),
        "max" = Max([Id; 2]),
        "min" = Min([Id; 2]),
        "cmplt" = CmpLt([Id; 2]),
        "cmpeq" = CmpEq([Id; 2]),
        "cmpne" = CmpNe([Id; 2]),
        "and" = And([Id; 2]),
        "or" = Or([Id; 2]),
        "xor" = Xor([Id; 2]),
        "shl" = Shl([Id; 2]),
        "shr" = Shr([Id; 2]),
        // (cond, a, b)
        "where" = Where([Id; 3]),
        // (x, axes); the reduce max/min are named apart from the elementwise ones.
        "sum" = Sum([Id; 2]),
        "rmax" = RMax([Id; 2]),
        "rmin" = RMin([Id; 2]),
        "prod" = Prod([Id; 2]),
        // (x, shape | perm | axes | ranges)
        "reshape" = Reshape([Id; 2]),
        "expand" = Expand([Id; 2]),
        "permute" = Permute([Id; 2]),
        "flip" = Flip([Id; 2]),
        "shrink" = Shrink([Id; 2]),
        // (x, pads, value)
        "pad" = Pad([Id; 3]),
        Source(Source),
        Attr(Attr),
    }
}

/// The movement ops of one operand and one attribute (pad, with its value, is apart).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Move {
    Reshape,
    Expand,
    Permute,
    Flip,
    Shrink,
}

/// An e-node seen by what it does, with its operands and attribute classes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Unary(UnaryOp, Id),
    /// (x, dtype attribute)
    Cast(Id, Id),
    Bitcast(Id, Id),
    Binary(BinaryOp, Id, Id),
    Where(Id, Id, Id),
    /// (op, x, axes attribute)
    Reduce(ReduceOp, Id, Id),
    /// (op, x, attribute)
    Move(Move, Id, Id),
    /// (x, pads attribute, value attribute)
    Pad(Id, Id, Id),
    Leaf,
}

/// What `node` does.
pub fn kind(node: &ENode) -> Kind {
    use ENode as E;
    match node {
        E::Neg([x]) => Kind::Unary(UnaryOp::Neg, *x),
        E::Exp2([x]) => Kind::Unary(UnaryOp::Exp2, *x),
        E::Log2([x]) => Kind::Unary(UnaryOp::Log2, *x),
        E::Sin([x]) => Kind::Unary(UnaryOp::Sin, *x),
        E::Sqrt([x]) => Kind::Unary(UnaryOp::Sqrt, *x),
        E::Recip([x]) => Kind::Unary(UnaryOp::Recip, *x),
        E::Trunc([x]) => Kind::Unary(UnaryOp::Trunc, *x),
        E::Not([x]) => Kind::Unary(UnaryOp::Not, *x),
        E::Cast([x, t]) => Kind::Cast(*x, *t),
        E::Bitcast([x, t]) => Kind::Bitcast(*x, *t),
        E::Where([c, a, b]) => Kind::Where(*c, *a, *b),
        E::Pad([x, p, v]) => Kind::Pad(*x, *p, *v),
        E::Source(_) | E::Attr(_) => Kind::Leaf,
        _ => two_operand_kind(node),
    }
}

fn two_operand_kind(node: &ENode) -> Kind {
    use ENode as E;
    let binary = |op, [a, b]: [Id; 2]| Kind::Binary(op, a, b);
    match node {
        E::Add(c) => binary(BinaryOp::Add, *c),
        E::Sub(c) => binary(BinaryOp::Sub, *c),
        E::Mul(c) => binary(BinaryOp::Mul, *c),
        E::Div(c) => binary(BinaryOp::Div, *c),
        E::Idiv(c) => binary(BinaryOp::Idiv, *c),
        E::Mod(c) => binary(BinaryOp::Mod, *c),
        E::Max(c) => binary(BinaryOp::Max, *c),
        E::Min(c) => binary(BinaryOp::Min, *c),
        E::CmpLt(c) => binary(BinaryOp::CmpLt, *c),
        E::CmpEq(c) => binary(BinaryOp::CmpEq, *c),
        E::CmpNe(c) => binary(BinaryOp::CmpNe, *c),
        E::And(c) => binary(BinaryOp::And, *c),
        E::Or(c) => binary(BinaryOp::Or, *c),
        E::Xor(c) => binary(BinaryOp::Xor, *c),
        E::Shl(c) => binary(BinaryOp::Shl, *c),
        E::Shr(c) => binary(BinaryOp::Shr, *c),
        _ => attr_kind(node),
    }
}

fn attr_kind(node: &ENode) -> Kind {
    use ENode as E;
    match node {
        E::Sum([x, a]) => Kind::Reduce(ReduceOp::Sum, *x, *a),
        E::RMax([x, a]) => Kind::Reduce(ReduceOp::Max, *x, *a),
        E::RMin([x, a]) => Kind::Reduce(ReduceOp::Min, *x, *a),
        E::Prod([x, a]) => Kind::Reduce(ReduceOp::Prod, *x, *a),
        E::Reshape([x, a]) => Kind::Move(Move::Reshape, *x, *a),
        E::Expand([x, a]) => Kind::Move(Move::Expand, *x, *a),
        E::Permute([x, a]) => Kind::Move(Move::Permute, *x, *a),
        E::Flip([x, a]) => Kind::Move(Move::Flip, *x, *a),
        E::Shrink([x, a]) => Kind::Move(Move::Shrink, *x, *a),
        _ => Kind::Leaf,
    }
}

pub fn unary(op: UnaryOp, x: Id) -> ENode {
    match op {
        UnaryOp::Neg => ENode::Neg([x]),
        UnaryOp::Exp2 => ENode::Exp2([x]),
        UnaryOp::Log2 => ENode::Log2([x]),
        UnaryOp::Sin => ENode::Sin([x]),
        UnaryOp::Sqrt => ENode::Sqrt([x]),
        UnaryOp::Recip => ENode::Recip([x]),
        UnaryOp::Trunc => ENode::Trunc([x]),
        UnaryOp::Not => ENode::Not([x]),
    }
}

pub fn binary(op: BinaryOp, a: Id, b: Id) -> ENode {
    let c = [a, b];
    match op {
        BinaryOp::Add => ENode::Add(c),
        BinaryOp::Sub => ENode::Sub(c),
        BinaryOp::Mul => ENode::Mul(c),
        BinaryOp::Div => ENode::Div(c),
        BinaryOp::Idiv => ENode::Idiv(c),
        BinaryOp::Mod => ENode::Mod(c),
        BinaryOp::Max => ENode::Max(c),
        BinaryOp::Min => ENode::Min(c),
        BinaryOp::CmpLt => ENode::CmpLt(c),
        BinaryOp::CmpEq => ENode::CmpEq(c),
        BinaryOp::CmpNe => ENode::CmpNe(c),
        BinaryOp::And => ENode::And(c),
        BinaryOp::Or => ENode::Or(c),
        BinaryOp::Xor => ENode::Xor(c),
        BinaryOp::Shl => ENode::Shl(c),
        BinaryOp::Shr => ENode::Shr(c),
    }
}

pub fn reduce(op: ReduceOp, x: Id, axes: Id) -> ENode {
    match op {
        ReduceOp::Sum => ENode::Sum([x, axes]),
        ReduceOp::Max => ENode::RMax([x, axes]),
        ReduceOp::Min => ENode::RMin([x, axes]),
        ReduceOp::Prod => ENode::Prod([x, axes]),
    }
}

pub fn movement(mv: Move, x: Id, attr: Id) -> ENode {
    match mv {
        Move::Reshape => ENode::Reshape([x, attr]),
        Move::Expand => ENode::Expand([x, attr]),
        Move::Permute => ENode::Permute([x, attr]),
        Move::Flip => ENode::Flip([x, attr]),
        Move::Shrink => ENode::Shrink([x, attr]),
    }
}

/// The operands that are values (not attributes), in operand order.
pub fn value_children(node: &ENode) -> Vec<Id> {
    match kind(node) {
        Kind::Unary(_, x)
        | Kind::Cast(x, _)
        | Kind::Bitcast(x, _)
        | Kind::Reduce(_, x, _)
        | Kind::Move(_, x, _)
        | Kind::Pad(x, _, _) => vec![x],
        Kind::Binary(_, a, b) => vec![a, b],
        Kind::Where(c, a, b) => vec![c, a, b],
        Kind::Leaf => vec![],
    }
}
