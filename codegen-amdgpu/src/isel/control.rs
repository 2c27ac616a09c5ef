//! Structured control flow: `if` (uniform: `s_cbranch_scc0`; per-lane:
//! `s_and_saveexec_b32` / `s_cbranch_execz` / restore), `for` (uniform bounds: a scalar
//! loop; per-lane: EXEC narrowed each iteration).
//!
//! Branches only skip code whose lanes are all off, or jump back to a loop header, so the
//! program order stays the execution order (see [`crate::mir`]).
//!
//! The loop latch never computes `var + step` past `end` and compares that: the sum may
//! wrap. It continues while `end - var > step` (unsigned: `var < end` holds, so the
//! difference is exact), then steps.

use super::emit::op;
use super::value::dwords;
use super::{IselError, Piece, Sel, Src};
use crate::isa::{Inst, Operand};
use crate::mir::{Label, RegClass};
use egpu_ir::DType;
use egpu_ir::kernel::{Loop, ValueId};

/// `exec_lo` as an operand.
fn exec() -> Src {
    Src::Const(Operand::ExecLo)
}

/// Narrows EXEC to the lanes of `mask` (`s_and_saveexec_b32`); returns the saved EXEC.
pub(super) fn narrow_exec(sel: &mut Sel, mask: Piece) -> Piece {
    let save = sel.new_s(1);
    sel.sop1_fixed(
        op("s_and_saveexec_b32"),
        Operand::None,
        Some(save),
        mask.into(),
    );
    save
}

/// `exec_lo = save`.
pub(super) fn restore_exec(sel: &mut Sel, save: Piece) {
    sel.sop1_fixed(op("s_mov_b32"), Operand::ExecLo, None, save.into());
}

/// A SOPP instruction without operands (`s_endpgm`, `s_barrier`).
pub(super) fn sopp(sel: &mut Sel, name: &str) {
    sel.push(
        Inst::Sopp {
            op: op(name),
            imm: 0,
        },
        Vec::new(),
    );
}

fn branch(sel: &mut Sel, name: &str, to: Label) {
    let line = sel.line;
    sel.mir.branch(op(name), to, line);
}

/// A uniform value as a scalar operand: a constant, or its SGPR.
fn scalar_src(sel: &mut Sel, p: Piece) -> Src {
    match sel.src(p) {
        c @ Src::Const(_) => c,
        Src::Reg(r) => Src::Reg(sel.to_class(r.into(), RegClass::S, 1)),
    }
}

/// What closing an `if` needs.
#[derive(Clone, Copy, Debug)]
pub(super) struct IfState {
    /// The saved EXEC of a per-lane `if`; `None` for a uniform one.
    save: Option<Piece>,
    mask: Piece,
    else_label: Label,
    join: Label,
    has_else: bool,
    pub line: u32,
}

/// Opens `if cond`: the then-body follows.
pub(super) fn begin_if(sel: &mut Sel, cond: ValueId, has_else: bool) -> Result<IfState, IselError> {
    let mask = sel.piece(cond)?;
    let else_label = sel.mir.label();
    let join = if has_else {
        sel.mir.label()
    } else {
        else_label
    };
    let save = if sel.uniform.value(cond) {
        // The mask's bits outside EXEC are meaningless: test only the active ones.
        let t = sel.new_s(1);
        sel.sop2(op("s_and_b32"), t, mask.into(), exec());
        branch(sel, "s_cbranch_scc0", else_label);
        None
    } else {
        let save = narrow_exec(sel, mask);
        branch(sel, "s_cbranch_execz", else_label);
        Some(save)
    };
    sel.open_scope();
    Ok(IfState {
        save,
        mask,
        else_label,
        join,
        has_else,
        line: sel.line,
    })
}

/// Between the then-body and the else-body.
pub(super) fn begin_else(sel: &mut Sel, s: &IfState) {
    sel.close_scope(true);
    if s.has_else && s.save.is_none() {
        branch(sel, "s_branch", s.join);
    }
    sel.mir.place(s.else_label);
    if let (true, Some(save)) = (s.has_else, s.save) {
        // The else lanes: those active before the `if` whose condition is false.
        sel.sop2_fixed(
            op("s_and_not1_b32"),
            Operand::ExecLo,
            save.into(),
            s.mask.into(),
        );
        branch(sel, "s_cbranch_execz", s.join);
    }
}

/// After the else-body (or the then-body when there is none).
pub(super) fn end_if(sel: &mut Sel, s: &IfState) {
    sel.close_scope(false);
    if s.has_else {
        sel.mir.place(s.join);
    }
    if let Some(save) = s.save {
        restore_exec(sel, save);
    }
}

/// What closing a `for` needs.
#[derive(Clone, Copy, Debug)]
pub(super) struct LoopState {
    var: Piece,
    /// The end bound: a register (pair for i64) or a 32-bit constant.
    end: Src,
    step: u32,
    wide: bool,
    /// The saved EXEC of a per-lane loop; `None` for a scalar one.
    save: Option<Piece>,
    header: Label,
    exit: Label,
    pub line: u32,
}

/// Opens `for var in start..end step N`: the body follows.
pub(super) fn begin_loop(sel: &mut Sel, l: &Loop) -> Result<LoopState, IselError> {
    let dt = super::select::dtype_of(sel, l.var)?;
    let wide = dt == DType::I64;
    let (start, end) = (sel.piece(l.start)?, sel.piece(l.end)?);
    let bounds = (start, end);
    let header = sel.mir.label();
    let exit = sel.mir.label();
    let scalar = !wide && sel.uniform.value(l.start) && sel.uniform.value(l.end);
    let (var, end, save) = if scalar {
        // Constants stay operands; other bounds in SGPRs (uniform, so a VGPR's first
        // lane is everyone's).
        let end = scalar_src(sel, end);
        let start = scalar_src(sel, start);
        let var = sel.new_s(1);
        sel.copy(var, start, 1);
        let known = |p: Piece| sel.consts.get(&p.reg).map(|&c| c as i32);
        match (known(bounds.0), known(bounds.1)) {
            // Constant bounds with start < end: the first iteration surely runs.
            (Some(a), Some(b)) if a < b => {}
            _ => {
                sel.sopc(op("s_cmp_lt_i32"), start, end);
                branch(sel, "s_cbranch_scc0", exit);
            }
        }
        (var, end, None)
    } else {
        let save = sel.new_s(1);
        sel.copy(save, exec(), 1);
        let var = sel.new_v(dwords(dt));
        let (s, e) = (sel.src(start), sel.src(end));
        sel.copy(var, s, dwords(dt));
        let name = if wide { "v_cmp_lt_i64" } else { "v_cmp_lt_i32" };
        let m = sel.vcmp(op(name), s, e);
        sel.sop2_fixed(op("s_and_b32"), Operand::ExecLo, exec(), m.into());
        branch(sel, "s_cbranch_execz", exit);
        (var, e, Some(save))
    };
    sel.mir.place(header);
    sel.open_scope();
    sel.set_val(l.var, super::Val::scalar(var));
    Ok(LoopState {
        var,
        end,
        step: l.step,
        wide,
        save,
        header,
        exit,
        line: sel.line,
    })
}

/// After the body: the latch, the back branch, the exit.
pub(super) fn end_loop(sel: &mut Sel, s: &LoopState) {
    sel.close_scope(false);
    let step = sel.imm(s.step);
    match s.save {
        None => {
            let d = sel.new_s(1);
            sel.sop2(op("s_sub_u32"), d, s.end, s.var.into());
            sel.sop2(op("s_add_u32"), s.var, s.var.into(), step);
            sel.sopc(op("s_cmp_gt_u32"), d.into(), step);
            branch(sel, "s_cbranch_scc1", s.header);
        }
        Some(_) => {
            let more = if s.wide {
                wide_latch(sel, s, step)
            } else {
                let d = sel.new_v(1);
                sel.valu(op("v_sub_nc_u32"), d, &[s.end, s.var.into()]);
                let m = sel.vcmp(op("v_cmp_gt_u32"), d.into(), step);
                sel.valu(op("v_add_nc_u32"), s.var, &[s.var.into(), step]);
                m
            };
            sel.sop2_fixed(op("s_and_b32"), Operand::ExecLo, exec(), more.into());
            branch(sel, "s_cbranch_execnz", s.header);
        }
    }
    sel.mir.place(s.exit);
    if let Some(save) = s.save {
        restore_exec(sel, save);
    }
}

/// The latch of an i64 loop: the lanes where `end - var > step` (64-bit), then
/// `var += step`.
fn wide_latch(sel: &mut Sel, s: &LoopState, step: Src) -> Piece {
    // 64-bit bounds stay in registers (`Sel::src` turns only 32-bit constants into
    // operands); a constant would be moved into a pair here.
    let e = match s.end {
        Src::Reg(e) => e,
        c => sel.to_vgpr(c, 2),
    };
    let mods = Default::default();
    let d = sel.new_v(2);
    let borrow = sel.new_s(1);
    let v = s.var;
    sel.valu_sd(
        op("v_sub_co_u32"),
        d,
        Some(borrow),
        &[e.into(), v.into()],
        mods,
    );
    let hi = [e.hi().into(), v.hi().into(), borrow.into()];
    sel.valu_sd(op("v_sub_co_ci_u32"), d.hi(), None, &hi, mods);
    let high = sel.vcmp(op("v_cmp_ne_u32"), sel.imm(0), d.hi().into());
    let low = sel.vcmp(op("v_cmp_gt_u32"), d.into(), step);
    let more = sel.new_s(1);
    sel.sop2(op("s_or_b32"), more, high.into(), low.into());
    let carry = sel.new_s(1);
    sel.valu_sd(op("v_add_co_u32"), v, Some(carry), &[v.into(), step], mods);
    let hi = [v.hi().into(), sel.imm(0), carry.into()];
    sel.valu_sd(op("v_add_co_ci_u32"), v.hi(), None, &hi, mods);
    more
}
