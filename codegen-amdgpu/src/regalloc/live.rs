//! Live intervals in program order. A virtual register is live from its first write to
//! its last read (pinned ones from instruction 0), then widened over loops: an interval
//! that enters or leaves a loop `(header, latch)` — it starts before the header and is
//! touched inside, or is touched inside and ends after the latch — covers the whole loop,
//! since the value travels around the back edge (or must survive later iterations, whose
//! EXEC may leave the lanes that already exited untouched).
//!
//! Physical registers named directly by an instruction (entry registers read before isel
//! copies them out) are kept from instruction 0 to their last mention, widened the same way.

use super::RegallocError;
use super::slots::{fixed_regs, slot_width};
use crate::mir::{MInst, Mir, RegClass};

/// Positions are indices into `Mir::insts` (labels and branches included), so loop
/// headers and latches are positions too.
pub(crate) struct Liveness {
    /// Per virtual register: `(start, end)`, inclusive; `None` when it never appears.
    pub ranges: Vec<Option<(usize, usize)>>,
    /// Per class (`class_index`), per physical register: the last position at which a
    /// directly named register must still hold its entry value.
    pub fixed_until: [Vec<Option<usize>>; 2],
}

pub(crate) fn class_index(c: RegClass) -> usize {
    match c {
        RegClass::S => 0,
        RegClass::V => 1,
    }
}

pub(crate) fn liveness(mir: &Mir) -> Result<Liveness, RegallocError> {
    let mut pinned = vec![false; mir.vregs.len()];
    for &(v, _) in &mir.pinned {
        *pinned
            .get_mut(v.0 as usize)
            .ok_or(RegallocError::UnknownVReg {
                vreg: v.0,
                inst: None,
            })? = true;
    }
    let mut ranges: Vec<Option<(usize, usize)>> = vec![None; mir.vregs.len()];
    let mut fixed_until = [vec![None; 106], vec![None; 256]];
    for (i, m) in mir.insts.iter().enumerate() {
        let MInst::Inst { inst, regs, .. } = m else {
            continue;
        };
        check_refs(mir, i, m)?;
        // Reads before writes: `v_add v1, v1, v2` as the first mention of v1 reads it.
        for r in regs.iter().filter(|r| r.reads()) {
            let v = r.reg.0 as usize;
            match &mut ranges[v] {
                Some((_, end)) => *end = i,
                None if pinned[v] => ranges[v] = Some((0, i)),
                None => {
                    return Err(RegallocError::UseBeforeDef {
                        inst: i,
                        op: inst.op().name(),
                        vreg: r.reg.0,
                    });
                }
            }
        }
        for r in regs.iter().filter(|r| r.writes()) {
            let v = r.reg.0 as usize;
            let start = if pinned[v] { 0 } else { i };
            let range = ranges[v].get_or_insert((start, i));
            range.1 = i;
        }
        for (class, n, w) in fixed_regs(m) {
            let file = &mut fixed_until[class_index(class)];
            for k in usize::from(n)..usize::from(n) + usize::from(w) {
                if let Some(slot) = file.get_mut(k) {
                    *slot = Some(i);
                }
            }
        }
    }
    check_labels(mir)?;
    let loops = Loops::new(&mir.loops(), mir.insts.len());
    for r in ranges.iter_mut().flatten() {
        *r = loops.widen(*r);
    }
    for file in &mut fixed_until {
        for end in file.iter_mut().flatten() {
            *end = loops.widen((0, *end)).1;
        }
    }
    Ok(Liveness {
        ranges,
        fixed_until,
    })
}

/// Every label placed and branched to is one `Mir::label` made ([`Mir::loops`] indexes
/// by them).
fn check_labels(mir: &Mir) -> Result<(), RegallocError> {
    for (i, m) in mir.insts.iter().enumerate() {
        let (l, op) = match m {
            MInst::Label(l) => (l, "label"),
            MInst::Branch { target, op, .. } => (target, op.name()),
            MInst::Inst { .. } => continue,
        };
        if l.0 >= mir.labels {
            return Err(RegallocError::BadOperand {
                inst: i,
                op,
                what: format!(
                    "label {} was never made (the kernel has {})",
                    l.0, mir.labels
                ),
            });
        }
    }
    Ok(())
}

/// Every register reference names a known virtual register of the slot's class, in a
/// slot the format has, within the tuple.
fn check_refs(mir: &Mir, i: usize, m: &MInst) -> Result<(), RegallocError> {
    let MInst::Inst { inst, regs, .. } = m else {
        return Ok(());
    };
    let bad = |what: String| RegallocError::BadOperand {
        inst: i,
        op: inst.op().name(),
        what,
    };
    for r in regs {
        let info = *mir
            .vregs
            .get(r.reg.0 as usize)
            .ok_or(RegallocError::UnknownVReg {
                vreg: r.reg.0,
                inst: Some(i),
            })?;
        let placeholder = crate::mir::slot_operand(inst, r.slot).and_then(super::slots::phys);
        if placeholder.map(|p| p.0) != Some(info.class) {
            return Err(bad(format!(
                "slot {:?} holds {:?}, not a {:?} register for %{}",
                r.slot,
                crate::mir::slot_operand(inst, r.slot),
                info.class,
                r.reg.0
            )));
        }
        let w = slot_width(inst, r.slot);
        if w == 0 || r.offset + w > info.dwords {
            return Err(bad(format!(
                "slot {:?} spans registers {}..{} of %{}, which has {}",
                r.slot,
                r.offset,
                r.offset + w,
                r.reg.0,
                info.dwords
            )));
        }
    }
    Ok(())
}

/// The loops of a kernel, for widening intervals. Structured code nests its loops
/// properly, which allows a walk up the loop tree from each end of an interval; a set of
/// crossing loops (hand-written MIR only) falls back to widening against every loop until
/// nothing changes.
struct Loops {
    /// `(header, latch)`, sorted by header, outer loops first.
    loops: Vec<(usize, usize)>,
    /// Per loop, the innermost loop containing it.
    parent: Vec<Option<usize>>,
    /// Per position, the innermost loop containing it (empty when the loops cross).
    innermost: Vec<Option<usize>>,
    nested: bool,
}

impl Loops {
    fn new(loops: &[(usize, usize)], len: usize) -> Loops {
        let mut loops = loops.to_vec();
        loops.sort_by_key(|&(h, l)| (h, std::cmp::Reverse(l)));
        loops.dedup();
        let mut parent = vec![None; loops.len()];
        let mut stack: Vec<usize> = Vec::new();
        let mut nested = true;
        for (k, &(h, l)) in loops.iter().enumerate() {
            while stack.last().is_some_and(|&t| loops[t].1 < h) {
                stack.pop();
            }
            if let Some(&t) = stack.last() {
                nested &= l <= loops[t].1;
                parent[k] = Some(t);
            }
            stack.push(k);
        }
        let innermost = if nested {
            innermost_at(&loops, len)
        } else {
            Vec::new()
        };
        Loops {
            loops,
            parent,
            innermost,
            nested,
        }
    }

    fn contains(&self, k: usize, p: usize) -> bool {
        let (h, l) = self.loops[k];
        h <= p && p <= l
    }

    /// `(start, end)` grown over every loop it enters or leaves.
    fn widen(&self, (mut s, mut e): (usize, usize)) -> (usize, usize) {
        if !self.nested {
            return self.widen_any((s, e));
        }
        // The outermost loop holding one end and not the other decides each end; the
        // loops around that one hold both ends already (they nest).
        let mut k = self.innermost.get(s).copied().flatten();
        while let Some(j) = k.filter(|&j| !self.contains(j, e)) {
            s = self.loops[j].0;
            k = self.parent[j];
        }
        let mut k = self.innermost.get(e).copied().flatten();
        while let Some(j) = k.filter(|&j| !self.contains(j, s)) {
            e = self.loops[j].1;
            k = self.parent[j];
        }
        (s, e)
    }

    fn widen_any(&self, (mut s, mut e): (usize, usize)) -> (usize, usize) {
        loop {
            let before = (s, e);
            for &(h, l) in &self.loops {
                let overlaps = s <= l && h <= e;
                if overlaps && (s < h || e > l) {
                    s = s.min(h);
                    e = e.max(l);
                }
            }
            if before == (s, e) {
                return (s, e);
            }
        }
    }
}

/// Per position, the innermost of properly nested loops (sorted by header, outer first)
/// that contains it.
fn innermost_at(loops: &[(usize, usize)], len: usize) -> Vec<Option<usize>> {
    let mut out = vec![None; len];
    let mut stack: Vec<usize> = Vec::new();
    let mut next = 0;
    for (p, slot) in out.iter_mut().enumerate() {
        while stack.last().is_some_and(|&t| loops[t].1 < p) {
            stack.pop();
        }
        while next < loops.len() && loops[next].0 == p {
            stack.push(next);
            next += 1;
        }
        *slot = stack.last().copied();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn brute(loops: &[(usize, usize)], r: (usize, usize)) -> (usize, usize) {
        let l = Loops {
            loops: loops.to_vec(),
            parent: Vec::new(),
            innermost: Vec::new(),
            nested: false,
        };
        l.widen_any(r)
    }

    #[test]
    fn nested_widening_matches_the_fixpoint() {
        // Hand-checked: loops 10..50 ⊃ 20..30, and 60..70.
        let loops = [(10, 50), (20, 30), (60, 70)];
        let l = Loops::new(&loops, 100);
        assert!(l.nested);
        assert_eq!(l.widen((5, 25)), (5, 50)); // carried into both loops
        assert_eq!(l.widen((22, 40)), (20, 40)); // leaves the inner loop only
        assert_eq!(l.widen((22, 55)), (10, 55)); // leaves both
        assert_eq!(l.widen((22, 28)), (22, 28)); // local to the inner body
        assert_eq!(l.widen((45, 65)), (10, 70));
        assert_eq!(l.widen((0, 100)), (0, 100));
        for s in 0..100 {
            for e in s..100 {
                assert_eq!(l.widen((s, e)), brute(&loops, (s, e)), "{s}..{e}");
            }
        }
    }

    #[test]
    fn crossing_loops_use_the_fixpoint() {
        let l = Loops::new(&[(10, 30), (20, 40)], 50);
        assert!(!l.nested);
        assert_eq!(l.widen((5, 15)), (5, 40));
    }
}
