//! What the allocator needs to know about an instruction's operand slots: how many
//! registers a slot spans (from the opcode table), which physical registers an instruction
//! names directly (entry registers read before isel copies them out), and whether it
//! touches VCC.

use crate::isa::{Fmt, Inst, Operand};
use crate::mir::{MInst, RegClass, Slot};

/// Every slot a format may have, for walking an instruction's operands.
#[cfg(test)]
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

/// Every operand slot `inst`'s format has, with its operand, in [`ALL_SLOTS`] order: what
/// `ALL_SLOTS.map(|s| slot_operand(inst, s))` gives, in one match rather than nine.
pub(crate) fn operands(inst: &Inst) -> impl Iterator<Item = (Slot, Operand)> {
    let list: [Option<(Slot, Operand)>; 5] = match *inst {
        Inst::Sop2 {
            sdst, src0, src1, ..
        } => [
            Some((Slot::Dst, sdst)),
            Some((Slot::Src(0), src0)),
            Some((Slot::Src(1), src1)),
            None,
            None,
        ],
        Inst::Sop1 { sdst, src0, .. } => [
            Some((Slot::Dst, sdst)),
            Some((Slot::Src(0), src0)),
            None,
            None,
            None,
        ],
        Inst::Sopc { src0, src1, .. } => [
            Some((Slot::Src(0), src0)),
            Some((Slot::Src(1), src1)),
            None,
            None,
            None,
        ],
        Inst::Sopk { sdst, .. } => [Some((Slot::Dst, sdst)), None, None, None, None],
        Inst::Sopp { .. } => [None; 5],
        Inst::Smem {
            sdata,
            sbase,
            soffset,
            ..
        } => [
            Some((Slot::Dst, sdata)),
            Some((Slot::Addr, sbase)),
            Some((Slot::Saddr, soffset)),
            None,
            None,
        ],
        Inst::Valu {
            vdst, sdst, src, ..
        } => [
            Some((Slot::Dst, vdst)),
            Some((Slot::Sdst, sdst)),
            Some((Slot::Src(0), src[0])),
            Some((Slot::Src(1), src[1])),
            Some((Slot::Src(2), src[2])),
        ],
        Inst::Vop3p { vdst, src, .. } => [
            Some((Slot::Dst, vdst)),
            Some((Slot::Src(0), src[0])),
            Some((Slot::Src(1), src[1])),
            Some((Slot::Src(2), src[2])),
            None,
        ],
        Inst::Flat {
            vdst,
            addr,
            data,
            saddr,
            ..
        } => [
            Some((Slot::Dst, vdst)),
            Some((Slot::Addr, addr)),
            Some((Slot::Data0, data)),
            Some((Slot::Saddr, saddr)),
            None,
        ],
        Inst::Ds {
            vdst,
            addr,
            data0,
            data1,
            ..
        } => [
            Some((Slot::Dst, vdst)),
            Some((Slot::Addr, addr)),
            Some((Slot::Data0, data0)),
            Some((Slot::Data1, data1)),
            None,
        ],
        // Instruction selection never emits VOPD; only decoded machine code holds one.
        Inst::Vopd { .. } => [None; 5],
    };
    list.into_iter().flatten()
}

/// The physical registers an instruction names directly, in slots no [`crate::mir::RegRef`]
/// stands in: `(class, first, width)`.
pub(crate) fn fixed_regs(m: &MInst) -> impl Iterator<Item = (RegClass, u8, u8)> + '_ {
    let (inst, regs) = match m {
        MInst::Inst { inst, regs, .. } => (Some(inst), regs.as_slice()),
        _ => (None, &[][..]),
    };
    inst.into_iter().flat_map(move |inst| {
        operands(inst).filter_map(move |(slot, o)| {
            if regs.iter().any(|r| r.slot == slot) {
                return None;
            }
            let (class, n) = phys(o)?;
            Some((class, n, slot_width(inst, slot).max(1)))
        })
    })
}

/// What the kernel descriptor needs from allocated code, in one pass over it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Usage {
    /// One past the highest SGPR and VGPR named.
    pub sgprs: u32,
    pub vgprs: u32,
    /// Whether any instruction reads or writes VCC: as an operand (the VOP2/VOPC forms
    /// name it), implicitly (`v_div_fmas_*` reads it in every encoding), or as a branch
    /// condition.
    pub uses_vcc: bool,
}

pub(crate) fn usage(insts: &[MInst]) -> Usage {
    let mut u = Usage::default();
    for m in insts {
        let inst = match m {
            MInst::Inst { inst, .. } => inst,
            MInst::Branch { op, .. } => {
                u.uses_vcc |= op.name().contains("vcc");
                continue;
            }
            MInst::Label(_) => continue,
        };
        u.uses_vcc |= inst.op().name().starts_with("v_div_fmas");
        for (slot, o) in operands(inst) {
            u.uses_vcc |= matches!(o, Operand::VccLo | Operand::VccHi);
            let Some((class, n)) = phys(o) else {
                continue;
            };
            let top = u32::from(n) + u32::from(slot_width(inst, slot).max(1));
            let file = match class {
                RegClass::S => &mut u.sgprs,
                RegClass::V => &mut u.vgprs,
            };
            *file = (*file).max(top);
        }
    }
    u
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_prog::prog;

    /// Every instruction format, with distinct registers in each operand.
    const EVERY_FORMAT: &str = "s_add_u32 s1, s2, s3
        s_mov_b32 s4, s5
        s_cmp_eq_u32 s6, s7
        s_movk_i32 s8, 0x10
        s_waitcnt vmcnt(0)
        s_load_b64 s[10:11], s[12:13], 0x0
        s_load_b32 s14, s[16:17], s20
        v_add_co_u32 v1, s21, v2, v3
        v_fma_f32 v4, v5, v6, v7
        v_mov_b32_e32 v8, v9
        v_cmp_lt_f32_e32 vcc_lo, v10, v11
        v_pk_fma_f16 v12, v13, v14, v15
        global_load_b32 v16, v[18:19], off
        global_store_b32 v20, v21, s[22:23]
        scratch_load_b32 v24, off, off offset:4
        ds_store_2addr_b32 v25, v26, v27 offset1:1
        ds_load_b32 v28, v29
        v_div_fmas_f32 v30, v31, v32, v33
        s_endpgm";

    #[test]
    fn operands_are_the_slots_the_format_has() {
        for m in prog(EVERY_FORMAT) {
            let MInst::Inst { inst, .. } = m else {
                continue;
            };
            let expected: Vec<(Slot, Operand)> = ALL_SLOTS
                .iter()
                .filter_map(|&s| crate::mir::slot_operand(&inst, s).map(|o| (s, o)))
                .collect();
            assert_eq!(operands(&inst).collect::<Vec<_>>(), expected, "{inst:?}");
        }
    }

    #[test]
    fn usage_counts_tuples_and_vcc() {
        // Hand-derived: the highest SGPR is s23 (saddr s[22:23]), the highest VGPR v33.
        let u = usage(&prog(EVERY_FORMAT));
        assert_eq!((u.sgprs, u.vgprs, u.uses_vcc), (24, 34, true));
        let u = usage(&prog("v_mov_b32_e32 v3, s7\ns_endpgm"));
        assert_eq!((u.sgprs, u.vgprs, u.uses_vcc), (8, 4, false));
    }
}
