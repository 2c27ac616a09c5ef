//! Register allocation: linear scan over the virtual registers of a [`Mir`], in program
//! order, with live ranges widened over loops ([`live`]), tuples and SGPR alignment
//! ([`crate::mir::VRegInfo::align`]), pinned entry registers ([`Mir::pinned`]), and
//! spilling when a file runs out ([`spill`]).
//!
//! SGPRs are allocated first: their spills live in lanes of reserved VGPRs, whose number
//! the VGPR scan then knows. Each file is scanned once with nothing reserved; only when
//! that scan spills is it redone with a block reserved for spill code (reload temporaries,
//! and for VGPRs the scratch address register and the SGPR spill lanes).
//!
//! Afterwards every instruction holds physical registers, `MInst::Inst::regs` is empty, and
//! [`Allocation`] says what the kernel descriptor needs.
//!
//! Cost: intervals, the loop widening (a walk up the loop tree from each end), the scan
//! (a heap of active intervals by end, free registers as a bit set) and the rewrite are
//! each O(n log n) or O(n · loop depth); spilling adds a pass over at most 256 candidate
//! blocks per spill. Limits: a spilled value is reloaded at every read (no splitting);
//! SGPR spill lanes come out of the VGPR file (32 SGPR dwords per VGPR), so a kernel with
//! thousands of uniform values live at once is refused rather than spilled to scratch.

mod bits;
mod live;
mod scan;
mod slots;
mod spill;

use crate::mir::{Mir, RegClass, VReg};
use live::{Liveness, class_index};
use scan::Req;

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

/// Why a kernel could not be allocated. Instruction numbers index `Mir::insts`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegallocError {
    #[error("register allocation: {0}")]
    Failed(String),
    #[error("instruction {inst} ({op}) reads virtual register %{vreg} before anything writes it")]
    UseBeforeDef {
        inst: usize,
        op: &'static str,
        vreg: u32,
    },
    #[error("instruction {inst} ({op}): {what}")]
    BadOperand {
        inst: usize,
        op: &'static str,
        what: String,
    },
    #[error("virtual register %{vreg} (at instruction {inst:?}) is not declared")]
    UnknownVReg { vreg: u32, inst: Option<usize> },
    #[error("pinned virtual register %{vreg}: {what}")]
    Pinned { vreg: u32, what: String },
    #[error("out of registers: {0}")]
    OutOfRegisters(String),
}

/// s104 and s105 stay free for far branches (`crate::branches::FAR_PAIR`).
const SGPRS: usize = crate::branches::FAR_PAIR as usize;
const VGPRS: usize = 256;

/// Allocates `mir` in place.
pub fn allocate(mir: &mut Mir) -> Result<Allocation, RegallocError> {
    let live = live::liveness(mir)?;
    let s = allocate_class(mir, &live, RegClass::S, 0)?;
    let lanes = s.slot_count.div_ceil(32) as usize;
    let v = allocate_class(mir, &live, RegClass::V, lanes)?;
    let insts = spill::rewrite(mir, &s, &v)?;
    mir.insts = insts;
    let usage = slots::usage(&mir.insts);
    Ok(Allocation {
        vgprs: usage.vgprs,
        sgprs: usage.sgprs,
        uses_vcc: usage.uses_vcc,
        scratch_bytes_per_lane: v.slot_count * 4,
    })
}

/// One file's allocation.
pub(crate) struct ClassAlloc {
    pub class: RegClass,
    /// Per virtual register of this class: its first register, or `None` if spilled
    /// (or unused, or of the other class).
    pub base: Vec<Option<u16>>,
    /// Per virtual register: its spill slot per dword (empty unless spilled).
    pub slots: Vec<Vec<u32>>,
    pub slot_count: u32,
    /// The first reload temporary; for VGPRs followed by the scratch address register
    /// and the SGPR spill lanes.
    pub temps: u16,
    /// The scratch address register (VGPRs).
    pub addr: u16,
    /// The first VGPR holding SGPR spill lanes.
    pub lanes: u16,
}

/// Allocates the virtual registers of `class`, with `extra` registers reserved after the
/// spill temporaries (the SGPR spill lanes, for VGPRs).
fn allocate_class(
    mir: &Mir,
    live: &Liveness,
    class: RegClass,
    extra: usize,
) -> Result<ClassAlloc, RegallocError> {
    let size = match class {
        RegClass::S => SGPRS,
        RegClass::V => VGPRS,
    };
    let (reqs, vregs) = requests(mir, live, class)?;
    let fixed = &live.fixed_until[class_index(class)];
    let forbidden = forbidden(&reqs, fixed, size);
    // First try: only the extra registers reserved.
    let mut block = (0, 0);
    let mut placed = None;
    if extra > 0 {
        block = reserve(&forbidden, extra, 1, class)?;
    }
    let first = run_scan(&reqs, &vregs, fixed, size, block)?;
    let spills = first.iter().any(Option::is_none);
    let mut temps = block.0;
    if spills {
        // Reload temporaries for the widest instruction, then for VGPRs the address
        // register, then the lanes.
        let need = spill::temp_need(mir, class);
        let addr = usize::from(class == RegClass::V);
        // SGPR temporaries hold tuples up to 4-aligned; VGPR tuples need no alignment.
        let align = if class == RegClass::S { 4 } else { 1 };
        block = reserve(&forbidden, need + addr + extra, align, class)?;
        temps = block.0;
        placed = Some(run_scan(&reqs, &vregs, fixed, size, block)?);
    }
    let placed = placed.unwrap_or(first);
    let lanes = block.0 + block.1 - extra;
    let mut a = collect(mir, class, &reqs, &vregs, &placed);
    a.temps = temps as u16;
    a.addr = (lanes.max(1) - 1) as u16;
    a.lanes = lanes as u16;
    Ok(a)
}

/// Registers per virtual register from a scan's placements, and spill slots for the rest
/// (reserved registers still to be filled in).
fn collect(
    mir: &Mir,
    class: RegClass,
    reqs: &[Req],
    vregs: &[VReg],
    placed: &[Option<u16>],
) -> ClassAlloc {
    let mut base = vec![None; mir.vregs.len()];
    let mut spilled = Vec::new();
    for (k, &v) in vregs.iter().enumerate() {
        base[v.0 as usize] = placed[k];
        if placed[k].is_none() {
            spilled.push((v, reqs[k]));
        }
    }
    let (slots, slot_count) = spill::assign_slots(&spilled, mir.vregs.len());
    ClassAlloc {
        class,
        base,
        slots,
        slot_count,
        temps: 0,
        addr: 0,
        lanes: 0,
    }
}

/// The intervals of `class`'s virtual registers that appear, and which register each is.
fn requests(
    mir: &Mir,
    live: &Liveness,
    class: RegClass,
) -> Result<(Vec<Req>, Vec<VReg>), RegallocError> {
    let mut pinned = vec![None; mir.vregs.len()];
    for &(v, p) in &mir.pinned {
        pinned[v.0 as usize] = Some(p);
    }
    let mut reqs = Vec::new();
    let mut vregs = Vec::new();
    for (i, info) in mir.vregs.iter().enumerate() {
        let Some((start, end)) = live.ranges[i] else {
            continue;
        };
        if info.class != class {
            continue;
        }
        if info.dwords == 0 || info.dwords > 16 {
            return Err(RegallocError::BadOperand {
                inst: start,
                op: "-",
                what: format!("%{i} has {} registers (1 to 16 allowed)", info.dwords),
            });
        }
        reqs.push(Req {
            start,
            end,
            dwords: info.dwords,
            align: info.align(),
            pinned: pinned[i],
        });
        vregs.push(VReg(i as u32));
    }
    Ok((reqs, vregs))
}

/// Registers spill code may never take: those pinned or named directly at any time.
fn forbidden(reqs: &[Req], fixed: &[Option<usize>], size: usize) -> Vec<bool> {
    let mut out: Vec<bool> = fixed.iter().map(Option::is_some).collect();
    out.resize(size, false);
    for r in reqs {
        if let Some(p) = r.pinned {
            let b = usize::from(p);
            for x in out.iter_mut().skip(b).take(usize::from(r.dwords)) {
                *x = true;
            }
        }
    }
    out
}

/// The lowest `align`-aligned block of `n` registers clear of `forbidden`: `(first, n)`.
fn reserve(
    forbidden: &[bool],
    n: usize,
    align: usize,
    class: RegClass,
) -> Result<(usize, usize), RegallocError> {
    (0..=forbidden.len().saturating_sub(n))
        .step_by(align)
        .find(|&b| b + n <= forbidden.len() && !forbidden[b..b + n].contains(&true))
        .map(|b| (b, n))
        .ok_or_else(|| {
            RegallocError::OutOfRegisters(format!(
                "spill code needs {n} {class:?} registers in a row, clear of the entry registers"
            ))
        })
}

/// One scan with `block` reserved; per request its first register or `None` (spilled).
fn run_scan(
    reqs: &[Req],
    vregs: &[VReg],
    fixed: &[Option<usize>],
    size: usize,
    block: (usize, usize),
) -> Result<Vec<Option<u16>>, RegallocError> {
    let mut reserved = vec![false; size];
    for r in reserved.iter_mut().skip(block.0).take(block.1) {
        *r = true;
    }
    match scan::scan(reqs, &reserved, fixed) {
        Ok(p) => Ok(p.base),
        Err(c) => Err(RegallocError::Pinned {
            vreg: vregs[c.req].0,
            what: match c.other {
                Some(o) => format!("overlaps pinned %{}", vregs[o].0),
                None => "does not fit in the register file".into(),
            },
        }),
    }
}
