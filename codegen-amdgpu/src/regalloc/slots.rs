//! What the allocator needs to know about an instruction's operand slots: how many
//! registers a slot spans (from the opcode table), which physical registers an instruction
//! names directly (entry registers read before isel copies them out), and whether it
//! touches VCC.

use crate::isa::{Fmt, Inst, Operand};
use crate::mir::{MInst, RegClass, Slot};

/// Every slot a format may have, for walking an instruction's operands.
pub(crate) const ALL_SLOTS: [Slot; 9] = [
    Slot::Dst,
    Slot::Sdst,
    Slot::Src(0),
    Slot::Src(1),
    Slot::Src(2),
    Slot::Addr,
    Slot::Data0,
    Slot::Data1,
    Slot::Saddr,
];

/// Registers the operand in `slot` spans, from the opcode table's operand types (a
/// wave32 lane mask or carry is one SGPR). 0 when the format has no such operand.
pub(crate) fn slot_width(inst: &Inst, slot: Slot) -> u8 {
    let info = inst.op().info();
    match (inst, slot) {
        (_, Slot::Dst) => info.dst.dwords(),
        (Inst::Valu { .. }, Slot::Sdst) => 1,
        (Inst::Sop2 { .. } | Inst::Sop1 { .. } | Inst::Sopc { .. }, Slot::Src(i))
        | (Inst::Valu { .. } | Inst::Vop3p { .. }, Slot::Src(i)) => {
            info.src.get(usize::from(i)).map_or(0, |t| t.dwords())
        }
        (Inst::Smem { .. }, Slot::Addr) => info.src[0].dwords(),
        (Inst::Smem { .. }, Slot::Saddr) => 1,
        // A 64-bit VGPR address unless an SGPR base is given; SCRATCH's is a 32-bit offset.
        (Inst::Flat { saddr, .. }, Slot::Addr) => {
            if info.fmt != Fmt::Scratch && *saddr == Operand::Null {
                2
            } else {
                1
            }
        }
        (Inst::Flat { .. }, Slot::Data0) | (Inst::Ds { .. }, Slot::Data0) => info.src[1].dwords(),
        (Inst::Flat { .. }, Slot::Saddr) => {
            if info.fmt == Fmt::Scratch {
                1
            } else {
                2
            }
        }
        (Inst::Ds { .. }, Slot::Addr) => 1,
        (Inst::Ds { .. }, Slot::Data1) => info.src[2].dwords(),
        _ => 0,
    }
}

/// A physical register operand: its class and number.
pub(crate) fn phys(o: Operand) -> Option<(RegClass, u8)> {
    match o {
        Operand::Sgpr(n) => Some((RegClass::S, n)),
        Operand::Vgpr(n) => Some((RegClass::V, n)),
        _ => None,
    }
}

/// The physical registers an instruction names directly, in slots no [`crate::mir::RegRef`]
/// stands in: `(class, first, width)`.
pub(crate) fn fixed_regs(m: &MInst) -> Vec<(RegClass, u8, u8)> {
    let MInst::Inst { inst, regs, .. } = m else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for slot in ALL_SLOTS {
        if regs.iter().any(|r| r.slot == slot) {
            continue;
        }
        if let Some((class, n)) = crate::mir::slot_operand(inst, slot).and_then(phys) {
            out.push((class, n, slot_width(inst, slot).max(1)));
        }
    }
    out
}

/// Whether the instruction reads or writes VCC: as an operand (the VOP2/VOPC forms name
/// it), implicitly (`v_div_fmas_*` reads it in every encoding), or as a branch condition.
pub(crate) fn uses_vcc(m: &MInst) -> bool {
    match m {
        MInst::Inst { inst, .. } => {
            inst.op().name().starts_with("v_div_fmas")
                || ALL_SLOTS.iter().any(|s| {
                    matches!(
                        crate::mir::slot_operand(inst, *s),
                        Some(Operand::VccLo | Operand::VccHi)
                    )
                })
        }
        MInst::Branch { op, .. } => op.name().contains("vcc"),
        MInst::Label(_) => false,
    }
}

/// One past the highest register of `class` the instruction names.
pub(crate) fn top_register(m: &MInst, class: RegClass) -> u32 {
    let MInst::Inst { inst, .. } = m else {
        return 0;
    };
    ALL_SLOTS
        .iter()
        .filter_map(|s| {
            let (c, n) = crate::mir::slot_operand(inst, *s).and_then(phys)?;
            (c == class).then(|| u32::from(n) + u32::from(slot_width(inst, *s).max(1)))
        })
        .max()
        .unwrap_or(0)
}
