//! Rebuilding a kernel statement by statement through [`KernelBuilder`], so that every
//! check of the builder applies to what a pass produces. A pass supplies a [`Rewrite`]: it
//! may replace any value's definition (by an existing value or by new values it emits) and
//! hears about blocks and side effects; everything else is copied with its operands
//! renamed. A pass that moves or drops statements (LICM, DCE) supplies a [`Layout`] too,
//! which the walk follows over the input's own statements (no restructured copy of the
//! tree is built). The walk is iterative (an explicit stack of open blocks) and linear.

use crate::fast_hash::FastMap as HashMap;
use egpu_ir::kernel::{
    AccId, Expr, Kernel, KernelBuilder, KernelError, Param, Stmt, TileRef, Value, ValueId,
    ValueType,
};

/// What a pass does during a rebuild. Every method has a default that changes nothing.
pub(super) trait Rewrite {
    /// Called for each `let` of the input (`old` and its definition, in old ids). Returns
    /// the new value that replaces it, or `None` to copy it.
    fn value(
        &mut self,
        _e: &mut Emitter,
        _old: ValueId,
        _value: &Value,
    ) -> Result<Option<ValueId>, KernelError> {
        Ok(None)
    }

    /// A new block opens (a loop body, an if's then or else branch).
    fn enter(&mut self, _block: Block) {}

    /// The innermost block closes.
    fn leave(&mut self) {}

    /// A statement with a side effect was emitted: a store, barrier, matrix tile or an
    /// accumulator's init or update.
    fn effect(&mut self, _stmt: &Stmt) {}
}

/// The kind of a block that opens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Block {
    Loop,
    Branch,
}

/// The kernel being built and the renaming of old values and accumulators to new ones
/// (tables by old id: every rebuilt value is looked up here, once per use).
pub(super) struct Emitter {
    pub b: KernelBuilder,
    values: Vec<Option<ValueId>>,
    accs: Vec<Option<AccId>>,
    /// A new loop variable's bounds (new ids), for range analysis.
    loops: HashMap<ValueId, (ValueId, ValueId)>,
}

impl Emitter {
    /// The new value an old one became.
    pub fn new_of(&self, old: ValueId) -> Result<ValueId, KernelError> {
        match self.values.get(old.as_u32() as usize) {
            Some(&Some(new)) => Ok(new),
            _ => Err(self.internal(format!("{old} is used before it is rebuilt"))),
        }
    }

    fn new_acc(&self, old: AccId) -> Result<AccId, KernelError> {
        match self.accs.get(old.as_u32() as usize) {
            Some(&Some(new)) => Ok(new),
            _ => Err(self.internal(format!("{old} is used before it is rebuilt"))),
        }
    }

    /// Records that the old value `old` is `new` from here on.
    fn set_value(&mut self, old: ValueId, new: ValueId) {
        set(&mut self.values, old.as_u32() as usize, new);
    }

    fn set_acc(&mut self, old: AccId, new: AccId) {
        set(&mut self.accs, old.as_u32() as usize, new);
    }

    /// The bounds of a (new) loop variable.
    pub fn loop_bounds(&self, var: ValueId) -> Option<(ValueId, ValueId)> {
        self.loops.get(&var).copied()
    }

    /// The definition of a new value.
    pub fn value(&self, v: ValueId) -> Option<&Value> {
        self.b.kernel().value(v)
    }

    pub fn internal(&self, message: String) -> KernelError {
        KernelError::Internal {
            kernel: self.b.kernel().name().to_string(),
            message,
        }
    }

    /// `expr` (in old ids) with its operands renamed to new ids.
    pub fn renamed(&self, expr: &Expr) -> Result<Expr, KernelError> {
        let v = |x: &ValueId| self.new_of(*x);
        Ok(match expr {
            Expr::Load {
                source,
                index,
                mask,
            } => Expr::Load {
                source: *source,
                index: v(index)?,
                mask: mask.as_ref().map(v).transpose()?,
            },
            Expr::Unary { op, x } => Expr::Unary { op: *op, x: v(x)? },
            Expr::Binary { op, a, b } => Expr::Binary {
                op: *op,
                a: v(a)?,
                b: v(b)?,
            },
            Expr::MulHi { a, b } => Expr::MulHi { a: v(a)?, b: v(b)? },
            Expr::Fma { a, b, c } => Expr::Fma {
                a: v(a)?,
                b: v(b)?,
                c: v(c)?,
            },
            Expr::Where { cond, a, b } => Expr::Where {
                cond: v(cond)?,
                a: v(a)?,
                b: v(b)?,
            },
            Expr::Cast { x } => Expr::Cast { x: v(x)? },
            Expr::Bitcast { x } => Expr::Bitcast { x: v(x)? },
            Expr::Vector(items) => Expr::Vector(items.iter().map(v).collect::<Result<_, _>>()?),
            Expr::Extract { x, lane } => Expr::Extract {
                x: v(x)?,
                lane: *lane,
            },
            Expr::ReadAcc(acc) => Expr::ReadAcc(self.new_acc(*acc)?),
            Expr::SubgroupReduce { op, x } => Expr::SubgroupReduce { op: *op, x: v(x)? },
            other => other.clone(),
        })
    }

    /// Defines a value of type `ty` as `expr` (in new ids) through the builder.
    pub fn emit(&mut self, ty: ValueType, expr: &Expr) -> Result<ValueId, KernelError> {
        let b = &mut self.b;
        match expr {
            Expr::WorkgroupId(axis) => Ok(b.workgroup_id(*axis)),
            Expr::LocalId(axis) => Ok(b.local_id(*axis)),
            Expr::Const(s) => b.constant(ty.dtype, *s),
            Expr::Param(p) => b.param(*p),
            Expr::LoopVar => Err(self.internal("a loop variable outside its loop".into())),
            Expr::Load {
                source,
                index,
                mask,
            } => b.load(*source, *index, ty.width, *mask),
            Expr::Unary { op, x } => b.unary(*op, *x),
            Expr::Binary { op, a, b: y } => b.binary(*op, *a, *y),
            Expr::MulHi { a, b: y } => b.mulhi(*a, *y),
            Expr::Fma { a, b: y, c } => b.fma(*a, *y, *c),
            Expr::Where { cond, a, b: y } => b.select(*cond, *a, *y),
            Expr::Cast { x } => b.cast(*x, ty.dtype),
            Expr::Bitcast { x } => b.bitcast(*x, ty.dtype),
            Expr::Vector(items) => b.vector(items),
            Expr::Extract { x, lane } => b.extract(*x, *lane),
            Expr::ReadAcc(acc) => b.acc_read(*acc),
            Expr::SubgroupReduce { op, x } => b.subgroup_reduce(*op, *x),
        }
    }

    fn tile(&self, t: &TileRef) -> Result<TileRef, KernelError> {
        Ok(TileRef {
            offset: self.new_of(t.offset)?,
            ..*t
        })
    }
}

/// `table[i] = Some(new)`, growing the table as needed (ids of a valid kernel are below the
/// table's initial size; a malformed one only makes it grow).
fn set<T: Copy>(table: &mut Vec<Option<T>>, i: usize, new: T) {
    if table.len() <= i {
        table.resize(i + 1, None);
    }
    if let Some(slot) = table.get_mut(i) {
        *slot = Some(new);
    }
}

/// What to do when a block's statements run out.
enum End<'k> {
    Body,
    Loop,
    Then(&'k [Stmt]),
    Else,
}

struct Frame<'k> {
    stmts: &'k [Stmt],
    pos: usize,
    end: End<'k>,
}

/// Where the input's statements go in the rebuilt kernel, by their number in program order
/// (as [`super::tree::pre_order`] numbers them): a layout may leave a statement out, with
/// everything inside it, and move lets of the input to just before a loop. A pass that
/// moves or drops statements says so here instead of building a new statement tree.
pub(super) trait Layout {
    /// Whether statement `index` (and what it holds) is left out.
    fn skip(&self, _index: usize, _stmt: &Stmt) -> bool {
        false
    }

    /// The lets (of values defined elsewhere in the input, and skipped there) to emit just
    /// before loop statement `index`, in order.
    fn before(&self, _index: usize) -> &[ValueId] {
        &[]
    }
}

/// Every statement where it is.
pub(super) struct AsIs;

impl Layout for AsIs {}

/// `kernel` rebuilt through the builder with `rewrite` applied.
pub(super) fn rebuild(kernel: &Kernel, rewrite: &mut dyn Rewrite) -> Result<Kernel, KernelError> {
    rebuild_laid_out(kernel, &AsIs, rewrite)
}

/// `kernel` with its statements placed by `layout`, rebuilt through the builder with
/// `rewrite` applied.
pub(super) fn rebuild_laid_out(
    kernel: &Kernel,
    layout: &dyn Layout,
    rewrite: &mut dyn Rewrite,
) -> Result<Kernel, KernelError> {
    let body = kernel.body();
    let mut e = Emitter {
        b: KernelBuilder::new(kernel.name(), kernel.launch(), kernel.subgroup_size()),
        values: vec![None; kernel.values().len()],
        accs: Vec::new(),
        loops: HashMap::default(),
    };
    declare(kernel, &mut e.b)?;
    // The rebuilt kernel is about the size of the input: room for it up front.
    e.b.reserve(kernel.values().len(), body.len());
    let mut stack = vec![Frame {
        stmts: body,
        pos: 0,
        end: End::Body,
    }];
    let mut index = 0;
    while let Some(frame) = stack.last_mut() {
        let Some(stmt) = frame.stmts.get(frame.pos) else {
            close(&mut e, &mut stack, rewrite)?;
            continue;
        };
        frame.pos += 1;
        let me = index;
        index += 1;
        if layout.skip(me, stmt) {
            index += super::nested_count(stmt);
            continue;
        }
        if let Stmt::Loop(_) = stmt {
            for &v in layout.before(me) {
                let_value(kernel, &mut e, v, rewrite)?;
            }
        }
        if let Some(opened) = statement(kernel, &mut e, stmt, rewrite)? {
            stack.push(opened);
        }
    }
    e.b.finish()
}

/// Emits the let of the input's value `v`.
fn let_value(
    kernel: &Kernel,
    e: &mut Emitter,
    v: ValueId,
    rewrite: &mut dyn Rewrite,
) -> Result<(), KernelError> {
    let value = kernel
        .value(v)
        .ok_or_else(|| e.internal(format!("{v} does not exist")))?;
    let new = match rewrite.value(e, v, value)? {
        Some(new) => new,
        None => {
            let expr = e.renamed(&value.expr)?;
            e.emit(value.ty, &expr)?
        }
    };
    e.set_value(v, new);
    Ok(())
}

/// The parameters and shared arrays, in order (so their ids stay the same).
fn declare(kernel: &Kernel, b: &mut KernelBuilder) -> Result<(), KernelError> {
    for (_, param) in kernel.params() {
        match param {
            Param::Buffer {
                name,
                dtype,
                len,
                access,
            } => b.buffer(name, *dtype, *len, *access).map(|_| ())?,
            Param::Scalar { name, dtype } => b.scalar_param(name, *dtype).map(|_| ())?,
        }
    }
    for (_, array) in kernel.shared_arrays() {
        b.shared(&array.name, array.dtype, array.len)?;
    }
    for (_, name) in kernel.fragments() {
        b.fragment(name)?;
    }
    Ok(())
}

/// Closes the innermost block (an if's then branch opens its else branch).
fn close<'k>(
    e: &mut Emitter,
    stack: &mut Vec<Frame<'k>>,
    rewrite: &mut dyn Rewrite,
) -> Result<(), KernelError> {
    let Some(frame) = stack.pop() else {
        return Ok(());
    };
    match frame.end {
        End::Body => return Ok(()),
        End::Loop => e.b.end_loop()?,
        End::Else => e.b.end_if()?,
        End::Then(&[]) => e.b.end_if()?,
        End::Then(else_body) => {
            rewrite.leave();
            e.b.begin_else()?;
            e.b.reserve(0, else_body.len());
            rewrite.enter(Block::Branch);
            stack.push(Frame {
                stmts: else_body,
                pos: 0,
                end: End::Else,
            });
            return Ok(());
        }
    }
    rewrite.leave();
    Ok(())
}

/// Emits one statement; returns the block it opens, if any.
fn statement<'k>(
    kernel: &Kernel,
    e: &mut Emitter,
    stmt: &'k Stmt,
    rewrite: &mut dyn Rewrite,
) -> Result<Option<Frame<'k>>, KernelError> {
    match stmt {
        Stmt::Let(v) => {
            let_value(kernel, e, *v, rewrite)?;
            Ok(None)
        }
        Stmt::Loop(l) => {
            let (start, end) = (e.new_of(l.start)?, e.new_of(l.end)?);
            let var = e.b.begin_loop(start, end, l.step, l.unroll)?;
            e.b.reserve(0, l.body.len());
            e.set_value(l.var, var);
            e.loops.insert(var, (start, end));
            rewrite.enter(Block::Loop);
            Ok(Some(Frame {
                stmts: &l.body,
                pos: 0,
                end: End::Loop,
            }))
        }
        Stmt::If {
            cond,
            then_body,
            else_body,
        } => {
            e.b.begin_if(e.new_of(*cond)?)?;
            e.b.reserve(0, then_body.len());
            rewrite.enter(Block::Branch);
            Ok(Some(Frame {
                stmts: then_body,
                pos: 0,
                end: End::Then(else_body),
            }))
        }
        Stmt::Store(s) => {
            let mask = s.mask.map(|m| e.new_of(m)).transpose()?;
            let (index, value) = (e.new_of(s.index)?, e.new_of(s.value)?);
            e.b.store(s.target, index, value, mask)?;
            rewrite.effect(stmt);
            Ok(None)
        }
        Stmt::InitAcc { acc, init } => {
            let new = e.b.acc_init(e.new_of(*init)?)?;
            e.set_acc(*acc, new);
            rewrite.effect(stmt);
            Ok(None)
        }
        Stmt::UpdateAcc { acc, update, value } => {
            let (acc, value) = (e.new_acc(*acc)?, e.new_of(*value)?);
            e.b.acc_update(acc, *update, value)?;
            rewrite.effect(stmt);
            Ok(None)
        }
        Stmt::Atomic(a) => {
            let (index, value) = (e.new_of(a.index)?, e.new_of(a.value)?);
            e.b.atomic(a.op, a.target, index, value)?;
            rewrite.effect(stmt);
            Ok(None)
        }
        Stmt::FragmentZero(f) => {
            e.b.fragment_zero(*f)?;
            rewrite.effect(stmt);
            Ok(None)
        }
        Stmt::FragmentMma { frag, a, b } => {
            let (a, b) = (e.tile(a)?, e.tile(b)?);
            e.b.fragment_mma(*frag, a, b)?;
            rewrite.effect(stmt);
            Ok(None)
        }
        Stmt::FragmentStore { frag, d } => {
            let d = e.tile(d)?;
            e.b.fragment_store(*frag, d)?;
            rewrite.effect(stmt);
            Ok(None)
        }
        Stmt::Barrier => {
            e.b.barrier();
            rewrite.effect(stmt);
            Ok(None)
        }
        Stmt::MatrixTile(t) => {
            let (a, b, d) = (e.tile(&t.a)?, e.tile(&t.b)?, e.tile(&t.d)?);
            e.b.matrix_tile(a, b, d)?;
            rewrite.effect(stmt);
            Ok(None)
        }
    }
}

/// Copies a kernel unchanged (through the builder): the identity rewrite.
#[cfg(test)]
pub(super) fn copy(kernel: &Kernel) -> Result<Kernel, KernelError> {
    struct Same;
    impl Rewrite for Same {}
    rebuild(kernel, &mut Same)
}
