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

use super::dense::{DenseMap, DenseSet};
use super::rebuild::{Layout, Rewrite, rebuild_laid_out};
use super::tree::pre_order;
use crate::fast_hash::FastMap as HashMap;
use egpu_ir::kernel::{AccId, Expr, Kernel, KernelError, Stmt, ValueId};
use egpu_ir::{BinaryOp, Scalar};

pub fn dce(kernel: &Kernel) -> Result<Option<Kernel>, KernelError> {
    let live = mark(kernel);
    // Most kernels lose nothing: a scan says so before any statement is copied.
    let mut removed = false;
    pre_order(kernel.body(), &mut |index, stmt, _| {
        removed |= !live.keeps(index, stmt);
    });
    if !removed {
        return Ok(None);
    }
    struct Copy;
    impl Rewrite for Copy {}
    rebuild_laid_out(kernel, &live, &mut Copy).map(Some)
}

/// What survives: values, accumulators, and loops and ifs by statement number.
#[derive(Default)]
struct Live {
    values: DenseSet,
    accs: DenseSet,
    controls: DenseSet,
}

/// The rebuild leaves out what does not survive.
impl Layout for Live {
    fn skip(&self, index: usize, stmt: &Stmt) -> bool {
        !self.keeps(index, stmt)
    }
}

impl Live {
    /// Whether statement number `index` stays.
    fn keeps(&self, index: usize, stmt: &Stmt) -> bool {
        match stmt {
            Stmt::Let(v) => self.values.contains(id(*v)),
            Stmt::InitAcc { acc, .. } | Stmt::UpdateAcc { acc, .. } => {
                self.accs.contains(acc.as_u32() as usize)
            }
            Stmt::Loop(_) | Stmt::If { .. } => self.controls.contains(index),
            Stmt::Store(_)
            | Stmt::Atomic(_)
            | Stmt::Barrier
            | Stmt::MatrixTile(_)
            | Stmt::FragmentZero(_)
            | Stmt::FragmentMma { .. }
            | Stmt::FragmentStore { .. } => true,
        }
    }
}

/// Something found needed, whose own needs are still to mark.
enum Need {
    Value(ValueId),
    Acc(AccId),
    Control(usize),
}

/// Where things are: each value's enclosing control, each control's operands (a loop's
/// bounds, an if's condition) and parent, each accumulator's statements (their operand and
/// enclosing control).
struct Places {
    def_parent: DenseMap<usize>,
    controls: DenseMap<([Option<ValueId>; 2], Option<usize>)>,
    acc_stmts: HashMap<AccId, Vec<(ValueId, Option<usize>)>>,
}

/// A value's number in the dense tables.
fn id(v: ValueId) -> usize {
    v.as_u32() as usize
}

fn mark(kernel: &Kernel) -> Live {
    let values = kernel.values().len();
    let mut layout = Places {
        def_parent: DenseMap::with_capacity(values),
        controls: DenseMap::with_capacity(0),
        acc_stmts: HashMap::default(),
    };
    let mut work = Vec::new();
    pre_order(kernel.body(), &mut |index, stmt, parent| {
        let mut root = |values: &[ValueId]| {
            work.extend(values.iter().map(|&v| Need::Value(v)));
            work.extend(parent.map(Need::Control));
        };
        match stmt {
            Stmt::Let(v) => {
                if let Some(p) = parent {
                    layout.def_parent.insert(id(*v), p);
                }
                if has_effect(kernel, *v) {
                    root(&[*v]);
                }
            }
            Stmt::Loop(l) => {
                // The variable is defined by its loop: needing it needs the loop.
                layout.def_parent.insert(id(l.var), index);
                let bounds = [Some(l.start), Some(l.end)];
                layout.controls.insert(index, (bounds, parent));
            }
            Stmt::If { cond, .. } => {
                layout.controls.insert(index, ([Some(*cond), None], parent));
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
    let mut live = Live {
        values: DenseSet::with_capacity(values),
        ..Live::default()
    };
    while let Some(need) = work.pop() {
        match need {
            Need::Value(v) => {
                if !live.values.insert(id(v)) {
                    continue;
                }
                let Some(value) = kernel.value(v) else {
                    continue;
                };
                work.extend(value.expr.each_operand().map(Need::Value));
                work.extend(layout.def_parent.get(id(v)).map(Need::Control));
                if let Expr::ReadAcc(acc) = value.expr {
                    work.push(Need::Acc(acc));
                }
            }
            Need::Acc(acc) => {
                if !live.accs.insert(acc.as_u32() as usize) {
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
                if let Some((operands, parent)) = layout.controls.get(c) {
                    work.extend(operands.into_iter().flatten().map(Need::Value));
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
