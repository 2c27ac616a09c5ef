//! The canonical printer: one primitive per line, every type and attribute written out.

use super::parser::is_reserved;
use super::scan::{is_ident_char, is_ident_start};
use crate::{Graph, NodeId, Op};
use cranelift_entity::EntityRef;
use std::collections::HashSet;
use std::fmt::Write;

/// The canonical `.egir` text of `graph`, ending with a newline. Parsing it gives a graph with
/// the same structure, and printing that gives the same bytes.
pub fn print(graph: &Graph) -> String {
    let names = value_names(graph);
    let name = |id: NodeId| names.get(id.index()).map(String::as_str).unwrap_or("?");
    let mut out = String::new();
    for doc in graph.doc() {
        for line in doc.split('\n') {
            if line.is_empty() {
                out.push_str("#\n");
            } else {
                let _ = writeln!(out, "# {line}");
            }
        }
    }
    let _ = write!(out, "graph {}(", graph.name());
    for (i, &id) in graph.inputs().iter().enumerate() {
        let node = graph.node(id);
        let sep = if i > 0 { ", " } else { "" };
        let _ = write!(
            out,
            "{sep}{}: {}{}",
            graph.input_name(id),
            node.dtype,
            node.shape
        );
    }
    out.push_str(") {\n");
    for (id, node) in graph.nodes() {
        if matches!(node.op, Op::Input { .. }) {
            continue;
        }
        let _ = write!(out, "  {}: {}{} = ", name(id), node.dtype, node.shape);
        let op = node.op.name();
        let _ = match &node.op {
            Op::Input { .. } => Ok(()),
            Op::Const { value } => write!(
                out,
                "const({value}, dtype={}, shape={})",
                node.dtype, node.shape
            ),
            Op::Iota { axis } => write!(
                out,
                "iota(dtype={}, shape={}, axis={axis})",
                node.dtype, node.shape
            ),
            Op::Unary { x, .. } => write!(out, "{op}({})", name(*x)),
            Op::Cast { x } | Op::Bitcast { x } => {
                write!(out, "{op}({}, to={})", name(*x), node.dtype)
            }
            Op::Binary { a, b, .. } => write!(out, "{op}({}, {})", name(*a), name(*b)),
            Op::Where { cond, a, b } => {
                write!(out, "where({}, {}, {})", name(*cond), name(*a), name(*b))
            }
            Op::Reduce { x, axes, .. } | Op::Flip { x, axes } => {
                write!(out, "{op}({}, axes={})", name(*x), list(axes))
            }
            Op::Reshape { x } | Op::Expand { x } => {
                write!(out, "{op}({}, shape={})", name(*x), node.shape)
            }
            Op::Permute { x, perm } => write!(out, "permute({}, perm={})", name(*x), list(perm)),
            Op::Pad { x, pads, value } => write!(
                out,
                "pad({}, pads={}, value={value})",
                name(*x),
                pairs(pads)
            ),
            Op::Shrink { x, ranges } => {
                write!(out, "shrink({}, ranges={})", name(*x), pairs(ranges))
            }
        };
        out.push('\n');
    }
    out.push_str("  return ");
    for (i, output) in graph.outputs().iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        let value = name(output.node);
        if output.name == value {
            out.push_str(value);
        } else {
            let _ = write!(out, "{}={value}", output.name);
        }
    }
    out.push_str("\n}\n");
    out
}

/// `[1, 0]`.
fn list(items: &[usize]) -> String {
    format!("{items:?}")
}

fn pairs(items: &[(usize, usize)]) -> String {
    let inner: Vec<String> = items.iter().map(|(a, b)| format!("[{a}, {b}]")).collect();
    format!("[{}]", inner.join(", "))
}

fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(is_ident_start) && chars.all(is_ident_char)
}

/// The printed name of every node, by node index: inputs by their own name; other nodes by
/// the name they were given (if it is a usable name) or `t<index>`, with `_<index>` appended
/// while the name is taken or reserved.
fn value_names(graph: &Graph) -> Vec<String> {
    let mut names = vec![String::new(); graph.len()];
    let mut taken: HashSet<String> = HashSet::new();
    for &id in graph.inputs() {
        let name = graph.input_name(id).to_string();
        taken.insert(name.clone());
        if let Some(slot) = names.get_mut(id.index()) {
            *slot = name;
        }
    }
    for (id, node) in graph.nodes() {
        if matches!(node.op, Op::Input { .. }) {
            continue;
        }
        let index = id.index();
        let mut name = match &node.name {
            Some(n) if is_identifier(n) => n.clone(),
            _ => format!("t{index}"),
        };
        while taken.contains(&name) || is_reserved(&name) {
            name = format!("{name}_{index}");
        }
        taken.insert(name.clone());
        if let Some(slot) = names.get_mut(index) {
            *slot = name;
        }
    }
    names
}
