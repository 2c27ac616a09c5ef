//! VOPD assembly text (`X :: Y`) → instruction value.

use super::error::ParseError;
use super::format::{Dual, Inst};
use super::opcode::{Fmt, Op};
use super::operand::Operand;
use super::parse_operand::{split_top, src};
use super::vopd::{check, k_slot};

/// Parses `v_dual_... :: v_dual_...`.
pub(super) fn parse(text: &str) -> Result<Inst, ParseError> {
    let bad = |what| ParseError::Bad {
        text: text.into(),
        what,
    };
    let (a, b) = text.split_once("::").ok_or_else(|| bad("no `::`"))?;
    let x = half(text, a.trim())?;
    let y = half(text, b.trim())?;
    check(&x, &y).map_err(|err| ParseError::Invalid {
        text: text.into(),
        err,
    })?;
    Ok(Inst::Vopd { x, y })
}

fn half(text: &str, s: &str) -> Result<Dual, ParseError> {
    let bad = |what| ParseError::Bad {
        text: text.into(),
        what,
    };
    let (mnemonic, rest) = s.split_once(' ').unwrap_or((s, ""));
    let op = Op::by_name(mnemonic)
        .filter(|op| op.info().fmt == Fmt::Vopd)
        .ok_or_else(|| ParseError::UnknownMnemonic(mnemonic.into()))?;
    let info = op.info();
    let ops = split_top(rest);
    if ops.len() != 1 + info.num_src() {
        return Err(bad("wrong number of operands"));
    }
    let read = |i: usize| -> Result<Operand, ParseError> {
        let x = src(ops[i]).ok_or_else(|| bad("unreadable operand"))?;
        if x.neg || x.abs || x.width > 1 {
            return Err(bad("VOPD operands take no modifiers or register ranges"));
        }
        Ok(x.o)
    };
    let vdst = read(0)?;
    let mut srcs = [Operand::None; 3];
    for (i, slot) in srcs.iter_mut().enumerate().take(info.num_src()) {
        let o = read(1 + i)?;
        *slot = if Some(i) == k_slot(info) {
            // K is always a literal dword, whatever value it has.
            match o {
                Operand::Int(n) => Operand::Literal(n as i32 as u32),
                Operand::Float(f) => Operand::Literal(f.f32_bits()),
                Operand::Literal(v) => Operand::Literal(v),
                _ => return Err(bad("K must be a constant")),
            }
        } else {
            o
        };
    }
    Ok(Dual {
        op,
        vdst,
        src: srcs,
    })
}
