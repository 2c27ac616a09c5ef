//! Forward data-flow over allocated machine code, shared by `s_waitcnt` insertion and the
//! hazard fixes. Program order is the order a wave issues instructions in (isel's control
//! flow is structured and EXEC-masked), with branches as may-go edges: the state at a
//! label is the join of the state falling into it and of every branch to it. Backward
//! branches (loops) are handled by repeating the walk until no backward branch changes a
//! label's state; the states form finite lattices whose joins only grow, so this ends.
//!
//! A pass's `step` sees the state before an instruction, decides what must be inserted
//! around it (which changes the state as the inserted instructions would), and applies
//! the instruction itself. Code after `s_branch` or `s_endpgm` and before the next label
//! that nothing branches to is unreachable and is not stepped.

use crate::isa::{Inst, Op};
use crate::mir::MInst;

/// A data-flow state: `join` merges the state of another path into this one and says
/// whether that changed it.
pub(crate) trait Lattice: Clone {
    fn join(&mut self, other: &Self) -> bool;
}

/// Instructions to insert around one instruction.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Insert {
    pub before: Vec<Inst>,
    pub after: Vec<Inst>,
}

impl Insert {
    pub fn is_empty(&self) -> bool {
        self.before.is_empty() && self.after.is_empty()
    }
}

/// Runs `step` to a fixed point from `entry` and inserts what its last walk asked for.
///
/// A walk is the last one needed when no branch back to a label it already passed changed
/// that label's state: every label then held, when the walk read it, the join of all its
/// incoming states, so the next walk would read the same states and repeat this one
/// (joins are idempotent). Straight-line and forward-branching code takes one walk.
pub(crate) fn run<S: Lattice>(
    insts: &mut Vec<MInst>,
    entry: S,
    mut step: impl FnMut(&mut S, &Inst) -> Insert,
) {
    let mut w = Walk {
        at_label: vec![None; label_count(insts)],
        passed: vec![false; label_count(insts)],
        endpgm: Op::by_name("s_endpgm"),
        jump: Op::by_name("s_branch"),
    };
    loop {
        let (changed, inserts) = w.walk(insts, &entry, &mut step);
        if !changed {
            apply(insts, inserts);
            return;
        }
    }
}

fn label_count(insts: &[MInst]) -> usize {
    insts
        .iter()
        .filter_map(|m| match m {
            MInst::Label(l) => Some(l.0 as usize + 1),
            MInst::Branch { target, .. } => Some(target.0 as usize + 1),
            MInst::Inst { .. } => None,
        })
        .max()
        .unwrap_or(0)
}

/// Merges `state` into a label's state; whether that changed it.
fn merge<S: Lattice>(slot: &mut Option<S>, state: &S) -> bool {
    match slot {
        None => {
            *slot = Some(state.clone());
            true
        }
        Some(old) => old.join(state),
    }
}

type Inserts = Vec<(usize, Insert)>;

/// The walks' state: each label's state so far, whether the current walk has passed it,
/// and the opcodes that end a path.
struct Walk<S> {
    at_label: Vec<Option<S>>,
    passed: Vec<bool>,
    endpgm: Option<Op>,
    jump: Option<Op>,
}

impl<S: Lattice> Walk<S> {
    /// One walk over the program: whether the state of a label it had already passed grew
    /// (another walk is needed), and the insertions.
    fn walk(
        &mut self,
        insts: &[MInst],
        entry: &S,
        step: &mut impl FnMut(&mut S, &Inst) -> Insert,
    ) -> (bool, Inserts) {
        let at_label = &mut self.at_label;
        let passed = &mut self.passed;
        passed.iter_mut().for_each(|p| *p = false);
        let mut changed = false;
        let mut inserts = Vec::new();
        let mut cur = Some(entry.clone());
        for (i, m) in insts.iter().enumerate() {
            match m {
                MInst::Label(l) => {
                    let slot = &mut at_label[l.0 as usize];
                    // A label placed twice grows after the first placement was read.
                    if let Some(c) = &cur {
                        changed |= merge(slot, c) && passed[l.0 as usize];
                    }
                    passed[l.0 as usize] = true;
                    cur = slot.clone();
                }
                MInst::Branch { op, target, .. } => {
                    let t = target.0 as usize;
                    if let Some(c) = &cur {
                        changed |= merge(&mut at_label[t], c) && passed[t];
                    }
                    if Some(*op) == self.jump {
                        cur = None;
                    }
                }
                MInst::Inst { inst, .. } => {
                    if let Some(c) = cur.as_mut() {
                        let ins = step(c, inst);
                        if !ins.is_empty() {
                            inserts.push((i, ins));
                        }
                    }
                    if Some(inst.op()) == self.endpgm {
                        cur = None;
                    }
                }
            }
        }
        (changed, inserts)
    }
}

/// Inserts the instructions, each with the kernel-IR line of the one it surrounds.
fn apply(insts: &mut Vec<MInst>, inserts: Inserts) {
    if inserts.is_empty() {
        return;
    }
    let old = std::mem::take(insts);
    let mut inserts = inserts.into_iter().peekable();
    for (i, m) in old.into_iter().enumerate() {
        let here = match inserts.peek() {
            Some((at, _)) if *at == i => inserts.next().map(|(_, ins)| ins),
            _ => None,
        };
        let Some(ins) = here else {
            insts.push(m);
            continue;
        };
        let line = match &m {
            MInst::Inst { line, .. } | MInst::Branch { line, .. } => *line,
            MInst::Label(_) => 0,
        };
        let wrap = |inst: Inst| MInst::Inst {
            inst,
            regs: Vec::new(),
            line,
        };
        insts.extend(ins.before.into_iter().map(wrap));
        insts.push(m);
        insts.extend(ins.after.into_iter().map(wrap));
    }
}
