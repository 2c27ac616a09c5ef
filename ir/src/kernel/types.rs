//! The data types of the kernel IR. A [`Kernel`] is built only by
//! [`super::KernelBuilder`], which checks every statement, so its fields are read through
//! accessors and never hold a type or scope error.

use crate::{BinaryOp, DType, ReduceOp, Scalar, UnaryOp};
use cranelift_entity::{EntityRef, PrimaryMap, entity_impl};
use std::fmt;
use std::marker::PhantomData;

/// An SSA value of a kernel (printed `v3`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ValueId(u32);
entity_impl!(ValueId, "v");

/// An accumulator: the mutable per-lane state that carries values across loop iterations
/// (printed `acc0`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AccId(u32);
entity_impl!(AccId, "acc");

/// A kernel parameter, by position in the parameter list.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ParamId(u32);
entity_impl!(ParamId, "param");

/// A workgroup-shared array, by position in the kernel's list of them.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SharedId(u32);
entity_impl!(SharedId, "shared");

/// A matrix fragment: a 16×16 f32 tile held in the registers of a subgroup (printed
/// `frag0`; declared in the kernel header by name).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FragId(u32);
entity_impl!(FragId, "frag");

/// The vector widths a value may have: a scalar, or a short vector of 2, 4 or 8 elements.
pub const WIDTHS: [u32; 4] = [1, 2, 4, 8];

/// Rows, columns and depth of the matrix tile op: 16×16×16.
pub const TILE: u32 = 16;

/// The type of a value: an element dtype and a vector width (1 for scalars).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ValueType {
    pub dtype: DType,
    pub width: u32,
}

impl ValueType {
    pub fn scalar(dtype: DType) -> ValueType {
        ValueType { dtype, width: 1 }
    }

    pub fn vector(dtype: DType, width: u32) -> ValueType {
        ValueType { dtype, width }
    }

    pub fn is_scalar(self) -> bool {
        self.width == 1
    }

    /// A scalar i32 or i64: the types an index, a loop bound or a tile offset may have.
    pub fn is_index(self) -> bool {
        self.is_scalar() && matches!(self.dtype, DType::I32 | DType::I64)
    }
}

impl fmt::Display for ValueType {
    /// `f32` for scalars, `f32x4` for vectors.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.width == 1 {
            write!(f, "{}", self.dtype)
        } else {
            write!(f, "{}x{}", self.dtype, self.width)
        }
    }
}

/// How a kernel may use a global buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Access {
    Read,
    Write,
    ReadWrite,
}

impl Access {
    pub fn name(self) -> &'static str {
        match self {
            Access::Read => "read",
            Access::Write => "write",
            Access::ReadWrite => "read_write",
        }
    }

    pub fn can_read(self) -> bool {
        self != Access::Write
    }

    pub fn can_write(self) -> bool {
        self != Access::Read
    }
}

/// A kernel parameter: a global buffer or a scalar integer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Param {
    /// A global buffer of `len` elements of `dtype`.
    Buffer {
        name: String,
        dtype: DType,
        len: usize,
        access: Access,
    },
    /// A scalar argument, i32 or i64.
    Scalar { name: String, dtype: DType },
}

impl Param {
    pub fn name(&self) -> &str {
        match self {
            Param::Buffer { name, .. } | Param::Scalar { name, .. } => name,
        }
    }

    pub fn dtype(&self) -> DType {
        match self {
            Param::Buffer { dtype, .. } | Param::Scalar { dtype, .. } => *dtype,
        }
    }
}

/// A static launch shape: `grid` counts workgroups per axis, `workgroup` lanes per axis.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Launch {
    pub grid: [u32; 3],
    pub workgroup: [u32; 3],
}

impl Launch {
    /// A one-dimensional launch of `groups` workgroups of `lanes` lanes.
    pub fn linear(groups: u32, lanes: u32) -> Launch {
        Launch {
            grid: [groups, 1, 1],
            workgroup: [lanes, 1, 1],
        }
    }

    /// Lanes per workgroup.
    pub fn workgroup_size(&self) -> u64 {
        self.workgroup.iter().map(|&d| u64::from(d)).product()
    }

    /// Workgroups in the grid.
    pub fn workgroup_count(&self) -> u64 {
        self.grid.iter().map(|&d| u64::from(d)).product()
    }
}

/// An array in workgroup-shared memory (LDS on AMD, shared memory on NVIDIA).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SharedArray {
    pub name: String,
    pub dtype: DType,
    pub len: usize,
}

/// One of the three launch axes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Axis {
    X,
    Y,
    Z,
}

impl Axis {
    pub const ALL: [Axis; 3] = [Axis::X, Axis::Y, Axis::Z];

    pub fn index(self) -> usize {
        match self {
            Axis::X => 0,
            Axis::Y => 1,
            Axis::Z => 2,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Axis::X => "x",
            Axis::Y => "y",
            Axis::Z => "z",
        }
    }
}

/// Where a load reads or a store writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Memory {
    /// A global buffer parameter.
    Global(ParamId),
    /// A workgroup-shared array.
    Shared(SharedId),
}

/// An SSA value: its type and the expression defining it.
#[derive(Clone, Debug)]
pub struct Value {
    pub ty: ValueType,
    pub expr: Expr,
}

/// What a value is. Operands are values; the result type is the value's [`ValueType`]
/// (which gives the target dtype of `Cast`/`Bitcast` and the width of `Load`).
/// (No `PartialEq`: constants compare with [`Scalar::same`].)
#[derive(Clone, Debug)]
pub enum Expr {
    /// The workgroup's position in the grid along an axis (i32).
    WorkgroupId(Axis),
    /// The lane's position in its workgroup along an axis (i32).
    LocalId(Axis),
    /// A scalar constant, already a value of the value's dtype.
    Const(Scalar),
    /// The value of a scalar parameter.
    Param(ParamId),
    /// The variable of the loop that defines it (see [`Loop::var`]); it has no `Let`.
    LoopVar,
    /// `width` consecutive elements from `index` (the value's type gives dtype and width).
    /// `mask` is a bool of width 1 (the whole access) or of the access's width (per
    /// element); masked-off elements are not read and give 0.
    Load {
        source: Memory,
        index: ValueId,
        mask: Option<ValueId>,
    },
    Unary {
        op: UnaryOp,
        x: ValueId,
    },
    Binary {
        op: BinaryOp,
        a: ValueId,
        b: ValueId,
    },
    /// The high half of the double-width product `a · b` per element (i32, i64, u32, u64;
    /// signed for signed dtypes, unsigned for unsigned ones, like `shr`): what division by
    /// a constant becomes (`mul.hi` / `v_mul_hi`).
    MulHi {
        a: ValueId,
        b: ValueId,
    },
    /// `a · b + c` per element, rounded once to the dtype (f16, bf16, f32 or f64): a fused
    /// multiply-add. A code generator emits it as one fused op and never fuses a `mul`
    /// followed by an `add` on its own (see docs/kir.md).
    Fma {
        a: ValueId,
        b: ValueId,
        c: ValueId,
    },
    /// `cond ? a : b` per element.
    Where {
        cond: ValueId,
        a: ValueId,
        b: ValueId,
    },
    /// Value conversion per element, with the semantics of [`Scalar::cast`].
    Cast {
        x: ValueId,
    },
    /// Each element's bits reinterpreted (same bit width).
    Bitcast {
        x: ValueId,
    },
    /// A vector built from scalars of one type.
    Vector(Vec<ValueId>),
    /// One element of a vector.
    Extract {
        x: ValueId,
        lane: u32,
    },
    /// The current value of an accumulator.
    ReadAcc(AccId),
    /// `op` over `x` of every lane of the subgroup (per element for vectors); every lane
    /// gets the result. See the module documentation for the order of combination.
    SubgroupReduce {
        op: ReduceOp,
        x: ValueId,
    },
}

impl Expr {
    /// The values this expression reads, in operand order.
    /// The operands in order, without building a list (what the passes and the verifier
    /// walk for every value).
    pub fn each_operand(&self) -> impl Iterator<Item = ValueId> + '_ {
        let none = ValueId::from_u32(0);
        let (inline, n, items): ([ValueId; 3], usize, &[ValueId]) = match self {
            Expr::WorkgroupId(_)
            | Expr::LocalId(_)
            | Expr::Const(_)
            | Expr::Param(_)
            | Expr::LoopVar
            | Expr::ReadAcc(_) => ([none; 3], 0, &[]),
            Expr::Load { index, mask, .. } => match mask {
                Some(m) => ([*index, *m, none], 2, &[]),
                None => ([*index, none, none], 1, &[]),
            },
            Expr::Unary { x, .. }
            | Expr::Cast { x }
            | Expr::Bitcast { x }
            | Expr::Extract { x, .. }
            | Expr::SubgroupReduce { x, .. } => ([*x, none, none], 1, &[]),
            Expr::Binary { a, b, .. } | Expr::MulHi { a, b } => ([*a, *b, none], 2, &[]),
            Expr::Where { cond, a, b } => ([*cond, *a, *b], 3, &[]),
            Expr::Fma { a, b, c } => ([*a, *b, *c], 3, &[]),
            Expr::Vector(items) => ([none; 3], 0, items.as_slice()),
        };
        inline.into_iter().take(n).chain(items.iter().copied())
    }

    /// The operands in order, as a list. (A match of its own: collecting
    /// [`Expr::each_operand`] is slower.)
    pub fn operands(&self) -> Vec<ValueId> {
        match self {
            Expr::WorkgroupId(_)
            | Expr::LocalId(_)
            | Expr::Const(_)
            | Expr::Param(_)
            | Expr::LoopVar
            | Expr::ReadAcc(_) => vec![],
            Expr::Load { index, mask, .. } => std::iter::once(*index).chain(*mask).collect(),
            Expr::Unary { x, .. }
            | Expr::Cast { x }
            | Expr::Bitcast { x }
            | Expr::Extract { x, .. }
            | Expr::SubgroupReduce { x, .. } => vec![*x],
            Expr::Binary { a, b, .. } | Expr::MulHi { a, b } => vec![*a, *b],
            Expr::Where { cond, a, b } => vec![*cond, *a, *b],
            Expr::Fma { a, b, c } => vec![*a, *b, *c],
            Expr::Vector(items) => items.clone(),
        }
    }
}

/// How an accumulator update combines the new value with the current one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AccUpdate {
    /// The accumulator becomes the value.
    Assign,
    /// The accumulator becomes `op(current, value)`, rounded to its dtype like the binary op.
    Combine(ReduceOp),
}

/// `for var in start..end step step`: `end` is evaluated once on entry; `var` takes
/// `start, start + step, …` while below `end` (no iteration when `start >= end`).
#[derive(Clone, Debug, PartialEq)]
pub struct Loop {
    pub var: ValueId,
    pub start: ValueId,
    pub end: ValueId,
    pub step: u32,
    /// A hint to code generators to unroll; no effect on semantics.
    pub unroll: bool,
    pub body: Vec<Stmt>,
}

/// A store of `value` (a vector writes consecutive elements from `index`). `mask` is as for
/// [`Expr::Load`]; masked-off elements are not written.
#[derive(Clone, Debug, PartialEq)]
pub struct Store {
    pub target: Memory,
    pub index: ValueId,
    pub value: ValueId,
    pub mask: Option<ValueId>,
}

/// How an atomic read-modify-write combines the element with the value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AtomicOp {
    /// `add` (f32 rounded like the binary op, i32 wrapping).
    Add,
    /// The larger (i32).
    Max,
    /// The smaller (i32).
    Min,
}

impl AtomicOp {
    pub const ALL: [AtomicOp; 3] = [AtomicOp::Add, AtomicOp::Max, AtomicOp::Min];

    pub fn name(self) -> &'static str {
        match self {
            AtomicOp::Add => "add",
            AtomicOp::Max => "max",
            AtomicOp::Min => "min",
        }
    }

    /// Whether the op applies to elements of `dtype`: add to f32 and i32, max and min to i32.
    pub fn applies_to(self, dtype: DType) -> bool {
        match self {
            AtomicOp::Add => matches!(dtype, DType::F32 | DType::I32),
            AtomicOp::Max | AtomicOp::Min => dtype == DType::I32,
        }
    }
}

/// `target[index] = op(target[index], value)` as one indivisible, relaxed step on a scalar
/// element of a global buffer (declared `read_write`) or a shared array; it returns nothing.
/// Atomics never race with each other; docs/kir.md (Atomics) gives their ordering.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Atomic {
    pub op: AtomicOp,
    pub target: Memory,
    pub index: ValueId,
    pub value: ValueId,
}

/// A 16×16 row-major matrix in a shared array: element (row, col) is at
/// `offset + row * stride + col`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TileRef {
    pub array: SharedId,
    pub offset: ValueId,
    pub stride: u32,
}

/// `D += A · B` for 16×16 tiles in shared memory, A and B f16 or bf16, D f32, executed by a
/// whole subgroup together (see the module documentation).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MatrixTile {
    pub a: TileRef,
    pub b: TileRef,
    pub d: TileRef,
}

/// One statement of a kernel body.
#[derive(Clone, Debug, PartialEq)]
pub enum Stmt {
    /// Defines a value (its expression is in the kernel's value table).
    Let(ValueId),
    Loop(Loop),
    If {
        cond: ValueId,
        then_body: Vec<Stmt>,
        else_body: Vec<Stmt>,
    },
    Store(Store),
    /// Declares an accumulator and sets it to `init`.
    InitAcc {
        acc: AccId,
        init: ValueId,
    },
    UpdateAcc {
        acc: AccId,
        update: AccUpdate,
        value: ValueId,
    },
    /// Waits until every lane of the workgroup arrives; shared-memory writes before it are
    /// visible to every lane after it.
    Barrier,
    MatrixTile(MatrixTile),
    Atomic(Atomic),
    /// Sets every element of the subgroup's fragment to +0.0 (a subgroup operation).
    FragmentZero(FragId),
    /// `frag += A · B` with A and B 16×16 f16 or bf16 tiles in shared memory, accumulated
    /// in the fragment as `matrix_tile` does in D (a subgroup operation).
    FragmentMma {
        frag: FragId,
        a: TileRef,
        b: TileRef,
    },
    /// Writes the fragment into an f32 tile of a shared array (a subgroup operation).
    FragmentStore {
        frag: FragId,
        d: TileRef,
    },
}

/// Entities numbered in creation order, like `PrimaryMap`, that can also forget the newest
/// ones: the builder rolls back a rehearsed block with [`IdVec::truncate`].
#[derive(Clone, Debug)]
pub(crate) struct IdVec<K, V> {
    items: Vec<V>,
    keys: PhantomData<K>,
}

impl<K: EntityRef, V> IdVec<K, V> {
    pub(crate) fn new() -> Self {
        IdVec {
            items: Vec::new(),
            keys: PhantomData,
        }
    }

    pub(crate) fn push(&mut self, v: V) -> K {
        self.items.push(v);
        K::new(self.items.len() - 1)
    }

    pub(crate) fn get(&self, k: K) -> Option<&V> {
        self.items.get(k.index())
    }

    /// Room for `n` more entities without growing.
    pub(crate) fn reserve(&mut self, n: usize) {
        self.items.reserve(n);
    }

    pub(crate) fn len(&self) -> usize {
        self.items.len()
    }

    pub(crate) fn iter(&self) -> impl ExactSizeIterator<Item = (K, &V)> {
        self.items.iter().enumerate().map(|(i, v)| (K::new(i), v))
    }

    pub(crate) fn values(&self) -> std::slice::Iter<'_, V> {
        self.items.iter()
    }
}

/// Indexing, for tests that edit a kernel past the builder (it panics on a foreign id, so
/// the library itself uses [`IdVec::get`]).
#[cfg(test)]
impl<K: EntityRef, V> std::ops::Index<K> for IdVec<K, V> {
    type Output = V;

    fn index(&self, k: K) -> &V {
        &self.items[k.index()]
    }
}

#[cfg(test)]
impl<K: EntityRef, V> std::ops::IndexMut<K> for IdVec<K, V> {
    fn index_mut(&mut self, k: K) -> &mut V {
        &mut self.items[k.index()]
    }
}

/// One GPU kernel: parameters, launch shape, shared arrays and a structured SSA body.
/// Two kernels are the same when they print the same text.
#[derive(Clone, Debug)]
pub struct Kernel {
    pub(crate) name: String,
    pub(crate) params: PrimaryMap<ParamId, Param>,
    pub(crate) launch: Launch,
    pub(crate) subgroup_size: u32,
    pub(crate) shared: IdVec<SharedId, SharedArray>,
    pub(crate) values: IdVec<ValueId, Value>,
    pub(crate) accs: IdVec<AccId, ValueType>,
    /// The names of the matrix fragments.
    pub(crate) fragments: PrimaryMap<FragId, String>,
    pub(crate) body: Vec<Stmt>,
}

impl Kernel {
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Parameters in order, with their ids.
    pub fn params(&self) -> impl ExactSizeIterator<Item = (ParamId, &Param)> {
        self.params.iter()
    }

    pub fn param(&self, id: ParamId) -> Option<&Param> {
        self.params.get(id)
    }

    pub fn launch(&self) -> Launch {
        self.launch
    }

    /// Lanes per subgroup (warp or wave) that `SubgroupReduce` and `MatrixTile` assume.
    pub fn subgroup_size(&self) -> u32 {
        self.subgroup_size
    }

    pub fn shared_arrays(&self) -> impl ExactSizeIterator<Item = (SharedId, &SharedArray)> {
        self.shared.iter()
    }

    pub fn shared(&self, id: SharedId) -> Option<&SharedArray> {
        self.shared.get(id)
    }

    /// Every value, in definition order.
    pub fn values(&self) -> impl ExactSizeIterator<Item = (ValueId, &Value)> {
        self.values.iter()
    }

    pub fn value(&self, id: ValueId) -> Option<&Value> {
        self.values.get(id)
    }

    /// The constant a value is defined as, if it is one.
    pub fn constant(&self, id: ValueId) -> Option<Scalar> {
        match self.values.get(id)?.expr {
            Expr::Const(s) => Some(s),
            _ => None,
        }
    }

    /// The matrix fragments' names, with their ids.
    pub fn fragments(&self) -> impl ExactSizeIterator<Item = (FragId, &str)> {
        self.fragments.iter().map(|(f, name)| (f, name.as_str()))
    }

    pub fn fragment(&self, id: FragId) -> Option<&str> {
        self.fragments.get(id).map(String::as_str)
    }

    pub fn acc_type(&self, id: AccId) -> Option<ValueType> {
        self.accs.get(id).copied()
    }

    pub fn body(&self) -> &[Stmt] {
        &self.body
    }

    /// The name and dtype of a load's source or a store's target.
    pub fn memory(&self, memory: Memory) -> Option<(&str, DType)> {
        match memory {
            Memory::Global(p) => self.params.get(p).map(|p| (p.name(), p.dtype())),
            Memory::Shared(s) => self.shared.get(s).map(|s| (s.name.as_str(), s.dtype)),
        }
    }

    /// The dtype, element count and name of the memory a load (`write` false), store or
    /// atomic touches, or why it may not: the memory does not exist, is a scalar parameter,
    /// or is a buffer whose access forbids it. The builder and the verifier both ask this.
    pub(crate) fn access(
        &self,
        memory: Memory,
        write: bool,
    ) -> Result<(DType, usize, &str), String> {
        match memory {
            Memory::Global(p) => match self.params.get(p) {
                Some(Param::Buffer {
                    name,
                    dtype,
                    len,
                    access,
                }) => {
                    let allowed = if write {
                        access.can_write()
                    } else {
                        access.can_read()
                    };
                    if allowed {
                        return Ok((*dtype, *len, name.as_str()));
                    }
                    let verb = if write { "written" } else { "read" };
                    Err(format!(
                        "buffer {name} is declared {}: it cannot be {verb}",
                        access.name()
                    ))
                }
                Some(Param::Scalar { name, .. }) => {
                    Err(format!("{name} is a scalar, not a buffer"))
                }
                None => Err(format!("{p} does not exist")),
            },
            Memory::Shared(s) => match self.shared.get(s) {
                Some(array) => Ok((array.dtype, array.len, array.name.as_str())),
                None => Err(format!("{s} does not exist")),
            },
        }
    }

    /// Total bytes of shared memory the kernel declares.
    pub fn shared_bytes(&self) -> usize {
        self.shared
            .values()
            .map(|s| s.len.saturating_mul(s.dtype.size_bytes()))
            .fold(0, usize::saturating_add)
    }
}
