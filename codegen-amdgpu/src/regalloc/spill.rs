//! Spilling and the final rewrite.
//!
//! A spilled virtual register has no register at all ("spill everywhere"): every
//! instruction that writes it writes reload temporaries and stores the dwords it wrote
//! right after; every instruction that reads it first reloads the dwords it reads. Spill
//! slots are reused by spilled values whose intervals do not overlap.
//!
//! VGPRs go to scratch (`scratch_store_b32 off, vT, off offset:K`, architected flat
//! scratch; slots past 4 KiB address through a reserved VGPR set by `v_mov_b32`). Scratch
//! accesses obey EXEC, and that is what makes this scheme sound under divergence: a store
//! right after a write runs under the writer's EXEC, so the slot's lanes change exactly
//! where the register's lanes would have; a reload right before a read fills the temporary
//! in the reader's lanes, which are all the read can see. Lane by lane the slot behaves
//! like the register it replaces, through `if`s (two writes under complementary masks
//! fill complementary lanes), accumulators updated under a partial mask (the other lanes
//! keep the older store) and loops. A value is never carried in a register across a
//! region whose EXEC differs. The one read this does not cover is a cross-lane read of a
//! lane outside the reader's EXEC (`v_readlane` of an inactive lane, DPP or permutes
//! fetching from one): kernel IR leaves such reads undefined, and isel must not rely on
//! them for a value that may be spilled.
//!
//! SGPRs go to lanes of reserved VGPRs (`v_writelane_b32` / `v_readlane_b32`), which
//! ignore EXEC, as an SGPR does.

use super::scan::Req;
use super::slots::slot_width;
use super::{ClassAlloc, RegallocError};
use crate::isa::{Cache, Inst, Mods, Op, Operand, Ty};
use crate::mir::{MInst, Mir, RegClass, RegRef, VReg, set_slot};
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// The largest scratch offset the no-address form reaches for a dword.
const MAX_INLINE_OFFSET: u32 = 4092;

/// Where an instruction's spilled registers of `class` sit among the reload temporaries:
/// `(vreg, offset)`, each aligned as its class requires, in order of first mention.
fn temp_layout(
    mir: &Mir,
    regs: &[RegRef],
    class: RegClass,
    spilled: impl Fn(VReg) -> bool,
) -> Vec<(VReg, usize)> {
    let mut out: Vec<(VReg, usize)> = Vec::new();
    let mut next = 0usize;
    for r in regs {
        let info = mir.info(r.reg);
        if info.class != class || !spilled(r.reg) || out.iter().any(|(v, _)| *v == r.reg) {
            continue;
        }
        let at = next.next_multiple_of(usize::from(info.align()));
        out.push((r.reg, at));
        next = at + usize::from(info.dwords);
    }
    out
}

/// Reload temporaries of `class` enough for any instruction, whichever of its registers
/// (not pinned) are spilled. (A subset packs no wider than the whole.)
pub(crate) fn temp_need(mir: &Mir, class: RegClass) -> usize {
    let pinned = |v: VReg| mir.pinned.iter().any(|(p, _)| *p == v);
    mir.insts
        .iter()
        .filter_map(|m| match m {
            MInst::Inst { regs, .. } => temp_layout(mir, regs, class, |v| !pinned(v))
                .last()
                .map(|&(v, at)| at + usize::from(mir.info(v).dwords)),
            _ => None,
        })
        .max()
        .unwrap_or(0)
}

/// Spill slots, one per dword, shared by values whose intervals do not overlap: per
/// virtual register its slots (empty when not spilled), and the number of slots.
pub(crate) fn assign_slots(spilled: &[(VReg, Req)], vregs: usize) -> (Vec<Vec<u32>>, u32) {
    let mut slots = vec![Vec::new(); vregs];
    let mut order: Vec<usize> = (0..spilled.len()).collect();
    order.sort_by_key(|&i| spilled[i].1.start);
    let mut free: BinaryHeap<Reverse<u32>> = BinaryHeap::new();
    let mut active: BinaryHeap<Reverse<(usize, usize)>> = BinaryHeap::new();
    let mut count = 0;
    for i in order {
        let (v, req) = spilled[i];
        while let Some(&Reverse((end, j))) = active.peek() {
            if end >= req.start {
                break;
            }
            active.pop();
            let done = spilled[j].0.0 as usize;
            free.extend(slots[done].iter().map(|&s| Reverse(s)));
        }
        let mine: Vec<u32> = (0..req.dwords)
            .map(|_| {
                free.pop().map(|Reverse(s)| s).unwrap_or_else(|| {
                    count += 1;
                    count - 1
                })
            })
            .collect();
        slots[v.0 as usize] = mine;
        active.push(Reverse((req.end, i)));
    }
    (slots, count)
}

/// The instructions of `mir` with physical registers in every slot and spill code around
/// the instructions that touch spilled registers.
pub(crate) fn rewrite(
    mir: &Mir,
    s: &ClassAlloc,
    v: &ClassAlloc,
) -> Result<Vec<MInst>, RegallocError> {
    let mut out = Vec::with_capacity(mir.insts.len());
    for (i, m) in mir.insts.iter().enumerate() {
        match m {
            MInst::Inst { inst, regs, line } => {
                let mut inst = *inst;
                let mut post = Vec::new();
                for a in [s, v] {
                    let layout =
                        temp_layout(mir, regs, a.class, |r| a.base[r.0 as usize].is_none());
                    let ctx = Ctx {
                        mir,
                        a,
                        v,
                        line: *line,
                        at: i,
                    };
                    ctx.set_operands(&mut inst, regs, &layout)?;
                    ctx.spill_code(&inst, regs, &layout, &mut out, &mut post)?;
                }
                out.push(MInst::Inst {
                    inst,
                    regs: Vec::new(),
                    line: *line,
                });
                out.append(&mut post);
            }
            other => out.push(other.clone()),
        }
    }
    Ok(out)
}

struct Ctx<'a> {
    mir: &'a Mir,
    /// The class being rewritten.
    a: &'a ClassAlloc,
    /// The VGPR allocation (lanes and the scratch address register).
    v: &'a ClassAlloc,
    line: u32,
    at: usize,
}

impl Ctx<'_> {
    fn reg(&self, class: RegClass, n: usize) -> Result<Operand, RegallocError> {
        let n = u8::try_from(n).map_err(|_| {
            RegallocError::OutOfRegisters(format!("register {n} at instruction {}", self.at))
        })?;
        Ok(match class {
            RegClass::S => Operand::Sgpr(n),
            RegClass::V => Operand::Vgpr(n),
        })
    }

    /// The first register `vreg` has at this instruction.
    fn base_of(&self, vreg: VReg, layout: &[(VReg, usize)]) -> usize {
        match self.a.base[vreg.0 as usize] {
            Some(b) => usize::from(b),
            None => {
                let off = layout.iter().find(|(r, _)| *r == vreg).map_or(0, |x| x.1);
                usize::from(self.a.temps) + off
            }
        }
    }

    fn set_operands(
        &self,
        inst: &mut Inst,
        regs: &[RegRef],
        layout: &[(VReg, usize)],
    ) -> Result<(), RegallocError> {
        for r in regs
            .iter()
            .filter(|r| self.mir.info(r.reg).class == self.a.class)
        {
            let n = self.base_of(r.reg, layout) + usize::from(r.offset);
            let o = self.reg(self.a.class, n)?;
            if !set_slot(inst, r.slot, o) {
                return Err(RegallocError::BadOperand {
                    inst: self.at,
                    op: inst.op().name(),
                    what: format!("no slot {:?}", r.slot),
                });
            }
        }
        Ok(())
    }

    /// Reloads (into `pre`) of the spilled dwords the instruction reads, and stores (into
    /// `post`) of those it writes.
    fn spill_code(
        &self,
        inst: &Inst,
        regs: &[RegRef],
        layout: &[(VReg, usize)],
        pre: &mut Vec<MInst>,
        post: &mut Vec<MInst>,
    ) -> Result<(), RegallocError> {
        for &(vreg, off) in layout {
            let (mut read, mut written) = (0u32, 0u32);
            for r in regs.iter().filter(|r| r.reg == vreg) {
                let w = slot_width(inst, r.slot);
                let mask = ((1u32 << w) - 1) << r.offset;
                read |= if r.reads() { mask } else { 0 };
                written |= if r.writes() { mask } else { 0 };
            }
            let temp = usize::from(self.a.temps) + off;
            for k in 0..16 {
                let slot = self.a.slots[vreg.0 as usize].get(k).copied();
                let (Some(slot), t) = (slot, temp + k) else {
                    continue;
                };
                if read & (1 << k) != 0 {
                    self.transfer(false, t, slot, pre)?;
                }
                if written & (1 << k) != 0 {
                    self.transfer(true, t, slot, post)?;
                }
            }
        }
        Ok(())
    }

    /// One dword between register `t` and spill slot `slot`: a store when `store`, else
    /// a reload.
    fn transfer(
        &self,
        store: bool,
        t: usize,
        slot: u32,
        out: &mut Vec<MInst>,
    ) -> Result<(), RegallocError> {
        let reg = self.reg(self.a.class, t)?;
        let inst = match self.a.class {
            RegClass::S => {
                let lane_vgpr =
                    self.reg(RegClass::V, usize::from(self.v.lanes) + slot as usize / 32)?;
                let lane = Operand::Int((slot % 32) as i8);
                let (op, vdst, src0) = if store {
                    ("v_writelane_b32", lane_vgpr, reg)
                } else {
                    ("v_readlane_b32", reg, lane_vgpr)
                };
                valu(op, vdst, [src0, lane, Operand::None])
            }
            RegClass::V => {
                let bytes = slot * 4;
                let (addr, offset) = if bytes <= MAX_INLINE_OFFSET {
                    (Operand::None, bytes as i16)
                } else {
                    let a = self.reg(RegClass::V, usize::from(self.v.addr))?;
                    let k = Operand::constant(bytes, Ty::B32);
                    self.emit(out, valu("v_mov_b32", a, [k, Operand::None, Operand::None]));
                    (a, 0)
                };
                let (op, vdst, data) = if store {
                    ("scratch_store_b32", Operand::None, reg)
                } else {
                    ("scratch_load_b32", reg, Operand::None)
                };
                Inst::Flat {
                    op: known(op),
                    vdst,
                    addr,
                    data,
                    saddr: Operand::Null,
                    offset,
                    cache: Cache::default(),
                }
            }
        };
        self.emit(out, inst);
        Ok(())
    }

    fn emit(&self, out: &mut Vec<MInst>, inst: Inst) {
        out.push(MInst::Inst {
            inst,
            regs: Vec::new(),
            line: self.line,
        });
    }
}

/// An opcode spill code uses; the `spill_opcodes_exist` test checks each is in the table.
fn known(name: &str) -> Op {
    Op::by_name(name).unwrap_or_else(|| unreachable!("opcode table lacks {name}"))
}

/// A VALU instruction in its natural encoding (VOP1 for `v_mov_b32`, VOP3 for the lane ops).
fn valu(name: &str, vdst: Operand, src: [Operand; 3]) -> Inst {
    let op = known(name);
    Inst::Valu {
        op,
        e64: op.info().fmt == crate::isa::Fmt::Vop3,
        vdst,
        sdst: Operand::None,
        src,
        mods: Mods::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spill_opcodes_exist() {
        for name in [
            "v_writelane_b32",
            "v_readlane_b32",
            "v_mov_b32",
            "scratch_store_b32",
            "scratch_load_b32",
        ] {
            assert!(Op::by_name(name).is_some(), "{name}");
        }
    }

    fn req(start: usize, end: usize, dwords: u8) -> Req {
        Req {
            start,
            end,
            dwords,
            align: 1,
            pinned: None,
        }
    }

    #[test]
    fn slots_are_shared_by_disjoint_intervals() {
        let spilled = [
            (VReg(0), req(0, 5, 2)),
            (VReg(1), req(3, 9, 1)),
            (VReg(2), req(6, 8, 2)),
        ];
        let (slots, count) = assign_slots(&spilled, 3);
        assert_eq!(slots[0], vec![0, 1]);
        assert_eq!(slots[1], vec![2]);
        assert_eq!(slots[2], vec![0, 1]);
        assert_eq!(count, 3);
    }
}
