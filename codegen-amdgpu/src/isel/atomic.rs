//! Atomics without return: `global_atomic_add_f32`/`_add_u32`/`_max_i32`/`_min_i32`,
//! `ds_add_f32`/`ds_add_u32`/`ds_max_i32`/`ds_min_i32`.
//!
//! Global atomics are addressed like global stores: the buffer's base address in an SGPR
//! pair (`saddr`) plus a 32-bit byte offset in a VGPR; GLC is off, so they return nothing
//! and count only on `vscnt`. LDS atomics use the shared-array address of [`super::lds`].

use super::emit::op;
use super::lds::element_addr;
use super::{IselError, Piece, Sel, Src};
use crate::isa::{Cache, Inst, Operand};
use crate::mir::{Access, RegRef, Slot};
use cranelift_entity::EntityRef;
use egpu_ir::DType;
use egpu_ir::kernel::{Atomic, AtomicOp, Memory, Param, ParamId};

/// One atomic statement; `index` and `value` are its operands' registers.
pub(super) fn atomic(
    sel: &mut Sel,
    a: &Atomic,
    index: Piece,
    value: Piece,
) -> Result<(), IselError> {
    let dt = sel
        .kernel
        .value(a.value)
        .map(|v| v.ty.dtype)
        .ok_or_else(|| sel.malformed("atomic of a value that does not exist"))?;
    let suffix = match (a.op, dt) {
        (AtomicOp::Add, DType::F32) => "add_f32",
        (AtomicOp::Add, DType::I32) => "add_u32",
        (AtomicOp::Max, DType::I32) => "max_i32",
        (AtomicOp::Min, DType::I32) => "min_i32",
        _ => return Err(sel.malformed(format!("atomic_{} on {dt:?}", a.op.name()))),
    };
    let data = sel.to_vgpr(Src::Reg(value), 1);
    match a.target {
        Memory::Shared(array) => {
            let (base, off) = element_addr(sel, array, index, 4)?.at(sel, 0);
            sel.ds(op(&format!("ds_{suffix}")), None, base, Some(data), off);
        }
        Memory::Global(p) => {
            let saddr = buffer_base(sel, p)?;
            let offset = sel.new_v(1);
            sel.valu(op("v_lshlrev_b32"), offset, &[sel.imm(2), Src::Reg(index)]);
            let regs = vec![
                RegRef {
                    slot: Slot::Addr,
                    reg: offset.reg,
                    offset: offset.offset,
                    access: Access::Use,
                },
                RegRef {
                    slot: Slot::Data0,
                    reg: data.reg,
                    offset: data.offset,
                    access: Access::Use,
                },
                RegRef {
                    slot: Slot::Saddr,
                    reg: saddr.reg,
                    offset: saddr.offset,
                    access: Access::Use,
                },
            ];
            let inst = Inst::Flat {
                op: op(&format!("global_atomic_{suffix}")),
                vdst: Operand::None,
                addr: Operand::Vgpr(0),
                data: Operand::Vgpr(0),
                saddr: Operand::Sgpr(0),
                offset: 0,
                cache: Cache::default(),
            };
            sel.push(inst, regs);
        }
    }
    Ok(())
}

/// The base address (SGPR pair) of a buffer parameter whose byte offsets fit 32 bits.
fn buffer_base(sel: &Sel, p: ParamId) -> Result<Piece, IselError> {
    let Some(Param::Buffer { len, name, .. }) = sel.kernel.param(p) else {
        return Err(sel.malformed("atomic on a parameter that is not a buffer"));
    };
    if (*len as u64) * 4 > u64::from(u32::MAX) {
        return Err(sel.unsupported(format!("atomics on buffer {name} of 4 GiB or more")));
    }
    sel.entry
        .params
        .get(p.index())
        .copied()
        .flatten()
        .ok_or_else(|| sel.malformed(format!("buffer {name} has no base address register")))
}
