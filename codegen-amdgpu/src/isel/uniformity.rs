//! Uniformity analysis: which kernel-IR values are equal on every lane of a wave (they can
//! live in SGPRs and steer scalar branches). One forward walk: constants, parameters,
//! workgroup ids and values computed only from uniform values are uniform; local ids along
//! an axis of more than one lane, and loads at per-lane indices, are not. Subgroup
//! reductions are uniform (every lane of the wave gets the same result; a wave is a
//! subgroup), and so are loads at a uniform index. A loop variable is uniform when both
//! bounds are. An accumulator is uniform when its `init` and every update use uniform values
//! under uniform control (every enclosing `if` condition and loop bound uniform).
//!
//! Accumulator reads may come before the updates that make the accumulator per-lane (in a
//! loop), so the walk repeats until no accumulator changes: each extra pass turns at least
//! one accumulator per-lane, so there are at most `accumulators + 1` passes.

use cranelift_entity::EntityRef;
use egpu_ir::kernel::{Expr, Kernel, Stmt};

/// Per value (by `ValueId` index), whether it is uniform; per accumulator likewise.
#[derive(Clone, Debug, Default)]
pub struct Uniformity {
    pub values: Vec<bool>,
    pub accs: Vec<bool>,
}

impl Uniformity {
    pub fn value(&self, v: egpu_ir::kernel::ValueId) -> bool {
        self.values.get(v.index()).copied().unwrap_or(false)
    }

    pub fn acc(&self, a: egpu_ir::kernel::AccId) -> bool {
        self.accs.get(a.index()).copied().unwrap_or(false)
    }
}

/// Computes the uniformity of every value and accumulator of `kernel`.
pub fn analyze(kernel: &Kernel) -> Uniformity {
    let mut n_accs = 0;
    walk(kernel.body(), true, &mut |s, _| {
        if let Stmt::InitAcc { acc, .. } = s {
            n_accs = n_accs.max(acc.index() + 1);
        }
        true
    });
    let mut u = Uniformity {
        values: vec![true; kernel.values().len()],
        accs: vec![true; n_accs],
    };
    loop {
        let before = u.accs.clone();
        pass(kernel, &mut u);
        if u.accs == before {
            return u;
        }
    }
}

/// Calls `f(stmt, control)` on every statement in program order (iteratively), where
/// `control` is the flag of the block the statement lies in: `init` for the body, and
/// for a nested block what `f` returned for the statement opening it.
pub(super) fn walk<'k>(body: &'k [Stmt], init: bool, f: &mut impl FnMut(&'k Stmt, bool) -> bool) {
    let mut stack: Vec<(std::slice::Iter<'k, Stmt>, bool)> = vec![(body.iter(), init)];
    while let Some((top, flag)) = stack.last_mut() {
        let flag = *flag;
        let Some(s) = top.next() else {
            stack.pop();
            continue;
        };
        let inner = f(s, flag);
        match s {
            Stmt::Loop(l) => stack.push((l.body.iter(), inner)),
            Stmt::If {
                then_body,
                else_body,
                ..
            } => {
                // The else-body runs after the then-body: push it first.
                stack.push((else_body.iter(), inner));
                stack.push((then_body.iter(), inner));
            }
            _ => {}
        }
    }
}

/// One forward pass: values from the current accumulator facts, accumulators narrowed.
fn pass(kernel: &Kernel, u: &mut Uniformity) {
    walk(kernel.body(), true, &mut |s, here| match s {
        Stmt::Let(v) => {
            let uniform = kernel
                .value(*v)
                .is_some_and(|val| expr_uniform(kernel, &val.expr, u));
            set(&mut u.values, v.index(), uniform);
            here
        }
        Stmt::Loop(l) => {
            let bounds = u.value(l.start) && u.value(l.end);
            set(&mut u.values, l.var.index(), bounds);
            here && bounds
        }
        Stmt::If { cond, .. } => here && u.value(*cond),
        Stmt::InitAcc { acc, init } => {
            let uniform = here && u.value(*init) && u.acc(*acc);
            set(&mut u.accs, acc.index(), uniform);
            here
        }
        Stmt::UpdateAcc { acc, value, .. } => {
            if !(here && u.value(*value)) {
                set(&mut u.accs, acc.index(), false);
            }
            here
        }
        _ => here,
    });
}

fn set(v: &mut [bool], i: usize, x: bool) {
    if let Some(slot) = v.get_mut(i) {
        *slot = x;
    }
}

fn expr_uniform(kernel: &Kernel, e: &Expr, u: &Uniformity) -> bool {
    match e {
        Expr::WorkgroupId(_) | Expr::Const(_) | Expr::Param(_) | Expr::SubgroupReduce { .. } => {
            true
        }
        Expr::LocalId(axis) => kernel.launch().workgroup[axis.index()] == 1,
        // Set by the loop statement itself.
        Expr::LoopVar => true,
        Expr::ReadAcc(a) => u.acc(*a),
        _ => e.each_operand().all(|v| u.value(v)),
    }
}
