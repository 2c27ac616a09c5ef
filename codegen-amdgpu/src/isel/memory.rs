//! Global loads and stores: `global_load`/`global_store` of 1 to 16 bytes with the
//! buffer's base in an SGPR pair (`saddr`) and a 32-bit lane byte offset in a VGPR, or a
//! 64-bit VGPR address where a buffer exceeds 4 GiB; masks through EXEC.
//!
//! Elements of 4 and 8 bytes move in chunks of up to 16 bytes (b32/b64/b128: an access of
//! `w` elements starts at a multiple of `w`, so each chunk is naturally aligned); 1- and
//! 2-byte elements one by one (`global_load_u8/i8/u16/i16`, `global_store_b8/b16`; f16 and
//! bf16 as u16, bool as a byte 0/1). A mask of width 1 narrows EXEC around the whole
//! access; a per-element mask around each element. A masked load zeroes its destination
//! first, under the outer EXEC: a load under a narrowed EXEC leaves the other lanes alone.

use super::control::{narrow_exec, restore_exec};
use super::emit::op;
use super::value::dwords;
use super::{IselError, Piece, Sel, Src, Val};
use crate::isa::{Cache, Inst, Operand};
use crate::mir::{Access, RegRef, Slot};
use cranelift_entity::EntityRef;
use egpu_ir::DType;
use egpu_ir::kernel::{Param, ParamId, ValueType};

/// Where a lane's access starts.
#[derive(Clone, Copy, Debug)]
enum Addr {
    /// `saddr` + a 32-bit unsigned byte offset in a VGPR.
    Offset { base: Piece, offset: Piece },
    /// A 64-bit address in a VGPR pair (`saddr` off).
    Flat(Piece),
}

/// The buffer parameter's dtype, length and base registers.
fn buffer(sel: &Sel, p: ParamId) -> Result<(DType, usize, Piece), IselError> {
    let (dt, len) = match sel.kernel.param(p) {
        Some(Param::Buffer { dtype, len, .. }) => (*dtype, *len),
        _ => return Err(sel.malformed(format!("{p:?} is not a buffer"))),
    };
    let base = sel
        .entry
        .params
        .get(p.index())
        .copied()
        .flatten()
        .ok_or_else(|| sel.malformed(format!("{p:?} has no base address")))?;
    Ok((dt, len, base))
}

/// The address of element `index` (an i32 or i64 element) of buffer `p`.
fn address(sel: &mut Sel, p: ParamId, index: Piece, index_dt: DType) -> Result<Addr, IselError> {
    let (dt, len, base) = buffer(sel, p)?;
    let shift = dt.size_bytes().trailing_zeros();
    let bytes = (len as u128) * (dt.size_bytes() as u128);
    if bytes <= u128::from(u32::MAX) {
        // An active index lies in the buffer, so its low dword is the whole index (also
        // for i64) and the byte offset fits 32 bits.
        let offset = lane_offset(sel, index, shift);
        return Ok(Addr::Offset { base, offset });
    }
    let idx = if index_dt == DType::I64 {
        index
    } else {
        let w = sel.new_v(2);
        sel.copy(w, Src::Reg(index), 1);
        sel.valu(op("v_ashrrev_i32"), w.hi(), &[sel.imm(31), Src::Reg(w)]);
        w
    };
    let off = sel.new_v(2);
    sel.valu(op("v_lshlrev_b64"), off, &[sel.imm(shift), Src::Reg(idx)]);
    let a = sel.new_v(2);
    let carry = sel.new_s(1);
    let mods = Default::default();
    sel.valu_sd(
        op("v_add_co_u32"),
        a,
        Some(carry),
        &[base.into(), off.into()],
        mods,
    );
    sel.valu_sd(
        op("v_add_co_ci_u32"),
        a.hi(),
        None,
        &[base.hi().into(), off.hi().into(), carry.into()],
        mods,
    );
    Ok(Addr::Flat(a))
}

/// `index << shift` in a VGPR, computed once per block (see [`Sel::open_scope`]).
fn lane_offset(sel: &mut Sel, index: Piece, shift: u32) -> Piece {
    let known = sel
        .offsets
        .iter()
        .find(|(i, s, _)| *i == index && *s == shift);
    if let Some(&(_, _, off)) = known {
        return off;
    }
    let i = sel.src(index);
    let offset = if shift == 0 {
        sel.to_vgpr(i, 1)
    } else {
        let d = sel.new_v(1);
        sel.valu(op("v_lshlrev_b32"), d, &[sel.imm(shift), i]);
        d
    };
    sel.offsets.push((index, shift, offset));
    offset
}

/// One GLOBAL instruction. `vdst_access` says how the destination is written (a load
/// under a narrowed EXEC keeps the other lanes' values: `UseDef`).
fn global(
    sel: &mut Sel,
    name: &str,
    vdst: Option<(Piece, Access)>,
    addr: Addr,
    data: Option<Piece>,
    offset: i16,
) {
    let mut regs = Vec::new();
    let vdst_op = match vdst {
        Some((d, access)) => {
            regs.push(reg(Slot::Dst, d, access));
            Operand::Vgpr(0)
        }
        None => Operand::None,
    };
    let saddr = match addr {
        Addr::Offset { base, offset } => {
            regs.push(reg(Slot::Addr, offset, Access::Use));
            regs.push(reg(Slot::Saddr, base, Access::Use));
            Operand::Sgpr(0)
        }
        Addr::Flat(a) => {
            regs.push(reg(Slot::Addr, a, Access::Use));
            Operand::Null
        }
    };
    let data_op = match data {
        Some(d) => {
            regs.push(reg(Slot::Data0, d, Access::Use));
            Operand::Vgpr(0)
        }
        None => Operand::None,
    };
    let inst = Inst::Flat {
        op: op(name),
        vdst: vdst_op,
        addr: Operand::Vgpr(0),
        data: data_op,
        saddr,
        offset,
        cache: Cache::default(),
    };
    sel.push(inst, regs);
}

fn reg(slot: Slot, p: Piece, access: Access) -> RegRef {
    RegRef {
        slot,
        reg: p.reg,
        offset: p.offset,
        access,
    }
}

/// A run of elements moved by one instruction: the first element, how many, the opcode.
fn chunks(dt: DType, first: u32, count: u32, load: bool) -> Vec<(u32, u32, &'static str)> {
    let size = dt.size_bytes() as u32;
    let mut out = Vec::new();
    let mut at = first;
    while at < first + count {
        let left = (first + count - at) * size;
        let (bytes, name) = match (size, load) {
            (1, true) => (1, small_load(dt)),
            (2, true) => (2, small_load(dt)),
            (1, false) => (1, "global_store_b8"),
            (2, false) => (2, "global_store_b16"),
            (_, true) if left >= 16 => (16, "global_load_b128"),
            (_, false) if left >= 16 => (16, "global_store_b128"),
            (_, true) if left >= 8 => (8, "global_load_b64"),
            (_, false) if left >= 8 => (8, "global_store_b64"),
            (_, true) => (4, "global_load_b32"),
            (_, false) => (4, "global_store_b32"),
        };
        out.push((at, bytes / size, name));
        at += bytes / size;
    }
    out
}

/// The sub-dword load that leaves the value as the value representation wants it.
fn small_load(dt: DType) -> &'static str {
    match dt {
        DType::I8 => "global_load_i8",
        DType::I16 => "global_load_i16",
        DType::Bool | DType::U8 => "global_load_u8",
        _ => "global_load_u16",
    }
}

/// `load buffer[index]` of type `ty`, `mask` a bool of width 1 or `ty.width`.
pub(super) fn load(
    sel: &mut Sel,
    p: ParamId,
    index: Piece,
    index_dt: DType,
    ty: ValueType,
    mask: Option<&Val>,
) -> Result<Val, IselError> {
    let dt = ty.dtype;
    check_mask(sel, mask, ty.width)?;
    let addr = address(sel, p, index, index_dt)?;
    // Sub-dword elements take a dword each; wider ones their natural registers.
    let per = dwords(dt);
    let total = u8::try_from(ty.width * u32::from(per))
        .ok()
        .filter(|&n| (1..=16).contains(&n))
        .ok_or_else(|| sel.unsupported(format!("a load of {ty}")))?;
    let tuple = sel.new_v(total);
    let elem = |k: u32| Piece {
        offset: tuple.offset + (k * u32::from(per)) as u8,
        ..tuple
    };
    let size = dt.size_bytes() as u32;
    let emit = |sel: &mut Sel, first: u32, count: u32, access: Access| {
        for (at, _, name) in chunks(dt, first, count, true) {
            global(
                sel,
                name,
                Some((elem(at), access)),
                addr,
                None,
                (at * size) as i16,
            );
        }
    };
    match mask {
        None => emit(sel, 0, ty.width, Access::Def),
        Some(m) => {
            for k in 0..total {
                sel.copy(Piece { offset: k, ..tuple }, sel.imm(0), 1);
            }
            if m.elems.len() == 1 {
                let save = narrow_exec(sel, m.elems[0]);
                emit(sel, 0, ty.width, Access::UseDef);
                restore_exec(sel, save);
            } else {
                for (k, &mk) in m.elems.iter().enumerate() {
                    let save = narrow_exec(sel, mk);
                    emit(sel, k as u32, 1, Access::UseDef);
                    restore_exec(sel, save);
                }
            }
        }
    }
    let mut elems: Vec<Piece> = (0..ty.width).map(elem).collect();
    if dt.is_bool() {
        for e in &mut elems {
            *e = sel.vcmp(op("v_cmp_ne_u32"), sel.imm(0), Src::Reg(*e));
        }
    }
    Ok(Val { elems })
}

/// `store buffer[index] = value` (elements of the buffer's dtype), `mask` as for loads.
pub(super) fn store(
    sel: &mut Sel,
    p: ParamId,
    index: Piece,
    index_dt: DType,
    value: &Val,
    mask: Option<&Val>,
) -> Result<(), IselError> {
    let (dt, _, _) = buffer(sel, p)?;
    let width = value.elems.len() as u32;
    check_mask(sel, mask, width)?;
    let addr = address(sel, p, index, index_dt)?;
    match mask {
        None => store_elems(sel, dt, addr, value, 0, width),
        Some(m) if m.elems.len() == 1 => {
            let save = narrow_exec(sel, m.elems[0]);
            store_elems(sel, dt, addr, value, 0, width);
            restore_exec(sel, save);
        }
        Some(m) => {
            for (k, &mk) in m.elems.iter().enumerate() {
                let save = narrow_exec(sel, mk);
                store_elems(sel, dt, addr, value, k as u32, 1);
                restore_exec(sel, save);
            }
        }
    }
    Ok(())
}

/// A mask is one bool or one per element.
fn check_mask(sel: &Sel, mask: Option<&Val>, width: u32) -> Result<(), IselError> {
    match mask {
        Some(m) if m.elems.len() != 1 && m.elems.len() != width as usize => {
            Err(sel.malformed(format!(
                "a mask of width {} on an access of width {width}",
                m.elems.len()
            )))
        }
        _ => Ok(()),
    }
}

/// Stores elements `first .. first + count` of `value`.
fn store_elems(sel: &mut Sel, dt: DType, addr: Addr, value: &Val, first: u32, count: u32) {
    let size = dt.size_bytes() as u32;
    let per = dwords(dt);
    for (at, n, name) in chunks(dt, first, count, false) {
        let pieces = &value.elems[at as usize..(at + n) as usize];
        let data = if dt.is_bool() {
            let d = sel.new_v(1);
            sel.cndmask(d, sel.imm(0), sel.imm(1), pieces[0]);
            d
        } else {
            data_tuple(sel, pieces, per)
        };
        global(sel, name, None, addr, Some(data), (at * size) as i16);
    }
}

/// The elements in consecutive VGPRs (the elements themselves when they already are).
fn data_tuple(sel: &mut Sel, pieces: &[Piece], per: u8) -> Piece {
    if let [p] = pieces
        && !p.is_sgpr()
    {
        return *p;
    }
    let d = sel.new_v(pieces.len() as u8 * per);
    for (k, &p) in pieces.iter().enumerate() {
        let at = Piece {
            offset: k as u8 * per,
            ..d
        };
        sel.copy(at, Src::Reg(p), per);
    }
    d
}
