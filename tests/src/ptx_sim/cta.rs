//! Running one CTA: threads one at a time up to their next collective instruction, then
//! the collectives whose participants have all arrived (warp operations first, then
//! `bar.sync` once every live thread of the CTA is there).

use super::exec::{Ctx, Fault, run_thread};
use super::instr::{Op, Ty};
use super::thread::{State, Thread};
use super::warp;

/// A fault of thread `thread` (index in the CTA).
pub struct CtaFault {
    pub thread: usize,
    pub fault: Fault,
}

fn fault(thread: usize, line: usize, message: String) -> CtaFault {
    CtaFault {
        thread,
        fault: Fault { line, message },
    }
}

/// Runs every thread of the CTA to its exit, in ascending thread order between
/// collectives, or descending when `reverse` (the launch alternates, so that a read of
/// shared or global memory that a missing barrier leaves racing sees the stale value in
/// one of the two orders, whichever thread writes it).
pub fn run_cta(ctx: &mut Ctx, threads: &mut [Thread], reverse: bool) -> Result<(), CtaFault> {
    let n = threads.len();
    loop {
        for k in 0..n {
            let i = if reverse { n - 1 - k } else { k };
            let t = &mut threads[i];
            if t.state == State::Running {
                run_thread(ctx, t).map_err(|f| CtaFault {
                    thread: i,
                    fault: f,
                })?;
            }
        }
        if threads.iter().all(|t| t.state == State::Exited) {
            return Ok(());
        }
        if resolve_warps(ctx, threads)? || resolve_barrier(ctx, threads)? {
            continue;
        }
        return Err(deadlock(ctx, threads));
    }
}

fn op_at<'e>(ctx: &Ctx<'e>, t: &Thread) -> &'e Op {
    &ctx.entry.code[t.pc].op
}

fn line_at(ctx: &Ctx, t: &Thread) -> usize {
    ctx.entry.code[t.pc].line
}

/// Runs every warp collective whose participants are all waiting at it. Returns whether
/// any ran.
fn resolve_warps(ctx: &mut Ctx, threads: &mut [Thread]) -> Result<bool, CtaFault> {
    let mut progress = false;
    let warps = threads.len().div_ceil(32);
    for w in 0..warps {
        let end = (w * 32 + 32).min(threads.len());
        let warp = &mut threads[w * 32..end];
        let mut pcs: Vec<usize> = warp
            .iter()
            .filter(|t| t.state == State::Waiting && !matches!(op_at(ctx, t), Op::BarSync { .. }))
            .map(|t| t.pc)
            .collect();
        pcs.sort_unstable();
        pcs.dedup();
        for pc in pcs {
            if try_warp_op(ctx, warp, w * 32, pc)? {
                progress = true;
            }
        }
    }
    Ok(progress)
}

/// The membermask participants of `warp` at `pc` must all be there: `Ok(false)` while
/// some are still elsewhere, an error when one exited or a participant is not in the mask.
fn members_ready(
    ctx: &Ctx,
    warp: &[Thread],
    first: usize,
    pc: usize,
    mask: crate::ptx_sim::instr::Src,
) -> Result<bool, CtaFault> {
    let line = ctx.entry.code[pc].line;
    let mut value = None;
    for (i, t) in warp.iter().enumerate() {
        if t.state == State::Waiting && t.pc == pc {
            let m = ctx
                .read(t, mask, Ty::B32)
                .map_err(|e| fault(first + i, line, e))?;
            if *value.get_or_insert(m) != m {
                return Err(fault(
                    first + i,
                    line,
                    format!(
                        "membermask {m:#x} differs from {:#x} of another lane",
                        value.unwrap_or(0)
                    ),
                ));
            }
            if m >> t.lane() & 1 == 0 {
                return Err(fault(
                    first + i,
                    line,
                    format!(
                        "lane {} executes a warp instruction outside its membermask {m:#x}",
                        t.lane()
                    ),
                ));
            }
        }
    }
    let Some(mask) = value else { return Ok(false) };
    for lane in 0..32usize {
        if mask >> lane & 1 == 0 {
            continue;
        }
        let Some(t) = warp.get(lane) else {
            return Err(fault(
                first,
                line,
                format!("membermask {mask:#x} names lane {lane}, which this CTA does not have"),
            ));
        };
        if t.state == State::Exited {
            return Err(fault(
                first + lane,
                line,
                format!("membermask {mask:#x} names lane {lane}, which has exited"),
            ));
        }
        if t.state != State::Waiting || t.pc != pc {
            return Ok(false);
        }
    }
    Ok(true)
}

/// A full warp must be at `pc` (`.aligned` instructions).
fn full_warp_ready(ctx: &Ctx, warp: &[Thread], first: usize, pc: usize) -> Result<bool, CtaFault> {
    let line = ctx.entry.code[pc].line;
    if warp.len() != 32 {
        return Err(fault(
            first,
            line,
            format!("warp-wide instruction in a warp of {} threads", warp.len()),
        ));
    }
    for (i, t) in warp.iter().enumerate() {
        if t.state == State::Exited {
            return Err(fault(
                first + i,
                line,
                format!("lane {i} has exited before a .aligned warp instruction"),
            ));
        }
        if t.state != State::Waiting || t.pc != pc {
            return Ok(false);
        }
    }
    Ok(true)
}

fn try_warp_op(
    ctx: &mut Ctx,
    warp: &mut [Thread],
    first: usize,
    pc: usize,
) -> Result<bool, CtaFault> {
    let instr = &ctx.entry.code[pc];
    let line = instr.line;
    let ready = match &instr.op {
        Op::Shfl { mask, .. } | Op::BarWarpSync { mask } => {
            members_ready(ctx, warp, first, pc, *mask)?
        }
        _ => full_warp_ready(ctx, warp, first, pc)?,
    };
    if !ready {
        return Ok(false);
    }
    let mut group: Vec<&mut Thread> = warp
        .iter_mut()
        .filter(|t| t.state == State::Waiting && t.pc == pc)
        .collect();
    let lead = first + group.first().map_or(0, |t| t.lane() as usize);
    let result = match &instr.op {
        Op::Shfl {
            mode,
            dst,
            pdst,
            a,
            b,
            c,
            ..
        } => warp::shfl(ctx, &mut group, *mode, *dst, *pdst, *a, *b, *c),
        Op::Ldmatrix { trans, dsts, addr } => warp::ldmatrix(ctx, &mut group, *trans, dsts, *addr),
        Op::Mma { bf16, d, a, b, c } => warp::mma(ctx, &mut group, *bf16, d, a, b, c),
        _ => Ok(()),
    };
    result.map_err(|e| fault(lead, line, e))?;
    for t in group {
        t.pc += 1;
        t.state = State::Running;
    }
    Ok(true)
}

/// Opens `bar.sync` when every live thread waits at the same one.
fn resolve_barrier(ctx: &mut Ctx, threads: &mut [Thread]) -> Result<bool, CtaFault> {
    let mut at_bar = None;
    for (i, t) in threads.iter().enumerate() {
        match t.state {
            State::Exited => {}
            State::Running => return Ok(false),
            State::Waiting => {
                let Op::BarSync { id } = op_at(ctx, t) else {
                    return Ok(false);
                };
                let id = ctx
                    .read(t, *id, Ty::U32)
                    .map_err(|e| fault(i, line_at(ctx, t), e))?;
                match at_bar {
                    None => at_bar = Some((i, t.pc, id)),
                    Some((j, pc, id0)) if pc != t.pc || id0 != id => {
                        return Err(fault(
                            i,
                            line_at(ctx, t),
                            format!(
                                "divergent barrier: thread {i} waits at bar.sync {id} (line {}), thread {j} at bar.sync {id0} (line {})",
                                line_at(ctx, t),
                                ctx.entry.code[pc].line
                            ),
                        ));
                    }
                    Some(_) => {}
                }
            }
        }
    }
    let Some((first, pc, _)) = at_bar else {
        return Ok(false);
    };
    if let Some(gone) = threads.iter().position(|t| t.state == State::Exited) {
        return Err(fault(
            first,
            ctx.entry.code[pc].line,
            format!("divergent barrier: thread {gone} exited while the others wait at bar.sync"),
        ));
    }
    for t in threads.iter_mut() {
        t.pc += 1;
        t.state = State::Running;
    }
    Ok(true)
}

fn deadlock(ctx: &Ctx, threads: &[Thread]) -> CtaFault {
    let mut seen: Vec<(usize, usize)> = Vec::new();
    for (i, t) in threads.iter().enumerate() {
        if t.state == State::Waiting && !seen.iter().any(|(_, pc)| *pc == t.pc) {
            seen.push((i, t.pc));
        }
    }
    let described: Vec<String> = seen
        .iter()
        .take(4)
        .map(|(i, pc)| format!("thread {i} at line {}", ctx.entry.code[*pc].line))
        .collect();
    let (first, pc) = seen.first().copied().unwrap_or((0, 0));
    let line = ctx.entry.code.get(pc).map_or(0, |i| i.line);
    fault(
        first,
        line,
        format!(
            "deadlock: no collective can complete ({})",
            described.join(", ")
        ),
    )
}
