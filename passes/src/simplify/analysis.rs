//! The e-class analysis: every value class knows its dtype, its shape and, when all its
//! elements are one known value, that value (constant folding). Attribute classes carry
//! their attribute, so a rule reads `axes` or a `shape` straight from the class.

use super::fold;
use super::language::{Attr, ENode, Kind, Move, Source, Value, kind};
use egg::{Analysis, DidMerge, EGraph, Id};
use egpu_ir::{DType, ReduceOp};

/// The e-graph of this pass.
pub type EG = EGraph<ENode, GraphAnalysis>;

/// The dtype and shape of a value class, and its value when every element is the same
/// known value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValueInfo {
    pub dtype: DType,
    pub dims: Vec<usize>,
    pub constant: Option<Value>,
}

impl ValueInfo {
    pub fn numel(&self) -> usize {
        self.dims.iter().product()
    }
}

/// What an e-class holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClassData {
    Attr(Attr),
    Value(ValueInfo),
    /// A node that does not type-check, or a merge of classes that disagree on dtype or
    /// shape: a bug in a rule. Kept (never a panic) so that rebuilding the graph fails
    /// with a message instead of producing a wrong graph.
    Invalid(String),
}

/// Which rewrites the rules may make; rules read it from the e-graph.
#[derive(Clone, Copy, Debug, Default)]
pub struct GraphAnalysis {
    /// Rewrites that change floating-point results (reassociation, x·0 → 0, …).
    pub fast_math: bool,
    /// Rewrites that are exact except for which NaN (sign and payload bits) they produce.
    /// Only a float→int `bitcast` can tell NaNs apart, so these are on when the graph has
    /// no bitcast of a float (and always under fast-math).
    pub nan_quiet: bool,
}

impl GraphAnalysis {
    /// Whether a rewrite that is exact for integers and bools, but changes float rounding,
    /// may be made for `dtype`.
    pub fn reassociates(&self, dtype: DType) -> bool {
        self.fast_math || !dtype.is_float()
    }

    /// Whether a rewrite that is exact but for NaN bits may be made for `dtype`.
    pub fn ignores_nan_bits(&self, dtype: DType) -> bool {
        self.nan_quiet || self.fast_math || !dtype.is_float()
    }
}

impl Analysis<ENode> for GraphAnalysis {
    type Data = ClassData;

    fn make(egraph: &mut EG, enode: &ENode, _id: Id) -> ClassData {
        match enode {
            ENode::Attr(a) => ClassData::Attr(a.clone()),
            ENode::Source(s) => ClassData::Value(source_info(s)),
            _ => match infer(egraph, enode) {
                Ok(info) => ClassData::Value(info),
                Err(message) => ClassData::Invalid(message),
            },
        }
    }

    fn merge(&mut self, a: &mut ClassData, b: ClassData) -> DidMerge {
        if let (ClassData::Value(x), ClassData::Value(y)) = (&mut *a, &b)
            && x.dtype == y.dtype
            && x.dims == y.dims
        {
            return merge_constants(x, y.constant);
        }
        // An invalid class stays invalid, with its first message: merging must settle.
        match (&*a, b) {
            (ClassData::Invalid(_), b) => DidMerge(false, !matches!(b, ClassData::Invalid(_))),
            (_, ClassData::Invalid(why)) => {
                *a = ClassData::Invalid(why);
                DidMerge(true, false)
            }
            (old, b) if *old == b => DidMerge(false, false),
            (old, b) => {
                *a = ClassData::Invalid(format!("merged classes disagree: {old:?} and {b:?}"));
                DidMerge(true, true)
            }
        }
    }

    /// A class found to be one constant gets a `const` node, which extraction then picks.
    fn modify(egraph: &mut EG, id: Id) {
        let Some(info) = value(egraph, id) else {
            return;
        };
        let Some(value) = info.constant else {
            return;
        };
        let has_const = egraph[id]
            .nodes
            .iter()
            .any(|n| matches!(n, ENode::Source(Source::Const { .. })));
        if !has_const {
            let source = Source::Const {
                value,
                dtype: info.dtype,
                dims: info.dims.clone(),
            };
            let c = egraph.add(ENode::Source(source));
            egraph.union(id, c);
        }
    }
}

/// Two classes of one dtype and shape merge; a known constant wins over an unknown one.
/// Two different constants can only meet under fast-math (x·0 → 0 with x a NaN constant):
/// the first is kept.
fn merge_constants(x: &mut ValueInfo, y: Option<Value>) -> DidMerge {
    match (x.constant, y) {
        (None, Some(v)) => {
            x.constant = Some(v);
            DidMerge(true, false)
        }
        (Some(u), Some(v)) => DidMerge(false, u != v),
        (Some(_), None) => DidMerge(false, true),
        (None, None) => DidMerge(false, false),
    }
}

/// A source's dtype, shape and constant value.
fn source_info(s: &Source) -> ValueInfo {
    match s {
        Source::Input { dtype, dims, .. } => info(*dtype, dims.clone(), None),
        Source::Const { value, dtype, dims } => info(*dtype, dims.clone(), Some(*value)),
        // Along an axis of size 1 every index is 0.
        Source::Iota { axis, dtype, dims } => {
            let zero = (dims.get(*axis) == Some(&1)).then(|| Value::of(0.0, *dtype));
            info(*dtype, dims.clone(), zero)
        }
    }
}

fn info(dtype: DType, dims: Vec<usize>, constant: Option<Value>) -> ValueInfo {
    ValueInfo {
        dtype,
        dims,
        constant,
    }
}

/// The value class `id`, if it is one.
pub fn value(eg: &EG, id: Id) -> Option<&ValueInfo> {
    match &eg[id].data {
        ClassData::Value(v) => Some(v),
        _ => None,
    }
}

pub fn attr(eg: &EG, id: Id) -> Option<&Attr> {
    match &eg[id].data {
        ClassData::Attr(a) => Some(a),
        _ => None,
    }
}

pub fn dims_attr(eg: &EG, id: Id) -> Option<&[usize]> {
    match attr(eg, id)? {
        Attr::Dims(d) => Some(d),
        _ => None,
    }
}

pub fn pairs_attr(eg: &EG, id: Id) -> Option<&[(usize, usize)]> {
    match attr(eg, id)? {
        Attr::Pairs(p) => Some(p),
        _ => None,
    }
}

pub fn dtype_attr(eg: &EG, id: Id) -> Option<DType> {
    match attr(eg, id)? {
        Attr::DType(d) => Some(*d),
        _ => None,
    }
}

/// The dtype, shape and constant value of an operation node.
fn infer(eg: &EG, node: &ENode) -> Result<ValueInfo, String> {
    let operand = |id: Id| value(eg, id).ok_or_else(|| format!("operand {id} is not a value"));
    match kind(node) {
        Kind::Unary(_, x) => {
            let x = operand(x)?;
            elementwise(node, &[x], x.dtype, x.dims.clone())
        }
        Kind::Cast(x, t) | Kind::Bitcast(x, t) => {
            let to = dtype_attr(eg, t).ok_or("cast without a dtype")?;
            let x = operand(x)?;
            elementwise(node, &[x], to, x.dims.clone())
        }
        Kind::Binary(op, a, b) => {
            let (a, b) = (operand(a)?, operand(b)?);
            same_type(&[a, b])?;
            let dtype = if op.is_comparison() {
                DType::Bool
            } else {
                a.dtype
            };
            elementwise(node, &[a, b], dtype, a.dims.clone())
        }
        Kind::Where(c, a, b) => {
            let (c, a, b) = (operand(c)?, operand(a)?, operand(b)?);
            same_type(&[a, b])?;
            if c.dims != a.dims || c.dtype != DType::Bool {
                return Err("where: the condition does not fit".to_string());
            }
            elementwise(node, &[c, a, b], a.dtype, a.dims.clone())
        }
        Kind::Reduce(op, x, axes) => reduced(op, operand(x)?, dims_attr(eg, axes)),
        Kind::Move(mv, x, a) => moved(eg, mv, operand(x)?, a),
        Kind::Pad(x, p, v) => padded(operand(x)?, pairs_attr(eg, p), attr(eg, v)),
        Kind::Leaf => Err("a leaf has no operands".to_string()),
    }
}

/// Operands of one elementwise op have one dtype and one shape.
fn same_type(xs: &[&ValueInfo]) -> Result<(), String> {
    match xs {
        [a, rest @ ..] if rest.iter().all(|b| b.dtype == a.dtype && b.dims == a.dims) => Ok(()),
        _ => Err("elementwise operands differ in dtype or shape".to_string()),
    }
}

/// An elementwise result: folded when every operand is a known constant.
fn elementwise(
    node: &ENode,
    xs: &[&ValueInfo],
    dtype: DType,
    dims: Vec<usize>,
) -> Result<ValueInfo, String> {
    let args: Option<Vec<(Value, DType)>> = xs
        .iter()
        .map(|x| x.constant.map(|c| (c, x.dtype)))
        .collect();
    let constant = args.and_then(|args| fold::elementwise(kind(node), &args, dtype));
    Ok(info(dtype, dims, constant))
}

fn reduced(op: ReduceOp, x: &ValueInfo, axes: Option<&[usize]>) -> Result<ValueInfo, String> {
    let axes = axes.ok_or("reduce without axes")?;
    let mut dims = x.dims.clone();
    let mut n = 1usize;
    for &a in axes {
        let d = dims.get_mut(a).ok_or("reduce axis out of range")?;
        n = n.saturating_mul(*d);
        *d = 1;
    }
    let constant = x.constant.and_then(|c| fold::reduce(op, c, x.dtype, n));
    Ok(info(x.dtype, dims, constant))
}

/// A view of a uniform constant is the same constant.
fn moved(eg: &EG, mv: Move, x: &ValueInfo, a: Id) -> Result<ValueInfo, String> {
    let dims = match mv {
        Move::Reshape | Move::Expand => dims_attr(eg, a).map(<[usize]>::to_vec),
        Move::Permute => dims_attr(eg, a).and_then(|p| permuted(&x.dims, p)),
        Move::Flip => Some(x.dims.clone()),
        Move::Shrink => {
            pairs_attr(eg, a).map(|r| r.iter().map(|&(s, e)| e.saturating_sub(s)).collect())
        }
    };
    let dims = dims.ok_or("a movement op with a bad attribute")?;
    Ok(info(x.dtype, dims, x.constant))
}

/// `dims` permuted by `perm`, if `perm` fits.
pub fn permuted(dims: &[usize], perm: &[usize]) -> Option<Vec<usize>> {
    if perm.len() != dims.len() {
        return None;
    }
    perm.iter().map(|&p| dims.get(p).copied()).collect()
}

/// A pad of a constant by that same constant (or of nothing) is uniform.
fn padded(
    x: &ValueInfo,
    pads: Option<&[(usize, usize)]>,
    fill: Option<&Attr>,
) -> Result<ValueInfo, String> {
    let (Some(pads), Some(Attr::Value(fill))) = (pads, fill) else {
        return Err("pad without pads or value".to_string());
    };
    if pads.len() != x.dims.len() {
        return Err("pad: one pair per axis is needed".to_string());
    }
    let dims = x
        .dims
        .iter()
        .zip(pads)
        .map(|(&d, &(b, a))| d.saturating_add(b).saturating_add(a))
        .collect();
    let constant = match x.constant {
        _ if x.numel() == 0 => Some(*fill),
        Some(c) if c == *fill || pads.iter().all(|&p| p == (0, 0)) => Some(c),
        _ => None,
    };
    Ok(info(x.dtype, dims, constant))
}
