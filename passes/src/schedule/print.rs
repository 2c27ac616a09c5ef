//! The printed schedule and the kernels' short names.

use super::{Buffer, KernelGroup, Schedule, index};
use egpu_ir::kernel::BufferRole;
use egpu_ir::{BinaryOp, Graph, NodeId, Op, ReduceOp, UnaryOp};
use std::collections::BTreeMap;
use std::fmt::Write;

/// A short name for what a kernel computes: its reductions, recognised patterns (matmul,
/// conv, softmax, log_softmax, layernorm) or `elementwise`; `copy` when it computes
/// nothing. Only a label for people: lowering looks at the nodes, never at this.
pub(crate) fn main_op(graph: &Graph, nodes: &[NodeId]) -> String {
    if nodes.is_empty() {
        return "copy".to_string();
    }
    let has = |want: &dyn Fn(&Op) -> bool| nodes.iter().any(|&n| want(&graph.node(n).op));
    let unary = |u: UnaryOp| move |op: &Op| matches!(op, Op::Unary { op, .. } if *op == u);
    let reduces: Vec<(ReduceOp, NodeId)> = nodes
        .iter()
        .filter_map(|&n| match &graph.node(n).op {
            Op::Reduce { op, x, .. } => Some((*op, *x)),
            _ => None,
        })
        .collect();
    let label = match reduces.as_slice() {
        [] => "elementwise",
        [(ReduceOp::Sum, x)] if is_contraction(graph, *x) => {
            if has(&|op| matches!(op, Op::Pad { .. })) {
                "conv"
            } else {
                "matmul"
            }
        }
        [(op, _)] => op.name(),
        [(ReduceOp::Max, _), (ReduceOp::Sum, _)] if has(&unary(UnaryOp::Exp2)) => {
            if has(&unary(UnaryOp::Log2)) {
                "log_softmax"
            } else {
                "softmax"
            }
        }
        [(ReduceOp::Sum, _), (ReduceOp::Sum, _)] if has(&unary(UnaryOp::Sqrt)) => "layernorm",
        many => {
            // Each kind once, in order of appearance: a kernel merged from several (up to
            // the horizontal bound) keeps a short name.
            let mut names: Vec<&str> = Vec::new();
            for (op, _) in many {
                if !names.contains(&op.name()) {
                    names.push(op.name());
                }
            }
            return names.join("_");
        }
    };
    label.to_string()
}

/// `sum(mul(expand(a), expand(b)))`: the shape of a matmul (or of a convolution's window
/// product), the contraction the optimizer tiles.
pub(crate) fn is_contraction(graph: &Graph, x: NodeId) -> bool {
    let is_expand = |n: NodeId| matches!(graph.node(n).op, Op::Expand { .. });
    match graph.node(x).op {
        Op::Binary {
            op: BinaryOp::Mul,
            a,
            b,
        } => is_expand(a) && is_expand(b),
        _ => false,
    }
}

/// The schedule as text: a header, one block per kernel, then the buffer table.
pub(crate) fn print(schedule: &Schedule, graph: &Graph) -> String {
    let names = value_names(graph);
    let name = |id: NodeId| {
        names
            .get(index(id))
            .cloned()
            .unwrap_or_else(|| id.to_string())
    };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "schedule {}: {}, {}",
        graph.name(),
        count(schedule.kernels.len(), "kernel"),
        count(schedule.buffers.len(), "buffer")
    );
    for kernel in &schedule.kernels {
        let _ = writeln!(out, "\n{}: {}", kernel.name, detail(graph, kernel));
        let computed: Vec<String> = kernel.nodes.iter().map(|&n| name(n)).collect();
        let computed = if computed.is_empty() {
            "-".to_string()
        } else {
            computed.join(" ")
        };
        let _ = writeln!(out, "  nodes:  {computed}");
        let _ = writeln!(out, "  reads:  {}", values(schedule, &kernel.reads, &name));
        let _ = writeln!(out, "  writes: {}", values(schedule, &kernel.writes, &name));
    }
    out.push_str("\nbuffers:\n");
    let ranges = LiveRanges::new(schedule);
    let rows: Vec<[String; 4]> = schedule
        .buffers
        .iter()
        .map(|b| buffer_row(&ranges, b, &name))
        .collect();
    out.push_str(&table(&rows));
    out
}

fn count(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

/// The node count and the main work: the reductions with their rows, or the element count.
fn detail(graph: &Graph, kernel: &KernelGroup) -> String {
    let nodes = count(kernel.nodes.len(), "node");
    let reduces: Vec<NodeId> = kernel
        .nodes
        .iter()
        .copied()
        .filter(|&n| matches!(graph.node(n).op, Op::Reduce { .. }))
        .collect();
    let Some(&first) = reduces.first() else {
        let elements = kernel
            .writes
            .first()
            .map_or(0, |&w| graph.node(w).shape.numel());
        let what = if kernel.nodes.is_empty() {
            "copy"
        } else {
            "elementwise"
        };
        return format!("{nodes}, {what} over {elements} elements");
    };
    let kinds: Vec<&str> = reduces.iter().map(|&r| graph.node(r).op.name()).collect();
    let rows = graph.node(first).shape.numel();
    let total = match graph.node(first).op {
        Op::Reduce { x, .. } => graph.node(x).shape.numel(),
        _ => 0,
    };
    let extent = total.checked_div(rows).unwrap_or(0);
    format!(
        "{nodes}, {} over {} of {extent}",
        kinds.join(", "),
        count(rows, "row")
    )
}

/// `name (b1)` for each value, with every buffer that holds it.
fn values(schedule: &Schedule, nodes: &[NodeId], name: &dyn Fn(NodeId) -> String) -> String {
    if nodes.is_empty() {
        return "-".to_string();
    }
    let items: Vec<String> = nodes
        .iter()
        .map(|&n| {
            let buffers: Vec<String> = schedule
                .buffers_of(n)
                .iter()
                .map(|b| b.to_string())
                .collect();
            format!("{} ({})", name(n), buffers.join(", "))
        })
        .collect();
    items.join(", ")
}

/// `b2 | temporary | f32 x 4096 | t19 (k0..k1), t28 (k1..k2)`: the buffer, its kind, its
/// size, and each value it holds with the kernels that write it and last read it.
fn buffer_row(
    ranges: &LiveRanges,
    buffer: &Buffer,
    name: &dyn Fn(NodeId) -> String,
) -> [String; 4] {
    let kind = match &buffer.role {
        BufferRole::Input(n) => format!("input {n}"),
        BufferRole::Output(n) => format!("output {n}"),
        BufferRole::Temporary => "temporary".to_string(),
    };
    let holds: Vec<String> = buffer
        .holds
        .iter()
        .map(|&v| format!("{}{}", name(v), ranges.show(&buffer.role, v)))
        .collect();
    [
        buffer.id.to_string(),
        kind,
        format!("{} x {}", buffer.dtype, buffer.elements),
        holds.join(", "),
    ]
}

/// Rows as left-aligned columns, two spaces apart, each line indented by two.
fn table(rows: &[[String; 4]]) -> String {
    let mut widths = [0usize; 4];
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in rows {
        let mut line = String::from(" ");
        for (w, cell) in widths.iter().zip(row) {
            let _ = write!(line, " {cell:<w$} ");
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// The launch index of the kernel that writes each value and of the last one that reads it.
struct LiveRanges {
    writer: BTreeMap<NodeId, usize>,
    reader: BTreeMap<NodeId, usize>,
}

impl LiveRanges {
    fn new(schedule: &Schedule) -> LiveRanges {
        let mut writer = BTreeMap::new();
        let mut reader = BTreeMap::new();
        for (k, kernel) in schedule.kernels.iter().enumerate() {
            for &w in &kernel.writes {
                writer.entry(w).or_insert(k);
            }
            for &r in &kernel.reads {
                reader.insert(r, k);
            }
        }
        LiveRanges { writer, reader }
    }

    /// ` (k0..k2)`: the kernel that writes the value and the last one that reads it; `in`
    /// for an input (in memory before the first launch), `end` for an output (kept after the
    /// last).
    fn show(&self, role: &BufferRole, value: NodeId) -> String {
        let writer = self.writer.get(&value).copied();
        let reader = self.reader.get(&value).copied();
        let at = |k: Option<usize>| k.map_or("-".to_string(), |k| format!("k{k}"));
        match role {
            BufferRole::Input(_) if reader.is_none() => " (unused)".to_string(),
            BufferRole::Input(_) => format!(" (in..{})", at(reader)),
            BufferRole::Output(_) => format!(" ({}..end)", at(writer)),
            BufferRole::Temporary => format!(" ({}..{})", at(writer), at(reader.or(writer))),
        }
    }
}

/// Names for values: an input's name, else the author's name when it is an identifier,
/// else `t<index>` (as in the canonical text); `_<index>` is appended to a name already used.
fn value_names(graph: &Graph) -> Vec<String> {
    let mut names: Vec<String> = Vec::with_capacity(graph.len());
    let mut taken = std::collections::BTreeSet::new();
    for (id, node) in graph.nodes() {
        let i = index(id);
        let mut name = match (&node.op, &node.name) {
            (Op::Input { name }, _) => name.clone(),
            (_, Some(n)) if is_identifier(n) => n.clone(),
            _ => format!("t{i}"),
        };
        while taken.contains(&name) {
            name = format!("{name}_{i}");
        }
        taken.insert(name.clone());
        names.push(name);
    }
    names
}

fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}
