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

fn decode_mov(m: &mut Mods, ops: &[String], n: &Names) -> Result<Op, String> {
    want(ops, 2)?;
    let ty = m.ty()?;
    let part_of = |count: usize| -> Result<Ty, String> {
        match (ty.bits() as usize).checked_div(count) {
            Some(8) => Ok(Ty::B8),
            Some(16) => Ok(Ty::B16),
            Some(32) => Ok(Ty::B32),
            _ => Err(format!("cannot split {ty:?} into {count} parts")),
        }
    };
    if ops[0].starts_with('{') {
        let parts = n.vector(&ops[0])?;
        let part = part_of(parts.len())?;
        let dsts = parts.iter().map(|p| n.dst(p)).collect::<Result<_, _>>()?;
        return Ok(Op::Unpack {
            part,
            dsts,
            src: n.src(&ops[1], ty)?,
        });
    }
    if ops[1].starts_with('{') {
        let parts = n.vector(&ops[1])?;
        let part = part_of(parts.len())?;
        let srcs = parts
            .iter()
            .map(|p| n.src(p, part))
            .collect::<Result<_, _>>()?;
        return Ok(Op::Pack {
            part,
            dst: n.dst(&ops[0])?,
            srcs,
        });
    }
    Ok(Op::Mov {
        ty,
        dst: n.dst(&ops[0])?,
        src: n.src(&ops[1], ty)?,
    })
}

fn decode_mem(m: &mut Mods, ops: &[String], n: &Names) -> Result<Op, String> {
    want(ops, 2)?;
    m.ignore_memory_hints();
    let space = m.space();
    let nc = m.has("nc");
    let count = match m.one_of(&["v2", "v4"]) {
        Some("v2") => 2,
        Some(_) => 4,
        None => 1,
    };
    let ty = m.ty()?;
    let (regs, addr) = if m.op == "ld" {
        (&ops[0], &ops[1])
    } else {
        (&ops[1], &ops[0])
    };
    let parts: Vec<&str> = if count == 1 {
        vec![regs.as_str()]
    } else {
        n.vector(regs)?
    };
    if parts.len() != count {
        return Err(format!("vector of {} for .v{count}", parts.len()));
    }
    let addr = n.addr(addr)?;
    if m.op == "ld" {
        let dsts = parts.iter().map(|p| n.dst(p)).collect::<Result<_, _>>()?;
        Ok(Op::Ld {
            space,
            nc,
            ty,
            dsts,
            addr,
        })
    } else {
        let srcs = parts
            .iter()
            .map(|p| n.src(p, ty))
            .collect::<Result<_, _>>()?;
        Ok(Op::St {
            space,
            ty,
            srcs,
            addr,
        })
    }
}

fn decode_binary(m: &mut Mods, ops: &[String], n: &Names) -> Result<Op, String> {
    want(ops, 3)?;
    let types = m.types();
    let [ty] = types[..] else {
        return Err("expected one type".into());
    };
    let dst = n.dst(&ops[0])?;
    let a = n.src(&ops[1], ty)?;
    // Shift counts are always .u32.
    let b_ty = if matches!(m.op, "shl" | "shr") {
        Ty::U32
    } else {
        ty
    };
    let b = n.src(&ops[2], b_ty)?;
    if ty.is_float() {
        let mode = m.one_of(&["approx", "full"]);
        let rnd = m.rnd();
        if m.op == "div" && mode.is_none() && rnd.is_none() {
            return Err("float div needs .rn/.rz/.rm/.rp, .approx or .full".into());
        }
        let ftz = m.has("ftz");
        let sat = m.has("sat");
        let nan = m.has("NaN");
        let op = match (m.op, nan) {
            ("add", false) => FloatOp::Add,
            ("sub", false) => FloatOp::Sub,
            ("mul", false) => FloatOp::Mul,
            ("div", false) => FloatOp::Div,
            ("min", false) => FloatOp::Min,
            ("max", false) => FloatOp::Max,
            ("min", true) => FloatOp::MinNaN,
            ("max", true) => FloatOp::MaxNaN,
            (o, _) => return Err(format!("'{o}' has no float form here")),
        };
        if mode.is_some() && op != FloatOp::Div {
            return Err(format!(".{} only applies to div", mode.unwrap_or_default()));
        }
        return Ok(Op::Float {
            op,
            rnd: rnd.unwrap_or(Rnd::Rn),
            ftz,
            sat,
            ty,
            dst,
            a,
            b,
        });
    }
    if m.op == "mul" {
        match m.one_of(&["lo", "hi", "wide"]) {
            Some("lo") => {}
            Some("hi") => {
                return Ok(Op::Int {
                    op: IntOp::MulHi,
                    ty,
                    dst,
                    a,
                    b,
                });
            }
            Some(_) => return Ok(Op::MulWide { ty, dst, a, b }),
            None => return Err("integer mul needs .lo, .hi or .wide".into()),
        }
    }
    let sat = m.has("sat");
    let op = match (m.op, sat) {
        ("add", false) => IntOp::Add,
        ("add", true) => IntOp::AddSat,
        ("sub", false) => IntOp::Sub,
        ("sub", true) => IntOp::SubSat,
        ("mul", false) => IntOp::MulLo,
        ("div", false) => IntOp::Div,
        ("rem", false) => IntOp::Rem,
        ("min", false) => IntOp::Min,
        ("max", false) => IntOp::Max,
        ("and", false) => IntOp::And,
        ("or", false) => IntOp::Or,
        ("xor", false) => IntOp::Xor,
        ("shl", false) => IntOp::Shl,
        ("shr", false) => IntOp::Shr,
        (o, _) => return Err(format!("'{o}.sat' is not an instruction")),
    };
    if (op == IntOp::AddSat || op == IntOp::SubSat) && ty != Ty::S32 {
        return Err(".sat integer add/sub is .s32 only".into());
    }
    Ok(Op::Int { op, ty, dst, a, b })
}

fn decode_mad(m: &mut Mods, ops: &[String], n: &Names) -> Result<Op, String> {
    want(ops, 4)?;
    let ty = m.ty()?;
    let dst = n.dst(&ops[0])?;
    if ty.is_float() {
        let rnd = m.rnd();
        if rnd.is_none() && (m.op == "fma" || ty == Ty::F64) {
            return Err("float fma/mad needs a rounding modifier".into());
        }
        let ftz = m.has("ftz");
        let sat = m.has("sat");
        return Ok(Op::Fma {
            rnd: rnd.unwrap_or(Rnd::Rn),
            ftz,
            sat,
            ty,
            dst,
            a: n.src(&ops[1], ty)?,
            b: n.src(&ops[2], ty)?,
            c: n.src(&ops[3], ty)?,
        });
    }
    if m.op == "fma" {
        return Err("fma is float only".into());
    }
    let mode = match m.one_of(&["lo", "hi", "wide"]) {
        Some("lo") => MadMode::Lo,
        Some("hi") => MadMode::Hi,
        Some(_) => MadMode::Wide,
        None => return Err("integer mad needs .lo, .hi or .wide".into()),
    };
    let sat = m.has("sat");
    let c_ty = if mode == MadMode::Wide {
        wide_of(ty)?
    } else {
        ty
    };
    Ok(Op::Mad {
        mode,
        sat,
        ty,
        dst,
        a: n.src(&ops[1], ty)?,
        b: n.src(&ops[2], ty)?,
        c: n.src(&ops[3], c_ty)?,
    })
}

/// The double-width type of a `.wide` operation.
pub fn wide_of(ty: Ty) -> Result<Ty, String> {
    Ok(match ty {
        Ty::U16 => Ty::U32,
        Ty::S16 => Ty::S32,
        Ty::U32 => Ty::U64,
        Ty::S32 => Ty::S64,
        _ => return Err(format!(".wide is not defined for {ty:?}")),
    })
}

fn decode_unary(m: &mut Mods, ops: &[String], n: &Names) -> Result<Op, String> {
    want(ops, 2)?;
    let ty = m.ty()?;
    let dst = n.dst(&ops[0])?;
    let a = n.src(&ops[1], ty)?;
    let int_op = match m.op {
        "neg" if ty.is_int() => Some(IntUnOp::Neg),
        "abs" if ty.is_int() => Some(IntUnOp::Abs),
        "not" => Some(IntUnOp::Not),
        "cnot" => Some(IntUnOp::Cnot),
        "popc" => Some(IntUnOp::Popc),
        "clz" => Some(IntUnOp::Clz),
        "brev" => Some(IntUnOp::Brev),
        _ => None,
    };
    if let Some(op) = int_op {
        if ty.is_float() {
            return Err(format!("'{}' on a float type", m.op));
        }
        return Ok(Op::IntUn { op, ty, dst, a });
    }
    if !ty.is_float() {
        return Err(format!("'{}' needs a float type", m.op));
    }
    let op = match m.op {
        "neg" => FloatUnOp::Neg,
        "abs" => FloatUnOp::Abs,
        "sqrt" => FloatUnOp::Sqrt,
        "rcp" => FloatUnOp::Rcp,
        "rsqrt" => FloatUnOp::Rsqrt,
        "ex2" => FloatUnOp::Ex2,
        "lg2" => FloatUnOp::Lg2,
        "sin" => FloatUnOp::Sin,
        "cos" => FloatUnOp::Cos,
        _ => FloatUnOp::Tanh,
    };
    let approx = m.has("approx");
    let rnd = m.rnd();
    let mode = match (op, approx, rnd) {
        (FloatUnOp::Neg | FloatUnOp::Abs, false, None) => FloatMode::Round(Rnd::Rn),
        (FloatUnOp::Sqrt | FloatUnOp::Rcp, false, Some(r)) => FloatMode::Round(r),
        (FloatUnOp::Sqrt | FloatUnOp::Rcp | FloatUnOp::Rsqrt, true, None) => FloatMode::Approx,
        (FloatUnOp::Ex2 | FloatUnOp::Lg2 | FloatUnOp::Sin | FloatUnOp::Cos, true, None)
            if ty == Ty::F32 =>
        {
            FloatMode::Approx
        }
        (FloatUnOp::Ex2 | FloatUnOp::Tanh, true, None) => FloatMode::Approx,
        _ => return Err("rounding modifiers do not fit this operation".into()),
    };
    let ftz = m.has("ftz");
    Ok(Op::FloatUn {
        op,
        mode,
        ftz,
        ty,
        dst,
        a,
    })
}

fn decode_setp(m: &mut Mods, ops: &[String], n: &Names) -> Result<Op, String> {
    const CMPS: [&str; 18] = [
        "eq", "ne", "lt", "le", "gt", "ge", "lo", "ls", "hi", "hs", "equ", "neu", "ltu", "leu",
        "gtu", "geu", "num", "nan",
    ];
    let cmp_name = m.one_of(&CMPS).ok_or("setp needs a comparison")?;
    let cmp = match cmp_name {
        "eq" => Cmp::Eq,
        "ne" => Cmp::Ne,
        "lt" => Cmp::Lt,
        "le" => Cmp::Le,
        "gt" => Cmp::Gt,
        "ge" => Cmp::Ge,
        "lo" => Cmp::Lo,
        "ls" => Cmp::Ls,
        "hi" => Cmp::Hi,
        "hs" => Cmp::Hs,
        "equ" => Cmp::Equ,
        "neu" => Cmp::Neu,
        "ltu" => Cmp::Ltu,
        "leu" => Cmp::Leu,
        "gtu" => Cmp::Gtu,
        "geu" => Cmp::Geu,
        "num" => Cmp::Num,
        _ => Cmp::Nan,
    };
    let bool_op = m.one_of(&["and", "or", "xor"]).map(|b| match b {
        "and" => BoolOp::And,
        "or" => BoolOp::Or,
        _ => BoolOp::Xor,
    });
    let ftz = m.has("ftz");
    let ty = m.ty()?;
    let float_only = matches!(
        cmp,
        Cmp::Equ | Cmp::Neu | Cmp::Ltu | Cmp::Leu | Cmp::Gtu | Cmp::Geu | Cmp::Num | Cmp::Nan
    );
    let int_only = matches!(cmp, Cmp::Lo | Cmp::Ls | Cmp::Hi | Cmp::Hs);
    if (float_only && !ty.is_float()) || (int_only && ty.is_float()) {
        return Err(format!(".{cmp_name} does not apply to {ty:?}"));
    }
    let expected = if bool_op.is_some() { 4 } else { 3 };
    want(ops, expected)?;
    let (dst, dst2) = match ops[0].split_once('|') {
        Some((p, q)) => (n.dst(p)?, Some(n.dst(q)?)),
        None => (n.dst(&ops[0])?, None),
    };
    let combine = match bool_op {
        Some(b) => {
            let t = ops[3].trim();
            let (neg, p) = match t.strip_prefix('!') {
                Some(p) => (true, p),
                None => (false, t),
            };
            Some((b, n.src(p, Ty::Pred)?, neg))
        }
        None => None,
    };
    Ok(Op::Setp {
        cmp,
        ty,
        ftz,
        dst,
        dst2,
        a: n.src(&ops[1], ty)?,
        b: n.src(&ops[2], ty)?,
        combine,
    })
}

fn decode_cvt(m: &mut Mods, ops: &[String], n: &Names) -> Result<Op, String> {
    want(ops, 2)?;
    let irnd = m.one_of(&["rni", "rzi", "rmi", "rpi"]).map(|r| match r {
        "rni" => IRnd::Rni,
        "rzi" => IRnd::Rzi,
        "rmi" => IRnd::Rmi,
        _ => IRnd::Rpi,
    });
    let rnd = m.rnd();
    let ftz = m.has("ftz");
    let sat = m.has("sat");
    let types = m.types();
    let [dty, sty] = types[..] else {
        return Err("cvt needs a destination and a source type".into());
    };
    if irnd.is_some() && rnd.is_some() {
        return Err("cvt with two rounding modifiers".into());
    }
    if dty.is_int() && sty.is_float() && irnd.is_none() {
        return Err("float-to-integer cvt needs .rni/.rzi/.rmi/.rpi".into());
    }
    if irnd.is_some() && !sty.is_float() {
        return Err("integer rounding on an integer source".into());
    }
    if rnd.is_some() && !dty.is_float() {
        return Err("float rounding on an integer destination".into());
    }
    let narrowing = dty.is_float()
        && (sty.is_int() || dty.bits() < sty.bits() || dty == Ty::BF16 && sty == Ty::F16);
    if narrowing && rnd.is_none() {
        return Err(format!("cvt.{dty:?}.{sty:?} needs a rounding modifier"));
    }
    Ok(Op::Cvt {
        dty,
        sty,
        rnd,
        irnd,
        sat,
        ftz,
        dst: n.dst(&ops[0])?,
        src: n.src(&ops[1], sty)?,
    })
}

fn decode_bar(m: &mut Mods, ops: &[String], n: &Names) -> Result<Op, String> {
    if m.has("warp") {
        m.has("sync");
        want(ops, 1)?;
        return Ok(Op::BarWarpSync {
            mask: n.src(&ops[0], Ty::B32)?,
        });
    }
    if !m.has("sync") {
        return Err("only bar.sync / barrier.sync are supported".into());
    }
    m.has("aligned");
    if ops.len() != 1 {
        return Err("bar.sync with a thread count is not supported".into());
    }
    Ok(Op::BarSync {
        id: n.src(&ops[0], Ty::U32)?,
    })
}

fn decode_shfl(m: &mut Mods, ops: &[String], n: &Names) -> Result<Op, String> {
    want(ops, 5)?;
    if !m.has("sync") {
        return Err("only shfl.sync is supported".into());
    }
    let mode = match m.one_of(&["up", "down", "bfly", "idx"]) {
        Some("up") => ShflMode::Up,
        Some("down") => ShflMode::Down,
        Some("bfly") => ShflMode::Bfly,
        Some(_) => ShflMode::Idx,
        None => return Err("shfl needs .up/.down/.bfly/.idx".into()),
    };
    if m.ty()? != Ty::B32 {
        return Err("shfl is .b32 only".into());
    }
    let (dst, pdst) = match ops[0].split_once('|') {
        Some((d, p)) => (n.dst(d)?, Some(n.dst(p)?)),
        None => (n.dst(&ops[0])?, None),
    };
    Ok(Op::Shfl {
        mode,
        dst,
        pdst,
        a: n.src(&ops[1], Ty::B32)?,
        b: n.src(&ops[2], Ty::B32)?,
        c: n.src(&ops[3], Ty::B32)?,
        mask: n.src(&ops[4], Ty::B32)?,
    })
}

fn decode_atom(m: &mut Mods, ops: &[String], n: &Names) -> Result<Op, String> {
    m.ignore_memory_hints();
    let space = m.space();
    let op = match m.one_of(&[
        "add", "min", "max", "and", "or", "xor", "exch", "cas", "inc", "dec",
    ]) {
        Some("add") => AtomOp::Add,
        Some("min") => AtomOp::Min,
        Some("max") => AtomOp::Max,
        Some("and") => AtomOp::And,
        Some("or") => AtomOp::Or,
        Some("xor") => AtomOp::Xor,
        Some("exch") => AtomOp::Exch,
        Some("cas") => AtomOp::Cas,
        Some("inc") => AtomOp::Inc,
        Some("dec") => AtomOp::Dec,
        _ => return Err("atom/red needs an operation".into()),
    };
    let ty = m.ty()?;
    if ty.is_float() && !matches!(op, AtomOp::Add | AtomOp::Exch) {
        return Err(format!("float atom {op:?} is not supported"));
    }
    if ty.is_float() && ty != Ty::F32 && ty != Ty::F64 {
        return Err(format!("atom on {ty:?} is not supported"));
    }
    let (dst, rest) = if m.op == "atom" {
        (Some(n.dst(ops.first().ok_or("no operands")?)?), &ops[1..])
    } else {
        (None, ops)
    };
    let need = if op == AtomOp::Cas { 3 } else { 2 };
    want(rest, need)?;
    Ok(Op::Atom {
        space,
        op,
        ty,
        dst,
        addr: n.addr(&rest[0])?,
        b: n.src(&rest[1], ty)?,
        c: if op == AtomOp::Cas {
            Some(n.src(&rest[2], ty)?)
        } else {
            None
        },
    })
}

fn decode_ldmatrix(m: &mut Mods, ops: &[String], n: &Names) -> Result<Op, String> {
    want(ops, 2)?;
    if !(m.has("sync") && m.has("aligned") && m.has("m8n8")) {
        return Err("only ldmatrix.sync.aligned.m8n8 is supported".into());
    }
    let count = match m.one_of(&["x1", "x2", "x4"]) {
        Some("x1") => 1,
        Some("x2") => 2,
        Some(_) => 4,
        None => return Err("ldmatrix needs .x1/.x2/.x4".into()),
    };
    let trans = m.has("trans");
    if m.space() != Space::Shared {
        return Err("ldmatrix without .shared is not supported".into());
    }
    if m.ty()? != Ty::B16 {
        return Err("ldmatrix is .b16 only here".into());
    }
    let parts = n.vector(&ops[0])?;
    if parts.len() != count {
        return Err(format!("{} registers for .x{count}", parts.len()));
    }
    Ok(Op::Ldmatrix {
        trans,
        dsts: parts.iter().map(|p| n.dst(p)).collect::<Result<_, _>>()?,
        addr: n.addr(&ops[1])?,
    })
}

fn decode_mma(m: &mut Mods, ops: &[String], n: &Names) -> Result<Op, String> {
    want(ops, 4)?;
    if !(m.has("sync") && m.has("aligned") && m.has("m16n8k16") && m.has("row") && m.has("col")) {
        return Err("only mma.sync.aligned.m16n8k16.row.col is supported".into());
    }
    let types = m.types();
    let bf16 = match types[..] {
        [Ty::F32, Ty::F16, Ty::F16, Ty::F32] => false,
        [Ty::F32, Ty::BF16, Ty::BF16, Ty::F32] => true,
        _ => return Err(format!("mma types {types:?} are not supported")),
    };
    let regs = |i: usize, k: usize| -> Result<Vec<&str>, String> {
        let v = n.vector(&ops[i])?;
        if v.len() == k {
            Ok(v)
        } else {
            Err(format!(
                "operand {i} has {} registers, expected {k}",
                v.len()
            ))
        }
    };
    let d = regs(0, 4)?;
    let a = regs(1, 4)?;
    let b = regs(2, 2)?;
    let c = regs(3, 4)?;
    let src4 = |v: &[&str], ty: Ty| -> Result<[Src; 4], String> {
        Ok([
            n.src(v[0], ty)?,
            n.src(v[1], ty)?,
            n.src(v[2], ty)?,
            n.src(v[3], ty)?,
        ])
    };
    Ok(Op::Mma {
        bf16,
        d: [n.dst(d[0])?, n.dst(d[1])?, n.dst(d[2])?, n.dst(d[3])?],
        a: src4(&a, Ty::B32)?,
        b: [n.src(b[0], Ty::B32)?, n.src(b[1], Ty::B32)?],
        c: src4(&c, Ty::F32)?,
    })
}

fn decode_cp_async(m: &mut Mods, ops: &[String], n: &Names) -> Result<Op, String> {
    if !m.has("async") {
        return Err("only cp.async is supported".into());
    }
    if m.has("commit_group") {
        want(ops, 0)?;
        return Ok(Op::CpAsyncCommit);
    }
    if m.has("wait_all") {
        want(ops, 0)?;
        return Ok(Op::CpAsyncWait { keep: 0, all: true });
    }
    if m.has("wait_group") {
        want(ops, 1)?;
        let Src::Imm(k) = n.src(&ops[0], Ty::U32)? else {
            return Err("wait_group needs a constant".into());
        };
        return Ok(Op::CpAsyncWait {
            keep: k as u32,
            all: false,
        });
    }
    let cg = m.has("cg");
    if !cg && !m.has("ca") {
        return Err("cp.async needs .ca or .cg".into());
    }
    if !(m.has("shared") || m.has("shared::cta")) || !m.has("global") {
        return Err("cp.async is .shared.global only".into());
    }
    m.ignore_memory_hints();
    if ops.len() != 3 && ops.len() != 4 {
        return Err("cp.async takes 3 or 4 operands".into());
    }
    let Src::Imm(size) = n.src(&ops[2], Ty::U32)? else {
        return Err("cp.async size must be a constant".into());
    };
    if !matches!(size, 4 | 8 | 16) || (cg && size != 16) {
        return Err(format!("cp.async size {size} is not allowed"));
    }
    Ok(Op::CpAsync {
        size: size as u32,
        src_size: match ops.get(3) {
            Some(s) => Some(n.src(s, Ty::U32)?),
            None => None,
        },
        dst: n.addr(&ops[0])?,
        src: n.addr(&ops[1])?,
    })
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
