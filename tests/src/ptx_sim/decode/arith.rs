//! Decoding moves, integer and float arithmetic, comparisons and conversions.

use super::{Mods, want};
use crate::ptx_sim::instr::*;
use crate::ptx_sim::operand::Names;

pub(super) fn decode_mov(m: &mut Mods, ops: &[String], n: &Names) -> Result<Op, String> {
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

pub(super) fn decode_binary(m: &mut Mods, ops: &[String], n: &Names) -> Result<Op, String> {
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
            ("div", false) if mode.is_some() => FloatOp::DivApprox,
            ("div", false) => FloatOp::Div,
            ("min", false) => FloatOp::Min,
            ("max", false) => FloatOp::Max,
            ("min", true) => FloatOp::MinNaN,
            ("max", true) => FloatOp::MaxNaN,
            (o, _) => return Err(format!("'{o}' has no float form here")),
        };
        if mode.is_some() && op != FloatOp::DivApprox {
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

pub(super) fn decode_mad(m: &mut Mods, ops: &[String], n: &Names) -> Result<Op, String> {
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

pub(super) fn decode_unary(m: &mut Mods, ops: &[String], n: &Names) -> Result<Op, String> {
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

pub(super) fn decode_setp(m: &mut Mods, ops: &[String], n: &Names) -> Result<Op, String> {
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

pub(super) fn decode_cvt(m: &mut Mods, ops: &[String], n: &Names) -> Result<Op, String> {
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
