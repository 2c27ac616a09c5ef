//! `matrix_tile` and matrix fragments with `v_wmma_f32_16x16x16_f16` / `_bf16`: A and B
//! fragments loaded from LDS (16 halves per lane, lanes 16–31 repeating lanes 0–15), the
//! 8-VGPR C/D fragment kept in registers across a k-loop.
//!
//! The wave32 operand layout (RDNA3 ISA guide, "Wave Matrix Multiply Accumulate"; the
//! packing of halves into VGPRs checked against clang-19's code for
//! `__builtin_amdgcn_wmma_f32_16x16x16_f16_w32`, which puts vector element `2v` in the low
//! half and `2v + 1` in the high half of VGPR `v`):
//! - A (16×16, row-major M×K): lane `l` holds row `l % 16`, K = 0..15 in VGPRs 0..7
//!   (K = 2v low half, 2v + 1 high half) — one contiguous 32-byte row: two `ds_load_b128`;
//! - B (K×N): lane `l` holds column `l % 16`, K = 0..15 packed the same way — a strided
//!   column: `ds_load_u16` (low half) and `ds_load_u16_d16_hi` (high half, keeping the low);
//! - C/D (f32): VGPR `v` of lane `l` holds element (row `2v + l / 16`, column `l % 16`)
//!   (the interleaved rows are also what third-party RDNA3 kernels validated on hardware
//!   use; the packing test `wmma_operand_packing_matches_llvm` checks LLVM's side).
//!
//! Every lane of the wave takes part (the IR requires whole subgroups arriving together).
//! DS instructions of one wave execute in order, so the tile statements are ordered against
//! the wave's other LDS accesses without a wait; the waits on loaded registers and the WMMA
//! hazards are the waitcnt and hazard passes'.

use super::emit::op;
use super::lds::{LdsAddr, array_dtype, array_offset};
use super::{IselError, Piece, Sel, Src};
use crate::isa::{Inst, Op, Operand, PMods};
use crate::mir::{Access, RegRef, Slot};
use cranelift_entity::EntityRef;
use egpu_ir::DType;
use egpu_ir::kernel::{FragId, MatrixTile, TileRef};

/// A lane's coordinates in the WMMA layout: `lane % 16` and `lane / 16`.
#[derive(Clone, Copy)]
struct Lane {
    low: Piece,
    half: Piece,
}

fn lane(sel: &mut Sel) -> Lane {
    let id = sel.new_v(1);
    // mbcnt_lo(-1, 0): the number of lanes below this one, i.e. the lane id (wave32).
    sel.valu(
        op("v_mbcnt_lo_u32_b32"),
        id,
        &[Src::Const(Operand::Int(-1)), Src::Const(Operand::Int(0))],
    );
    let low = sel.new_v(1);
    sel.valu(op("v_and_b32"), low, &[sel.imm(15), Src::Reg(id)]);
    let half = sel.new_v(1);
    sel.valu(op("v_lshrrev_b32"), half, &[sel.imm(4), Src::Reg(id)]);
    Lane { low, half }
}

fn vref(slot: Slot, p: Piece, access: Access) -> RegRef {
    RegRef {
        slot,
        reg: p.reg,
        offset: p.offset,
        access,
    }
}

/// The byte address of element `(row_part · mul + col_part + offset)` of a tile's array
/// (`col_part` optional), as a VGPR plus the array's LDS offset.
fn tile_addr(
    sel: &mut Sel,
    t: &TileRef,
    esize: u32,
    row_part: Piece,
    mul: u32,
    col_part: Option<Piece>,
) -> Result<LdsAddr, IselError> {
    let at = array_offset(sel, t.array)?;
    let o = sel.piece(t.offset)?;
    let e = sel.new_v(1);
    if mul == 1 {
        sel.valu(op("v_add_nc_u32"), e, &[Src::Reg(o), Src::Reg(row_part)]);
    } else {
        if mul >= 1 << 24 {
            return Err(sel.unsupported(format!("a tile stride of {mul}")));
        }
        let k = sel.imm(mul);
        sel.valu(
            op("v_mad_u32_u24"),
            e,
            &[Src::Reg(row_part), k, Src::Reg(o)],
        );
    }
    let e = match col_part {
        Some(c) => {
            let d = sel.new_v(1);
            sel.valu(op("v_add_nc_u32"), d, &[Src::Reg(c), Src::Reg(e)]);
            d
        }
        None => e,
    };
    let base = sel.new_v(1);
    let shift = sel.imm(esize.trailing_zeros());
    sel.valu(op("v_lshlrev_b32"), base, &[shift, Src::Reg(e)]);
    Ok(LdsAddr { base, imm: at })
}

/// Strides beyond this many elements cannot address a tile inside LDS (64 KiB); refusing
/// them keeps every offset computed here within 32 bits.
const MAX_STRIDE: u32 = 1 << 16;

/// The half-precision dtype of an A or B tile (and a check that its rows stay 16-byte
/// aligned, which the `ds_load_b128` of A needs).
fn half_dtype(sel: &Sel, t: &TileRef) -> Result<DType, IselError> {
    let dt = array_dtype(sel, t.array)?;
    if t.stride > MAX_STRIDE {
        return Err(sel.unsupported(format!("a matrix tile stride of {}", t.stride)));
    }
    if !matches!(dt, DType::F16 | DType::BF16) || t.stride < 16 || !t.stride.is_multiple_of(8) {
        return Err(sel.malformed(format!(
            "matrix operand tile of {dt:?} with stride {}",
            t.stride
        )));
    }
    Ok(dt)
}

/// The A operand: lane `l` row `l % 16`, 16 halves = two `ds_load_b128`.
fn load_a(sel: &mut Sel, t: &TileRef, ln: Lane) -> Result<Piece, IselError> {
    let addr = tile_addr(sel, t, 2, ln.low, t.stride, None)?;
    let a = sel.new_v(8);
    for k in 0..2u8 {
        let (base, off) = addr.at(sel, u32::from(k) * 16);
        let part = Piece { offset: 4 * k, ..a };
        sel.ds(
            op("ds_load_b128"),
            Some((part, Access::Def)),
            base,
            None,
            off,
        );
    }
    Ok(a)
}

/// The B operand: lane `l` column `l % 16`, K = 2v in the low and 2v + 1 in the high
/// half of VGPR v. The eight low halves are loaded first, then the eight high halves: LDS
/// returns a wave's loads in order, so a `d16_hi` load merges into its register after the
/// low half has arrived without a wait in between (LLVM issues them the same way).
fn load_b(sel: &mut Sel, t: &TileRef, ln: Lane) -> Result<Piece, IselError> {
    let addr = tile_addr(sel, t, 2, ln.low, 1, None)?;
    let b = sel.new_v(8);
    for k in (0..16u32).step_by(2).chain((1..16u32).step_by(2)) {
        let (base, off) = addr.at(sel, k * t.stride * 2);
        let part = Piece {
            offset: (k / 2) as u8,
            ..b
        };
        let (name, access) = if k % 2 == 0 {
            ("ds_load_u16", Access::Def)
        } else {
            ("ds_load_u16_d16_hi", Access::UseDef)
        };
        sel.ds(op(name), Some((part, access)), base, None, off);
    }
    Ok(b)
}

/// The address of a lane's C/D elements: row `l / 16`, column `l % 16` (VGPR v adds 2v rows).
fn d_addr(sel: &mut Sel, t: &TileRef, ln: Lane) -> Result<LdsAddr, IselError> {
    let dt = array_dtype(sel, t.array)?;
    if t.stride > MAX_STRIDE {
        return Err(sel.unsupported(format!("a matrix tile stride of {}", t.stride)));
    }
    if dt != DType::F32 || t.stride < 16 {
        return Err(sel.malformed(format!(
            "matrix result tile of {dt:?} with stride {}",
            t.stride
        )));
    }
    tile_addr(sel, t, 4, ln.half, t.stride, Some(ln.low))
}

/// `ds_load_b32` (`load`) or `ds_store_b32` of the 8 C/D registers.
fn move_d(sel: &mut Sel, addr: LdsAddr, stride: u32, frag: Piece, load: bool) {
    for v in 0..8u8 {
        let (base, off) = addr.at(sel, 2 * u32::from(v) * stride * 4);
        let part = Piece {
            offset: frag.offset + v,
            ..frag
        };
        if load {
            sel.ds(
                op("ds_load_b32"),
                Some((part, Access::Def)),
                base,
                None,
                off,
            );
        } else {
            sel.ds(op("ds_store_b32"), None, base, Some(part), off);
        }
    }
}

/// `v_wmma_f32_16x16x16_{f16,bf16} acc, a, b, acc`: C and D are the same tuple.
fn wmma(sel: &mut Sel, dt: DType, acc: Piece, a: Piece, b: Piece) {
    let name = match dt {
        DType::BF16 => "v_wmma_f32_16x16x16_bf16",
        _ => "v_wmma_f32_16x16x16_f16",
    };
    let regs = vec![
        vref(Slot::Dst, acc, Access::UseDef),
        vref(Slot::Src(0), a, Access::Use),
        vref(Slot::Src(1), b, Access::Use),
        vref(Slot::Src(2), acc, Access::Use),
    ];
    sel.push(wmma_inst(op(name)), regs);
}

/// The WMMA instruction with placeholders (op_sel_hi is fixed at all ones for WMMA).
fn wmma_inst(op: Op) -> Inst {
    Inst::Vop3p {
        op,
        vdst: Operand::Vgpr(0),
        src: [Operand::Vgpr(0); 3],
        mods: PMods {
            op_sel_hi: 0b111,
            ..PMods::default()
        },
    }
}

/// A and B loaded for one multiply, with their dtype.
fn operands(
    sel: &mut Sel,
    a: &TileRef,
    b: &TileRef,
    ln: Lane,
) -> Result<(DType, Piece, Piece), IselError> {
    let (da, db) = (half_dtype(sel, a)?, half_dtype(sel, b)?);
    if da != db {
        return Err(sel.malformed(format!("matrix operands of {da:?} and {db:?}")));
    }
    let ra = load_a(sel, a, ln)?;
    let rb = load_b(sel, b, ln)?;
    Ok((da, ra, rb))
}

pub(super) fn tile(sel: &mut Sel, t: &MatrixTile) -> Result<(), IselError> {
    let ln = lane(sel);
    let (dt, a, b) = operands(sel, &t.a, &t.b, ln)?;
    let addr = d_addr(sel, &t.d, ln)?;
    let acc = sel.new_v(8);
    move_d(sel, addr, t.d.stride, acc, true);
    wmma(sel, dt, acc, a, b);
    move_d(sel, addr, t.d.stride, acc, false);
    Ok(())
}

/// The fragment's 8-VGPR tuple: one per fragment for the whole kernel, so every version
/// (zero, each multiply, across loops and ifs) lives in the same registers.
fn frag_reg(sel: &mut Sel, f: FragId) -> Result<Piece, IselError> {
    let slot = sel
        .frags
        .get(f.index())
        .copied()
        .ok_or_else(|| sel.malformed(format!("fragment {} does not exist", f.index())))?;
    let reg = match slot {
        Some(r) => r,
        None => {
            let r = sel.mir.vreg(crate::mir::RegClass::V, 8);
            sel.frags[f.index()] = Some(r);
            r
        }
    };
    Ok(Piece {
        reg,
        offset: 0,
        class: crate::mir::RegClass::V,
    })
}

pub(super) fn fragment_zero(sel: &mut Sel, f: FragId) -> Result<(), IselError> {
    let acc = frag_reg(sel, f)?;
    for v in 0..8u8 {
        let part = Piece { offset: v, ..acc };
        sel.valu(op("v_mov_b32"), part, &[Src::Const(Operand::Int(0))]);
    }
    Ok(())
}

pub(super) fn fragment_mma(
    sel: &mut Sel,
    f: FragId,
    a: &TileRef,
    b: &TileRef,
) -> Result<(), IselError> {
    let acc = frag_reg(sel, f)?;
    let ln = lane(sel);
    let (dt, ra, rb) = operands(sel, a, b, ln)?;
    wmma(sel, dt, acc, ra, rb);
    Ok(())
}

pub(super) fn fragment_store(sel: &mut Sel, f: FragId, d: &TileRef) -> Result<(), IselError> {
    let acc = frag_reg(sel, f)?;
    let ln = lane(sel);
    let addr = d_addr(sel, d, ln)?;
    move_d(sel, addr, d.stride, acc, false);
    Ok(())
}
