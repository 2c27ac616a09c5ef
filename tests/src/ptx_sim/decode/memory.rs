//! Decoding loads, stores, atomics and `cp.async`.

use super::{Mods, want};
use crate::ptx_sim::instr::*;
use crate::ptx_sim::operand::Names;

pub(super) fn decode_mem(m: &mut Mods, ops: &[String], n: &Names) -> Result<Op, String> {
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

pub(super) fn decode_atom(m: &mut Mods, ops: &[String], n: &Names) -> Result<Op, String> {
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

pub(super) fn decode_cp_async(m: &mut Mods, ops: &[String], n: &Names) -> Result<Op, String> {
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
