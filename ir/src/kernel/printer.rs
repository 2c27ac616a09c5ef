//! The kernel printer: one statement per line, two spaces of indentation per nested loop
//! or if, everything in definition order, so the same kernel always prints the same bytes.

use super::types::{AccUpdate, Expr, FragId, Kernel, Loop, Memory, Param, Stmt, TileRef};
use std::fmt::{self, Write};

/// The text of `kernel`, ending with a newline.
pub fn print(kernel: &Kernel) -> String {
    print_with_lines(kernel).0
}

/// The text of `kernel` (as [`print`]) and the 1-based line of each statement in it, indexed
/// by statement number (`StmtId`: program order, a `for` or `if` before its body): what
/// a line table maps machine code to.
pub fn print_with_lines(kernel: &Kernel) -> (String, Vec<u32>) {
    let mut out = String::new();
    header(kernel, &mut out);
    out.push_str("{\n");
    let mut starts = Vec::new();
    block(kernel, kernel.body(), 1, &mut out, &mut starts);
    out.push_str("}\n");
    let lines = lines_of(&out, &starts);
    (out, lines)
}

/// The 1-based line of each byte offset in `starts` (ascending), in one pass over `text`.
fn lines_of(text: &str, starts: &[usize]) -> Vec<u32> {
    let mut lines = Vec::with_capacity(starts.len());
    let (mut line, mut at) = (1u32, 0usize);
    for &start in starts {
        line += text.as_bytes()[at..start]
            .iter()
            .filter(|&&b| b == b'\n')
            .count() as u32;
        at = start;
        lines.push(line);
    }
    lines
}

impl fmt::Display for Kernel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&print(self))
    }
}

/// The `.kir` text of one statement on one line, without indentation: the statement's own
/// line, or a loop's or `if`'s header (`for v7: i32 in v1..v2`, `if v3`). Code generators
/// write it as a comment before the statement's instructions.
pub fn statement_text(kernel: &Kernel, stmt: &Stmt) -> String {
    match stmt {
        Stmt::Loop(l) => loop_header(kernel, l),
        Stmt::If { cond, .. } => format!("if {cond}"),
        _ => line(kernel, stmt),
    }
}

/// `kernel name(params)`, the launch line and one line per shared array.
fn header(kernel: &Kernel, out: &mut String) {
    let params: Vec<String> = kernel.params().map(|(_, p)| param_text(p)).collect();
    let _ = writeln!(out, "kernel {}({})", kernel.name(), params.join(", "));
    let launch = kernel.launch();
    let _ = writeln!(
        out,
        "  grid {:?} workgroup {:?} subgroup {}",
        launch.grid,
        launch.workgroup,
        kernel.subgroup_size()
    );
    for (_, array) in kernel.shared_arrays() {
        let _ = writeln!(
            out,
            "  shared {}: {}[{}]",
            array.name, array.dtype, array.len
        );
    }
    for (_, name) in kernel.fragments() {
        let _ = writeln!(out, "  fragment {name}: f32[16, 16]");
    }
}

/// `a: global f32[4096] read` or `n: i32`.
fn param_text(param: &Param) -> String {
    match param {
        Param::Buffer {
            name,
            dtype,
            len,
            access,
        } => format!("{name}: global {dtype}[{len}] {}", access.name()),
        Param::Scalar { name, dtype } => format!("{name}: {dtype}"),
    }
}

/// Recurses once per nested loop or if: kernels come from lowering, whose blocks nest as
/// deep as its loops (bounded by the launch shape and tensor rank) and its pads (one `if`
/// per fused pad). A long chain of values never nests (values are `Let` statements).
/// `starts` receives the byte offset of each statement's line, in program order.
fn block(kernel: &Kernel, stmts: &[Stmt], depth: usize, out: &mut String, starts: &mut Vec<usize>) {
    for s in stmts {
        stmt(kernel, s, depth, out, starts);
    }
}

fn stmt(kernel: &Kernel, stmt: &Stmt, depth: usize, out: &mut String, starts: &mut Vec<usize>) {
    let pad = "  ".repeat(depth);
    starts.push(out.len());
    match stmt {
        Stmt::Loop(l) => {
            let _ = writeln!(out, "{pad}{} {{", loop_header(kernel, l));
            block(kernel, &l.body, depth + 1, out, starts);
        }
        Stmt::If {
            cond,
            then_body,
            else_body,
        } => {
            let _ = writeln!(out, "{pad}if {cond} {{");
            block(kernel, then_body, depth + 1, out, starts);
            if !else_body.is_empty() {
                let _ = writeln!(out, "{pad}}} else {{");
                block(kernel, else_body, depth + 1, out, starts);
            }
        }
        _ => {
            let _ = writeln!(out, "{pad}{}", line(kernel, stmt));
            return;
        }
    }
    let _ = writeln!(out, "{pad}}}");
}

/// `for v7: i32 in v1..v2 step 4 unroll` (no step when it is 1).
fn loop_header(kernel: &Kernel, l: &Loop) -> String {
    let ty = kernel.value(l.var).map(|v| v.ty.to_string());
    let step = if l.step == 1 {
        String::new()
    } else {
        format!(" step {}", l.step)
    };
    let unroll = if l.unroll { " unroll" } else { "" };
    let (var, start, end) = (l.var, l.start, l.end);
    format!(
        "for {var}: {} in {start}..{end}{step}{unroll}",
        ty.unwrap_or_default()
    )
}

/// The line of a statement without a body.
fn line(kernel: &Kernel, stmt: &Stmt) -> String {
    match stmt {
        Stmt::Let(v) => match kernel.value(*v) {
            Some(value) => format!("{v}: {} = {}", value.ty, expr_text(kernel, &value.expr)),
            None => format!("{v}: ?"),
        },
        Stmt::Store(s) => {
            let mask = s.mask.map(|m| format!(" mask {m}")).unwrap_or_default();
            let name = memory_name(kernel, s.target);
            format!("store {name}[{}] = {}{mask}", s.index, s.value)
        }
        Stmt::InitAcc { acc, init } => {
            let ty = kernel.acc_type(*acc).map(|t| t.to_string());
            format!("{acc}: {} = init {init}", ty.unwrap_or_default())
        }
        Stmt::UpdateAcc { acc, update, value } => match update {
            AccUpdate::Assign => format!("{acc} = {value}"),
            AccUpdate::Combine(op) => format!("{acc} = {} {acc}, {value}", op.name()),
        },
        Stmt::Barrier => "barrier".to_string(),
        Stmt::Atomic(a) => {
            let name = memory_name(kernel, a.target);
            format!("atomic_{} {name}[{}], {}", a.op.name(), a.index, a.value)
        }
        Stmt::FragmentZero(f) => format!("fragment_zero {}", fragment_name(kernel, *f)),
        Stmt::FragmentMma { frag, a, b } => {
            let (a, b) = (tile_text(kernel, a), tile_text(kernel, b));
            format!("fragment_mma {} += {a} * {b}", fragment_name(kernel, *frag))
        }
        Stmt::FragmentStore { frag, d } => {
            let d = tile_text(kernel, d);
            format!("fragment_store {d} = {}", fragment_name(kernel, *frag))
        }
        Stmt::MatrixTile(t) => {
            let tile = |r: &TileRef| tile_text(kernel, r);
            let (d, a, b) = (tile(&t.d), tile(&t.a), tile(&t.b));
            format!("matrix_tile {d} += {a} * {b}")
        }
        Stmt::Loop(_) | Stmt::If { .. } => String::new(),
    }
}

/// `t[v3, stride 24]`
fn tile_text(kernel: &Kernel, r: &TileRef) -> String {
    let name = memory_name(kernel, Memory::Shared(r.array));
    format!("{name}[{}, stride {}]", r.offset, r.stride)
}

fn fragment_name(kernel: &Kernel, frag: FragId) -> &str {
    kernel.fragment(frag).unwrap_or("?")
}

fn memory_name(kernel: &Kernel, memory: Memory) -> &str {
    kernel.memory(memory).map_or("?", |(name, _)| name)
}

/// The right-hand side of a `Let`: `add v1, v2`, `load a[v3] mask v4`, `const 1.5`.
pub(super) fn expr_text(kernel: &Kernel, expr: &Expr) -> String {
    match expr {
        Expr::WorkgroupId(axis) => format!("workgroup_id.{}", axis.name()),
        Expr::LocalId(axis) => format!("local_id.{}", axis.name()),
        Expr::Const(value) => format!("const {value}"),
        Expr::Param(p) => {
            let name = kernel.param(*p).map_or("?", |p| p.name());
            format!("param {name}")
        }
        Expr::LoopVar => "loop_var".to_string(),
        Expr::Load {
            source,
            index,
            mask,
        } => {
            let mask = mask.map(|m| format!(" mask {m}")).unwrap_or_default();
            format!("load {}[{index}]{mask}", memory_name(kernel, *source))
        }
        Expr::Unary { op, x } => format!("{} {x}", op.name()),
        Expr::Binary { op, a, b } => format!("{} {a}, {b}", op.name()),
        Expr::MulHi { a, b } => format!("mulhi {a}, {b}"),
        Expr::Fma { a, b, c } => format!("fma {a}, {b}, {c}"),
        Expr::Where { cond, a, b } => format!("where {cond}, {a}, {b}"),
        Expr::Cast { x } => format!("cast {x}"),
        Expr::Bitcast { x } => format!("bitcast {x}"),
        Expr::Vector(items) => {
            let items: Vec<String> = items.iter().map(|v| v.to_string()).collect();
            format!("vec {}", items.join(", "))
        }
        Expr::Extract { x, lane } => format!("extract {x}, {lane}"),
        Expr::ReadAcc(acc) => format!("read {acc}"),
        Expr::SubgroupReduce { op, x } => format!("subgroup_{} {x}", op.name()),
    }
}
