//! Loop-invariant code motion: a `let` directly in a loop body whose operands are all
//! defined outside the loop moves to just before the loop. Loops are handled innermost
//! first, so a value can climb out of several loops.
//!
//! What may move:
//! - operations that cannot fault (everything elementwise except an integer division or
//!   remainder whose divisor is not a nonzero constant): computing them once more or once
//!   less changes nothing, even when the loop runs zero times;
//! - an accumulator read, when the loop does not update or declare that accumulator;
//! - a load, when the loop certainly runs (constant bounds, start < end), stores nothing to
//!   the same memory, has no barrier, and (for shared memory) no matrix tile: it then reads
//!   the same elements on every iteration, and it would have run (and faulted, if it does)
//!   in the first iteration anyway.
//!
//! Never moved: subgroup reductions (they synchronize lanes), anything inside an `if` of
//! the body (it might not run, or fault only when it runs).

use super::dense::{DenseMap, DenseSet};
use super::rebuild::{Layout, Rewrite, rebuild_laid_out};
use crate::fast_hash::{FastMap as HashMap, FastSet as HashSet};
use egpu_ir::kernel::{AccId, Expr, Kernel, KernelError, Loop, Memory, Stmt, ValueId};
use egpu_ir::{BinaryOp, Scalar};

pub fn licm(kernel: &Kernel) -> Result<Option<Kernel>, KernelError> {
    let Some(hoisting) = hoisting(kernel) else {
        return Ok(None);
    };
    struct Copy;
    impl Rewrite for Copy {}
    rebuild_laid_out(kernel, &hoisting, &mut Copy).map(Some)
}

/// Where the moved lets go: the lets placed just before each loop (by statement number),
/// and every let that left its place. Moving never adds or removes a statement.
pub(super) struct Hoisting {
    before: HashMap<usize, Vec<ValueId>>,
    moved: DenseSet,
}

impl Layout for Hoisting {
    fn skip(&self, _index: usize, stmt: &Stmt) -> bool {
        matches!(stmt, Stmt::Let(v) if self.moved.contains(v.as_u32() as usize))
    }

    fn before(&self, index: usize) -> &[ValueId] {
        self.before.get(&index).map_or(&[], Vec::as_slice)
    }
}

/// The moves of LICM, or `None` when nothing moves. Loops are handled innermost first
/// (children before parents, in reverse program order): a loop's candidates are the lets
/// directly in its body and, at the place of each loop directly in its body, the lets that
/// left that loop; a candidate whose operands the loop does not define leaves it (and may
/// leave the next loop out), the others stay, a let that left an inner loop just before
/// that loop. A loop in an `if` or the kernel's body keeps what left it just before it.
pub(super) fn hoisting(kernel: &Kernel) -> Option<Hoisting> {
    // Every loop with its number and whether it is directly in a loop, and each loop's
    // direct statements with theirs (by the loop's place in `loops`).
    let mut loops: Vec<(usize, &Loop, bool)> = Vec::new();
    let mut children: Vec<Vec<(usize, &Stmt)>> = Vec::new();
    let mut loop_of: DenseMap<usize> = DenseMap::with_capacity(0);
    super::tree::pre_order(kernel.body(), &mut |index, stmt, parent| {
        let outer = parent.and_then(|p| loop_of.get(p));
        if let Some(k) = outer
            && let Some(list) = children.get_mut(k)
        {
            list.push((index, stmt));
        }
        if let Stmt::Loop(l) = stmt {
            loop_of.insert(index, loops.len());
            loops.push((index, l, outer.is_some()));
            children.push(Vec::with_capacity(l.body.len()));
        }
    });
    let mut left: HashMap<usize, Vec<ValueId>> = HashMap::default();
    let mut before: HashMap<usize, Vec<ValueId>> = HashMap::default();
    let mut moved = DenseSet::with_capacity(kernel.values().len());
    let mut any = false;
    for (k, &(index, l, in_loop)) in loops.iter().enumerate().rev() {
        let mut facts = facts(l);
        let runs = runs_at_least_once(kernel, l);
        let mut out = Vec::new();
        let mut leaves = |v: ValueId| {
            let invariant = invariant(kernel, &facts, runs, v);
            if invariant {
                facts.defined.remove(&v);
                out.push(v);
            }
            invariant
        };
        for &(child, stmt) in children.get(k).map_or(&[][..], Vec::as_slice) {
            match stmt {
                Stmt::Let(v) => {
                    leaves(*v);
                }
                Stmt::Loop(_) => {
                    for v in left.remove(&child).unwrap_or_default() {
                        if !leaves(v) {
                            before.entry(child).or_default().push(v);
                        }
                    }
                }
                _ => {}
            }
        }
        for &v in &out {
            moved.insert(v.as_u32() as usize);
        }
        any |= !out.is_empty();
        if in_loop {
            left.insert(index, out);
        } else if !out.is_empty() {
            before.insert(index, out);
        }
    }
    any.then_some(Hoisting { before, moved })
}

/// What a loop defines and what it changes.
#[derive(Default)]
struct LoopFacts {
    defined: HashSet<ValueId>,
    stored: HashSet<Memory>,
    accs: HashSet<AccId>,
    barrier: bool,
    matrix_tile: bool,
}

/// Collects what the loop (all of it, nested blocks included) defines and changes.
fn facts(l: &Loop) -> LoopFacts {
    let mut facts = LoopFacts::default();
    facts.defined.insert(l.var);
    super::tree::pre_order(&l.body, &mut |_, stmt, _| match stmt {
        Stmt::Let(v) => {
            facts.defined.insert(*v);
        }
        Stmt::Loop(inner) => {
            facts.defined.insert(inner.var);
        }
        Stmt::Store(s) => {
            facts.stored.insert(s.target);
        }
        Stmt::Atomic(a) => {
            facts.stored.insert(a.target);
        }
        Stmt::FragmentStore { d, .. } => {
            facts.stored.insert(Memory::Shared(d.array));
        }
        Stmt::FragmentZero(_) | Stmt::FragmentMma { .. } => {}
        Stmt::InitAcc { acc, .. } | Stmt::UpdateAcc { acc, .. } => {
            facts.accs.insert(*acc);
        }
        Stmt::Barrier => facts.barrier = true,
        Stmt::MatrixTile(_) => facts.matrix_tile = true,
        Stmt::If { .. } => {}
    });
    facts
}

/// Whether the loop's bounds are constants with start < end.
fn runs_at_least_once(kernel: &Kernel, l: &Loop) -> bool {
    matches!(
        (kernel.constant(l.start), kernel.constant(l.end)),
        (Some(Scalar::Int(s)), Some(Scalar::Int(e))) if s < e
    )
}

fn invariant(kernel: &Kernel, facts: &LoopFacts, runs: bool, v: ValueId) -> bool {
    let Some(value) = kernel.value(v) else {
        return false;
    };
    if value
        .expr
        .each_operand()
        .any(|x| facts.defined.contains(&x))
    {
        return false;
    }
    match &value.expr {
        Expr::LoopVar | Expr::SubgroupReduce { .. } => false,
        Expr::ReadAcc(acc) => !facts.accs.contains(acc),
        Expr::Load { source, .. } => {
            let shared = matches!(source, Memory::Shared(_));
            let changed = facts.stored.contains(source) || facts.barrier;
            runs && !changed && !(shared && facts.matrix_tile)
        }
        Expr::Binary {
            op: BinaryOp::Idiv | BinaryOp::Mod,
            b,
            ..
        } => matches!(kernel.constant(*b), Some(Scalar::Int(d)) if d != 0),
        _ => true,
    }
}
