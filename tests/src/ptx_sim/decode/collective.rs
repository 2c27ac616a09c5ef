//! Decoding the instructions a warp or CTA executes together: barriers, shuffles,
//! `ldmatrix` and `mma`.

use super::{Mods, want};
use crate::ptx_sim::instr::*;
use crate::ptx_sim::operand::Names;

pub(super) fn decode_bar(m: &mut Mods, ops: &[String], n: &Names) -> Result<Op, String> {
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

pub(super) fn decode_shfl(m: &mut Mods, ops: &[String], n: &Names) -> Result<Op, String> {
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

pub(super) fn decode_ldmatrix(m: &mut Mods, ops: &[String], n: &Names) -> Result<Op, String> {
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

pub(super) fn decode_mma(m: &mut Mods, ops: &[String], n: &Names) -> Result<Op, String> {
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
