//! Dead moves: after selection, a `v_mov_b32`, `s_mov_b32` or other VALU instruction
//! whose every result register nothing reads is dropped — typically a constant that every
//! user took as an operand ([`super::Sel::src`]). A worklist over read counts, so chains
//! (a copy of a dead copy) go too, in time linear in the code. SALU instructions other
//! than `s_mov_b32` stay: they set SCC, which a branch may read.

use crate::isa::Inst;
use crate::mir::{MInst, Mir};

/// Whether `m` may be dropped when its results are unread: pure, and writing only
/// virtual registers.
fn removable(m: &MInst) -> bool {
    let MInst::Inst { inst, regs, .. } = m else {
        return false;
    };
    let writes_vreg = regs.iter().any(|r| r.writes());
    let pure = match inst {
        Inst::Valu { .. } => !regs.iter().any(|r| r.reads() && r.writes()),
        Inst::Sop1 { op, .. } => op.name() == "s_mov_b32",
        _ => false,
    };
    writes_vreg && pure && fixed_dst_free(inst)
}

/// The destination is a virtual register (not `exec_lo` or another fixed one).
fn fixed_dst_free(inst: &Inst) -> bool {
    use crate::isa::Operand;
    match inst {
        Inst::Sop1 { sdst, .. } => matches!(sdst, Operand::Sgpr(0)),
        Inst::Valu { sdst, .. } => matches!(sdst, Operand::None | Operand::Null | Operand::Sgpr(0)),
        _ => true,
    }
}

/// Drops the dead instructions of `mir`.
pub(super) fn run(mir: &mut Mir) {
    let n = mir.vregs.len();
    let mut reads = vec![0u32; n];
    let mut defs: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (i, m) in mir.insts.iter().enumerate() {
        if let MInst::Inst { regs, .. } = m {
            for r in regs {
                let v = r.reg.0 as usize;
                if r.reads() {
                    reads[v] += 1;
                }
                if r.writes() {
                    defs[v].push(i);
                }
            }
        }
    }
    let pinned: Vec<usize> = mir.pinned.iter().map(|(v, _)| v.0 as usize).collect();
    let mut dead = vec![false; mir.insts.len()];
    let mut work: Vec<usize> = (0..n).filter(|&v| reads[v] == 0).collect();
    while let Some(v) = work.pop() {
        if pinned.contains(&v) {
            continue;
        }
        for &i in &defs[v] {
            if dead[i] || !removable(&mir.insts[i]) || !all_unread(&mir.insts[i], &reads) {
                continue;
            }
            dead[i] = true;
            if let MInst::Inst { regs, .. } = &mir.insts[i] {
                for r in regs.iter().filter(|r| r.reads()) {
                    let u = r.reg.0 as usize;
                    reads[u] -= 1;
                    if reads[u] == 0 {
                        work.push(u);
                    }
                }
            }
        }
    }
    let mut i = 0;
    mir.insts.retain(|_| {
        i += 1;
        !dead[i - 1]
    });
}

fn all_unread(m: &MInst, reads: &[u32]) -> bool {
    match m {
        MInst::Inst { regs, .. } => regs
            .iter()
            .filter(|r| r.writes())
            .all(|r| reads[r.reg.0 as usize] == 0),
        _ => false,
    }
}
