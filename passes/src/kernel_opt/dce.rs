//! Dead code elimination: removes values nothing needs, accumulators nothing reads, and
//! loops and ifs left with nothing to do.
//!
//! Mark and sweep. The roots are what has an effect: stores, barriers, matrix tiles, and
//! the values whose evaluation may fail at run time (loads, which may be out of bounds or
//! read unwritten shared memory; integer divisions whose divisor is not a nonzero
//! constant) or that synchronize lanes (subgroup reductions): removing those would remove
//! an error or change which lanes meet. A needed value needs its operands and the loops and
//! ifs around its definition; a needed loop or if needs its bounds or condition; a needed
//! accumulator read needs every init and update of that accumulator. Both walks are
//! iterative and linear.

use super::hash::{FastMap as HashMap, FastSet as HashSet};
use super::rebuild::{Rewrite, rebuild};
use super::tree::{post_order, pre_order};
use egpu_ir::kernel::{AccId, Expr, Kernel, KernelError, Stmt, ValueId};
use egpu_ir::{BinaryOp, Scalar};

pub fn dce(kernel: &Kernel) -> Result<Option<Kernel>, KernelError> {
    let live = mark(kernel);
    let mut removed = false;
    let body = post_order(kernel.body(), &mut |index, stmt| {
        let keep = match &stmt {
            Stmt::Let(v) => live.values.contains(v),
            Stmt::InitAcc { acc, .. } | Stmt::UpdateAcc { acc, .. } => live.accs.contains(acc),
            Stmt::Loop(_) | Stmt::If { .. } => live.controls.contains(&index),
            Stmt::Store(_)
            | Stmt::Atomic(_)
            | Stmt::Barrier
            | Stmt::MatrixTile(_)
            | Stmt::FragmentZero(_)
            | Stmt::FragmentMma { .. }
            | Stmt::FragmentStore { .. } => true,
        };
        removed |= !keep;
        if keep { vec![stmt] } else { vec![] }
    });
    if !removed {
        return Ok(None);
    }
    struct Copy;
    impl Rewrite for Copy {}
    rebuild(kernel, &body, &mut Copy).map(Some)
}

/// What survives: values, accumulators, and loops and ifs by statement number.
#[derive(Default)]
struct Live {
    values: HashSet<ValueId>,
    accs: HashSet<AccId>,
    controls: HashSet<usize>,
}

/// Something found needed, whose own needs are still to mark.
enum Need {
    Value(ValueId),
    Acc(AccId),
    Control(usize),
}

/// Where things are: each value's enclosing control, each control's operands and parent,
/// each accumulator's statements (their operand and enclosing control).
#[derive(Default)]
struct Layout {
    def_parent: HashMap<ValueId, usize>,
    controls: HashMap<usize, (Vec<ValueId>, Option<usize>)>,
    acc_stmts: HashMap<AccId, Vec<(ValueId, Option<usize>)>>,
}

fn mark(kernel: &Kernel) -> Live {
    let mut layout = Layout::default();
    let mut work = Vec::new();
    pre_order(kernel.body(), &mut |index, stmt, parent| {
        let mut root = |values: &[ValueId]| {
            work.extend(values.iter().map(|&v| Need::Value(v)));
            work.extend(parent.map(Need::Control));
        };
        match stmt {
            Stmt::Let(v) => {
                if let Some(p) = parent {
                    layout.def_parent.insert(*v, p);
                }
                if has_effect(kernel, *v) {
                    root(&[*v]);
                }
            }
            Stmt::Loop(l) => {
                // The variable is defined by its loop: needing it needs the loop.
                layout.def_parent.insert(l.var, index);
                layout
                    .controls
                    .insert(index, (vec![l.start, l.end], parent));
            }
            Stmt::If { cond, .. } => {
                layout.controls.insert(index, (vec![*cond], parent));
            }
            Stmt::Store(s) => {
                root(&[s.index, s.value]);
                root(&s.mask.into_iter().collect::<Vec<_>>());
            }
            Stmt::Atomic(a) => root(&[a.index, a.value]),
            Stmt::FragmentZero(_) => root(&[]),
            Stmt::FragmentMma { a, b, .. } => root(&[a.offset, b.offset]),
            Stmt::FragmentStore { d, .. } => root(&[d.offset]),
            Stmt::Barrier => root(&[]),
            Stmt::MatrixTile(t) => root(&[t.a.offset, t.b.offset, t.d.offset]),
            Stmt::InitAcc { acc, init: value } | Stmt::UpdateAcc { acc, value, .. } => {
                layout
                    .acc_stmts
                    .entry(*acc)
                    .or_default()
                    .push((*value, parent));
            }
        }
    });
    let mut live = Live::default();
    while let Some(need) = work.pop() {
        match need {
            Need::Value(v) => {
                if !live.values.insert(v) {
                    continue;
                }
                let Some(value) = kernel.value(v) else {
                    continue;
                };
                work.extend(value.expr.operands().into_iter().map(Need::Value));
                work.extend(layout.def_parent.get(&v).copied().map(Need::Control));
                if let Expr::ReadAcc(acc) = value.expr {
                    work.push(Need::Acc(acc));
                }
            }
            Need::Acc(acc) => {
                if !live.accs.insert(acc) {
                    continue;
                }
                for &(value, parent) in layout.acc_stmts.get(&acc).into_iter().flatten() {
                    work.push(Need::Value(value));
                    work.extend(parent.map(Need::Control));
                }
            }
            Need::Control(c) => {
                if !live.controls.insert(c) {
                    continue;
                }
                if let Some((operands, parent)) = layout.controls.get(&c) {
                    work.extend(operands.iter().map(|&v| Need::Value(v)));
                    work.extend(parent.map(Need::Control));
                }
            }
        }
    }
    live
}

/// Whether evaluating `v` may fail or synchronizes lanes, so it must stay even if unused.
fn has_effect(kernel: &Kernel, v: ValueId) -> bool {
    let Some(value) = kernel.value(v) else {
        return true;
    };
    match &value.expr {
        Expr::Load { .. } | Expr::SubgroupReduce { .. } => true,
        Expr::Binary {
            op: BinaryOp::Idiv | BinaryOp::Mod,
            b,
            ..
        } => !matches!(kernel.constant(*b), Some(Scalar::Int(d)) if d != 0),
        _ => false,
    }
}
