//! The per-thread arithmetic instructions: moves, integer and float ALU, comparisons,
//! selects and conversions, on register values (semantics in `alu.rs` and `cvt.rs`).

use super::alu;
use super::approx::{ApproxKind, perturb};
use super::cvt::convert;
use super::exec::Ctx;
use super::instr::{BoolOp, FloatMode, FloatOp, FloatUnOp, Op, Ty};
use super::thread::Thread;

/// Executes `op` if it is an arithmetic instruction; `Ok(false)` if it is not one.
pub fn compute(ctx: &Ctx, t: &mut Thread, op: &Op) -> Result<bool, String> {
    match op {
        Op::Mov { ty, dst, src } => {
            let v = ctx.read(t, *src, *ty)?;
            t.write(*dst, *ty, v);
        }
        Op::Pack { part, dst, srcs } => {
            let mut v = 0u64;
            for (i, s) in srcs.iter().enumerate() {
                v |= ctx.read(t, *s, *part)? << (i as u32 * part.bits());
            }
            t.write(*dst, bits_ty(part.bits() * srcs.len() as u32), v);
        }
        Op::Unpack { part, dsts, src } => {
            let v = ctx.read(t, *src, bits_ty(part.bits() * dsts.len() as u32))?;
            for (i, d) in dsts.iter().enumerate() {
                t.write(*d, *part, v >> (i as u32 * part.bits()));
            }
        }
        Op::Int { op, ty, dst, a, b } => {
            let b_ty = if matches!(op, super::instr::IntOp::Shl | super::instr::IntOp::Shr) {
                Ty::U32
            } else {
                *ty
            };
            let v = alu::int_binary(*op, *ty, ctx.read(t, *a, *ty)?, ctx.read(t, *b, b_ty)?)?;
            t.write(*dst, *ty, v);
        }
        Op::MulWide { ty, dst, a, b } => {
            let (w, v) = alu::mul_wide(*ty, ctx.read(t, *a, *ty)?, ctx.read(t, *b, *ty)?)?;
            t.write(*dst, w, v);
        }
        Op::Mad {
            mode,
            sat,
            ty,
            dst,
            a,
            b,
            c,
        } => {
            let c_ty = if *mode == super::instr::MadMode::Wide {
                super::decode::wide_of(*ty)?
            } else {
                *ty
            };
            let (av, bv, cv) = (
                ctx.read(t, *a, *ty)?,
                ctx.read(t, *b, *ty)?,
                ctx.read(t, *c, c_ty)?,
            );
            let (w, v) = alu::mad(*mode, *sat, *ty, av, bv, cv)?;
            t.write(*dst, w, v);
        }
        Op::IntUn { op, ty, dst, a } => {
            let v = alu::int_unary(*op, *ty, ctx.read(t, *a, *ty)?);
            let out_ty = match op {
                super::instr::IntUnOp::Popc | super::instr::IntUnOp::Clz => Ty::U32,
                _ => *ty,
            };
            t.write(*dst, out_ty, v);
        }
        Op::Float {
            op,
            rnd,
            ftz,
            sat,
            ty,
            dst,
            a,
            b,
        } => {
            let (av, bv) = (ctx.read(t, *a, *ty)?, ctx.read(t, *b, *ty)?);
            let mut v = alu::float_binary(*op, *ty, *rnd, *ftz, *sat, av, bv)?;
            if *op == FloatOp::DivApprox {
                let q = f64::from(f32::from_bits(av as u32)) / f64::from(f32::from_bits(bv as u32));
                v = perturb(ctx.approx, ApproxKind::Div, *ty, av ^ (bv << 32), 0.0, q, v);
            }
            t.write(*dst, *ty, v);
        }
        Op::Fma {
            rnd,
            ftz,
            sat,
            ty,
            dst,
            a,
            b,
            c,
        } => {
            let (av, bv, cv) = (
                ctx.read(t, *a, *ty)?,
                ctx.read(t, *b, *ty)?,
                ctx.read(t, *c, *ty)?,
            );
            t.write(*dst, *ty, alu::fma(*ty, *rnd, *ftz, *sat, av, bv, cv)?);
        }
        Op::FloatUn {
            op,
            mode,
            ftz,
            ty,
            dst,
            a,
        } => {
            let x = ctx.read(t, *a, *ty)?;
            let mut v = alu::float_unary(*op, *mode, *ftz, *ty, x)?;
            if let (FloatMode::Approx, Some(kind)) = (mode, approx_kind(*op)) {
                let xv = f64::from(f32::from_bits(x as u32));
                v = perturb(ctx.approx, kind, *ty, x, xv, exact_value(kind, xv), v);
            }
            t.write(*dst, *ty, v);
        }
        Op::Setp {
            cmp,
            ty,
            ftz,
            dst,
            dst2,
            a,
            b,
            combine,
        } => {
            let r = alu::compare(
                *cmp,
                *ty,
                *ftz,
                ctx.read(t, *a, *ty)?,
                ctx.read(t, *b, *ty)?,
            )?;
            let (p, q) = match combine {
                None => (r, !r),
                Some((op, c, neg)) => {
                    let c = (ctx.read(t, *c, Ty::Pred)? == 1) != *neg;
                    let f = |x: bool| match op {
                        BoolOp::And => x && c,
                        BoolOp::Or => x || c,
                        BoolOp::Xor => x != c,
                    };
                    (f(r), f(!r))
                }
            };
            t.write(*dst, Ty::Pred, u64::from(p));
            if let Some(d2) = dst2 {
                t.write(*d2, Ty::Pred, u64::from(q));
            }
        }
        Op::Selp { ty, dst, a, b, p } => {
            // Both operands are read (an unwritten one is an error even if not chosen).
            let (av, bv) = (ctx.read(t, *a, *ty)?, ctx.read(t, *b, *ty)?);
            let v = if ctx.read(t, *p, Ty::Pred)? == 1 {
                av
            } else {
                bv
            };
            t.write(*dst, *ty, v);
        }
        Op::Cvt {
            dty,
            sty,
            rnd,
            irnd,
            sat,
            ftz,
            dst,
            src,
        } => {
            let v = convert(
                *dty,
                *sty,
                *rnd,
                *irnd,
                *sat,
                *ftz,
                ctx.read(t, *src, *sty)?,
            )?;
            t.write(*dst, *dty, v);
        }
        _ => return Ok(false),
    }
    Ok(true)
}

/// The untyped bits type of a width.
pub fn bits_ty(bits: u32) -> Ty {
    match bits {
        8 => Ty::B8,
        16 => Ty::B16,
        32 => Ty::B32,
        _ => Ty::B64,
    }
}

/// The approximate instruction a float unary op is under `.approx`.
fn approx_kind(op: FloatUnOp) -> Option<ApproxKind> {
    Some(match op {
        FloatUnOp::Ex2 => ApproxKind::Ex2,
        FloatUnOp::Lg2 => ApproxKind::Lg2,
        FloatUnOp::Rsqrt => ApproxKind::Rsqrt,
        FloatUnOp::Sqrt => ApproxKind::Sqrt,
        FloatUnOp::Sin => ApproxKind::Sin,
        FloatUnOp::Cos => ApproxKind::Cos,
        FloatUnOp::Rcp => ApproxKind::Rcp,
        FloatUnOp::Tanh => ApproxKind::Tanh,
        FloatUnOp::Neg | FloatUnOp::Abs => return None,
    })
}

/// The exact result of an approximate unary op (in f64, far closer than f32's ULP).
fn exact_value(kind: ApproxKind, x: f64) -> f64 {
    match kind {
        ApproxKind::Ex2 => x.exp2(),
        ApproxKind::Lg2 => x.log2(),
        ApproxKind::Rsqrt => 1.0 / x.sqrt(),
        ApproxKind::Sqrt => x.sqrt(),
        ApproxKind::Sin => x.sin(),
        ApproxKind::Cos => x.cos(),
        ApproxKind::Rcp => 1.0 / x,
        ApproxKind::Tanh => x.tanh(),
        ApproxKind::Div => f64::NAN,
    }
}
