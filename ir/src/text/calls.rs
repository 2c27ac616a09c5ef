//! Maps a call — op name, positional operands, keyword attributes — to the [`GraphBuilder`]
//! method that builds it, primitives and composites alike, checking arity and keywords first.

use super::error::{ParseError, Pos, did_you_mean, short};
use super::parser::{Arg, Attr, AttrKind, Call, Keyword, Operand};
use crate::{
    BinaryOp, Conv2dParams, DType, GraphBuilder, GraphError, NodeId, Pool2dParams, ReduceOp,
    Scalar, Shape, UnaryOp, representable,
};

/// Every op name the text format knows, primitives first (used for "did you mean").
pub(crate) const OP_NAMES: &[&str] = &[
    "neg",
    "exp2",
    "log2",
    "sin",
    "sqrt",
    "recip",
    "trunc",
    "not",
    "cast",
    "bitcast",
    "add",
    "sub",
    "mul",
    "div",
    "idiv",
    "mod",
    "max",
    "min",
    "cmplt",
    "cmpeq",
    "cmpne",
    "and",
    "or",
    "xor",
    "shl",
    "shr",
    "where",
    "sum",
    "prod",
    "reshape",
    "permute",
    "expand",
    "pad",
    "shrink",
    "flip",
    "const",
    "iota",
    "matmul",
    "softmax",
    "log_softmax",
    "layernorm",
    "rmsnorm",
    "gelu",
    "silu",
    "relu",
    "sigmoid",
    "exp",
    "log",
    "tanh",
    "mean",
    "var",
    "conv2d",
    "max_pool2d",
    "attention",
];

pub(crate) fn is_op(name: &str) -> bool {
    OP_NAMES.contains(&name)
}

/// How many operands a call takes and which keywords.
struct Signature {
    min: usize,
    max: usize,
    keys: &'static [&'static str],
    required: &'static [&'static str],
}

const fn sig(
    min: usize,
    max: usize,
    keys: &'static [&'static str],
    required: &'static [&'static str],
) -> Signature {
    Signature {
        min,
        max,
        keys,
        required,
    }
}

fn unary_op(name: &str) -> Option<UnaryOp> {
    UnaryOp::ALL.into_iter().find(|op| op.name() == name)
}

fn binary_op(name: &str) -> Option<BinaryOp> {
    BinaryOp::ALL.into_iter().find(|op| op.name() == name)
}

fn reduce_op(name: &str) -> Option<ReduceOp> {
    ReduceOp::ALL.into_iter().find(|op| op.name() == name)
}

/// `max`/`min` with `axes=` reduce; with two operands they compare.
fn is_reduction(call: &Call) -> bool {
    match call.name.as_str() {
        "sum" | "prod" => true,
        "max" | "min" => call.keywords.iter().any(|k| k.key == "axes"),
        _ => false,
    }
}

fn signature(call: &Call) -> Signature {
    let name = call.name.as_str();
    if is_reduction(call) {
        return sig(1, 1, &["axes"], &["axes"]);
    }
    if unary_op(name).is_some() {
        return sig(1, 1, &[], &[]);
    }
    if matches!(name, "max" | "min") {
        return sig(2, 2, &["axes"], &[]);
    }
    if binary_op(name).is_some() {
        return sig(2, 2, &[], &[]);
    }
    match name {
        "cast" | "bitcast" => sig(1, 1, &["to"], &["to"]),
        "where" => sig(3, 3, &[], &[]),
        "reshape" | "expand" => sig(1, 1, &["shape"], &["shape"]),
        "permute" => sig(1, 1, &["perm"], &["perm"]),
        "pad" => sig(1, 1, &["pads", "value"], &["pads"]),
        "shrink" => sig(1, 1, &["ranges"], &["ranges"]),
        "flip" => sig(1, 1, &["axes"], &["axes"]),
        "const" => sig(1, 1, &["dtype", "shape"], &["dtype"]),
        "iota" => sig(
            0,
            0,
            &["dtype", "shape", "axis"],
            &["dtype", "shape", "axis"],
        ),
        "matmul" => sig(2, 2, &["dtype"], &[]),
        "softmax" | "log_softmax" => sig(1, 1, &["axis"], &[]),
        "layernorm" => sig(1, 3, &["eps"], &[]),
        "rmsnorm" => sig(1, 2, &["eps"], &[]),
        "mean" => sig(1, 1, &["axes"], &["axes"]),
        "var" => sig(1, 1, &["axes", "correction"], &["axes"]),
        "conv2d" => sig(2, 3, &["stride", "padding", "dilation"], &[]),
        "max_pool2d" => sig(
            1,
            1,
            &["kernel", "stride", "padding", "dilation"],
            &["kernel"],
        ),
        "attention" => sig(3, 3, &["causal", "scale"], &[]),
        // gelu, silu, relu, sigmoid, exp, log, tanh
        _ => sig(1, 1, &[], &[]),
    }
}

fn operands(n: usize) -> String {
    if n == 1 {
        "1 operand".to_string()
    } else {
        format!("{n} operands")
    }
}

/// Checks keywords and operand count against the op's signature.
fn check_signature(call: &Call) -> Result<(), ParseError> {
    let s = signature(call);
    let name = &call.name;
    for k in &call.keywords {
        if !s.keys.contains(&k.key.as_str()) {
            let hint = did_you_mean(&k.key, s.keys.iter().copied());
            let takes = if s.keys.is_empty() {
                "none".to_string()
            } else {
                s.keys.join(", ")
            };
            return Err(k.key_pos.error(format!(
                "unknown keyword '{}' for '{name}'{hint}; it takes: {takes}",
                short(&k.key)
            )));
        }
    }
    let got = call.args.len();
    if got < s.min || got > s.max {
        let takes = match (s.min, s.max) {
            (0, 0) => "no operands".to_string(),
            (a, b) if a == b => operands(a),
            (a, b) => format!("{a} to {b} operands"),
        };
        let mut message = format!("'{name}' takes {takes}, got {got}");
        if matches!(name.as_str(), "max" | "min") {
            message.push_str(if is_reduction(call) {
                " (it reduces with axes=)"
            } else {
                " (or 1 with axes=)"
            });
        }
        return Err(call.pos.error(message));
    }
    for key in s.required {
        if !call.keywords.iter().any(|k| k.key == *key) {
            return Err(call
                .pos
                .error(format!("missing keyword '{key}=' for '{name}'")));
        }
    }
    Ok(())
}

/// Builds the call's node.
pub(crate) fn apply(b: &mut GraphBuilder, call: &Call) -> Result<NodeId, ParseError> {
    check_signature(call)?;
    let site = Site { call };
    let name = call.name.as_str();
    let built = if is_reduction(call) {
        let x = site.node(0)?;
        let axes = site.axes(b, x, "axes")?;
        b.reduce(reduce_op(name).unwrap_or(ReduceOp::Sum), x, &axes)
    } else if let Some(op) = unary_op(name) {
        let x = site.node(0)?;
        b.unary(op, x)
    } else if let Some(op) = binary_op(name) {
        let (a, bb) = site.elementwise_pair(b, 0, 1)?;
        b.binary(op, a, bb)
    } else {
        match name {
            "cast" | "bitcast" => {
                let x = site.node(0)?;
                let to = dtype(site.required("to")?)?;
                if name == "cast" {
                    b.cast(x, to)
                } else {
                    b.bitcast(x, to)
                }
            }
            "where" => {
                let cond = site.node(0)?;
                let (x, y) = site.elementwise_pair(b, 1, 2)?;
                b.where_(cond, x, y)
            }
            "reshape" | "expand" => {
                let x = site.node(0)?;
                let dims = dims(site.required("shape")?)?;
                if name == "reshape" {
                    b.reshape(x, &dims)
                } else {
                    b.expand(x, &dims)
                }
            }
            "permute" => {
                let x = site.node(0)?;
                let perm = usize_list(site.required("perm")?, "a permutation entry")?;
                b.permute(x, &perm)
            }
            "pad" => {
                let x = site.node(0)?;
                let pads = pairs(site.required("pads")?, "(before, after)")?;
                let value = match site.keyword("value") {
                    Some(v) => value_of(v, b.dtype(x))?,
                    None => Scalar::zero(b.dtype(x)),
                };
                b.pad(x, &pads, value)
            }
            "shrink" => {
                let x = site.node(0)?;
                let ranges = pairs(site.required("ranges")?, "(start, end)")?;
                b.shrink(x, &ranges)
            }
            "flip" => {
                let x = site.node(0)?;
                let axes = site.axes(b, x, "axes")?;
                b.flip(x, &axes)
            }
            "const" => {
                let value = site.literal(0)?;
                let dtype = dtype(site.required("dtype")?)?;
                let value = value_of(value, dtype)?;
                let dims = match site.keyword("shape") {
                    Some(s) => dims(s)?,
                    None => Vec::new(),
                };
                b.constant(value, dtype, &dims)
            }
            "iota" => {
                let dtype = dtype(site.required("dtype")?)?;
                let dims = dims(site.required("shape")?)?;
                let axis_attr = site.required("axis")?;
                let rank = dims.len() as i128;
                let axis = int(axis_attr)?;
                let normalized = if axis < 0 { axis + rank } else { axis };
                if normalized < 0 || normalized >= rank {
                    return Err(axis_attr
                        .pos
                        .error(format!("axis {axis} is out of range for rank {rank}")));
                }
                b.iota(dtype, &dims, normalized as usize)
            }
            "matmul" => {
                let (x, y) = (site.node(0)?, site.node(1)?);
                let out = site.keyword("dtype").map(dtype).transpose()?;
                b.matmul(x, y, out)
            }
            "softmax" | "log_softmax" => {
                let x = site.node(0)?;
                let axis = match site.keyword("axis") {
                    Some(a) => site.axis(b, x, a)? as i64,
                    None => -1,
                };
                if name == "softmax" {
                    b.softmax(x, axis)
                } else {
                    b.log_softmax(x, axis)
                }
            }
            "layernorm" => {
                let x = site.node(0)?;
                let (w, bias) = (site.optional_node(1)?, site.optional_node(2)?);
                let eps = site.keyword("eps").map(number).transpose()?.unwrap_or(1e-5);
                b.layernorm(x, w, bias, eps)
            }
            "rmsnorm" => {
                let x = site.node(0)?;
                let w = site.optional_node(1)?;
                let eps = site.keyword("eps").map(number).transpose()?.unwrap_or(1e-6);
                b.rmsnorm(x, w, eps)
            }
            "mean" | "var" => {
                let x = site.node(0)?;
                let axes = site.axes(b, x, "axes")?;
                if name == "mean" {
                    b.mean(x, &axes)
                } else {
                    let correction = match site.keyword("correction") {
                        Some(c) => usize_of(c, "the correction")?,
                        None => 0,
                    };
                    b.var(x, &axes, correction)
                }
            }
            "conv2d" => {
                let (x, w) = (site.node(0)?, site.node(1)?);
                let bias = site.optional_node(2)?;
                let d = Conv2dParams::default();
                let p = Conv2dParams {
                    stride: site.int_or_pair("stride", d.stride)?,
                    padding: site.int_or_pair("padding", d.padding)?,
                    dilation: site.int_or_pair("dilation", d.dilation)?,
                };
                b.conv2d(x, w, bias, &p)
            }
            "max_pool2d" => {
                let x = site.node(0)?;
                let kernel = site.int_or_pair("kernel", [0, 0])?;
                let p = Pool2dParams {
                    kernel,
                    stride: site.int_or_pair("stride", kernel)?,
                    padding: site.int_or_pair("padding", [0, 0])?,
                    dilation: site.int_or_pair("dilation", [1, 1])?,
                };
                b.max_pool2d(x, &p)
            }
            "attention" => {
                let (q, k, v) = (site.node(0)?, site.node(1)?, site.node(2)?);
                let causal = site
                    .keyword("causal")
                    .map(boolean)
                    .transpose()?
                    .unwrap_or(false);
                let scale = site.keyword("scale").map(number).transpose()?;
                b.attention(q, k, v, causal, scale)
            }
            "gelu" => unary_composite(&site, b, GraphBuilder::gelu)?,
            "silu" => unary_composite(&site, b, GraphBuilder::silu)?,
            "relu" => unary_composite(&site, b, GraphBuilder::relu)?,
            "sigmoid" => unary_composite(&site, b, GraphBuilder::sigmoid)?,
            "exp" => unary_composite(&site, b, GraphBuilder::exp)?,
            "log" => unary_composite(&site, b, GraphBuilder::log)?,
            "tanh" => unary_composite(&site, b, GraphBuilder::tanh)?,
            _ => return Err(call.pos.error(format!("unknown op '{name}'"))),
        }
    };
    built.map_err(|e| site.graph_error(e))
}

fn unary_composite(
    site: &Site,
    b: &mut GraphBuilder,
    f: fn(&mut GraphBuilder, NodeId) -> Result<NodeId, GraphError>,
) -> Result<Result<NodeId, GraphError>, ParseError> {
    let x = site.node(0)?;
    Ok(f(b, x))
}

struct Site<'a> {
    call: &'a Call,
}

impl Site<'_> {
    /// A builder failure, reported at the op name.
    fn graph_error(&self, e: GraphError) -> ParseError {
        let name = &self.call.name;
        if &e.op == name {
            self.call.pos.error(format!("{name}: {}", e.message))
        } else {
            self.call
                .pos
                .error(format!("{name}: {} (in '{}')", e.message, e.op))
        }
    }

    fn arg(&self, i: usize) -> Result<&Arg, ParseError> {
        self.call.args.get(i).ok_or_else(|| {
            self.call
                .pos
                .error(format!("'{}' is missing operand {}", self.call.name, i + 1))
        })
    }

    /// Operand `i`, which must be a tensor.
    fn node(&self, i: usize) -> Result<NodeId, ParseError> {
        let arg = self.arg(i)?;
        match &arg.operand {
            Operand::Node(id) => Ok(*id),
            Operand::Literal(lit) => Err(arg.pos.error(format!(
                "operand {} of '{}' must be a tensor value, found the literal {}",
                i + 1,
                self.call.name,
                lit.describe()
            ))),
        }
    }

    fn optional_node(&self, i: usize) -> Result<Option<NodeId>, ParseError> {
        if i < self.call.args.len() {
            self.node(i).map(Some)
        } else {
            Ok(None)
        }
    }

    /// Operand `i`, which must be a literal.
    fn literal(&self, i: usize) -> Result<&Attr, ParseError> {
        let arg = self.arg(i)?;
        match &arg.operand {
            Operand::Literal(lit) => Ok(lit),
            Operand::Node(_) => Err(arg.pos.error(format!(
                "the value of '{}' must be a number literal",
                self.call.name
            ))),
        }
    }

    /// Two elementwise operands; a literal one becomes a constant of the other's dtype and shape.
    fn elementwise_pair(
        &self,
        b: &mut GraphBuilder,
        i: usize,
        j: usize,
    ) -> Result<(NodeId, NodeId), ParseError> {
        let (x, y) = (self.arg(i)?, self.arg(j)?);
        match (&x.operand, &y.operand) {
            (Operand::Node(x), Operand::Node(y)) => Ok((*x, *y)),
            (Operand::Node(x), Operand::Literal(lit)) => Ok((*x, self.literal_like(b, lit, *x)?)),
            (Operand::Literal(lit), Operand::Node(y)) => Ok((self.literal_like(b, lit, *y)?, *y)),
            (Operand::Literal(_), Operand::Literal(_)) => Err(self.call.pos.error(format!(
                "'{}' needs a tensor operand to give its literals a dtype and shape",
                self.call.name
            ))),
        }
    }

    fn literal_like(
        &self,
        b: &mut GraphBuilder,
        lit: &Attr,
        like: NodeId,
    ) -> Result<NodeId, ParseError> {
        let dtype = b.dtype(like);
        let value = value_of(lit, dtype)?;
        let dims = b.shape(like).to_vec();
        b.constant(value, dtype, &dims)
            .map_err(|e| self.graph_error(e))
    }

    fn keyword(&self, key: &str) -> Option<&Attr> {
        self.call
            .keywords
            .iter()
            .find(|k: &&Keyword| k.key == key)
            .map(|k| &k.value)
    }

    fn required(&self, key: &str) -> Result<&Attr, ParseError> {
        self.keyword(key).ok_or_else(|| {
            self.call
                .pos
                .error(format!("missing keyword '{key}=' for '{}'", self.call.name))
        })
    }

    /// An axis of `x`, negative counting from the end, checked against its rank.
    fn axis(&self, b: &GraphBuilder, x: NodeId, a: &Attr) -> Result<usize, ParseError> {
        let v = int(a)?;
        let v = i64::try_from(v).map_err(|_| {
            a.pos
                .error(format!("axis {v} is out of range for rank {}", b.rank(x)))
        })?;
        b.axis(&self.call.name, x, v)
            .map_err(|e| a.pos.error(e.message))
    }

    /// The list of axes under `key`, normalized, each at most once.
    fn axes(&self, b: &GraphBuilder, x: NodeId, key: &str) -> Result<Vec<usize>, ParseError> {
        let attr = self.required(key)?;
        let items = list(attr, "a list of axes such as [0, 1]")?;
        let mut axes = Vec::with_capacity(items.len());
        for item in items {
            let a = self.axis(b, x, item)?;
            if axes.contains(&a) {
                return Err(item.pos.error(format!("axis {a} is listed twice")));
            }
            axes.push(a);
        }
        Ok(axes)
    }

    /// `key=N` (both axes N) or `key=[H, W]`, else `default`.
    fn int_or_pair(&self, key: &str, default: [usize; 2]) -> Result<[usize; 2], ParseError> {
        let Some(attr) = self.keyword(key) else {
            return Ok(default);
        };
        let what = format!("the {key}");
        match &attr.kind {
            AttrKind::List(items) => match items.as_slice() {
                [h, w] => Ok([usize_of(h, &what)?, usize_of(w, &what)?]),
                _ => Err(attr.pos.error(format!(
                    "{key} needs 2 values (height, width), got {}",
                    items.len()
                ))),
            },
            _ => {
                let v = usize_of(attr, &what)?;
                Ok([v, v])
            }
        }
    }
}

fn list<'a>(attr: &'a Attr, what: &str) -> Result<&'a [Attr], ParseError> {
    match &attr.kind {
        AttrKind::List(items) => Ok(items),
        _ => Err(attr
            .pos
            .error(format!("expected {what}, found {}", attr.describe()))),
    }
}

/// An integer attribute (any size that fits i128).
fn int(attr: &Attr) -> Result<i128, ParseError> {
    match &attr.kind {
        AttrKind::Int(text) => text.parse::<i128>().map_err(|_| {
            attr.pos
                .error(format!("integer literal {} is too large", short(text)))
        }),
        _ => Err(attr
            .pos
            .error(format!("expected an integer, found {}", attr.describe()))),
    }
}

/// A non-negative integer attribute that fits usize; `what` names it in messages.
fn usize_of(attr: &Attr, what: &str) -> Result<usize, ParseError> {
    let v = int(attr)?;
    if v < 0 {
        return Err(attr
            .pos
            .error(format!("{what} must not be negative, found {v}")));
    }
    usize::try_from(v).map_err(|_| attr.pos.error(format!("{what} {v} is too large")))
}

/// A dimension written in a type: a non-negative integer that fits u64 and usize.
pub(crate) fn dimension(text: &str, pos: Pos) -> Result<usize, ParseError> {
    if text.starts_with('-') {
        return Err(pos.error(format!(
            "a dimension must not be negative, found {}",
            short(text)
        )));
    }
    let shown = short(text);
    let v: u64 = text
        .parse()
        .map_err(|_| pos.error(format!("dimension {shown} is too large")))?;
    usize::try_from(v).map_err(|_| pos.error(format!("dimension {shown} is too large")))
}

fn usize_list(attr: &Attr, what: &str) -> Result<Vec<usize>, ParseError> {
    list(attr, "a list of integers")?
        .iter()
        .map(|a| usize_of(a, what))
        .collect()
}

/// A shape attribute such as `[4, 64]`, its element count checked.
fn dims(attr: &Attr) -> Result<Vec<usize>, ParseError> {
    let items = list(attr, "a shape such as [4, 64]")?;
    let mut dims = Vec::with_capacity(items.len());
    for item in items {
        match &item.kind {
            AttrKind::Int(text) => dims.push(dimension(text, item.pos)?),
            _ => {
                return Err(item
                    .pos
                    .error(format!("expected a dimension, found {}", item.describe())));
            }
        }
    }
    Shape::new(dims.clone()).map_err(|m| attr.pos.error(m))?;
    Ok(dims)
}

/// A list of `[a, b]` pairs such as `[[0, 0], [1, 2]]`.
fn pairs(attr: &Attr, what: &str) -> Result<Vec<(usize, usize)>, ParseError> {
    let items = list(
        attr,
        &format!("a list of {what} pairs such as [[0, 1], [2, 3]]"),
    )?;
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        match &item.kind {
            AttrKind::List(pair) => match pair.as_slice() {
                [a, b] => out.push((
                    usize_of(a, "a pad or range bound")?,
                    usize_of(b, "a pad or range bound")?,
                )),
                _ => {
                    return Err(item.pos.error(format!(
                        "a {what} pair needs 2 numbers, found {}",
                        pair.len()
                    )));
                }
            },
            _ => {
                return Err(item.pos.error(format!(
                    "expected a {what} pair such as [0, 1], found {}",
                    item.describe()
                )));
            }
        }
    }
    Ok(out)
}

fn dtype(attr: &Attr) -> Result<DType, ParseError> {
    match &attr.kind {
        AttrKind::Word(word) => DType::from_name(word).ok_or_else(|| {
            let hint = did_you_mean(word, DType::ALL.map(DType::name));
            attr.pos
                .error(format!("unknown dtype '{}'{hint}", short(word)))
        }),
        _ => Err(attr.pos.error(format!(
            "expected a dtype such as f32, found {}",
            attr.describe()
        ))),
    }
}

fn boolean(attr: &Attr) -> Result<bool, ParseError> {
    match &attr.kind {
        AttrKind::Word(w) if w == "true" => Ok(true),
        AttrKind::Word(w) if w == "false" => Ok(false),
        _ => Err(attr
            .pos
            .error(format!("expected true or false, found {}", attr.describe()))),
    }
}

/// A literal: integer, number, `inf`, `nan`, `true`, `false`.
pub(crate) fn scalar(attr: &Attr) -> Result<Scalar, ParseError> {
    match &attr.kind {
        AttrKind::Int(_) => int(attr).map(Scalar::Int),
        AttrKind::Float(text) if text == "-inf" => Ok(Scalar::Float(f64::NEG_INFINITY)),
        AttrKind::Float(text) => match text.parse::<f64>() {
            Ok(v) if v.is_finite() => Ok(Scalar::Float(v)),
            Ok(_) => Err(attr.pos.error(format!(
                "number {} is too large for f64",
                attr.describe().trim_matches('\'')
            ))),
            Err(_) => Err(attr
                .pos
                .error(format!("invalid number {}", attr.describe()))),
        },
        AttrKind::Word(w) => match w.as_str() {
            "true" => Ok(Scalar::Bool(true)),
            "false" => Ok(Scalar::Bool(false)),
            "inf" => Ok(Scalar::Float(f64::INFINITY)),
            "nan" => Ok(Scalar::Float(f64::NAN)),
            _ => Err(attr
                .pos
                .error(format!("expected a number, found {}", attr.describe()))),
        },
        AttrKind::List(_) => Err(attr.pos.error("expected a number, found a list")),
    }
}

/// A literal as a value of `dtype`. A finite number is rounded to the nearest value of a
/// float dtype (ties to even); one that rounds to infinity is out of the dtype's range and an
/// error, not a silent `inf` (`inf` itself is written `inf`).
fn value_of(attr: &Attr, dtype: DType) -> Result<Scalar, ParseError> {
    let v = scalar(attr)?;
    let value = representable(v, dtype).map_err(|m| attr.pos.error(m))?;
    let finite = match v {
        Scalar::Float(f) => f.is_finite(),
        Scalar::Int(_) | Scalar::Bool(_) => true,
    };
    if finite && value.to_f64().is_infinite() {
        return Err(attr.pos.error(format!(
            "number {} is out of range for {dtype} (largest finite value {}; write inf for infinity)",
            attr.describe().trim_matches('\''),
            largest_finite(dtype)
        )));
    }
    Ok(value)
}

/// The largest finite value of a float dtype, as the text format would write it.
fn largest_finite(dtype: DType) -> String {
    match dtype {
        DType::F16 => half::f16::MAX.to_string(),
        DType::BF16 => format!("{:e}", f32::from(half::bf16::MAX)),
        DType::F32 => format!("{:e}", f32::MAX),
        _ => format!("{:e}", f64::MAX),
    }
}

/// A number attribute as f64 (integers included).
fn number(attr: &Attr) -> Result<f64, ParseError> {
    match scalar(attr)? {
        Scalar::Bool(_) => Err(attr
            .pos
            .error(format!("expected a number, found {}", attr.describe()))),
        v => Ok(v.to_f64()),
    }
}
