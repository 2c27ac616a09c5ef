//! The gfx11 hazards software must resolve (reference/rdna3.md "GFX11 rules"): a VALU
//! reading the result of a transcendental too soon (`s_waitcnt_depctr 0xfff`), a WMMA
//! reading the previous WMMA's D as A/B (`v_nop`), `v_mad_u64_u32` destinations that
//! overlap its sources (refused at isel; checked here), `s_nop 0` before
//! `s_sendmsg sendmsg(MSG_DEALLOC_VGPRS)`. One rule per function; each fix inserts only
//! what the rule needs.
//!
//! Which gfx11 hazards apply to egpu's code, and why the others do not (sources: LLVM 19's
//! AMDGPU.td feature lists for gfx1100 and its GCNHazardRecognizer, read for the facts; the
//! RDNA3 ISA guide, "Manually inserted wait states"):
//! - gfx10+ interlocks plain data dependencies (VALU→VALU, VALU writes SGPR → VMEM or
//!   `v_readlane` lane select, VALU writes VCC → branch), so no wait states are counted.
//! - TRANS result used by a VALU: hardware does not interlock; fixed here.
//! - WMMA D → next WMMA A/B: fixed here. gfx11 lets C overlap the previous D.
//! - `v_mad_u64_u32`/`v_mad_i64_i32` dst overlapping a source (gfx11's MAD intra-forwarding
//!   bug): an error here, isel/regalloc must avoid it.
//! - VALU partial forwarding (EXEC written between two VALU writes that one VALU reads) and
//!   VALU mask write (SALU overwrites an SGPR a VALU is still reading as a lane mask):
//!   wave64 only; egpu runs wave32.
//! - VcmpxPermlane (needs `v_cmpx` then `v_permlane`), LDS-direct, export priority, the
//!   gfx10 VMEM/SMEM→scalar-write and LDS-branch-VMEM WAR hazards: not gfx1100 or not
//!   instructions egpu emits.
//!
//! The in-flight state follows control flow like `s_waitcnt` insertion ([`crate::flow`]):
//! a TRANS at the end of a loop body is checked against the reads at its top.

use crate::flow::{self, Insert, Lattice};
use crate::isa::sopp::MSG_DEALLOC_VGPRS;
use crate::isa::{Class, Inst, Op, Operand, Ty};
use crate::mir::MInst;
use crate::reguse::{self, Effects, Regs};
use std::cmp::Ordering;

/// Why allocated code cannot run correctly whatever is inserted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HazardError {
    #[error(
        "instruction {index} ({text}): the 64-bit multiply-add's destination overlaps a source (gfx11 forwards it wrongly)"
    )]
    MadOverlap { index: usize, text: String },
}

/// LLVM treats a TRANS result as safe after 5 VALUs or 1 TRANS in between; one more of
/// each here, to be conservative.
const TRANS_VALUS: u8 = 6;
const TRANS_TRANS: u8 = 2;
/// `s_waitcnt_depctr` with va_vdst = 0: waits until every VALU has written its VGPRs.
const DEPCTR_VA_VDST0: u16 = 0x0fff;

/// A VGPR a TRANS wrote and the (VALUs, TRANS) issued since, while within the window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct TransWrite {
    vgpr: u8,
    valus: u8,
    trans: u8,
}

/// What is in flight at a program point, on any path to it.
#[derive(Clone, Debug, PartialEq, Eq)]
struct InFlight {
    /// The VGPRs TRANS results are still in flight to, sorted by VGPR, each once (a
    /// canonical form, so equal states compare equal). Only VGPRs written within the
    /// window are held: a handful, where a per-VGPR table would be walked 256 wide on
    /// every VALU.
    trans: Vec<TransWrite>,
    /// The destinations of WMMAs with no other VALU issued after them.
    wmma_d: Vec<Regs>,
    /// The last instruction was `s_nop`.
    after_nop: bool,
}

impl InFlight {
    fn new() -> InFlight {
        InFlight {
            trans: Vec::new(),
            wmma_d: Vec::new(),
            after_nop: false,
        }
    }

    /// A TRANS wrote `vgpr` just now.
    fn trans_wrote(&mut self, vgpr: u8) {
        let fresh = TransWrite {
            vgpr,
            valus: 0,
            trans: 0,
        };
        match self.trans.binary_search_by_key(&vgpr, |t| t.vgpr) {
            Ok(i) => self.trans[i] = fresh,
            Err(i) => self.trans.insert(i, fresh),
        }
    }
}

impl Lattice for InFlight {
    fn join(&mut self, o: &InFlight) -> bool {
        // Per VGPR: in flight on either path, the smaller distances of the two.
        let mine = std::mem::take(&mut self.trans);
        let (mut i, mut j) = (0, 0);
        while let (Some(&x), Some(&y)) = (mine.get(i), o.trans.get(j)) {
            let t = match x.vgpr.cmp(&y.vgpr) {
                Ordering::Less => x,
                Ordering::Greater => y,
                Ordering::Equal => TransWrite {
                    vgpr: x.vgpr,
                    valus: x.valus.min(y.valus),
                    trans: x.trans.min(y.trans),
                },
            };
            i += usize::from(x.vgpr <= y.vgpr);
            j += usize::from(y.vgpr <= x.vgpr);
            self.trans.push(t);
        }
        self.trans.extend_from_slice(&mine[i..]);
        self.trans.extend_from_slice(&o.trans[j..]);
        let mut changed = self.trans != mine;
        // Almost always empty: the clone does not allocate.
        let wmma_d = self.wmma_d.clone();
        self.wmma_d.extend(o.wmma_d.iter().copied());
        self.wmma_d.sort_by_key(|r| (r.first, r.count));
        self.wmma_d.dedup();
        changed |= self.wmma_d != wmma_d;
        changed |= self.after_nop && !o.after_nop;
        self.after_nop &= o.after_nop;
        changed
    }
}

fn vgprs(regs: &[Regs]) -> impl Iterator<Item = usize> + '_ {
    regs.iter()
        .filter(|r| r.is_vgpr())
        .flat_map(|r| r.units())
        .map(|u| usize::from(u - 256))
}

fn sopp(name: &str, imm: u16) -> Vec<Inst> {
    Op::by_name(name)
        .map(|op| Inst::Sopp { op, imm })
        .into_iter()
        .collect()
}

/// Rule 1: a VALU reading a VGPR a TRANS wrote within the window.
fn trans_use(s: &InFlight, inst: &Inst, e: &Effects) -> bool {
    reguse::is_valu(inst)
        && s.trans.iter().any(|t| {
            let code = 256 + u16::from(t.vgpr);
            e.reads.iter().any(|r| r.units().contains(&code))
        })
}

/// Rule 2: a WMMA whose A or B overlaps a WMMA's D with no VALU in between.
fn wmma_reads_previous_d(s: &InFlight, inst: &Inst) -> bool {
    let Inst::Vop3p { op, src, .. } = *inst else {
        return false;
    };
    if op.info().class != Class::Wmma {
        return false;
    }
    let info = op.info();
    let ab = [Regs::of(src[0], info.src[0]), Regs::of(src[1], info.src[1])];
    ab.into_iter()
        .flatten()
        .any(|r| s.wmma_d.iter().any(|d| d.overlaps(r)))
}

/// Rule 3: `v_mad_u64_u32`/`v_mad_i64_i32` whose destination overlaps a source.
fn mad_overlap(inst: &Inst) -> bool {
    let Inst::Valu { op, vdst, src, .. } = *inst else {
        return false;
    };
    if !matches!(op.name(), "v_mad_u64_u32" | "v_mad_i64_i32") {
        return false;
    }
    let info = op.info();
    let Some(d) = Regs::of(vdst, Ty::R2) else {
        return false;
    };
    src.iter()
        .zip(info.src)
        .filter_map(|(o, ty)| Regs::of(*o, ty))
        .any(|r| r.overlaps(d))
}

/// Rule 4: `s_sendmsg sendmsg(MSG_DEALLOC_VGPRS)` needs an `s_nop` right before it.
fn dealloc_without_nop(s: &InFlight, inst: &Inst) -> bool {
    matches!(*inst, Inst::Sopp { op, imm } if op.name() == "s_sendmsg" && imm == MSG_DEALLOC_VGPRS)
        && !s.after_nop
}

/// The state after `inst` issues.
fn advance(s: &mut InFlight, inst: &Inst, e: &Effects) {
    if matches!(*inst, Inst::Sopp { op, imm } if op.name() == "s_waitcnt_depctr" && imm >> 12 == 0)
    {
        s.trans.clear();
    }
    s.after_nop = inst.op().name() == "s_nop";
    if !reguse::is_valu(inst) {
        return;
    }
    let trans = reguse::is_trans(inst);
    s.trans.retain_mut(|t| {
        t.valus += 1;
        t.trans += u8::from(trans);
        t.valus <= TRANS_VALUS && t.trans <= TRANS_TRANS
    });
    if trans {
        for v in vgprs(&e.writes) {
            // VGPR codes are 256-511, so the index fits.
            s.trans_wrote(v as u8);
        }
    }
    s.wmma_d.clear();
    if inst.op().info().class == Class::Wmma {
        s.wmma_d.extend(e.writes.iter().copied());
    }
}

fn step(s: &mut InFlight, inst: &Inst) -> Insert {
    let e = reguse::effects(inst);
    let mut before = Vec::new();
    if trans_use(s, inst, &e) {
        before.extend(sopp("s_waitcnt_depctr", DEPCTR_VA_VDST0));
        s.trans.clear();
    }
    if wmma_reads_previous_d(s, inst) {
        before.extend(Op::by_name("v_nop").map(|op| Inst::Valu {
            op,
            e64: false,
            vdst: Operand::None,
            sdst: Operand::None,
            src: [Operand::None; 3],
            mods: Default::default(),
        }));
        s.wmma_d.clear();
    }
    if dealloc_without_nop(s, inst) {
        before.extend(sopp("s_nop", 0));
    }
    advance(s, inst, &e);
    Insert {
        before,
        after: Vec::new(),
    }
}

/// Inserts what `insts` (physical registers, waits already inserted) needs to be safe.
pub fn fix(insts: &mut Vec<MInst>) -> Result<(), HazardError> {
    for (index, m) in insts.iter().enumerate() {
        if let MInst::Inst { inst, .. } = m
            && mad_overlap(inst)
        {
            return Err(HazardError::MadOverlap {
                index,
                text: crate::isa::print(inst),
            });
        }
    }
    flow::run(insts, InFlight::new(), step);
    Ok(())
}

#[cfg(test)]
#[path = "hazards_tests.rs"]
mod tests;
