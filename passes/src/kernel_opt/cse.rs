//! Common subexpression elimination: a value whose operation and operands equal those of an
//! earlier value still in scope is replaced by that value. Scoping follows the blocks: what
//! a loop body or branch defines is forgotten when it closes.
//!
//! Memory and accumulator reads are merged only when nothing can have changed what they
//! read in between: every store, barrier, matrix tile and accumulator update starts a new
//! *epoch*, and so does opening or closing a block (a loop body runs after the stores of
//! its previous iteration; a branch's stores may or may not have happened). A read is keyed
//! by its epoch, so two reads merge only within one straight-line stretch free of effects.
//! Subgroup reductions (which synchronize lanes) are never merged.

use super::rebuild::{AsIs, Block, Emitter, Layout, Rewrite, rebuild_laid_out};
use crate::fast_hash::{FastMap as HashMap, FastSet as HashSet};
use egpu_ir::kernel::{
    AccId, Axis, Expr, Kernel, KernelError, Memory, ParamId, Stmt, Value, ValueId, ValueType,
};
use egpu_ir::{BinaryOp, DType, Scalar, UnaryOp};
use std::collections::hash_map::Entry;

pub fn cse(kernel: &Kernel) -> Result<Option<Kernel>, KernelError> {
    if !has_duplicates(kernel) {
        return Ok(None);
    }
    cse_over(kernel, &AsIs).map(Some)
}

/// CSE of `kernel` with its statements placed by `layout` (LICM's moves, say): the rebuild
/// emits values in the laid-out order and keys them by their new ids, so this is CSE of the
/// kernel that the layout alone would be rebuilt into, in one rebuild.
pub(super) fn cse_over(kernel: &Kernel, layout: &dyn Layout) -> Result<Kernel, KernelError> {
    let mut pass = Cse {
        table: HashMap::with_capacity_and_hasher(kernel.values().len(), Default::default()),
        added: vec![Vec::new()],
        epoch: 0,
    };
    rebuild_laid_out(kernel, layout, &mut pass)
}

/// Whether two values have one key, ignoring scopes and effects (so more than CSE merges).
/// Merging starts at such a pair (a value can only become equal to another once its
/// operands have merged), so without one there is nothing to do.
fn has_duplicates(kernel: &Kernel) -> bool {
    let mut seen = HashSet::with_capacity_and_hasher(kernel.values().len(), Default::default());
    kernel
        .values()
        .filter_map(|(_, value)| key(&value.expr, value.ty, 0))
        .any(|k| !seen.insert(k))
}

/// An expression in new ids, with what makes two of them equal.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Key {
    WorkgroupId(Axis),
    LocalId(Axis),
    /// dtype and the constant's bits (so `-0.0` and `0.0` differ, NaN equals NaN).
    Const(DType, u8, u128),
    Param(ParamId),
    Load(Memory, ValueId, Option<ValueId>, u32, u64),
    Unary(UnaryOp, ValueId),
    Binary(BinaryOp, ValueId, ValueId),
    MulHi(ValueId, ValueId),
    Fma(ValueId, ValueId, ValueId),
    Where(ValueId, ValueId, ValueId),
    Cast(ValueId, DType),
    Bitcast(ValueId, DType),
    Vector(Vec<ValueId>),
    Extract(ValueId, u32),
    ReadAcc(AccId, u64),
}

struct Cse {
    table: HashMap<Key, ValueId>,
    /// Keys added in each open block, removed when it closes.
    added: Vec<Vec<Key>>,
    epoch: u64,
}

impl Rewrite for Cse {
    fn value(
        &mut self,
        e: &mut Emitter,
        _old: ValueId,
        value: &Value,
    ) -> Result<Option<ValueId>, KernelError> {
        let expr = e.renamed(&value.expr)?;
        let Some(key) = key(&expr, value.ty, self.epoch) else {
            return Ok(None);
        };
        // One lookup finds an earlier value or the slot for this one.
        let slot = match self.table.entry(key) {
            Entry::Occupied(earlier) => return Ok(Some(*earlier.get())),
            Entry::Vacant(slot) => slot,
        };
        let new = e.emit(value.ty, &expr)?;
        if let Some(block) = self.added.last_mut() {
            block.push(slot.key().clone());
        }
        slot.insert(new);
        Ok(Some(new))
    }

    fn enter(&mut self, _block: Block) {
        self.epoch += 1;
        self.added.push(Vec::new());
    }

    fn leave(&mut self) {
        self.epoch += 1;
        for key in self.added.pop().unwrap_or_default() {
            self.table.remove(&key);
        }
    }

    fn effect(&mut self, _stmt: &Stmt) {
        self.epoch += 1;
    }
}

/// The key of an expression; `None` for what is never merged (subgroup reductions). The
/// operands of commutative operations are sorted.
fn key(expr: &Expr, ty: ValueType, epoch: u64) -> Option<Key> {
    Some(match expr {
        Expr::WorkgroupId(a) => Key::WorkgroupId(*a),
        Expr::LocalId(a) => Key::LocalId(*a),
        Expr::Const(s) => {
            let (kind, bits) = match s {
                Scalar::Bool(b) => (0, u128::from(*b)),
                Scalar::Int(i) => (1, *i as u128),
                Scalar::Float(f) => (2, u128::from(f.to_bits())),
            };
            Key::Const(ty.dtype, kind, bits)
        }
        Expr::Param(p) => Key::Param(*p),
        Expr::Load {
            source,
            index,
            mask,
        } => Key::Load(*source, *index, *mask, ty.width, epoch),
        Expr::Unary { op, x } => Key::Unary(*op, *x),
        Expr::Binary { op, a, b } if commutative(*op, ty.dtype) => {
            Key::Binary(*op, *a.min(b), *a.max(b))
        }
        Expr::Binary { op, a, b } => Key::Binary(*op, *a, *b),
        Expr::MulHi { a, b } => Key::MulHi(*a.min(b), *a.max(b)),
        Expr::Fma { a, b, c } => Key::Fma(*a, *b, *c),
        Expr::Where { cond, a, b } => Key::Where(*cond, *a, *b),
        Expr::Cast { x } => Key::Cast(*x, ty.dtype),
        Expr::Bitcast { x } => Key::Bitcast(*x, ty.dtype),
        Expr::Vector(items) => Key::Vector(items.clone()),
        Expr::Extract { x, lane } => Key::Extract(*x, *lane),
        Expr::ReadAcc(acc) => Key::ReadAcc(*acc, epoch),
        Expr::LoopVar | Expr::SubgroupReduce { .. } => return None,
    })
}

/// Operations whose result does not depend on operand order, bit for bit (`dtype` is the
/// result's). Float `max` and `min` order −0 below +0 and give the one NaN whichever side
/// it is on, but a float `add` or `mul` of two NaNs keeps the payload of one of them, so
/// those are left in order.
fn commutative(op: BinaryOp, dtype: DType) -> bool {
    use BinaryOp::*;
    match op {
        Max | Min | And | Or | Xor | CmpEq | CmpNe => true,
        Add | Mul => !dtype.is_float(),
        _ => false,
    }
}
