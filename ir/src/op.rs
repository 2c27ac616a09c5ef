//! The primitive operations of the graph IR. Everything else (matmul, softmax, conv2d, …) is
//! built from these by the builder.

use crate::{NodeId, Scalar};

/// Elementwise operations of one operand.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UnaryOp {
    /// Arithmetic negation (wrapping for integers).
    Neg,
    /// 2^x (floats).
    Exp2,
    /// log2(x) (floats).
    Log2,
    /// sin(x), x in radians (floats).
    Sin,
    /// Square root (floats).
    Sqrt,
    /// 1/x (floats).
    Recip,
    /// Round toward zero, keeping the dtype (floats).
    Trunc,
    /// Logical not for bool, bitwise not for integers.
    Not,
}

/// Elementwise operations of two operands of the same dtype and shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BinaryOp {
    Add,
    Sub,
    Mul,
    /// Float division.
    Div,
    /// Integer division, truncating toward zero.
    Idiv,
    /// Integer remainder; its sign follows the dividend (C's `%`).
    Mod,
    Max,
    Min,
    /// a < b, giving bool.
    CmpLt,
    /// a == b, giving bool.
    CmpEq,
    /// a != b, giving bool (true where either float is NaN).
    CmpNe,
    And,
    Or,
    Xor,
    /// Shift left; the amount is taken modulo the bit width.
    Shl,
    /// Shift right (arithmetic for signed, logical for unsigned); amount modulo the bit width.
    Shr,
}

/// Reductions over a set of axes; reduced axes are kept with size 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ReduceOp {
    Sum,
    Max,
    Min,
    Prod,
}

/// One primitive node's operation. The node's own dtype and shape complete it: the target
/// dtype of `Cast`/`Bitcast`, the new shape of `Reshape`/`Expand`, the shape of a source.
#[derive(Clone, Debug)]
pub enum Op {
    /// A named graph input.
    Input {
        name: String,
    },
    /// A scalar broadcast to the node's shape.
    Const {
        value: Scalar,
    },
    /// Each element's index along `axis`.
    Iota {
        axis: usize,
    },
    Unary {
        op: UnaryOp,
        x: NodeId,
    },
    /// Value conversion to the node's dtype (see [`Scalar::cast`]).
    Cast {
        x: NodeId,
    },
    /// Reinterprets the bits as the node's dtype, which has the same width.
    Bitcast {
        x: NodeId,
    },
    Binary {
        op: BinaryOp,
        a: NodeId,
        b: NodeId,
    },
    /// `cond ? a : b` elementwise.
    Where {
        cond: NodeId,
        a: NodeId,
        b: NodeId,
    },
    Reduce {
        op: ReduceOp,
        x: NodeId,
        axes: Vec<usize>,
    },
    /// Same elements in row-major order, new shape.
    Reshape {
        x: NodeId,
    },
    /// Output axis `i` is input axis `perm[i]`.
    Permute {
        x: NodeId,
        perm: Vec<usize>,
    },
    /// Size-1 axes repeated to the node's shape.
    Expand {
        x: NodeId,
    },
    /// `(before, after)` elements of `value` added on each axis.
    Pad {
        x: NodeId,
        pads: Vec<(usize, usize)>,
        value: Scalar,
    },
    /// The half-open range `start..end` kept on each axis.
    Shrink {
        x: NodeId,
        ranges: Vec<(usize, usize)>,
    },
    /// The order of elements reversed along each of `axes`.
    Flip {
        x: NodeId,
        axes: Vec<usize>,
    },
}

impl UnaryOp {
    pub const ALL: [UnaryOp; 8] = [
        UnaryOp::Neg,
        UnaryOp::Exp2,
        UnaryOp::Log2,
        UnaryOp::Sin,
        UnaryOp::Sqrt,
        UnaryOp::Recip,
        UnaryOp::Trunc,
        UnaryOp::Not,
    ];

    pub fn name(self) -> &'static str {
        match self {
            UnaryOp::Neg => "neg",
            UnaryOp::Exp2 => "exp2",
            UnaryOp::Log2 => "log2",
            UnaryOp::Sin => "sin",
            UnaryOp::Sqrt => "sqrt",
            UnaryOp::Recip => "recip",
            UnaryOp::Trunc => "trunc",
            UnaryOp::Not => "not",
        }
    }
}

impl BinaryOp {
    pub const ALL: [BinaryOp; 16] = [
        BinaryOp::Add,
        BinaryOp::Sub,
        BinaryOp::Mul,
        BinaryOp::Div,
        BinaryOp::Idiv,
        BinaryOp::Mod,
        BinaryOp::Max,
        BinaryOp::Min,
        BinaryOp::CmpLt,
        BinaryOp::CmpEq,
        BinaryOp::CmpNe,
        BinaryOp::And,
        BinaryOp::Or,
        BinaryOp::Xor,
        BinaryOp::Shl,
        BinaryOp::Shr,
    ];

    pub fn name(self) -> &'static str {
        match self {
            BinaryOp::Add => "add",
            BinaryOp::Sub => "sub",
            BinaryOp::Mul => "mul",
            BinaryOp::Div => "div",
            BinaryOp::Idiv => "idiv",
            BinaryOp::Mod => "mod",
            BinaryOp::Max => "max",
            BinaryOp::Min => "min",
            BinaryOp::CmpLt => "cmplt",
            BinaryOp::CmpEq => "cmpeq",
            BinaryOp::CmpNe => "cmpne",
            BinaryOp::And => "and",
            BinaryOp::Or => "or",
            BinaryOp::Xor => "xor",
            BinaryOp::Shl => "shl",
            BinaryOp::Shr => "shr",
        }
    }

    /// Comparisons produce bool; every other binary op keeps the operands' dtype.
    pub fn is_comparison(self) -> bool {
        matches!(self, BinaryOp::CmpLt | BinaryOp::CmpEq | BinaryOp::CmpNe)
    }
}

impl ReduceOp {
    pub const ALL: [ReduceOp; 4] = [ReduceOp::Sum, ReduceOp::Max, ReduceOp::Min, ReduceOp::Prod];

    pub fn name(self) -> &'static str {
        match self {
            ReduceOp::Sum => "sum",
            ReduceOp::Max => "max",
            ReduceOp::Min => "min",
            ReduceOp::Prod => "prod",
        }
    }
}

impl Op {
    /// The operation's name as written in `.egir` text.
    pub fn name(&self) -> &'static str {
        match self {
            Op::Input { .. } => "input",
            Op::Const { .. } => "const",
            Op::Iota { .. } => "iota",
            Op::Unary { op, .. } => op.name(),
            Op::Cast { .. } => "cast",
            Op::Bitcast { .. } => "bitcast",
            Op::Binary { op, .. } => op.name(),
            Op::Where { .. } => "where",
            Op::Reduce { op, .. } => op.name(),
            Op::Reshape { .. } => "reshape",
            Op::Permute { .. } => "permute",
            Op::Expand { .. } => "expand",
            Op::Pad { .. } => "pad",
            Op::Shrink { .. } => "shrink",
            Op::Flip { .. } => "flip",
        }
    }

    /// The nodes this one reads, in operand order.
    pub fn operands(&self) -> Vec<NodeId> {
        let (inline, n) = self.inline_operands();
        inline[..n].to_vec()
    }

    /// The nodes this one reads, in operand order, without building a list (lowering asks
    /// for every node it evaluates).
    pub fn each_operand(&self) -> impl DoubleEndedIterator<Item = NodeId> + ExactSizeIterator {
        let (inline, n) = self.inline_operands();
        inline.into_iter().take(n)
    }

    /// The operands in a fixed array (unused slots hold node 0) and how many there are: one
    /// match for [`Op::operands`] and [`Op::each_operand`].
    fn inline_operands(&self) -> ([NodeId; 3], usize) {
        let none = NodeId::from_u32(0);
        match self {
            Op::Input { .. } | Op::Const { .. } | Op::Iota { .. } => ([none; 3], 0),
            Op::Unary { x, .. }
            | Op::Cast { x }
            | Op::Bitcast { x }
            | Op::Reduce { x, .. }
            | Op::Reshape { x }
            | Op::Permute { x, .. }
            | Op::Expand { x }
            | Op::Pad { x, .. }
            | Op::Shrink { x, .. }
            | Op::Flip { x, .. } => ([*x, none, none], 1),
            Op::Binary { a, b, .. } => ([*a, *b, none], 2),
            Op::Where { cond, a, b } => ([*cond, *a, *b], 3),
        }
    }

    /// Whether this movement op, taking shape `from` to shape `to`, leaves every element
    /// where it was (builders and rewrites sometimes produce such views).
    pub fn is_identity_view(&self, from: &[usize], to: &[usize]) -> bool {
        if from != to {
            return false;
        }
        match self {
            Op::Reshape { .. } | Op::Expand { .. } => true,
            Op::Permute { perm, .. } => perm.iter().enumerate().all(|(i, &p)| i == p),
            Op::Pad { pads, .. } => pads.iter().all(|&(a, b)| a == 0 && b == 0),
            Op::Shrink { ranges, .. } => ranges
                .iter()
                .zip(from)
                .all(|(&(s, e), &d)| s == 0 && e == d),
            Op::Flip { axes, .. } => axes.iter().all(|&a| from.get(a) == Some(&1)),
            _ => false,
        }
    }

    /// Structural equality: same operation, operands and attributes (floats by bits).
    pub fn same(&self, other: &Op) -> bool {
        match (self, other) {
            (Op::Const { value: a }, Op::Const { value: b }) => a.same(b),
            (
                Op::Pad {
                    x: a,
                    pads: pa,
                    value: va,
                },
                Op::Pad {
                    x: b,
                    pads: pb,
                    value: vb,
                },
            ) => a == b && pa == pb && va.same(vb),
            _ => self.key() == other.key(),
        }
    }

    /// Everything but float constants, as a comparable value (constants compare in `same`).
    fn key(&self) -> (String, Vec<NodeId>, Vec<usize>) {
        let attrs = match self {
            Op::Iota { axis } => vec![*axis],
            Op::Reduce { axes, .. } | Op::Flip { axes, .. } => axes.clone(),
            Op::Permute { perm, .. } => perm.clone(),
            Op::Shrink { ranges, .. } => ranges.iter().flat_map(|&(a, b)| [a, b]).collect(),
            _ => vec![],
        };
        let name = match self {
            Op::Input { name } => format!("input:{name}"),
            Op::Reduce { op, .. } => format!("reduce:{}", op.name()),
            _ => self.name().to_string(),
        };
        (name, self.operands(), attrs)
    }
}
