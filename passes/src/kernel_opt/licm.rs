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

use super::hash::FastSet as HashSet;
use super::rebuild::{Rewrite, rebuild};
use super::tree::post_order;
use egpu_ir::kernel::{AccId, Expr, Kernel, KernelError, Loop, Memory, Stmt, ValueId};
use egpu_ir::{BinaryOp, Scalar};

pub fn licm(kernel: &Kernel) -> Result<Option<Kernel>, KernelError> {
    let Some(body) = hoisted_body(kernel) else {
        return Ok(None);
    };
    struct Copy;
    impl Rewrite for Copy {}
    rebuild(kernel, &body, &mut Copy).map(Some)
}

/// The kernel's body with the invariant lets moved out of their loops (over the same
/// values), or `None` when nothing moves. Moving never adds or removes a statement.
pub(super) fn hoisted_body(kernel: &Kernel) -> Option<Vec<Stmt>> {
    let mut moved = false;
    let body = post_order(kernel.body(), &mut |_, stmt, out| match stmt {
        Stmt::Loop(l) => {
            let before = out.len();
            hoist(kernel, l, out);
            moved |= out.len() > before + 1;
        }
        other => out.push(other),
    });
    moved.then_some(body)
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

/// Pushes the loop's invariant lets onto `out`, then the loop without them.
fn hoist(kernel: &Kernel, l: Loop, out: &mut Vec<Stmt>) {
    let mut facts = facts(&l);
    let runs = runs_at_least_once(kernel, &l);
    let mut body = Vec::with_capacity(l.body.len());
    for stmt in l.body {
        if let Stmt::Let(v) = stmt
            && invariant(kernel, &facts, runs, v)
        {
            facts.defined.remove(&v);
            out.push(stmt);
        } else {
            body.push(stmt);
        }
    }
    out.push(Stmt::Loop(Loop { body, ..l }));
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
    if value.expr.each_operand().any(|x| facts.defined.contains(&x)) {
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
