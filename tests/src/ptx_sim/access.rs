//! The per-thread memory instructions: loads, stores, address conversion, atomics and
//! `cp.async` (whose copies land when the thread waits for their group).

use super::alu;
use super::exec::Ctx;
use super::float::Fmt;
use super::instr::{Addr, AtomOp, Dst, Instr, Op, Space, Src, Ty};
use super::memory::SHARED_WINDOW;
use super::thread::{AsyncCopy, Thread};

fn check_aligned(a: u64, size: u64) -> Result<(), String> {
    if !a.is_multiple_of(size) {
        return Err(format!(
            "address {a:#x} is not aligned to the access size {size}"
        ));
    }
    Ok(())
}

/// Executes `instr` if it is a memory instruction; `Ok(false)` if it is not one.
pub fn access(ctx: &mut Ctx, t: &mut Thread, instr: &Instr) -> Result<bool, String> {
    match &instr.op {
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
        _ => return Ok(false),
    }
    Ok(true)
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
