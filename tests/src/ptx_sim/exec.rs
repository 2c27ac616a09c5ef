//! Running one thread up to its next collective instruction (which the scheduler in
//! `cta.rs` runs for the whole warp or CTA) or its exit.

use super::alu;
use super::cvt::convert;
use super::float::Fmt;
use super::instr::{Addr, AtomOp, Base, BoolOp, Dst, Instr, Op, Space, Src, Ty};
use super::memory::{GlobalMemory, SHARED_WINDOW, SharedMemory, read_flat};
use super::parse::Entry;
use super::thread::{AsyncCopy, Dims, State, Thread};

/// What one CTA's threads share while they run.
pub struct Ctx<'a> {
    pub entry: &'a Entry,
    pub dims: Dims,
    pub params: &'a [u8],
    pub shared: SharedMemory,
    pub global: &'a mut GlobalMemory,
    /// Instructions left before the launch is declared runaway.
    pub budget: u64,
    /// The PTX line of the instruction being executed (for the `.nc` bookkeeping).
    pub line: usize,
}

/// An error of one thread at one PTX line.
pub struct Fault {
    pub line: usize,
    pub message: String,
}

impl<'a> Ctx<'a> {
    pub fn read(&self, t: &Thread, src: Src, ty: Ty) -> Result<u64, String> {
        t.read(self.entry, &self.dims, src, ty)
    }

    /// The address `[base+offset]` as a number.
    pub fn address(&self, t: &Thread, addr: Addr) -> Result<u64, String> {
        let base = match addr.base {
            Base::Reg(r) => t.reg(self.entry, r)?,
            Base::Fixed(v) => v,
        };
        Ok(base.wrapping_add(addr.offset as u64))
    }

    /// Which space a generic address is in, and the address within it.
    fn resolve(&self, space: Space, a: u64) -> (Space, u64) {
        match space {
            Space::Generic if (SHARED_WINDOW..SHARED_WINDOW + self.shared.size()).contains(&a) => {
                (Space::Shared, a - SHARED_WINDOW)
            }
            Space::Generic => (Space::Global, a),
            s => (s, a),
        }
    }

    pub fn load(&self, space: Space, a: u64, out: &mut [u8]) -> Result<(), String> {
        match self.resolve(space, a) {
            (Space::Shared, a) => self.shared.read(a, out),
            (Space::Param, a) => read_flat("param", self.params, a, out),
            (_, a) => self.global.read(a, out),
        }
    }

    pub fn store(&mut self, space: Space, a: u64, data: &[u8]) -> Result<(), String> {
        match self.resolve(space, a) {
            (Space::Shared, a) => self.shared.write(a, data),
            (Space::Param, _) => Err("store to .param space".into()),
            (_, a) => {
                self.global.note_write(a, self.line);
                self.global.write(a, data)
            }
        }
    }
}

fn check_aligned(a: u64, size: u64) -> Result<(), String> {
    if !a.is_multiple_of(size) {
        return Err(format!(
            "address {a:#x} is not aligned to the access size {size}"
        ));
    }
    Ok(())
}

/// Runs `t` until it waits at a collective instruction, exits, or faults.
pub fn run_thread(ctx: &mut Ctx, t: &mut Thread) -> Result<(), Fault> {
    let entry = ctx.entry;
    while t.state == State::Running {
        let Some(instr) = entry.code.get(t.pc) else {
            let line = entry.code.last().map_or(0, |i| i.line);
            return Err(Fault {
                line,
                message: "ran past the last instruction without ret/exit".into(),
            });
        };
        let fault = |message: String| Fault {
            line: instr.line,
            message,
        };
        if ctx.budget == 0 {
            return Err(fault("instruction budget exhausted (endless loop?)".into()));
        }
        ctx.budget -= 1;
        if let Some((p, neg)) = instr.guard {
            let v = t.reg(entry, p).map_err(fault)? & 1 == 1;
            if v == neg {
                t.pc += 1;
                continue;
            }
        }
        if instr.op.is_collective() {
            t.state = State::Waiting;
            return Ok(());
        }
        ctx.line = instr.line;
        step(ctx, t, instr).map_err(fault)?;
    }
    Ok(())
}

/// Executes one per-thread instruction (guard already true) and advances the pc.
fn step(ctx: &mut Ctx, t: &mut Thread, instr: &Instr) -> Result<(), String> {
    let mut next = t.pc + 1;
    match &instr.op {
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
        Op::Ld {
            space,
            nc,
            ty,
            dsts,
            addr,
        } => {
            let a = ctx.address(t, *addr)?;
            let size = u64::from(ty.bytes());
            check_aligned(a, size * dsts.len() as u64)?;
            if *nc {
                ctx.global.note_nc_read(a, instr.line);
            }
            for (i, d) in dsts.iter().enumerate() {
                let mut buf = [0u8; 8];
                ctx.load(*space, a + i as u64 * size, &mut buf[..size as usize])?;
                t.write(*d, *ty, u64::from_le_bytes(buf));
            }
        }
        Op::St {
            space,
            ty,
            srcs,
            addr,
        } => {
            let a = ctx.address(t, *addr)?;
            let size = u64::from(ty.bytes());
            check_aligned(a, size * srcs.len() as u64)?;
            for (i, s) in srcs.iter().enumerate() {
                let v = ctx.read(t, *s, *ty)?.to_le_bytes();
                ctx.store(*space, a + i as u64 * size, &v[..size as usize])?;
            }
        }
        Op::Cvta {
            to,
            space,
            ty,
            dst,
            src,
        } => {
            let v = ctx.read(t, *src, *ty)?;
            let out = match (to, space) {
                (_, Space::Global) => v,
                (false, Space::Shared) => v + SHARED_WINDOW,
                (true, Space::Shared) => v.checked_sub(SHARED_WINDOW).ok_or_else(|| {
                    format!("cvta.to.shared of {v:#x}, which is not a shared-window address")
                })?,
                _ => return Err(format!("cvta for {space:?} is not supported")),
            };
            t.write(*dst, *ty, out);
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
            t.write(
                *dst,
                *ty,
                alu::float_binary(*op, *ty, *rnd, *ftz, *sat, av, bv)?,
            );
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
            let v = alu::float_unary(*op, *mode, *ftz, *ty, ctx.read(t, *a, *ty)?)?;
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
        Op::Bra { target } => next = *target,
        Op::Exit => t.state = State::Exited,
        Op::Atom {
            space,
            op,
            ty,
            dst,
            addr,
            b,
            c,
        } => atom(ctx, t, *space, *op, *ty, *dst, *addr, *b, *c)?,
        Op::CpAsync {
            size,
            src_size,
            dst,
            src,
        } => {
            let src_size = match src_size {
                Some(s) => ctx.read(t, *s, Ty::U32)? as u32,
                None => *size,
            };
            if src_size > *size {
                return Err(format!(
                    "cp.async src-size {src_size} exceeds cp-size {size}"
                ));
            }
            let copy = AsyncCopy {
                dst: ctx.address(t, *dst)?,
                src: ctx.address(t, *src)?,
                size: *size,
                src_size,
                line: instr.line,
            };
            check_aligned(copy.dst, u64::from(*size))?;
            check_aligned(copy.src, u64::from(*size))?;
            t.open_copies.push(copy);
        }
        Op::CpAsyncCommit => {
            let group = std::mem::take(&mut t.open_copies);
            t.copy_groups.push(group);
        }
        Op::CpAsyncWait { keep, all } => {
            if *all {
                let group = std::mem::take(&mut t.open_copies);
                t.copy_groups.push(group);
            }
            while t.copy_groups.len() > *keep as usize {
                let group = t.copy_groups.remove(0);
                for c in group {
                    complete_copy(ctx, c)?;
                }
            }
        }
        Op::Nop => {}
        Op::BarSync { .. }
        | Op::BarWarpSync { .. }
        | Op::Shfl { .. }
        | Op::Ldmatrix { .. }
        | Op::Mma { .. } => {
            return Err("collective instruction reached the per-thread stepper".into());
        }
    }
    t.pc = next;
    Ok(())
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

/// Performs a completed `cp.async`: the copy happens when the thread waits for it, so
/// that reading shared memory before the wait sees the old bytes, as it may on hardware.
fn complete_copy(ctx: &mut Ctx, c: AsyncCopy) -> Result<(), String> {
    let mut buf = vec![0u8; c.size as usize];
    ctx.global
        .read(c.src, &mut buf[..c.src_size as usize])
        .map_err(|e| format!("cp.async issued at line {}: {e}", c.line))?;
    ctx.shared
        .write(c.dst, &buf)
        .map_err(|e| format!("cp.async issued at line {}: {e}", c.line))
}

#[allow(clippy::too_many_arguments)]
fn atom(
    ctx: &mut Ctx,
    t: &mut Thread,
    space: Space,
    op: AtomOp,
    ty: Ty,
    dst: Option<Dst>,
    addr: Addr,
    b: Src,
    c: Option<Src>,
) -> Result<(), String> {
    let a = ctx.address(t, addr)?;
    let size = u64::from(ty.bytes());
    check_aligned(a, size)?;
    let mut buf = [0u8; 8];
    ctx.load(space, a, &mut buf[..size as usize])?;
    let old = u64::from_le_bytes(buf) & ty.mask();
    let bv = ctx.read(t, b, ty)?;
    let new = if let Some(fmt) = Fmt::of(ty) {
        match op {
            // The ISA: atom.add.f32 flushes subnormal inputs and results to zero
            // (on global memory; shared-memory float adds keep subnormals).
            AtomOp::Add => alu::float_binary(
                super::instr::FloatOp::Add,
                ty,
                super::instr::Rnd::Rn,
                ty == Ty::F32 && ctx.resolve(space, a).0 != Space::Shared,
                false,
                old,
                bv,
            )?,
            AtomOp::Exch => bv,
            _ => return Err(format!("atom.{op:?} on {fmt:?}")),
        }
    } else {
        let (x, y) = (alu::int_value(ty, old), alu::int_value(ty, bv));
        let m = ty.mask();
        match op {
            AtomOp::Add => (x + y) as u64 & m,
            AtomOp::Min => x.min(y) as u64 & m,
            AtomOp::Max => x.max(y) as u64 & m,
            AtomOp::And => old & bv,
            AtomOp::Or => old | bv,
            AtomOp::Xor => old ^ bv,
            AtomOp::Exch => bv,
            AtomOp::Cas => {
                let cv = match c {
                    Some(c) => ctx.read(t, c, ty)?,
                    None => return Err("atom.cas without a new value".into()),
                };
                if old == bv { cv } else { old }
            }
            AtomOp::Inc => {
                if old >= bv {
                    0
                } else {
                    (old + 1) & m
                }
            }
            AtomOp::Dec => {
                if old == 0 || old > bv {
                    bv
                } else {
                    old - 1
                }
            }
        }
    };
    ctx.store(space, a, &new.to_le_bytes()[..size as usize])?;
    if let Some(d) = dst {
        t.write(d, ty, old);
    }
    Ok(())
}
