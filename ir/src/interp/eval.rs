//! Evaluating a whole graph, node by node in graph order.

use super::elementwise::{self, bad_graph};
use super::tensor::check_size;
use super::{Data, EvalError, Tensor, movement, reduce};
use crate::{Graph, Node, NodeId, Op, Scalar};
use cranelift_entity::EntityRef;
use std::collections::BTreeMap;

/// Evaluates `graph` on `inputs` (one tensor per graph input, by name, with exactly the
/// declared dtype and shape) and answers the outputs in `graph.outputs()` order.
pub fn evaluate(
    graph: &Graph,
    inputs: &BTreeMap<String, Tensor>,
) -> Result<Vec<(String, Tensor)>, EvalError> {
    check_inputs(graph, inputs)?;
    let mut values: Vec<Tensor> = Vec::with_capacity(graph.len());
    for (id, node) in graph.nodes() {
        let tensor = eval_node(id, node, &values, inputs)?;
        values.push(tensor);
    }
    let output = |o: &crate::Output| {
        let tensor = operand(&values, o.node, &format!("output '{}'", o.name))?;
        Ok((o.name.clone(), tensor.clone()))
    };
    graph.outputs().iter().map(output).collect()
}

/// Every graph input is given, with its dtype and shape and valid data; no other name is.
pub(super) fn check_inputs(
    graph: &Graph,
    inputs: &BTreeMap<String, Tensor>,
) -> Result<(), EvalError> {
    for &id in graph.inputs() {
        let (name, node) = (graph.input_name(id), graph.node(id));
        let Some(tensor) = inputs.get(name) else {
            return Err(EvalError::MissingInput {
                name: name.to_string(),
            });
        };
        if tensor.dtype != node.dtype || tensor.shape != node.shape {
            return Err(EvalError::InputMismatch {
                name: name.to_string(),
                expected: format!("{}{}", node.dtype, node.shape),
                found: format!("{}{}", tensor.dtype, tensor.shape),
            });
        }
        tensor.validate().map_err(|e| match e {
            EvalError::BadTensor { message } => EvalError::BadTensor {
                message: format!("input '{name}': {message}"),
            },
            other => other,
        })?;
    }
    let declared = |name: &str| {
        graph
            .inputs()
            .iter()
            .any(|&id| graph.input_name(id) == name)
    };
    match inputs.keys().find(|name| !declared(name)) {
        Some(name) => Err(EvalError::UnknownInput { name: name.clone() }),
        None => Ok(()),
    }
}

/// The node's tensor, computed from the tensors of the nodes before it.
pub(super) fn eval_node(
    id: NodeId,
    node: &Node,
    values: &[Tensor],
    inputs: &BTreeMap<String, Tensor>,
) -> Result<Tensor, EvalError> {
    let here = describe(id, node);
    let count = node.shape.numel();
    check_size(&format!("the result of {here}"), count)?;
    let arg = |x: &NodeId| operand(values, *x, &here);
    let data = match &node.op {
        Op::Input { name } => match inputs.get(name) {
            Some(t) => t.data.clone(),
            None => return Err(EvalError::MissingInput { name: name.clone() }),
        },
        Op::Const { value } => Data::filled(node.dtype, *value, count),
        Op::Iota { axis } => iota(node, *axis, &here)?,
        Op::Unary { op, x } => elementwise::unary(*op, node.dtype, &arg(x)?.data, &here)?,
        Op::Cast { x } => elementwise::cast(&arg(x)?.data, node.dtype),
        Op::Bitcast { x } => {
            let x = arg(x)?;
            elementwise::bitcast(&x.data, x.dtype, node.dtype)
        }
        Op::Binary { op, a, b } => {
            let (a, b) = (arg(a)?, arg(b)?);
            elementwise::binary(*op, a.dtype, &a.data, &b.data, &here)?
        }
        Op::Where { cond, a, b } => {
            elementwise::select(&arg(cond)?.data, &arg(a)?.data, &arg(b)?.data, &here)?
        }
        Op::Reduce { op, x, axes } => reduce::reduce(*op, arg(x)?, axes, &node.shape, &here)?,
        Op::Reshape { x } => arg(x)?.data.clone(),
        Op::Permute { x, .. }
        | Op::Expand { x }
        | Op::Pad { x, .. }
        | Op::Shrink { x, .. }
        | Op::Flip { x, .. } => movement::apply(&node.op, arg(x)?, &node.shape, &here)?,
    };
    if data.len() != count {
        let message = format!("computed {} elements for shape {}", data.len(), node.shape);
        return Err(bad_graph(&here, message));
    }
    Ok(Tensor {
        dtype: node.dtype,
        shape: node.shape.clone(),
        data,
    })
}

/// The tensor of an operand, which graph order puts before its user.
fn operand<'a>(values: &'a [Tensor], x: NodeId, user: &str) -> Result<&'a Tensor, EvalError> {
    values
        .get(x.index())
        .ok_or_else(|| bad_graph(user, format!("operand {x} is not computed before it")))
}

/// Each element's index along `axis`, cast to the node's dtype (integers wrap, floats round).
fn iota(node: &Node, axis: usize, here: &str) -> Result<Data, EvalError> {
    let dims = node.shape.dims();
    let Some(&size) = dims.get(axis) else {
        return Err(bad_graph(
            here,
            format!("axis {axis} is out of range for {}", node.shape),
        ));
    };
    let stride: usize = dims[axis + 1..].iter().product();
    let index = |flat: usize| Scalar::Int((flat / stride % size) as i128);
    Ok(Data::cast_from(
        node.dtype,
        (0..node.shape.numel()).map(index),
    ))
}

/// How messages name a node: its id, its author's name if any, and its operation, e.g.
/// `n5 (idiv)` or `n7 'q' (idiv)`.
fn describe(id: NodeId, node: &Node) -> String {
    match &node.name {
        Some(name) => format!("{id} '{name}' ({})", node.op.name()),
        None => format!("{id} ({})", node.op.name()),
    }
}

/// Checks that every value of `graph` fits the reference interpreter (at most
/// [`super::ELEMENT_LIMIT`] elements), before anything is allocated for it: call this before
/// [`super::random_inputs`] or a backend run on graphs from untrusted text.
pub fn check_limits(graph: &Graph) -> Result<(), EvalError> {
    for (id, node) in graph.nodes() {
        let elements = node.shape.numel();
        if elements > super::ELEMENT_LIMIT {
            let what = match &node.op {
                crate::Op::Input { name } => {
                    format!("input '{name}' ({}{})", node.dtype, node.shape)
                }
                op => format!("{id} ({}, {}{})", op.name(), node.dtype, node.shape),
            };
            return Err(EvalError::TooLarge {
                what,
                elements,
                limit: super::ELEMENT_LIMIT,
            });
        }
    }
    Ok(())
}
