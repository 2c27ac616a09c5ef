//! Operand text to decoded operands: registers by number, immediates converted to the
//! instruction's type, special registers, and `[base+offset]` addresses.

use super::instr::{Addr, Base, Dst, Special, Src, Ty};
use half::{bf16, f16};
use std::collections::HashMap;

/// A literal as written, before the instruction's type gives it bits.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Literal {
    Int(i128),
    /// `0fXXXXXXXX`.
    F32Bits(u32),
    /// `0dXXXXXXXXXXXXXXXX`.
    F64Bits(u64),
    /// A decimal float (`1.5`, `1e-3`): a double per the ISA.
    Float(f64),
}

/// Parses a numeric literal.
pub fn literal(text: &str) -> Option<Literal> {
    let t = text.trim();
    let (neg, body) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t),
    };
    let lower = body.to_ascii_lowercase();
    if let Some(h) = lower.strip_prefix("0f") {
        if neg || h.len() != 8 {
            return None;
        }
        return u32::from_str_radix(h, 16).ok().map(Literal::F32Bits);
    }
    if let Some(h) = lower.strip_prefix("0d") {
        if neg || h.len() != 16 {
            return None;
        }
        return u64::from_str_radix(h, 16).ok().map(Literal::F64Bits);
    }
    let digits = lower.trim_end_matches('u');
    let magnitude = if let Some(h) = digits.strip_prefix("0x") {
        i128::from_str_radix(h, 16).ok()
    } else if let Some(bin) = digits.strip_prefix("0b") {
        i128::from_str_radix(bin, 2).ok()
    } else if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        if digits.len() > 1 && digits.starts_with('0') {
            i128::from_str_radix(&digits[1..], 8).ok()
        } else {
            digits.parse::<i128>().ok()
        }
    } else {
        None
    };
    if let Some(m) = magnitude {
        return Some(Literal::Int(if neg { -m } else { m }));
    }
    if body
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_digit() || b == b'.')
        && let Ok(v) = t.parse::<f64>()
    {
        return Some(Literal::Float(v));
    }
    None
}

/// The bits a literal has as an operand of type `ty` (a float literal in a float
/// instruction is rounded to nearest, an integer literal is truncated to the width).
pub fn literal_bits(lit: Literal, ty: Ty) -> u64 {
    let value = match lit {
        Literal::Int(i) => {
            if ty.is_float() {
                i as f64
            } else {
                return (i as u64) & ty.mask();
            }
        }
        Literal::F32Bits(b) => {
            if ty.is_int() || ty == Ty::F32 {
                return u64::from(b) & ty.mask();
            }
            f64::from(f32::from_bits(b))
        }
        Literal::F64Bits(b) => {
            if ty.is_int() || ty == Ty::F64 {
                return b & ty.mask();
            }
            f64::from_bits(b)
        }
        Literal::Float(v) => v,
    };
    match ty {
        Ty::F64 | Ty::B64 | Ty::U64 | Ty::S64 => value.to_bits(),
        Ty::F16 | Ty::B16 | Ty::U16 | Ty::S16 => u64::from(f16::from_f64(value).to_bits()),
        Ty::BF16 => u64::from(bf16::from_f64(value).to_bits()),
        _ => u64::from((value as f32).to_bits()) & ty.mask(),
    }
}

/// What names resolve to inside one entry.
pub struct Names {
    pub regs: HashMap<String, u32>,
    pub shared: HashMap<String, u64>,
    pub params: HashMap<String, u64>,
    pub labels: HashMap<String, usize>,
}

fn special(name: &str) -> Option<Special> {
    let axis = |s: &str| match s {
        "x" => Some(0),
        "y" => Some(1),
        "z" => Some(2),
        _ => None,
    };
    if let Some((reg, ax)) = name.split_once('.') {
        let a = axis(ax)?;
        return match reg {
            "%tid" => Some(Special::Tid(a)),
            "%ntid" => Some(Special::Ntid(a)),
            "%ctaid" => Some(Special::Ctaid(a)),
            "%nctaid" => Some(Special::Nctaid(a)),
            _ => None,
        };
    }
    match name {
        "%laneid" => Some(Special::LaneId),
        "WARP_SZ" => Some(Special::WarpSize),
        _ => None,
    }
}

impl Names {
    pub fn reg(&self, text: &str) -> Result<u32, String> {
        self.regs
            .get(text.trim())
            .copied()
            .ok_or_else(|| format!("'{}' is not a declared register", text.trim()))
    }

    /// A source operand of type `ty`.
    pub fn src(&self, text: &str, ty: Ty) -> Result<Src, String> {
        let t = text.trim();
        if let Some(r) = self.regs.get(t) {
            return Ok(Src::Reg(*r));
        }
        if let Some(s) = special(t) {
            return Ok(Src::Special(s));
        }
        if let Some(off) = self.shared.get(t) {
            return Ok(Src::Imm(*off));
        }
        if let Some(lit) = literal(t) {
            return Ok(Src::Imm(literal_bits(lit, ty)));
        }
        Err(format!(
            "'{t}' is not a register, special register or literal"
        ))
    }

    pub fn dst(&self, text: &str) -> Result<Dst, String> {
        let t = text.trim();
        if t == "_" {
            return Ok(Dst::Sink);
        }
        self.reg(t).map(Dst::Reg)
    }

    /// The parts of a `{a, b, ...}` vector operand.
    pub fn vector<'a>(&self, text: &'a str) -> Result<Vec<&'a str>, String> {
        let inner = text
            .trim()
            .strip_prefix('{')
            .and_then(|s| s.strip_suffix('}'))
            .ok_or_else(|| format!("'{text}' is not a vector operand {{...}}"))?;
        Ok(inner.split(',').map(str::trim).collect())
    }

    /// `[base]`, `[base+imm]`, `[base-imm]`, `[imm]`: base a register, a `.shared` array
    /// or a `.param`.
    pub fn addr(&self, text: &str) -> Result<Addr, String> {
        let inner = text
            .trim()
            .strip_prefix('[')
            .and_then(|s| s.strip_suffix(']'))
            .ok_or_else(|| format!("'{text}' is not an address [...]"))?
            .replace(' ', "");
        let (base_text, offset) = match inner.find(['+', '-']).filter(|&i| i > 0) {
            Some(i) => {
                let (b, o) = inner.split_at(i);
                let o = o.strip_prefix('+').unwrap_or(o);
                let Some(Literal::Int(v)) = literal(o) else {
                    return Err(format!("bad address offset '{o}' in '{text}'"));
                };
                let v = i64::try_from(v).map_err(|_| format!("offset too large in '{text}'"))?;
                (b.to_string(), v)
            }
            None => (inner.clone(), 0),
        };
        let base = if let Some(r) = self.regs.get(&base_text) {
            Base::Reg(*r)
        } else if let Some(o) = self.shared.get(&base_text) {
            Base::Fixed(*o)
        } else if let Some(o) = self.params.get(&base_text) {
            Base::Fixed(*o)
        } else if let Some(Literal::Int(v)) = literal(&base_text) {
            Base::Fixed(v as u64)
        } else {
            return Err(format!("unknown address base '{base_text}' in '{text}'"));
        };
        Ok(Addr { base, offset })
    }
}
