//! Machine IR: RDNA3 instructions over virtual registers, in program order, with labels
//! and branches. Instruction selection makes it ([`crate::isel`]); register allocation
//! ([`crate::regalloc`]) writes physical registers into the instructions' slots and drops
//! the virtual ones; `s_waitcnt` insertion ([`crate::waitcnt`]), hazard fixes
//! ([`crate::hazards`]) and the assembler ([`crate::assemble`]) then work on physical code.
//!
//! An instruction is an [`isa::Inst`](crate::isa::Inst) whose register slots that hold
//! virtual registers carry a placeholder (`v0` / `s0`) and are listed in [`MInst::regs`]:
//! the allocator puts `base(vreg) + offset` there. Fixed operands (`exec_lo`, `vcc_lo`,
//! `scc`, `m0`, `null`, constants, literals, and the kernel's entry registers before they
//! are copied out) are written into the instruction directly and are not the allocator's.
//!
//! Control flow is structured by construction (isel emits it from kernel-IR `if`/`for`), so
//! the program order is the execution order of a wave, with the EXEC mask switching lanes
//! off: a branch only ever skips code whose lanes are all off, or jumps back to a loop
//! header. A backward branch marks a loop: values live on entry to its header stay live
//! until the branch (see [`Mir::loops`]).

use crate::isa::{Inst, Op, Operand};

/// A register file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RegClass {
    /// Scalar registers (s0–s105): one value per wave.
    S,
    /// Vector registers (v0–v255): one value per lane.
    V,
}

/// A virtual register: `dwords` consecutive registers of one class (a tuple for 64-bit
/// values, wide loads and WMMA fragments).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct VReg(pub u32);

/// What the allocator must know about a virtual register.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VRegInfo {
    pub class: RegClass,
    /// 1 to 16 registers.
    pub dwords: u8,
}

impl VRegInfo {
    /// The alignment of the first register: SGPR pairs even, wider SGPR tuples 4-aligned
    /// (s_load_b128 and wider need it); VGPR tuples need none.
    pub fn align(&self) -> u8 {
        match (self.class, self.dwords) {
            (RegClass::V, _) | (RegClass::S, 1) => 1,
            (RegClass::S, 2) => 2,
            (RegClass::S, _) => 4,
        }
    }
}

/// Which operand slot of an [`Inst`] a virtual register stands in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Slot {
    /// `sdst` (SOP*), `vdst` (VALU, VOP3P, FLAT, DS), `sdata` (SMEM).
    Dst,
    /// The VOP3SD scalar destination (carry out, `v_div_scale`'s VCC).
    Sdst,
    /// `src0..src2` (VALU, VOP3P), `src0`/`src1` (SOP2, SOPC, SOP1).
    Src(u8),
    /// FLAT/GLOBAL/SCRATCH and DS `addr`; SMEM `sbase`.
    Addr,
    /// FLAT `data`, DS `data0`.
    Data0,
    /// DS `data1`.
    Data1,
    /// GLOBAL `saddr`; SMEM `soffset`.
    Saddr,
}

/// How an instruction uses a register: read, written, or both (`v_fmac_f32`'s
/// destination, an accumulator updated in place, WMMA's C = D).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Access {
    Use,
    Def,
    UseDef,
}

/// One virtual register in one slot: registers `offset .. offset + width` of `reg`, where
/// the width is the slot's in the opcode table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RegRef {
    pub slot: Slot,
    pub reg: VReg,
    pub offset: u8,
    pub access: Access,
}

impl RegRef {
    pub fn use_(slot: Slot, reg: VReg) -> RegRef {
        RegRef {
            slot,
            reg,
            offset: 0,
            access: Access::Use,
        }
    }

    pub fn def(slot: Slot, reg: VReg) -> RegRef {
        RegRef {
            slot,
            reg,
            offset: 0,
            access: Access::Def,
        }
    }

    pub fn use_def(slot: Slot, reg: VReg) -> RegRef {
        RegRef {
            slot,
            reg,
            offset: 0,
            access: Access::UseDef,
        }
    }

    /// The same reference starting `offset` registers into the tuple.
    pub fn at(self, offset: u8) -> RegRef {
        RegRef { offset, ..self }
    }

    pub fn reads(&self) -> bool {
        matches!(self.access, Access::Use | Access::UseDef)
    }

    pub fn writes(&self) -> bool {
        matches!(self.access, Access::Def | Access::UseDef)
    }
}

/// A branch target.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Label(pub u32);

/// One line of machine IR. `line` is the kernel-IR statement the instruction comes from
/// (its `StmtId`, numbered from 0 in program order as the verifier numbers them), for the
/// DWARF line table and the assembly comments.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MInst {
    Inst {
        inst: Inst,
        regs: Vec<RegRef>,
        line: u32,
    },
    Label(Label),
    /// `s_branch` or an `s_cbranch_*` to a label (the offset is the assembler's).
    Branch {
        op: Op,
        target: Label,
        line: u32,
    },
}

/// A kernel's machine IR and the facts the later stages need.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Mir {
    pub insts: Vec<MInst>,
    pub vregs: Vec<VRegInfo>,
    pub labels: u32,
    /// Virtual registers that must get a given physical register (its number in the
    /// class): the kernel's entry state — the kernarg pointer in `s[0:1]`, the workgroup
    /// ids after the user SGPRs, the packed work-item ids in `v0`. Each is written by the
    /// hardware before the first instruction; the allocator gives it that register from the
    /// start to its last use and keeps every other value out of it meanwhile.
    pub pinned: Vec<(VReg, u8)>,
}

impl Mir {
    pub fn new() -> Mir {
        Mir::default()
    }

    pub fn vreg(&mut self, class: RegClass, dwords: u8) -> VReg {
        debug_assert!((1..=16).contains(&dwords));
        self.vregs.push(VRegInfo { class, dwords });
        VReg(self.vregs.len() as u32 - 1)
    }

    pub fn info(&self, reg: VReg) -> VRegInfo {
        self.vregs[reg.0 as usize]
    }

    pub fn label(&mut self) -> Label {
        self.labels += 1;
        Label(self.labels - 1)
    }

    pub fn push(&mut self, inst: Inst, regs: Vec<RegRef>, line: u32) {
        self.insts.push(MInst::Inst { inst, regs, line });
    }

    pub fn place(&mut self, label: Label) {
        self.insts.push(MInst::Label(label));
    }

    pub fn branch(&mut self, op: Op, target: Label, line: u32) {
        self.insts.push(MInst::Branch { op, target, line });
    }

    /// Every loop as `(header, latch)`: the index of a label and of a later branch back
    /// to it. Found in one pass over the instructions.
    pub fn loops(&self) -> Vec<(usize, usize)> {
        let mut at = vec![usize::MAX; self.labels as usize];
        let mut loops = Vec::new();
        for (i, m) in self.insts.iter().enumerate() {
            match m {
                MInst::Label(l) => at[l.0 as usize] = i,
                MInst::Branch { target, .. } if at[target.0 as usize] < i => {
                    loops.push((at[target.0 as usize], i))
                }
                _ => {}
            }
        }
        loops
    }
}

/// The operand in `slot` of `inst`, or `None` when the instruction's format has no such
/// slot.
pub fn slot_operand(inst: &Inst, slot: Slot) -> Option<Operand> {
    slot_ref(&mut inst.clone(), slot).map(|o| *o)
}

/// Writes `o` into `slot` of `inst`; false when the format has no such slot.
pub fn set_slot(inst: &mut Inst, slot: Slot, o: Operand) -> bool {
    match slot_ref(inst, slot) {
        Some(r) => {
            *r = o;
            true
        }
        None => false,
    }
}

fn slot_ref(inst: &mut Inst, slot: Slot) -> Option<&mut Operand> {
    match inst {
        Inst::Sop2 {
            sdst, src0, src1, ..
        } => match slot {
            Slot::Dst => Some(sdst),
            Slot::Src(0) => Some(src0),
            Slot::Src(1) => Some(src1),
            _ => None,
        },
        Inst::Sop1 { sdst, src0, .. } => match slot {
            Slot::Dst => Some(sdst),
            Slot::Src(0) => Some(src0),
            _ => None,
        },
        Inst::Sopc { src0, src1, .. } => match slot {
            Slot::Src(0) => Some(src0),
            Slot::Src(1) => Some(src1),
            _ => None,
        },
        Inst::Sopk { sdst, .. } => (slot == Slot::Dst).then_some(sdst),
        Inst::Sopp { .. } => None,
        Inst::Smem {
            sdata,
            sbase,
            soffset,
            ..
        } => match slot {
            Slot::Dst => Some(sdata),
            Slot::Addr => Some(sbase),
            Slot::Saddr => Some(soffset),
            _ => None,
        },
        Inst::Valu {
            vdst, sdst, src, ..
        } => match slot {
            Slot::Dst => Some(vdst),
            Slot::Sdst => Some(sdst),
            Slot::Src(i) => src.get_mut(usize::from(i)),
            _ => None,
        },
        Inst::Vop3p { vdst, src, .. } => match slot {
            Slot::Dst => Some(vdst),
            Slot::Src(i) => src.get_mut(usize::from(i)),
            _ => None,
        },
        Inst::Flat {
            vdst,
            addr,
            data,
            saddr,
            ..
        } => match slot {
            Slot::Dst => Some(vdst),
            Slot::Addr => Some(addr),
            Slot::Data0 => Some(data),
            Slot::Saddr => Some(saddr),
            _ => None,
        },
        Inst::Ds {
            vdst,
            addr,
            data0,
            data1,
            ..
        } => match slot {
            Slot::Dst => Some(vdst),
            Slot::Addr => Some(addr),
            Slot::Data0 => Some(data0),
            Slot::Data1 => Some(data1),
            _ => None,
        },
        // Instruction selection never emits VOPD; only decoded machine code holds one.
        Inst::Vopd { .. } => None,
    }
}
