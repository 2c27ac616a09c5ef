//! Values without arithmetic: workgroup and local ids, constants, scalar parameters,
//! `vec`, `extract`, `where`, and accumulators (one register set per accumulator for all
//! its versions: `init` and updates write it, `read` copies it out).

use super::emit::op;
use super::{IselError, Piece, Sel, Src, Val};
use crate::isa::{Operand, Ty};
use crate::mir::RegClass;
use cranelift_entity::EntityRef;
use egpu_ir::kernel::{AccId, AccUpdate, Axis, ValueId, ValueType};
use egpu_ir::{DType, ReduceOp, Scalar};

/// Registers per element of `dt`: 2 for the 64-bit dtypes, else 1.
pub(super) fn dwords(dt: DType) -> u8 {
    if dt.size_bytes() == 8 { 2 } else { 1 }
}

/// The register file an element of `dt` lives in: bool masks and uniform integers in
/// SGPRs, everything else (floats always) in VGPRs.
pub(super) fn class_for(dt: DType, uniform: bool) -> RegClass {
    if dt.is_bool() || (uniform && dt.is_int()) {
        RegClass::S
    } else {
        RegClass::V
    }
}

/// The dwords of a constant as its registers hold it: integers sign- or zero-extended to
/// 32 bits (per the value representation), 16-bit floats in the low half, bool as a mask.
pub(super) fn constant_bits(s: Scalar, dt: DType) -> u64 {
    match (s, dt) {
        (Scalar::Bool(b), _) => {
            if b {
                u64::from(u32::MAX)
            } else {
                0
            }
        }
        (Scalar::Int(i), _) if dt.size_bytes() == 8 => i as u64,
        (Scalar::Int(i), _) => u64::from(i as i64 as u32),
        (Scalar::Float(_), _) => s.to_bits(dt),
    }
}

/// `const` of any dtype into a new register (pair).
pub(super) fn constant(sel: &mut Sel, s: Scalar, dt: DType) -> Piece {
    let bits = constant_bits(s, dt);
    let n = dwords(dt);
    let d = sel.new_piece(class_for(dt, true), n);
    for i in 0..n {
        let half = (bits >> (32 * u32::from(i))) as u32;
        let dst = Piece {
            offset: d.offset + i,
            ..d
        };
        sel.copy(dst, Src::Const(Operand::constant(half, Ty::B32)), 1);
    }
    if n == 1 {
        sel.consts.insert(d.reg, bits as u32);
    }
    d
}

/// `local_id.AXIS`: bits [9:0], [19:10] or [29:20] of the packed work-item ids in v0, or
/// the constant 0 along an axis of one lane.
pub(super) fn local_id(sel: &mut Sel, axis: Axis) -> Result<Piece, IselError> {
    if sel.kernel.launch().workgroup[axis.index()] == 1 {
        return Ok(constant(sel, Scalar::Int(0), DType::I32));
    }
    let v0 = sel
        .entry
        .workitem
        .ok_or_else(|| sel.malformed("local id read without the work-item id register"))?;
    let d = sel.new_v(1);
    match axis {
        Axis::X => sel.valu(op("v_and_b32"), d, &[sel.imm(0x3ff), Src::Reg(v0)]),
        Axis::Y => sel.valu(
            op("v_bfe_u32"),
            d,
            &[Src::Reg(v0), sel.imm(10), sel.imm(10)],
        ),
        Axis::Z => sel.valu(
            op("v_bfe_u32"),
            d,
            &[Src::Reg(v0), sel.imm(20), sel.imm(10)],
        ),
    }
    Ok(d)
}

/// `where c, a, b` per element: bool masks with scalar logic, every other dtype with one
/// `v_cndmask_b32` per dword.
pub(super) fn select_where(
    sel: &mut Sel,
    dt: DType,
    c: &Val,
    a: &Val,
    b: &Val,
) -> Result<Val, IselError> {
    let mut elems = Vec::with_capacity(a.elems.len());
    for (i, (&x, &y)) in a.elems.iter().zip(&b.elems).enumerate() {
        let m = *c
            .elems
            .get(i)
            .or(c.elems.first())
            .ok_or_else(|| sel.malformed("where without a condition"))?;
        elems.push(where_elem(sel, dt, m, x, y));
    }
    Ok(Val { elems })
}

fn where_elem(sel: &mut Sel, dt: DType, m: Piece, x: Piece, y: Piece) -> Piece {
    if dt.is_bool() {
        return mask_merge(sel, m, x, y);
    }
    let n = dwords(dt);
    let d = sel.new_v(n);
    for i in 0..n {
        let at = |p: Piece| Piece {
            offset: p.offset + i,
            ..p
        };
        let (f, t) = if n == 1 {
            (sel.src(y), sel.src(x))
        } else {
            (Src::Reg(at(y)), Src::Reg(at(x)))
        };
        sel.cndmask(at(d), f, t, m);
    }
    d
}

/// `(m & x) | (!m & y)` on lane masks.
pub(super) fn mask_merge(sel: &mut Sel, m: Piece, x: Piece, y: Piece) -> Piece {
    let t = sel.new_s(1);
    sel.sop2(op("s_and_b32"), t, Src::Reg(m), Src::Reg(x));
    let f = sel.new_s(1);
    sel.sop2(op("s_and_not1_b32"), f, Src::Reg(y), Src::Reg(m));
    let d = sel.new_s(1);
    sel.sop2(op("s_or_b32"), d, Src::Reg(t), Src::Reg(f));
    d
}

/// The registers of an accumulator of type `ty`.
fn acc_regs(sel: &mut Sel, acc: AccId, ty: ValueType) -> Val {
    let class = class_for(ty.dtype, sel.uniform.acc(acc));
    let n = dwords(ty.dtype);
    let elems = (0..ty.width).map(|_| sel.new_piece(class, n)).collect();
    Val { elems }
}

fn acc_type(sel: &Sel, acc: AccId) -> Result<ValueType, IselError> {
    sel.kernel
        .acc_type(acc)
        .ok_or_else(|| sel.malformed(format!("{acc:?} has no type")))
}

/// `acc: T = init x`: fresh registers holding `x`.
pub(super) fn init_acc(sel: &mut Sel, acc: AccId, x: ValueId) -> Result<(), IselError> {
    let ty = acc_type(sel, acc)?;
    let regs = acc_regs(sel, acc, ty);
    let v = sel.val(x)?;
    if sel.accs.len() <= acc.index() {
        sel.accs.resize(acc.index() + 1, None);
    }
    // A plain copy: the registers are fresh, there are no other lanes' bits to keep.
    for (&r, &e) in regs.elems.iter().zip(&v.elems) {
        let src = sel.src(e);
        sel.copy(r, src, dwords(ty.dtype));
    }
    sel.accs[acc.index()] = Some(regs);
    Ok(())
}

/// The accumulator's registers while it is in scope.
fn acc_val(sel: &Sel, acc: AccId) -> Result<Val, IselError> {
    sel.accs
        .get(acc.index())
        .and_then(|a| a.clone())
        .ok_or_else(|| sel.malformed(format!("{acc:?} used before its init")))
}

/// Copies `v` into the accumulator's registers. A bool mask is merged under EXEC, so lanes
/// switched off keep their bits, as VGPR writes do.
fn write_acc(sel: &mut Sel, dt: DType, regs: &Val, v: &Val) {
    for (&r, &x) in regs.elems.iter().zip(&v.elems) {
        if r == x {
            continue;
        }
        if dt.is_bool() {
            let exec = sel.exec_piece_src();
            let keep = sel.new_s(1);
            sel.sop2(op("s_and_not1_b32"), keep, Src::Reg(r), exec);
            let new = sel.new_s(1);
            sel.sop2(op("s_and_b32"), new, Src::Reg(x), exec);
            sel.sop2(op("s_or_b32"), r, Src::Reg(keep), Src::Reg(new));
        } else {
            let src = sel.src(x);
            sel.copy(r, src, dwords(dt));
        }
    }
}

/// `ACC = x` or `ACC = OP ACC, x`.
pub(super) fn update_acc(
    sel: &mut Sel,
    acc: AccId,
    update: AccUpdate,
    x: ValueId,
) -> Result<(), IselError> {
    let ty = acc_type(sel, acc)?;
    let regs = acc_val(sel, acc)?;
    let v = sel.val(x)?;
    let new = match update {
        AccUpdate::Assign => v,
        AccUpdate::Combine(r) => {
            let op = combine_op(r);
            let mut elems = Vec::with_capacity(regs.elems.len());
            for (&a, &b) in regs.elems.iter().zip(&v.elems) {
                elems.push(super::select::binary(sel, op, ty.dtype, a, b)?);
            }
            Val { elems }
        }
    };
    write_acc(sel, ty.dtype, &regs, &new);
    Ok(())
}

/// The binary op an accumulator combine rounds like.
pub(super) fn combine_op(r: ReduceOp) -> egpu_ir::BinaryOp {
    match r {
        ReduceOp::Sum => egpu_ir::BinaryOp::Add,
        ReduceOp::Max => egpu_ir::BinaryOp::Max,
        ReduceOp::Min => egpu_ir::BinaryOp::Min,
        ReduceOp::Prod => egpu_ir::BinaryOp::Mul,
    }
}

/// `read ACC`: a copy of its current version (later updates must not change this value).
pub(super) fn read_acc(sel: &mut Sel, acc: AccId) -> Result<Val, IselError> {
    let ty = acc_type(sel, acc)?;
    let regs = acc_val(sel, acc)?;
    let n = dwords(ty.dtype);
    let mut elems = Vec::with_capacity(regs.elems.len());
    for &r in &regs.elems {
        let d = sel.new_piece(r.class, n);
        sel.copy(d, Src::Reg(r), n);
        elems.push(d);
    }
    Ok(Val { elems })
}

impl Sel<'_> {
    /// `exec_lo` as a scalar source operand.
    pub fn exec_piece_src(&self) -> Src {
        Src::Const(Operand::ExecLo)
    }
}
