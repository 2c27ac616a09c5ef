//! Instruction statements to [`Op`]s. Every modifier must be consumed by the decoder of
//! its opcode; one left over is an error naming it (the sim never guesses).

use super::SimError;
use super::instr::*;
use super::operand::Names;
use super::parse::{
    Entry, Param, RawEntry, SharedArray, Stmt, parse_error, parse_param, parse_shared,
    split_operands,
};
use std::collections::HashMap;

mod arith;
mod collective;
mod memory;

pub use arith::wide_of;
use arith::{decode_binary, decode_cvt, decode_mad, decode_mov, decode_setp, decode_unary};
use collective::{decode_bar, decode_ldmatrix, decode_mma, decode_shfl};
use memory::{decode_atom, decode_cp_async, decode_mem};

/// The modifiers of an opcode, consumed as the decoder recognizes them.
struct Mods<'a> {
    op: &'a str,
    items: Vec<&'a str>,
    used: Vec<bool>,
}

impl<'a> Mods<'a> {
    fn new(opcode: &'a str) -> Mods<'a> {
        let mut parts = opcode.split('.');
        let op = parts.next().unwrap_or_default();
        let items: Vec<&str> = parts.collect();
        let used = vec![false; items.len()];
        Mods { op, items, used }
    }

    fn has(&mut self, m: &str) -> bool {
        for (i, it) in self.items.iter().enumerate() {
            if !self.used[i] && *it == m {
                self.used[i] = true;
                return true;
            }
        }
        false
    }

    fn one_of(&mut self, set: &[&'a str]) -> Option<&'a str> {
        for (i, it) in self.items.iter().enumerate() {
            if !self.used[i] && set.contains(it) {
                self.used[i] = true;
                return Some(it);
            }
        }
        None
    }

    /// Every type modifier, in order, consumed.
    fn types(&mut self) -> Vec<Ty> {
        let mut out = Vec::new();
        for (i, it) in self.items.iter().enumerate() {
            if !self.used[i]
                && let Some(t) = Ty::from_name(it)
            {
                self.used[i] = true;
                out.push(t);
            }
        }
        out
    }

    fn ty(&mut self) -> Result<Ty, String> {
        match self.types().as_slice() {
            [t] => Ok(*t),
            [] => Err(format!("'{}' has no type", self.op)),
            _ => Err(format!("'{}' has several types", self.op)),
        }
    }

    /// Memory-model and cache modifiers the sim's in-order execution makes moot.
    fn ignore_memory_hints(&mut self) {
        const HINTS: [&str; 18] = [
            "weak",
            "volatile",
            "relaxed",
            "acquire",
            "release",
            "acq_rel",
            "cta",
            "gpu",
            "sys",
            "ca",
            "cg",
            "cs",
            "lu",
            "cv",
            "wb",
            "wt",
            "L1::no_allocate",
            "L2::128B",
        ];
        for (i, it) in self.items.iter().enumerate() {
            if HINTS.contains(it) || it.starts_with("L2::") || it.starts_with("L1::") {
                self.used[i] = true;
            }
        }
    }

    fn space(&mut self) -> Space {
        if self.has("global") {
            Space::Global
        } else if self.has("shared") || self.has("shared::cta") {
            Space::Shared
        } else if self.has("param") {
            Space::Param
        } else {
            Space::Generic
        }
    }

    fn rnd(&mut self) -> Option<Rnd> {
        self.one_of(&["rn", "rz", "rm", "rp"]).map(|r| match r {
            "rz" => Rnd::Rz,
            "rm" => Rnd::Rm,
            "rp" => Rnd::Rp,
            _ => Rnd::Rn,
        })
    }

    fn finish(&self) -> Result<(), String> {
        let left: Vec<&str> = self
            .items
            .iter()
            .zip(&self.used)
            .filter(|(_, u)| !**u)
            .map(|(i, _)| *i)
            .collect();
        if left.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "unsupported modifier combination: .{} in '{}'",
                left.join("."),
                self.op
            ))
        }
    }
}

/// Decodes a raw entry (declarations, labels, instructions) into an [`Entry`].
pub fn decode_entry(raw: &RawEntry, globals: &[(usize, String)]) -> Result<Entry, SimError> {
    let mut params = Vec::new();
    let mut offset = 0u64;
    for (line, text) in &raw.params {
        let (name, ty, size) = parse_param(*line, text)?;
        let align = u64::from(ty.bytes()).max(1);
        offset = offset.div_ceil(align) * align;
        params.push(Param {
            name,
            ty,
            size,
            offset,
        });
        offset += size;
    }
    let mut names = Names {
        regs: HashMap::new(),
        shared: HashMap::new(),
        params: params.iter().map(|p| (p.name.clone(), p.offset)).collect(),
        labels: HashMap::new(),
    };
    let mut reg_names = Vec::new();
    let mut reg_types = Vec::new();
    let mut shared = Vec::new();
    let mut shared_bytes = 0u64;
    let decls = globals
        .iter()
        .map(|(l, t)| (*l, t.as_str()))
        .chain(raw.body.iter().filter_map(|(l, s)| match s {
            Stmt::Decl(t) => Some((*l, t.as_str())),
            _ => None,
        }));
    for (line, text) in decls {
        if text.starts_with(".reg") {
            declare_regs(line, text, &mut names, &mut reg_names, &mut reg_types)?;
        } else if text.starts_with(".shared") {
            let (name, align, size) = parse_shared(line, text)?;
            shared_bytes = shared_bytes.div_ceil(align) * align;
            names.shared.insert(name.clone(), shared_bytes);
            shared.push(SharedArray {
                name,
                offset: shared_bytes,
                size,
            });
            shared_bytes += size;
        } else if !text.starts_with(".pragma") {
            return Err(parse_error(
                line,
                format!("unsupported declaration '{text}'"),
            ));
        }
    }
    let mut pc = 0;
    for (line, s) in &raw.body {
        match s {
            Stmt::Label(l) => {
                if names.labels.insert(l.clone(), pc).is_some() {
                    return Err(parse_error(*line, format!("label '{l}' defined twice")));
                }
            }
            Stmt::Instr(_) => pc += 1,
            Stmt::Decl(_) => {}
        }
    }
    let mut code = Vec::with_capacity(pc);
    for (line, s) in &raw.body {
        if let Stmt::Instr(text) = s {
            let instr = decode_instr(text, &names).map_err(|m| parse_error(*line, m))?;
            code.push(Instr {
                guard: instr.0,
                op: instr.1,
                line: *line,
            });
        }
    }
    Ok(Entry {
        name: raw.name.clone(),
        params,
        param_bytes: offset,
        shared,
        shared_bytes,
        reg_names,
        reg_types,
        reqntid: raw.reqntid,
        code,
    })
}

/// `.reg .TYPE %r<N>;` or `.reg .TYPE %a, %b;`.
fn declare_regs(
    line: usize,
    text: &str,
    names: &mut Names,
    reg_names: &mut Vec<String>,
    reg_types: &mut Vec<Ty>,
) -> Result<(), SimError> {
    let rest = text.trim_start_matches(".reg").trim();
    let (ty_text, list) = rest
        .split_once(' ')
        .ok_or_else(|| parse_error(line, format!("bad register declaration '{text}'")))?;
    let ty = ty_text
        .strip_prefix('.')
        .and_then(Ty::from_name)
        .ok_or_else(|| parse_error(line, format!("unsupported register type '{ty_text}'")))?;
    let mut add = |name: String| -> Result<(), SimError> {
        if names.regs.contains_key(&name) {
            return Err(parse_error(
                line,
                format!("register '{name}' declared twice"),
            ));
        }
        names.regs.insert(name.clone(), reg_names.len() as u32);
        reg_names.push(name);
        reg_types.push(ty);
        Ok(())
    };
    for item in list.split(',').map(str::trim) {
        match item.split_once('<') {
            Some((prefix, n)) => {
                let count: u32 = n
                    .trim_end_matches('>')
                    .parse()
                    .map_err(|_| parse_error(line, format!("bad register count in '{item}'")))?;
                for i in 0..count {
                    add(format!("{prefix}{i}"))?;
                }
            }
            None => add(item.to_string())?,
        }
    }
    Ok(())
}

type Decoded = (Option<(u32, bool)>, Op);

fn decode_instr(text: &str, names: &Names) -> Result<Decoded, String> {
    let mut rest = text.trim();
    let mut guard = None;
    if let Some(g) = rest.strip_prefix('@') {
        let (p, r) = g.split_once(' ').ok_or("guard without an instruction")?;
        let (neg, p) = match p.strip_prefix('!') {
            Some(p) => (true, p),
            None => (false, p),
        };
        guard = Some((names.reg(p)?, neg));
        rest = r.trim();
    }
    let (opcode, operands) = match rest.split_once(' ') {
        Some((o, a)) => (o, a),
        None => (rest, ""),
    };
    let ops = split_operands(operands);
    let mut m = Mods::new(opcode);
    let op = decode_op(&mut m, &ops, names).map_err(|e| format!("{opcode}: {e}"))?;
    m.finish()?;
    Ok((guard, op))
}

fn want(ops: &[String], n: usize) -> Result<(), String> {
    if ops.len() == n {
        Ok(())
    } else {
        Err(format!("expected {n} operands, found {}", ops.len()))
    }
}

fn decode_op(m: &mut Mods, ops: &[String], n: &Names) -> Result<Op, String> {
    match m.op {
        "mov" => decode_mov(m, ops, n),
        "ld" | "st" => decode_mem(m, ops, n),
        "cvta" => {
            want(ops, 2)?;
            let to = m.has("to");
            let space = m.space();
            let ty = m.ty()?;
            Ok(Op::Cvta {
                to,
                space,
                ty,
                dst: n.dst(&ops[0])?,
                src: n.src(&ops[1], ty)?,
            })
        }
        "add" | "sub" | "mul" | "div" | "rem" | "min" | "max" | "and" | "or" | "xor" | "shl"
        | "shr" => decode_binary(m, ops, n),
        "mad" | "fma" => decode_mad(m, ops, n),
        "neg" | "abs" | "not" | "cnot" | "popc" | "clz" | "brev" | "sqrt" | "rcp" | "rsqrt"
        | "ex2" | "lg2" | "sin" | "cos" | "tanh" => decode_unary(m, ops, n),
        "setp" => decode_setp(m, ops, n),
        "selp" => {
            want(ops, 4)?;
            let ty = m.ty()?;
            Ok(Op::Selp {
                ty,
                dst: n.dst(&ops[0])?,
                a: n.src(&ops[1], ty)?,
                b: n.src(&ops[2], ty)?,
                p: n.src(&ops[3], Ty::Pred)?,
            })
        }
        "cvt" => decode_cvt(m, ops, n),
        "bra" => {
            want(ops, 1)?;
            m.has("uni");
            let target = *n
                .labels
                .get(ops[0].trim())
                .ok_or_else(|| format!("no label '{}'", ops[0]))?;
            Ok(Op::Bra { target })
        }
        "ret" | "exit" => {
            want(ops, 0)?;
            Ok(Op::Exit)
        }
        "bar" | "barrier" => decode_bar(m, ops, n),
        "shfl" => decode_shfl(m, ops, n),
        "atom" | "red" => decode_atom(m, ops, n),
        "ldmatrix" => decode_ldmatrix(m, ops, n),
        "mma" => decode_mma(m, ops, n),
        "cp" => decode_cp_async(m, ops, n),
        "membar" | "fence" => {
            m.one_of(&["cta", "gl", "sys", "gpu"]);
            m.ignore_memory_hints();
            m.one_of(&["sc", "acq_rel", "proxy", "async"]);
            Ok(Op::Nop)
        }
        other => Err(format!("unknown instruction '{other}'")),
    }
}

/// Decodes every entry of a module.
pub fn decode_module(text: &str) -> Result<super::parse::Module, SimError> {
    let (raw, globals) = super::parse::scan_module(text)?;
    let entries = raw
        .iter()
        .map(|r| decode_entry(r, &globals))
        .collect::<Result<_, _>>()?;
    Ok(super::parse::Module { entries })
}
