//! Operand syntax: registers and ranges, named registers, inline constants and
//! literals, neg/abs modifiers, and `[a,b,c]` bit lists, as LLVM writes them.

use super::operand::{FloatConst, Operand};

/// An integer in decimal or `0x` hex, optionally negative.
pub(super) fn parse_int(s: &str) -> Option<i64> {
    let (neg, digits) = match s.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, s),
    };
    let v = match digits.strip_prefix("0x") {
        Some(h) => i64::from_str_radix(h, 16).ok()?,
        None => digits.parse().ok()?,
    };
    Some(if neg { -v } else { v })
}

/// One source as written: operand, register count, neg and abs.
pub(super) struct Src {
    pub o: Operand,
    pub width: u8,
    pub neg: bool,
    pub abs: bool,
}

/// Splits at commas outside brackets and parentheses.
pub(super) fn split_top(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut depth, mut start) = (0i32, 0);
    for (i, c) in s.char_indices() {
        match c {
            '[' | '(' => depth += 1,
            ']' | ')' => depth -= 1,
            ',' if depth == 0 => {
                out.push(s[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(s[start..].trim());
    out
}

fn reg(s: &str) -> Option<(Operand, u8)> {
    let (file, body) = s.split_at_checked(1)?;
    let (first, width) = match body.strip_prefix('[').and_then(|b| b.strip_suffix(']')) {
        Some(r) => {
            let (a, b) = r.split_once(':')?;
            let (a, b): (u8, u8) = (a.parse().ok()?, b.parse().ok()?);
            (a, b.checked_sub(a)?.checked_add(1)?)
        }
        None => (body.parse().ok()?, 1),
    };
    match file {
        "s" => Some((Operand::Sgpr(first), width)),
        "v" => Some((Operand::Vgpr(first), width)),
        _ => None,
    }
}

fn named(s: &str) -> Option<(Operand, u8)> {
    Some(match s {
        "vcc_lo" => (Operand::VccLo, 1),
        "vcc" => (Operand::VccLo, 2),
        "vcc_hi" => (Operand::VccHi, 1),
        "exec_lo" => (Operand::ExecLo, 1),
        "exec" => (Operand::ExecLo, 2),
        "exec_hi" => (Operand::ExecHi, 1),
        "null" | "off" => (Operand::Null, 0),
        "m0" => (Operand::M0, 1),
        "src_scc" => (Operand::Scc, 1),
        _ => return None,
    })
}

fn constant(s: &str) -> Option<Operand> {
    if let Some(f) = FloatConst::all()
        .iter()
        .find(|f| f.text(false) == s || f.text(true) == s)
    {
        return Some(Operand::Float(*f));
    }
    let v = parse_int(s)?;
    if s.starts_with("0x") {
        return u32::try_from(v).ok().map(Operand::Literal);
    }
    match v {
        -16..=64 => Some(Operand::Int(v as i8)),
        _ => i32::try_from(v).ok().map(|v| Operand::Literal(v as u32)),
    }
}

pub(super) fn src(s: &str) -> Option<Src> {
    if let Some(inner) = s.strip_prefix("neg(").and_then(|t| t.strip_suffix(')')) {
        return src(inner).map(|x| Src { neg: true, ..x });
    }
    // `-x` negates a register or an abs group; `-1` and `-4.0` are constants.
    let negated = |t: &&str| t.starts_with('|') || reg(t).or_else(|| named(t)).is_some();
    if let Some(inner) = s.strip_prefix('-').filter(negated) {
        return src(inner).map(|x| Src { neg: true, ..x });
    }
    if let Some(inner) = s.strip_prefix('|').and_then(|t| t.strip_suffix('|')) {
        return src(inner).map(|x| Src { abs: true, ..x });
    }
    let (o, width) = reg(s)
        .or_else(|| named(s))
        .or_else(|| constant(s).map(|c| (c, 0)))?;
    Some(Src {
        o,
        width,
        neg: false,
        abs: false,
    })
}

pub(super) fn bit_list(s: &str) -> Option<u8> {
    let body = s.strip_prefix('[')?.strip_suffix(']')?;
    let mut v = 0u8;
    for (i, b) in body.split(',').enumerate() {
        match b {
            "0" => {}
            "1" if i < 8 => v |= 1 << i,
            _ => return None,
        }
    }
    Some(v)
}
