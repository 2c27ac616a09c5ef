//! The emitter: turns graph nodes at symbolic indices into kernel-IR values.
//!
//! [`Emitter::eval`] computes a node's value at an index (one [`Ix`] per axis) from its
//! operands' values (on an explicit work stack, `emit/values.rs`, so a chain as long as the
//! graph needs no call stack): loads for values the kernel reads, the op for elementwise
//! nodes, the index map of [`super::view`] for movement ops, and the current row's value for
//! row values.
//! Results are cached per (node, index) in the innermost open block, so a value used twice
//! at the same index (softmax's `exp` feeding both the sum and the divide, say) is computed
//! once, and an index expression shared by several loads is emitted once.
//!
//! # Vector lanes
//! When a kernel handles `w` consecutive elements at once, their index contains the lane
//! variable `t ∈ [0, w)`. A value is then [`Val::One`] (the same for every element, such as
//! a broadcast weight) or [`Val::Lanes`] (one scalar per element). A load whose flat index
//! is `base + t`, with `base` a provable multiple of `w`, is one vector load; any other
//! access that depends on `t` is split into `w` scalar accesses with `t` replaced by
//! `0..w`. ALU ops work on the scalars.

use super::LowerError;
use super::analysis::{Bindings, GroupInfo};
use super::index::{Atom, Ix, Sym, Var};
use super::view::{self, flatten};
use crate::fast_hash::FastMap as HashMap;
use egpu_ir::kernel::{AccUpdate, Kernel, KernelBuilder, Launch, Memory, ParamId, ValueId};
use egpu_ir::{BinaryOp, DType, NodeId, Op, ReduceOp, Scalar, UnaryOp};
use std::collections::BTreeMap;

mod cache;
mod values;

use cache::{BlockCache, hash_of};

/// A node's value at one index: one scalar, or one per vector lane.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Val {
    One(ValueId),
    Lanes(Vec<ValueId>),
}

impl Val {
    /// The scalar of lane `i` (the same for every lane of a [`Val::One`]).
    fn lane(&self, i: usize) -> Option<ValueId> {
        match self {
            Val::One(v) => Some(*v),
            Val::Lanes(items) => items.get(i).copied(),
        }
    }
}

/// What one open block of the kernel has computed (valid in it and the blocks inside it).
#[derive(Clone, Default)]
struct Frame {
    values: BlockCache<(NodeId, values::Index), Val>,
    indices: BlockCache<(Ix, DType), ValueId>,
    casts: HashMap<(ValueId, DType), ValueId>,
    extracts: HashMap<(ValueId, u32), ValueId>,
    scalars: HashMap<(DType, u64), ValueId>,
    /// Large source indices of views and the variable expressions that replaced them.
    replaced: HashMap<Ix, Ix>,
}

impl Frame {
    /// Forgets everything, keeping the tables' room (a closed block's frame is reused by
    /// the next block instead of growing new tables from nothing).
    fn clear(&mut self) {
        self.values.clear();
        self.indices.clear();
        self.casts.clear();
        self.extracts.clear();
        self.scalars.clear();
        self.replaced.clear();
    }
}

type Lowered<T> = Result<T, LowerError>;

/// Builds one kernel for one group.
pub struct Emitter<'a> {
    pub b: KernelBuilder,
    pub sym: Sym,
    pub info: &'a GroupInfo<'a>,
    bindings: &'a Bindings,
    params: Vec<ParamId>,
    frames: Vec<Frame>,
    /// Frames of closed blocks, cleared, for the next blocks to open.
    spare: Vec<Frame>,
    /// The kernel value each variable stands for (`None` for the vector lane).
    bound: Vec<Option<ValueId>>,
    /// The vector lane variable and the width, when the kernel handles several elements
    /// at once.
    lanes: Option<(Var, u32)>,
    /// The current row (reduction kernels).
    row: Option<Ix>,
    /// The group's constant nodes, emitted once at the top of the kernel.
    constants: BTreeMap<NodeId, ValueId>,
    /// The variable of each open loop, innermost last.
    loops: Vec<Var>,
}

impl<'a> Emitter<'a> {
    /// A kernel named after the group, with its buffer parameters and constants declared.
    pub fn new(
        info: &'a GroupInfo<'a>,
        bindings: &'a Bindings,
        launch: Launch,
        subgroup_size: u32,
    ) -> Lowered<Emitter<'a>> {
        let mut b = KernelBuilder::new(&info.group.name, launch, subgroup_size);
        // Room for a small kernel's values up front (lowered kernels have a few hundred).
        b.reserve(256, 64);
        let params = bindings.declare(&mut b)?;
        let mut em = Emitter {
            b,
            sym: Sym::new(),
            info,
            bindings,
            params,
            frames: vec![Frame::default()],
            spare: Vec::new(),
            bound: Vec::new(),
            lanes: None,
            row: None,
            constants: BTreeMap::new(),
            loops: Vec::new(),
        };
        for &node in &info.group.nodes {
            let n = info.graph.node(node);
            if let Op::Const { value } = &n.op {
                let v = em.b.constant(n.dtype, *value)?;
                em.constants.insert(node, v);
            }
        }
        Ok(em)
    }

    pub fn finish(self) -> Lowered<Kernel> {
        Ok(self.b.finish()?)
    }

    pub fn internal(&self, message: impl std::fmt::Display) -> LowerError {
        LowerError::Unsupported(format!(
            "kernel {}: internal: {message}",
            self.info.group.name
        ))
    }

    // ----- variables -----

    /// A variable with values in `0..extent` that the kernel value `value` holds.
    pub fn bind(&mut self, extent: i128, value: ValueId) -> Var {
        let v = self.sym.new_var(extent);
        self.bound.push(Some(value));
        v
    }

    /// Makes the kernel handle `width` consecutive elements at once; returns the lane
    /// variable (none for a width of 1).
    pub fn set_lanes(&mut self, width: u32) -> Option<Var> {
        if width <= 1 {
            self.lanes = None;
            return None;
        }
        let t = self.sym.new_var(i128::from(width));
        self.bound.push(None);
        self.lanes = Some((t, width));
        Some(t)
    }

    /// The vector lane variable (if any) and the number of elements handled at once.
    pub fn lanes(&self) -> (Option<Var>, u32) {
        match self.lanes {
            Some((t, w)) => (Some(t), w),
            None => (None, 1),
        }
    }

    /// The row the kernel is working on; row values are computed for it.
    pub fn set_row(&mut self, row: Ix) {
        self.row = Some(row);
    }

    // ----- blocks -----

    /// Opens `for var in start..end step step`; the loop variable's type fits both bounds.
    pub fn begin_loop(&mut self, start: &Ix, end: &Ix, step: u32, unroll: bool) -> Lowered<Var> {
        let margin = self.sym.add_const(end, i128::from(step));
        let dtype = wider(self.index_dtype(start)?, self.index_dtype(&margin)?);
        let s = self.index_as(start, dtype)?;
        let e = self.index_as(end, dtype)?;
        let v = self.b.begin_loop(s, e, step, unroll)?;
        self.push_frame();
        let (_, hi) = self.sym.bounds(end);
        let var = self.bind(hi.max(0), v);
        self.loops.push(var);
        Ok(var)
    }

    pub fn end_loop(&mut self) -> Lowered<()> {
        self.b.end_loop()?;
        self.pop_frame();
        self.loops.pop();
        Ok(())
    }

    /// A whole loop, `body` called with its variable. Lowering emits the body as it is;
    /// the kernel-IR passes after it (`licm`, `cse`) move what does not change in the loop
    /// out of it and merge what is computed both before and inside it.
    pub fn loop_over<F>(
        &mut self,
        start: &Ix,
        end: &Ix,
        step: u32,
        unroll: bool,
        body: F,
    ) -> Lowered<()>
    where
        F: FnOnce(&mut Emitter<'a>, Var) -> Lowered<()>,
    {
        let var = self.begin_loop(start, end, step, unroll)?;
        body(self, var)?;
        self.end_loop()
    }

    pub fn begin_if(&mut self, cond: ValueId) -> Lowered<()> {
        self.b.begin_if(cond)?;
        self.push_frame();
        Ok(())
    }

    pub fn end_if(&mut self) -> Lowered<()> {
        self.b.end_if()?;
        self.pop_frame();
        Ok(())
    }

    /// Opens `if a < b` unless the ranges prove it (then nothing is opened); says which.
    pub fn begin_if_less(&mut self, a: &Ix, b: &Ix) -> Lowered<bool> {
        let (_, hi) = self.sym.bounds(&self.sym.sub(a, b));
        if hi < 0 {
            return Ok(false);
        }
        let cond = self.less(a, b)?;
        self.begin_if(cond)?;
        Ok(true)
    }

    fn pop_frame(&mut self) {
        // The kernel body's frame stays: builder calls above refuse to close the body.
        if self.frames.len() > 1
            && let Some(mut frame) = self.frames.pop()
        {
            frame.clear();
            self.spare.push(frame);
        }
    }

    /// Opens a block's frame (a cleared one of a closed block, if there is one).
    fn push_frame(&mut self) {
        let frame = self.spare.pop().unwrap_or_default();
        self.frames.push(frame);
    }

    fn frame(&mut self) -> &mut Frame {
        if self.frames.is_empty() {
            self.frames.push(Frame::default());
        }
        let last = self.frames.len() - 1;
        &mut self.frames[last]
    }

    fn cached<K, V: Clone>(&self, map: impl Fn(&Frame) -> &HashMap<K, V>, key: &K) -> Option<V>
    where
        K: std::hash::Hash + Eq,
    {
        self.frames
            .iter()
            .rev()
            .find_map(|f| map(f).get(key).cloned())
    }

    /// The value of `node` at `index` computed in an open block (`hash` is
    /// [`Emitter::value_hash`]).
    fn cached_value(&self, hash: u64, node: NodeId, index: &[Ix]) -> Option<Val> {
        let is = |k: &(NodeId, values::Index)| k.0 == node && *k.1 == *index;
        let mut frames = self.frames.iter().rev();
        frames.find_map(|f| f.values.get(hash, is)).cloned()
    }

    fn value_hash(node: NodeId, index: &[Ix]) -> u64 {
        hash_of(&(node, index))
    }

    /// Records the value of `node` at `index` in the innermost block.
    fn cache_value(&mut self, node: NodeId, index: values::Index, v: Val) {
        let hash = Self::value_hash(node, &index);
        self.frame().values.insert(hash, (node, index), v);
    }

    /// The value of `ix` as `dtype` computed in an open block.
    fn cached_index(&self, ix: &Ix, dtype: DType) -> Option<ValueId> {
        self.cached_index_hashed(hash_of(&(ix, dtype)), ix, dtype)
    }

    /// [`Emitter::cached_index`] with the key's [`hash_of`] already known.
    fn cached_index_hashed(&self, hash: u64, ix: &Ix, dtype: DType) -> Option<ValueId> {
        let is = |k: &(Ix, DType)| k.1 == dtype && k.0 == *ix;
        let mut frames = self.frames.iter().rev();
        frames.find_map(|f| f.indices.get(hash, is)).copied()
    }

    fn cache_index(&mut self, ix: Ix, dtype: DType, v: ValueId) {
        let hash = hash_of(&(&ix, dtype));
        self.frame().indices.insert(hash, (ix, dtype), v);
    }

    // ----- index arithmetic -----

    /// The narrowest index type every intermediate value of `ix` fits in.
    pub fn index_dtype(&self, ix: &Ix) -> Lowered<DType> {
        let m = self.sym.magnitude(ix);
        if m <= i128::from(i32::MAX) {
            Ok(DType::I32)
        } else if m <= i128::from(i64::MAX) {
            Ok(DType::I64)
        } else {
            Err(self.internal(format!("index {ix} does not fit in 64 bits")))
        }
    }

    /// The value of `ix`, in the narrowest index type that holds it.
    pub fn index(&mut self, ix: &Ix) -> Lowered<ValueId> {
        let dtype = self.index_dtype(ix)?;
        self.index_as(ix, dtype)
    }

    /// The value of `ix` as `dtype` (i32 or i64, wide enough).
    pub fn index_as(&mut self, ix: &Ix, dtype: DType) -> Lowered<ValueId> {
        let hash = hash_of(&(ix, dtype));
        if let Some(v) = self.cached_index_hashed(hash, ix, dtype) {
            return Ok(v);
        }
        let v = match (ix.as_constant(), ix.terms()) {
            (Some(c), _) => self.b.constant(dtype, Scalar::Int(c))?,
            (_, [(atom, c)]) if *c > 0 && ix.constant_part() == 0 => self.term(atom, *c, dtype)?,
            _ => self.sum(ix, dtype)?,
        };
        // Filed under the hash computed above (the key has not changed since).
        self.frame().indices.insert(hash, (ix.clone(), dtype), v);
        Ok(v)
    }

    /// Inside a loop, the part that does not change in it first (as one value, which the
    /// `licm` pass moves out of the loop and `cse` merges with the same value before it),
    /// then the rest.
    fn sum(&mut self, ix: &Ix, dtype: DType) -> Lowered<ValueId> {
        let Some(&var) = self.loops.last() else {
            return self.plain_sum(ix, dtype);
        };
        let (head, tail) = ix.split_before(var);
        if head.as_constant() == Some(0) || tail.terms().is_empty() {
            return self.plain_sum(ix, dtype);
        }
        let mut acc = self.index_as(&head, dtype)?;
        let mut prefix = head;
        for (atom, c) in tail.terms() {
            prefix = self.sym.add(&prefix, &Ix::term(atom.clone(), *c));
            if let Some(v) = self.cached_index(&prefix, dtype) {
                acc = v;
                continue;
            }
            let t = self.index_as(&Ix::term(atom.clone(), c.saturating_abs()), dtype)?;
            let op = if *c > 0 { BinaryOp::Add } else { BinaryOp::Sub };
            acc = self.b.binary(op, acc, t)?;
            self.cache_index(prefix.clone(), dtype, acc);
        }
        Ok(acc)
    }

    /// Positive terms first, each prefix cached (rows shared by many loads come first
    /// because their variables are older), then negative terms, then the constant.
    fn plain_sum(&mut self, ix: &Ix, dtype: DType) -> Lowered<ValueId> {
        let mut acc: Option<ValueId> = None;
        let mut prefix = Ix::zero();
        for (atom, c) in ix.terms().iter().filter(|(_, c)| *c > 0) {
            let term = Ix::term(atom.clone(), *c);
            prefix = self.sym.add(&prefix, &term);
            acc = Some(match acc {
                None => self.index_as(&term, dtype)?,
                Some(a) => match self.cached_index(&prefix, dtype) {
                    Some(v) => v,
                    None => {
                        let t = self.index_as(&term, dtype)?;
                        let v = self.b.binary(BinaryOp::Add, a, t)?;
                        self.cache_index(prefix.clone(), dtype, v);
                        v
                    }
                },
            });
        }
        let mut constant = ix.constant_part();
        for (atom, c) in ix.terms().iter().filter(|(_, c)| *c < 0) {
            let t = self.index_as(&Ix::term(atom.clone(), c.saturating_neg()), dtype)?;
            acc = Some(match acc {
                Some(a) => self.b.binary(BinaryOp::Sub, a, t)?,
                None if constant != 0 => {
                    let k = self.index_as(&Ix::constant(constant), dtype)?;
                    constant = 0;
                    self.b.binary(BinaryOp::Sub, k, t)?
                }
                None => self.b.unary(UnaryOp::Neg, t)?,
            });
        }
        match acc {
            None => self.index_as(&Ix::constant(constant), dtype),
            Some(a) if constant == 0 => Ok(a),
            Some(a) => {
                let op = if constant > 0 {
                    BinaryOp::Add
                } else {
                    BinaryOp::Sub
                };
                let k = self.index_as(&Ix::constant(constant.saturating_abs()), dtype)?;
                Ok(self.b.binary(op, a, k)?)
            }
        }
    }

    /// `c·atom` for a single term (`sum` calls this through `index_as` and its cache).
    fn term(&mut self, atom: &Atom, c: i128, dtype: DType) -> Lowered<ValueId> {
        if c == 1 {
            return self.atom(atom, dtype);
        }
        // Through the cache: the same quotient often appears with other coefficients.
        let a = self.index_as(&Ix::term(atom.clone(), 1), dtype)?;
        let k = self.index_as(&Ix::constant(c), dtype)?;
        Ok(self.b.binary(BinaryOp::Mul, a, k)?)
    }

    /// A variable, or a quotient or remainder: by a power of two as a shift or a mask
    /// (the operand is then provably non-negative, where they agree with `idiv`/`mod`).
    fn atom(&mut self, atom: &Atom, dtype: DType) -> Lowered<ValueId> {
        match atom {
            Atom::Var(v) => {
                let value = self.bound.get(v.index()).copied().flatten();
                let value = value.ok_or_else(|| self.internal("an unbound index variable"))?;
                self.cast(value, dtype)
            }
            Atom::Div(x, k) | Atom::Mod(x, k) => {
                let is_div = matches!(atom, Atom::Div(..));
                let operand = self.index_as(x, dtype)?;
                let nonnegative = self.sym.bounds(x).0 >= 0;
                let (op, divisor) = match (is_div, nonnegative && is_power_of_two(*k)) {
                    (true, true) => (BinaryOp::Shr, i128::from(k.trailing_zeros())),
                    (false, true) => (BinaryOp::And, k - 1),
                    (true, false) => (BinaryOp::Idiv, *k),
                    (false, false) => (BinaryOp::Mod, *k),
                };
                let d = self.index_as(&Ix::constant(divisor), dtype)?;
                Ok(self.b.binary(op, operand, d)?)
            }
        }
    }

    /// `value` converted to `dtype` (itself when it already is).
    pub fn cast(&mut self, value: ValueId, dtype: DType) -> Lowered<ValueId> {
        if self.b.value_type(value).map(|t| t.dtype) == Some(dtype) {
            return Ok(value);
        }
        if let Some(v) = self.cached(|f| &f.casts, &(value, dtype)) {
            return Ok(v);
        }
        let v = self.b.cast(value, dtype)?;
        self.frame().casts.insert((value, dtype), v);
        Ok(v)
    }

    /// `a < b` on index expressions.
    pub fn less(&mut self, a: &Ix, b: &Ix) -> Lowered<ValueId> {
        let dtype = wider(self.index_dtype(a)?, self.index_dtype(b)?);
        let x = self.index_as(a, dtype)?;
        let y = self.index_as(b, dtype)?;
        Ok(self.b.binary(BinaryOp::CmpLt, x, y)?)
    }

    /// `0 <= index < extent`, leaving out the half the ranges prove.
    fn in_range(&mut self, r: &view::InRange) -> Lowered<Option<ValueId>> {
        let (lo, hi) = self.sym.bounds(&r.index);
        let mut conds = Vec::new();
        if lo < 0 {
            conds.push(self.less(&Ix::constant(-1), &r.index)?);
        }
        if hi >= r.extent {
            conds.push(self.less(&r.index, &Ix::constant(r.extent))?);
        }
        self.all(&conds)
    }

    /// The conjunction of bool values (`None` for none).
    fn all(&mut self, conds: &[ValueId]) -> Lowered<Option<ValueId>> {
        let mut acc: Option<ValueId> = None;
        for &c in conds {
            acc = Some(match acc {
                None => c,
                Some(a) => self.b.binary(BinaryOp::And, a, c)?,
            });
        }
        Ok(acc)
    }

    /// A scalar constant, emitted once per block.
    pub fn scalar(&mut self, dtype: DType, value: Scalar) -> Lowered<ValueId> {
        let key = (dtype, value.to_bits(dtype));
        if let Some(v) = self.cached(|f| &f.scalars, &key) {
            return Ok(v);
        }
        let v = self.b.constant(dtype, value)?;
        self.frame().scalars.insert(key, v);
        Ok(v)
    }

    fn extract(&mut self, x: ValueId, lane: u32) -> Lowered<ValueId> {
        if let Some(v) = self.cached(|f| &f.extracts, &(x, lane)) {
            return Ok(v);
        }
        let v = self.b.extract(x, lane)?;
        self.frame().extracts.insert((x, lane), v);
        Ok(v)
    }

    // ----- memory -----

    /// `base` when the flat index is `base + t` for the vector lane `t`, `base` a multiple
    /// of the width, and the tensor a whole number of vectors.
    fn contiguous(&self, flat: &Ix, numel: usize) -> Option<(Ix, u32)> {
        let (t, width) = self.lanes?;
        let (c, base) = flat.split_var(t)?;
        let w = i128::from(width);
        let whole = i128::try_from(numel).is_ok_and(|n| n % w == 0);
        (c == 1 && base.divisible_by(w) && whole).then_some((base, width))
    }

    /// Stores `value`, the value of `node` at `index`, into every buffer of `node`.
    pub fn store(&mut self, node: NodeId, index: &[Ix], value: &Val) -> Lowered<()> {
        let n = self.info.graph.node(node);
        let flat = flatten(&self.sym, index, n.shape.dims());
        let numel = n.shape.numel();
        let params: Vec<usize> = self.bindings.write_params(node).to_vec();
        for p in params {
            let param = self.params.get(p).copied();
            let param = param.ok_or_else(|| self.internal(format!("{node} has no buffer")))?;
            self.store_one(Memory::Global(param), &flat, numel, value)?;
        }
        Ok(())
    }

    fn store_one(&mut self, memory: Memory, flat: &Ix, numel: usize, value: &Val) -> Lowered<()> {
        if !self.depends_on_lane(flat) {
            let Val::One(v) = value else {
                return Err(self.internal("a per-lane value stored to one element"));
            };
            let i = self.index(flat)?;
            self.b.store(memory, i, *v, None)?;
            return Ok(());
        }
        if let Some((base, width)) = self.contiguous(flat, numel) {
            let vector = match value {
                Val::One(v) => self.b.splat(*v, width)?,
                Val::Lanes(items) => self.b.vector(items)?,
            };
            let i = self.index(&base)?;
            self.b.store(memory, i, vector, None)?;
            return Ok(());
        }
        let Some((t, width)) = self.lanes else {
            return Err(self.internal("lanes vanished"));
        };
        for k in 0..width {
            let at = self.sym.substitute(flat, t, &Ix::constant(i128::from(k)));
            let v = value.lane(k as usize);
            let v = v.ok_or_else(|| self.internal("lane counts differ"))?;
            let i = self.index(&at)?;
            self.b.store(memory, i, v, None)?;
        }
        Ok(())
    }

    // ----- reductions -----

    /// Combines every element of `value` into `acc` in lane order: a [`Val::One`] stands
    /// for the same value in each of the current vector lanes, so it is combined once per
    /// lane.
    /// Values are converted to `acc_dtype` first (f32 for f16/bf16 sums, see
    /// [`egpu_ir::precision::accumulation_dtype`]).
    pub fn accumulate(
        &mut self,
        acc: egpu_ir::kernel::AccId,
        op: ReduceOp,
        acc_dtype: DType,
        value: &Val,
    ) -> Lowered<()> {
        let items = match value {
            Val::One(v) => vec![*v; self.lanes().1 as usize],
            Val::Lanes(items) => items.clone(),
        };
        for v in items {
            let v = self.convert(v, acc_dtype)?;
            self.b.acc_update(acc, AccUpdate::Combine(op), v)?;
        }
        Ok(())
    }

    /// `v` as `dtype`, cast only when its dtype differs.
    pub fn convert(&mut self, v: ValueId, dtype: DType) -> Lowered<ValueId> {
        match self.b.value_type(v) {
            Some(t) if t.dtype != dtype => Ok(self.b.cast(v, dtype)?),
            _ => Ok(v),
        }
    }
}

/// The start of an accumulator: the reduction's neutral element. For a float sum that is
/// -0.0 (`-0.0 + x` is `x` for every `x`, -0.0 included, so a row of -0.0s sums to -0.0
/// as in the reference), except for an empty row, which the reference reduces to 0.0.
pub fn identity(op: ReduceOp, dtype: DType, empty: bool) -> Scalar {
    if dtype.is_float() {
        return Scalar::Float(match op {
            ReduceOp::Sum if empty => 0.0,
            ReduceOp::Sum => -0.0,
            ReduceOp::Prod => 1.0,
            ReduceOp::Max => f64::NEG_INFINITY,
            ReduceOp::Min => f64::INFINITY,
        });
    }
    let (lo, hi) = dtype.int_range().unwrap_or((0, 0));
    Scalar::Int(match op {
        ReduceOp::Sum => 0,
        ReduceOp::Prod => 1,
        ReduceOp::Max => lo,
        ReduceOp::Min => hi,
    })
}

fn wider(a: DType, b: DType) -> DType {
    if a == DType::I64 || b == DType::I64 {
        DType::I64
    } else {
        DType::I32
    }
}

fn is_power_of_two(k: i128) -> bool {
    k > 0 && k & (k - 1) == 0
}
