//! Register allocation: linear scan over the virtual registers of a [`Mir`], in program
//! order, with live ranges widened over loops (a value live into a loop header stays live
//! to the loop's back branch), tuples and SGPR alignment ([`crate::mir::VRegInfo::align`]),
//! pinned entry registers ([`Mir::pinned`]), and spilling to scratch when a kernel needs more
//! than the budget (256 VGPRs, 104 SGPRs less the reserved ones).
//!
//! Afterwards every instruction holds physical registers, `MInst::Inst::regs` is empty, and
//! [`Allocation`] says what the kernel descriptor needs.
//!
//! NOTE: this is a stand-in that gives every virtual register registers of its own (no
//! reuse, no spills), so the pipeline runs end to end while the linear scan is written.

use crate::isa::Operand;
use crate::mir::{MInst, Mir, RegClass, set_slot};

/// What allocation used, for the kernel descriptor and metadata.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Allocation {
    /// Next free VGPR (VGPRs used).
    pub vgprs: u32,
    /// Next free SGPR, not counting VCC.
    pub sgprs: u32,
    /// Whether any instruction reads or writes `vcc_lo`/`vcc_hi`.
    pub uses_vcc: bool,
    /// Scratch bytes per lane for spills (0 when nothing spilled).
    pub scratch_bytes_per_lane: u32,
}

/// Why a kernel could not be allocated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegallocError {
    #[error("register allocation: {0}")]
    Failed(String),
}

const VGPRS: u32 = 256;
const SGPRS: u32 = 106;

/// Allocates `mir` in place.
pub fn allocate(mir: &mut Mir) -> Result<Allocation, RegallocError> {
    let mut base = vec![u32::MAX; mir.vregs.len()];
    let mut next = [0u32; 2];
    for &(v, phys) in &mir.pinned {
        let info = mir.info(v);
        base[v.0 as usize] = u32::from(phys);
        let k = class_index(info.class);
        next[k] = next[k].max(u32::from(phys) + u32::from(info.dwords));
    }
    for (i, info) in mir.vregs.iter().enumerate() {
        if base[i] != u32::MAX {
            continue;
        }
        let k = class_index(info.class);
        let align = u32::from(info.align());
        let start = next[k].div_ceil(align) * align;
        base[i] = start;
        next[k] = start + u32::from(info.dwords);
    }
    if next[0] > SGPRS || next[1] > VGPRS {
        return Err(RegallocError::Failed(format!(
            "the stand-in allocator ran out of registers ({} SGPRs, {} VGPRs needed)",
            next[0], next[1]
        )));
    }
    let mut uses_vcc = false;
    for m in &mut mir.insts {
        if let MInst::Inst { inst, regs, .. } = m {
            for r in regs.drain(..) {
                let n = base[r.reg.0 as usize] + u32::from(r.offset);
                let o = match mir.vregs[r.reg.0 as usize].class {
                    RegClass::S => Operand::Sgpr(n as u8),
                    RegClass::V => Operand::Vgpr(n as u8),
                };
                if !set_slot(inst, r.slot, o) {
                    return Err(RegallocError::Failed(format!(
                        "{} has no slot {:?}",
                        inst.op().name(),
                        r.slot
                    )));
                }
            }
            uses_vcc |= crate::isa::print(inst).contains("vcc");
        }
    }
    Ok(Allocation {
        vgprs: next[1],
        sgprs: next[0],
        uses_vcc,
        scratch_bytes_per_lane: 0,
    })
}

fn class_index(c: RegClass) -> usize {
    match c {
        RegClass::S => 0,
        RegClass::V => 1,
    }
}
