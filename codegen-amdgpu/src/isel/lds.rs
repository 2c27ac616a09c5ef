//! Shared arrays in LDS: loads and stores (`ds_load`/`ds_store`, byte addresses from the
//! array's offset), and `barrier` (`s_barrier` with the release before it and the acquire
//! after it that the memory model needs).
//!
//! Addresses: a VGPR holds `index · size` (or 0 for a constant index) and the DS
//! instruction's 16-bit offset field holds the array's LDS offset plus the constant part
//! (element `i` of a vector, a constant index), so the elements of a vector share one
//! address register. Masks switch lanes off through EXEC (`s_and_saveexec_b32`), and a
//! masked load then selects 0 for the lanes that were off.
//!
//! Widths: 4- and 8-byte elements move in naturally aligned runs of up to 16 bytes
//! (`ds_load_b32/b64/b128`, the elements being pieces of the loaded tuple); 8- and 16-bit
//! vectors load the same way and split with shifts/`v_bfe` into the 32-bit value form,
//! 16-bit vectors store packed in pairs (`v_perm_b32`), bytes and bools one at a time.
//! Bools are bytes 0/1 in memory and lane masks in registers.

use super::emit::op;
use super::{IselError, Piece, Sel, Src, Val};
use crate::isa::{Inst, Op, Operand};
use crate::mir::{Access, RegRef, Slot};
use cranelift_entity::EntityRef;
use egpu_ir::DType;
use egpu_ir::Scalar;
use egpu_ir::kernel::{Access as MemAccess, Expr, Kernel, Param, SharedId, ValueType};

/// Each shared array's byte offset in LDS (16-byte aligned, in declaration order) and the
/// total LDS bytes.
pub(super) fn layout(kernel: &Kernel) -> (Vec<u32>, u32) {
    let mut offsets = Vec::new();
    let mut at = 0u32;
    for (_, a) in kernel.shared_arrays() {
        offsets.push(at);
        let bytes = (a.len * a.dtype.size_bytes()) as u32;
        at = (at + bytes).div_ceil(16) * 16;
    }
    (offsets, at)
}

/// A DS byte address: a VGPR plus a constant (which goes into the offset field).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct LdsAddr {
    pub base: Piece,
    pub imm: u32,
}

impl LdsAddr {
    /// The address `extra` bytes further as (VGPR, offset field); when the sum does not
    /// fit the 16-bit field, a `v_add_nc_u32` folds it into a new VGPR.
    pub(super) fn at(self, sel: &mut Sel, extra: u32) -> (Piece, u16) {
        let total = self.imm.wrapping_add(extra);
        match u16::try_from(total) {
            Ok(o) => (self.base, o),
            Err(_) => {
                let d = sel.new_v(1);
                let k = sel.imm(total);
                sel.valu(op("v_add_nc_u32"), d, &[k, Src::Reg(self.base)]);
                (d, 0)
            }
        }
    }
}

fn vref(slot: Slot, p: Piece, access: Access) -> RegRef {
    RegRef {
        slot,
        reg: p.reg,
        offset: p.offset,
        access,
    }
}

impl Sel<'_> {
    /// A DS instruction: `dst` (register and how it is accessed: `Def` for loads,
    /// `UseDef` for `_d16` loads that keep the other half), the address VGPR, the data
    /// VGPR(s) and the byte offset.
    pub(super) fn ds(
        &mut self,
        op: Op,
        dst: Option<(Piece, Access)>,
        addr: Piece,
        data: Option<Piece>,
        offset: u16,
    ) {
        let mut regs = Vec::new();
        let mut vdst = Operand::None;
        if let Some((d, access)) = dst {
            regs.push(vref(Slot::Dst, d, access));
            vdst = Operand::Vgpr(0);
        }
        regs.push(vref(Slot::Addr, addr, Access::Use));
        let mut data0 = Operand::None;
        if let Some(d) = data {
            regs.push(vref(Slot::Data0, d, Access::Use));
            data0 = Operand::Vgpr(0);
        }
        let inst = Inst::Ds {
            op,
            vdst,
            addr: Operand::Vgpr(0),
            data0,
            data1: Operand::None,
            offset0: offset as u8,
            offset1: (offset >> 8) as u8,
            gds: false,
        };
        self.push(inst, regs);
    }

    /// Runs `body` with EXEC narrowed to the lanes of `mask` (an SGPR lane mask), then
    /// restores EXEC.
    pub(super) fn with_exec<T>(&mut self, mask: Piece, body: impl FnOnce(&mut Self) -> T) -> T {
        let saved = self.new_s(1);
        self.sop1_fixed(
            op("s_and_saveexec_b32"),
            Operand::None,
            Some(saved),
            Src::Reg(mask),
        );
        let out = body(self);
        self.sop1_fixed(op("s_mov_b32"), Operand::ExecLo, None, Src::Reg(saved));
        out
    }
}

/// The constant `p` holds, when `p` is the register of a constant integer value (a value's
/// registers hold its value wherever it is live, so this is sound).
pub(super) fn known_const(sel: &Sel, p: Piece) -> Option<i64> {
    sel.kernel.values().find_map(|(id, v)| match v.expr {
        Expr::Const(Scalar::Int(n)) => {
            let held = sel.vals.get(id.index())?.as_ref()?;
            (held.elems.as_slice() == [p]).then(|| i64::try_from(n).ok())?
        }
        _ => None,
    })
}

/// The address of element `index` of a shared array of `size`-byte elements.
pub(super) fn element_addr(
    sel: &mut Sel,
    array: SharedId,
    index: Piece,
    size: u32,
) -> Result<LdsAddr, IselError> {
    let at = array_offset(sel, array)?;
    if let Some(c) = known_const(sel, index) {
        let bytes = c
            .checked_mul(i64::from(size))
            .and_then(|b| b.checked_add(i64::from(at)));
        if let Some(imm @ 0..=0xffff) = bytes.and_then(|b| u32::try_from(b).ok()) {
            let base = sel.to_vgpr(Src::Const(Operand::Int(0)), 1);
            return Ok(LdsAddr { base, imm });
        }
    }
    let base = match size {
        1 => sel.to_vgpr(Src::Reg(index), 1),
        _ => {
            let d = sel.new_v(1);
            let shift = sel.imm(size.trailing_zeros());
            sel.valu(op("v_lshlrev_b32"), d, &[shift, Src::Reg(index)]);
            d
        }
    };
    Ok(LdsAddr { base, imm: at })
}

/// The LDS byte offset of a shared array.
pub(super) fn array_offset(sel: &Sel, array: SharedId) -> Result<u32, IselError> {
    sel.lds_offsets
        .get(array.index())
        .copied()
        .ok_or_else(|| sel.malformed(format!("shared array {} has no LDS offset", array.index())))
}

/// The dtype of a shared array.
pub(super) fn array_dtype(sel: &Sel, array: SharedId) -> Result<DType, IselError> {
    sel.kernel
        .shared(array)
        .map(|a| a.dtype)
        .ok_or_else(|| sel.malformed(format!("shared array {} does not exist", array.index())))
}

/// `load array[index]` of type `ty` (width 1–8), `mask` a bool of width 1 or `ty.width`.
pub(super) fn load(
    sel: &mut Sel,
    array: SharedId,
    index: Piece,
    ty: ValueType,
    mask: Option<&Val>,
) -> Result<Val, IselError> {
    let dt = array_dtype(sel, array)?;
    if dt != ty.dtype {
        return Err(sel.malformed(format!("load of {ty:?} from a {dt:?} shared array")));
    }
    let size = dt.size_bytes() as u32;
    let addr = element_addr(sel, array, index, size)?;
    let w = ty.width;
    let elems = match mask.map(|m| m.elems.as_slice()) {
        None => {
            let raw = load_run(sel, addr, dt, 0, w);
            raw.into_iter().map(|p| to_bool(sel, dt, p)).collect()
        }
        Some([m]) => {
            let raw = sel.with_exec(*m, |sel| load_run(sel, addr, dt, 0, w));
            zero_off(sel, dt, &raw, *m)
        }
        Some(ms) if ms.len() == w as usize => {
            let mut out = Vec::new();
            for (i, m) in ms.iter().enumerate() {
                let raw = sel.with_exec(*m, |sel| load_run(sel, addr, dt, i as u32, 1));
                out.extend(zero_off(sel, dt, &raw, *m));
            }
            out
        }
        Some(ms) => {
            return Err(sel.malformed(format!("mask of width {} on a load of {w}", ms.len())));
        }
    };
    Ok(Val { elems })
}

/// Elements `first .. first + count` from `addr`, raw: bools as bytes 0/1 in VGPRs (the
/// callers make lane masks of them, after zeroing masked-off lanes).
fn load_run(sel: &mut Sel, addr: LdsAddr, dt: DType, first: u32, count: u32) -> Vec<Piece> {
    let size = dt.size_bytes() as u32;
    let mut out = Vec::new();
    if size < 4 && count > 1 {
        return load_packed(sel, addr, dt, first, count);
    }
    if size < 4 {
        let name = match dt {
            DType::I8 => "ds_load_i8",
            DType::Bool | DType::U8 => "ds_load_u8",
            DType::I16 => "ds_load_i16",
            _ => "ds_load_u16",
        };
        for i in first..first + count {
            let (base, off) = addr.at(sel, i * size);
            let d = sel.new_v(1);
            sel.ds(op(name), Some((d, Access::Def)), base, None, off);
            out.push(d);
        }
        return out;
    }
    let per_elem = (size / 4) as u8;
    for (start, n) in chunks(first, count, size) {
        let bytes = n * size;
        let (base, off) = addr.at(sel, start * size);
        let d = sel.new_v((bytes / 4) as u8);
        sel.ds(
            op(wide_name(Dir::Load, bytes)),
            Some((d, Access::Def)),
            base,
            None,
            off,
        );
        for j in 0..n as u8 {
            out.push(Piece {
                offset: j * per_elem,
                ..d
            });
        }
    }
    out
}

/// 8- or 16-bit elements of a vector: one load per 16 bytes, then each element taken out
/// of its dword with the dtype's extension (raw, like [`load_run`]: bools as bytes).
fn load_packed(sel: &mut Sel, addr: LdsAddr, dt: DType, first: u32, count: u32) -> Vec<Piece> {
    let size = dt.size_bytes() as u32;
    let mut words = Vec::new();
    for (start, n) in chunks(first, count, size) {
        let bytes = n * size;
        let (base, off) = addr.at(sel, start * size);
        let d = sel.new_v(bytes.div_ceil(4) as u8);
        let name = if bytes == 2 {
            "ds_load_u16"
        } else {
            wide_name(Dir::Load, bytes)
        };
        sel.ds(op(name), Some((d, Access::Def)), base, None, off);
        words.extend((0..bytes.div_ceil(4) as u8).map(|k| Piece { offset: k, ..d }));
    }
    (0..count)
        .map(|e| {
            let byte = e * size;
            extract(sel, dt, words[(byte / 4) as usize], (byte % 4) * 8)
        })
        .collect()
}

/// The 8- or 16-bit field at `bit` of `w`, sign-extended for i8/i16, else zero-extended.
fn extract(sel: &mut Sel, dt: DType, w: Piece, bit: u32) -> Piece {
    let bits = dt.size_bytes() as u32 * 8;
    let signed = matches!(dt, DType::I8 | DType::I16);
    let d = sel.new_v(1);
    let (name, srcs) = match (signed, bit) {
        (true, _) if bit + bits == 32 => ("v_ashrrev_i32", vec![sel.imm(bit), Src::Reg(w)]),
        (false, _) if bit + bits == 32 => ("v_lshrrev_b32", vec![sel.imm(bit), Src::Reg(w)]),
        (false, 0) => ("v_and_b32", vec![sel.imm((1 << bits) - 1), Src::Reg(w)]),
        _ => {
            let name = if signed { "v_bfe_i32" } else { "v_bfe_u32" };
            (name, vec![Src::Reg(w), sel.imm(bit), sel.imm(bits)])
        }
    };
    sel.valu(op(name), d, &srcs);
    d
}

/// Runs of whole elements, at most 16 bytes each: `(first element, count)`.
/// The IR keeps a width-`w` access at an index that is a multiple of `w`, and arrays are
/// 16-byte aligned, so each run is naturally aligned.
fn chunks(first: u32, count: u32, size: u32) -> Vec<(u32, u32)> {
    let per = (16 / size).min(count).max(1);
    (0..count.div_ceil(per))
        .map(|k| (first + k * per, per.min(count - k * per)))
        .collect()
}

fn wide_name(dir: Dir, bytes: u32) -> &'static str {
    match (dir, bytes) {
        (Dir::Load, 4) => "ds_load_b32",
        (Dir::Load, 8) => "ds_load_b64",
        (Dir::Load, _) => "ds_load_b128",
        (Dir::Store, 4) => "ds_store_b32",
        (Dir::Store, 8) => "ds_store_b64",
        (Dir::Store, _) => "ds_store_b128",
    }
}

/// Which way a wide DS access goes.
#[derive(Clone, Copy)]
enum Dir {
    Load,
    Store,
}

/// The loaded elements with the lanes outside `mask` set to 0, in the value representation
/// (a bool becomes a lane mask).
fn zero_off(sel: &mut Sel, dt: DType, raw: &[Piece], mask: Piece) -> Vec<Piece> {
    let dwords = if dt.size_bytes() == 8 { 2 } else { 1 };
    raw.iter()
        .map(|&p| {
            let d = sel.new_v(dwords);
            for k in 0..dwords {
                let part = |x: Piece| Piece {
                    offset: x.offset + k,
                    ..x
                };
                sel.cndmask(
                    part(d),
                    Src::Const(Operand::Int(0)),
                    Src::Reg(part(p)),
                    mask,
                );
            }
            to_bool(sel, dt, d)
        })
        .collect()
}

/// A loaded element in the value representation: a bool byte becomes a lane mask.
fn to_bool(sel: &mut Sel, dt: DType, p: Piece) -> Piece {
    if dt == DType::Bool {
        sel.vcmp(op("v_cmp_ne_u32"), Src::Const(Operand::Int(0)), Src::Reg(p))
    } else {
        p
    }
}

/// `store array[index] = value` (elements of `value` of the array's dtype).
pub(super) fn store(
    sel: &mut Sel,
    array: SharedId,
    index: Piece,
    value: &Val,
    mask: Option<&Val>,
) -> Result<(), IselError> {
    let dt = array_dtype(sel, array)?;
    let size = dt.size_bytes() as u32;
    let addr = element_addr(sel, array, index, size)?;
    let elems = value.elems.as_slice();
    match mask.map(|m| m.elems.as_slice()) {
        None => store_run(sel, addr, dt, 0, elems),
        Some([m]) => sel.with_exec(*m, |sel| store_run(sel, addr, dt, 0, elems)),
        Some(ms) if ms.len() == elems.len() => {
            for (i, (m, e)) in ms.iter().zip(elems).enumerate() {
                sel.with_exec(*m, |sel| store_run(sel, addr, dt, i as u32, &[*e]));
            }
        }
        Some(ms) => {
            let n = elems.len();
            return Err(sel.malformed(format!("mask of width {} on a store of {n}", ms.len())));
        }
    }
    Ok(())
}

/// Stores `elems` as elements `first ..` from `addr`.
fn store_run(sel: &mut Sel, addr: LdsAddr, dt: DType, first: u32, elems: &[Piece]) {
    let size = dt.size_bytes() as u32;
    if size == 2 && elems.len() > 1 {
        return store_packed16(sel, addr, first, elems);
    }
    if size < 4 {
        let name = if size == 1 {
            "ds_store_b8"
        } else {
            "ds_store_b16"
        };
        for (i, &e) in elems.iter().enumerate() {
            let data = match dt {
                DType::Bool => {
                    let d = sel.new_v(1);
                    sel.cndmask(
                        d,
                        Src::Const(Operand::Int(0)),
                        Src::Const(Operand::Int(1)),
                        e,
                    );
                    d
                }
                _ => sel.to_vgpr(Src::Reg(e), 1),
            };
            let (base, off) = addr.at(sel, (first + i as u32) * size);
            sel.ds(op(name), None, base, Some(data), off);
        }
        return;
    }
    for (start, n) in chunks(first, elems.len() as u32, size) {
        let part = &elems[(start - first) as usize..(start - first + n) as usize];
        let data = tuple(sel, part, (size / 4) as u8);
        let (base, off) = addr.at(sel, start * size);
        sel.ds(
            op(wide_name(Dir::Store, n * size)),
            None,
            base,
            Some(data),
            off,
        );
    }
}

/// 16-bit elements of a vector, two per dword (`v_perm_b32` takes the low halves whatever
/// the upper bits hold: selector bytes 0, 1 from src1, 4, 5 from src0), one store per 16 bytes.
fn store_packed16(sel: &mut Sel, addr: LdsAddr, first: u32, elems: &[Piece]) {
    for (start, n) in chunks(first, elems.len() as u32, 2) {
        let at = (start - first) as usize;
        let data = sel.new_v((n / 2) as u8);
        for j in 0..(n / 2) as usize {
            let (lo, hi) = (elems[at + 2 * j], elems[at + 2 * j + 1]);
            let dst = Piece {
                offset: j as u8,
                ..data
            };
            let sel_bytes = Src::Const(Operand::Literal(0x0504_0100));
            sel.valu(
                op("v_perm_b32"),
                dst,
                &[Src::Reg(hi), Src::Reg(lo), sel_bytes],
            );
        }
        let (base, off) = addr.at(sel, start * 2);
        sel.ds(
            op(wide_name(Dir::Store, n * 2)),
            None,
            base,
            Some(data),
            off,
        );
    }
}

/// `elems` (each `per` dwords) as one VGPR tuple: the elements themselves when they already
/// are consecutive registers of one VGPR tuple, else a copy.
pub(super) fn tuple(sel: &mut Sel, elems: &[Piece], per: u8) -> Piece {
    let first = elems[0];
    let in_place = first.class == crate::mir::RegClass::V
        && elems.iter().enumerate().all(|(i, e)| {
            e.reg == first.reg && e.class == first.class && e.offset == first.offset + i as u8 * per
        });
    if in_place {
        return first;
    }
    let d = sel.new_v(elems.len() as u8 * per);
    for (i, &e) in elems.iter().enumerate() {
        let at = Piece {
            offset: i as u8 * per,
            ..d
        };
        sel.copy(at, Src::Reg(e), per);
    }
    d
}

/// `barrier`: the release (every LDS access, and where lanes may communicate through global
/// memory every global access, complete), `s_barrier`, then the acquire (`buffer_gl0_inv`:
/// in WGP mode the waves of a workgroup may sit on the two CUs of a WGP, each with its own
/// L0 cache, so a wave must drop lines the other CU's stores made stale).
pub(super) fn barrier(sel: &mut Sel) -> Result<(), IselError> {
    let global = shares_global(sel.kernel);
    // s_waitcnt: vmcnt [15:10], lgkmcnt [9:4], expcnt [2:0]; all ones = no wait.
    let wait: u16 = if global { 0x0007 } else { 0xfc07 };
    sel.push(
        Inst::Sopp {
            op: op("s_waitcnt"),
            imm: wait,
        },
        Vec::new(),
    );
    if global {
        sel.push(
            Inst::Sopk {
                op: op("s_waitcnt_vscnt"),
                sdst: Operand::Null,
                imm: 0,
            },
            Vec::new(),
        );
    }
    let barrier = Inst::Sopp {
        op: op("s_barrier"),
        imm: 0,
    };
    sel.push(barrier, Vec::new());
    if global {
        sel.push(
            Inst::Sopp {
                op: op("buffer_gl0_inv"),
                imm: 0,
            },
            Vec::new(),
        );
    }
    Ok(())
}

/// Whether lanes of a workgroup may communicate through global memory: only through a
/// `read_write` buffer (a `read` buffer is never stored to, a `write` one never loaded).
fn shares_global(kernel: &Kernel) -> bool {
    kernel.params().any(|(_, p)| {
        matches!(
            p,
            Param::Buffer {
                access: MemAccess::ReadWrite,
                ..
            }
        )
    })
}
