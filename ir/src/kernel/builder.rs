//! [`KernelBuilder`]: checked construction of kernels. Every method checks its operands
//! (types, scopes, parameters) and adds nothing when it refuses, so a finished [`Kernel`]
//! is always well typed and every value is used only where it is defined.

use super::KernelError;
use super::label::Label;
use super::types::{
    AccId, AccUpdate, Access, Atomic, AtomicOp, Axis, Expr, FragId, IdVec, Kernel, Launch, Loop,
    MatrixTile, Memory, Param, ParamId, SharedArray, SharedId, Stmt, Store, TILE, TileRef, Value,
    ValueId, ValueType, WIDTHS,
};
use crate::{BinaryOp, DType, ReduceOp, Scalar, UnaryOp, representable};
use cranelift_entity::{EntityRef, PrimaryMap, SecondaryMap};
use std::fmt::Display;

/// The most lanes a workgroup may have: the hardware limit on every supported target.
pub const MAX_WORKGROUP_SIZE: u64 = 1024;

/// Builds a [`Kernel`] statement by statement, in program order. Loops and ifs are opened
/// and closed explicitly (`begin_loop`/`end_loop`, `begin_if`/`begin_else`/`end_if`);
/// statements go into the innermost open one.
#[derive(Clone, Debug)]
pub struct KernelBuilder {
    kernel: Kernel,
    scopes: Vec<Scope>,
    /// Whether a value may be used at the current point: defined in a scope still open.
    visible: SecondaryMap<ValueId, bool>,
    acc_visible: SecondaryMap<AccId, bool>,
    /// Set by subgroup reductions and matrix tiles, which need whole subgroups.
    uses_subgroups: bool,
}

/// An open block of statements and what it defined (which goes out of scope with it).
#[derive(Clone, Debug)]
struct Scope {
    kind: ScopeKind,
    stmts: Vec<Stmt>,
    values: Vec<ValueId>,
    accs: Vec<AccId>,
}

#[derive(Clone, Debug)]
enum ScopeKind {
    Body,
    Loop {
        var: ValueId,
        start: ValueId,
        end: ValueId,
        step: u32,
        unroll: bool,
    },
    Then {
        cond: ValueId,
    },
    Else {
        cond: ValueId,
        then_body: Vec<Stmt>,
    },
}

impl Scope {
    fn new(kind: ScopeKind) -> Scope {
        Scope {
            kind,
            stmts: Vec::new(),
            values: Vec::new(),
            accs: Vec::new(),
        }
    }
}

type Built<T> = Result<T, KernelError>;

impl KernelBuilder {
    /// A builder for a kernel named `name` (an identifier) launched as `launch`, written
    /// for subgroups of `subgroup_size` lanes. Both are checked by [`KernelBuilder::finish`].
    pub fn new(name: &str, launch: Launch, subgroup_size: u32) -> KernelBuilder {
        KernelBuilder {
            kernel: Kernel {
                fragments: PrimaryMap::new(),
                name: name.to_string(),
                params: PrimaryMap::new(),
                launch,
                subgroup_size,
                shared: IdVec::new(),
                values: IdVec::new(),
                accs: IdVec::new(),
                body: Vec::new(),
            },
            scopes: vec![Scope::new(ScopeKind::Body)],
            visible: SecondaryMap::new(),
            acc_visible: SecondaryMap::new(),
            uses_subgroups: false,
        }
    }

    fn open_scope(&mut self, kind: ScopeKind) {
        self.scopes.push(Scope::new(kind));
    }

    /// The kernel built so far (its body is filled in by `finish`).
    pub fn kernel(&self) -> &Kernel {
        &self.kernel
    }

    /// The type of a value defined so far.
    pub fn value_type(&self, v: ValueId) -> Option<ValueType> {
        self.kernel.values.get(v).map(|value| value.ty)
    }

    fn fail<T>(&self, what: impl Display, message: impl Into<String>) -> Built<T> {
        Err(KernelError::Build {
            kernel: self.kernel.name.clone(),
            what: what.to_string(),
            message: message.into(),
        })
    }

    /// `v7 = add`: names the value the next definition will create, for messages (a
    /// [`Label`], formatted only if an error is reported).
    fn defining<'s>(&self, op: &'s str) -> Label<ValueId, &'s str> {
        Label {
            first: ValueId::new(self.kernel.values.len()),
            sep: " = ",
            second: op,
        }
    }

    /// The finished kernel, after the checks that need all of it.
    pub fn finish(mut self) -> Built<Kernel> {
        if self.scopes.len() != 1 {
            return self.fail("finish", "a loop or if is still open");
        }
        self.check_launch()?;
        self.kernel.body = self.scopes.pop().map(|s| s.stmts).unwrap_or_default();
        // The verifier checks independently what the builder promises (debug builds only).
        #[cfg(debug_assertions)]
        if let Err(errors) = super::verify::verify_structure(&self.kernel) {
            let first = errors.first().map(|e| e.to_string()).unwrap_or_default();
            return Err(KernelError::Internal {
                kernel: self.kernel.name.clone(),
                message: format!("the builder made a kernel the verifier refuses: {first}"),
            });
        }
        Ok(self.kernel)
    }

    fn check_launch(&self) -> Built<()> {
        let launch = self.kernel.launch;
        let s = self.kernel.subgroup_size;
        if !check_name(&self.kernel.name) {
            return self.fail("kernel", "the name must be an identifier");
        }
        if launch.grid.contains(&0) || launch.workgroup.contains(&0) {
            return self.fail(
                "launch",
                "every grid and workgroup dimension must be at least 1",
            );
        }
        let size = launch.workgroup_size();
        if size > MAX_WORKGROUP_SIZE {
            let max = MAX_WORKGROUP_SIZE;
            return self.fail(
                "launch",
                format!("{size} lanes per workgroup; at most {max}"),
            );
        }
        if !s.is_power_of_two() || s > 64 {
            return self.fail(
                "subgroup",
                format!("size {s} is not a power of two up to 64"),
            );
        }
        if self.uses_subgroups && !size.is_multiple_of(u64::from(s)) {
            let m = format!("subgroup operations need whole subgroups: {size} lanes, size {s}");
            return self.fail("subgroup", m);
        }
        Ok(())
    }

    // ----- declarations -----

    /// A global buffer parameter of `len` elements.
    pub fn buffer(
        &mut self,
        name: &str,
        dtype: DType,
        len: usize,
        access: Access,
    ) -> Built<ParamId> {
        self.check_new_name(name)?;
        let name = name.to_string();
        Ok(self.kernel.params.push(Param::Buffer {
            name,
            dtype,
            len,
            access,
        }))
    }

    /// A scalar parameter, i32 or i64.
    pub fn scalar_param(&mut self, name: &str, dtype: DType) -> Built<ParamId> {
        self.check_new_name(name)?;
        if !matches!(dtype, DType::I32 | DType::I64) {
            return self.fail(
                format!("param {name}"),
                format!("must be i32 or i64, not {dtype}"),
            );
        }
        let name = name.to_string();
        Ok(self.kernel.params.push(Param::Scalar { name, dtype }))
    }

    /// A workgroup-shared array of `len` elements.
    pub fn shared(&mut self, name: &str, dtype: DType, len: usize) -> Built<SharedId> {
        self.check_new_name(name)?;
        let name = name.to_string();
        Ok(self.kernel.shared.push(SharedArray { name, dtype, len }))
    }

    /// A 16×16 f32 matrix fragment held in the registers of each subgroup.
    pub fn fragment(&mut self, name: &str) -> Built<FragId> {
        self.check_new_name(name)?;
        Ok(self.kernel.fragments.push(name.to_string()))
    }

    /// The fragment declared as `name`.
    pub fn fragment_named(&self, name: &str) -> Option<FragId> {
        self.kernel
            .fragments
            .iter()
            .find(|(_, n)| *n == name)
            .map(|(f, _)| f)
    }

    /// Parameter and shared-array names are identifiers, unique together (loads and stores
    /// print only the name).
    fn check_new_name(&self, name: &str) -> Built<()> {
        if !check_name(name) {
            return self.fail(format!("declaration of '{name}'"), "not an identifier");
        }
        let taken = self.kernel.params.values().any(|p| p.name() == name)
            || self.kernel.shared.values().any(|s| s.name == name)
            || self.kernel.fragments.values().any(|f| f == name);
        if taken {
            return self.fail(
                format!("declaration of '{name}'"),
                "the name is already used",
            );
        }
        Ok(())
    }

    // ----- scopes -----

    fn scope(&mut self) -> &mut Scope {
        // `scopes` always holds the body scope (`end_loop`/`end_if` refuse to pop it and
        // `finish` consumes the builder); the refill only keeps this free of panics.
        if self.scopes.is_empty() {
            self.scopes.push(Scope::new(ScopeKind::Body));
        }
        let last = self.scopes.len() - 1;
        &mut self.scopes[last]
    }

    /// Room for `values` more values and `stmts` more statements in the innermost open
    /// block, for a caller that knows the sizes ahead (a pass rebuilding a kernel): the
    /// kernel then grows without copying itself over and over. Changes nothing else.
    pub fn reserve(&mut self, values: usize, stmts: usize) {
        self.kernel.values.reserve(values);
        self.visible.resize(self.kernel.values.len() + values);
        let scope = self.scope();
        scope.stmts.reserve(stmts);
        scope.values.reserve(values.min(stmts));
    }

    fn push_stmt(&mut self, stmt: Stmt) {
        self.scope().stmts.push(stmt);
    }

    /// Adds a value and its `Let` to the innermost scope.
    fn define(&mut self, ty: ValueType, expr: Expr) -> ValueId {
        let is_loop_var = matches!(expr, Expr::LoopVar);
        let v = self.kernel.values.push(Value { ty, expr });
        self.visible[v] = true;
        self.scope().values.push(v);
        if !is_loop_var {
            self.push_stmt(Stmt::Let(v));
        }
        v
    }

    /// The type of operand `v` of `what`, which must be defined and in scope.
    fn operand(&self, what: &dyn Display, v: ValueId) -> Built<ValueType> {
        match self.kernel.values.get(v) {
            None => self.fail(what, format!("{v} does not exist")),
            Some(_) if !self.visible[v] => self.fail(
                what,
                format!("{v} is not defined here (its scope has ended)"),
            ),
            Some(value) => Ok(value.ty),
        }
    }

    /// An operand that must be a scalar i32 or i64 (an index, bound or offset).
    fn index_operand(&self, what: &dyn Display, role: &str, v: ValueId) -> Built<ValueType> {
        let ty = self.operand(what, v)?;
        if !ty.is_index() {
            return self.fail(what, format!("the {role} {v} is {ty}, not i32 or i64"));
        }
        Ok(ty)
    }

    /// Opens `for var in start..end step step`; returns the loop variable (the dtype of
    /// `start` and `end`, which must agree). Close it with [`KernelBuilder::end_loop`].
    pub fn begin_loop(
        &mut self,
        start: ValueId,
        end: ValueId,
        step: u32,
        unroll: bool,
    ) -> Built<ValueId> {
        let what = "begin_loop";
        let ty = self.index_operand(&what, "start", start)?;
        let end_ty = self.index_operand(&what, "end", end)?;
        if ty != end_ty {
            return self.fail(what, format!("start is {ty} but end is {end_ty}"));
        }
        if step == 0 {
            return self.fail(what, "the step must be positive");
        }
        let var = ValueId::new(self.kernel.values.len());
        self.open_scope(ScopeKind::Loop {
            var,
            start,
            end,
            step,
            unroll,
        });
        Ok(self.define(ty, Expr::LoopVar))
    }

    /// Closes the innermost loop.
    pub fn end_loop(&mut self) -> Built<()> {
        let Some(Scope {
            kind: ScopeKind::Loop { .. },
            ..
        }) = self.scopes.last()
        else {
            return self.fail("end_loop", "the innermost open block is not a loop");
        };
        let scope = self.close_scope();
        if let ScopeKind::Loop {
            var,
            start,
            end,
            step,
            unroll,
        } = scope.kind
        {
            let body = scope.stmts;
            self.push_stmt(Stmt::Loop(Loop {
                var,
                start,
                end,
                step,
                unroll,
                body,
            }));
        }
        Ok(())
    }

    /// Opens `if cond` (a scalar bool); [`KernelBuilder::begin_else`] switches to the else
    /// branch, [`KernelBuilder::end_if`] closes it.
    pub fn begin_if(&mut self, cond: ValueId) -> Built<()> {
        let ty = self.operand(&"begin_if", cond)?;
        if ty != ValueType::scalar(DType::Bool) {
            return self.fail(
                "begin_if",
                format!("the condition {cond} is {ty}, not bool"),
            );
        }
        self.open_scope(ScopeKind::Then { cond });
        Ok(())
    }

    pub fn begin_else(&mut self) -> Built<()> {
        let Some(Scope {
            kind: ScopeKind::Then { cond },
            ..
        }) = self.scopes.last()
        else {
            return self.fail("begin_else", "the innermost open block is not an if");
        };
        let cond = *cond;
        let then_body = self.close_scope().stmts;
        self.open_scope(ScopeKind::Else { cond, then_body });
        Ok(())
    }

    /// Closes the innermost if (with or without an else branch).
    pub fn end_if(&mut self) -> Built<()> {
        let is_if = matches!(
            self.scopes.last(),
            Some(Scope {
                kind: ScopeKind::Then { .. } | ScopeKind::Else { .. },
                ..
            })
        );
        if !is_if {
            return self.fail("end_if", "the innermost open block is not an if");
        }
        let scope = self.close_scope();
        let stmt = match scope.kind {
            ScopeKind::Then { cond } => Stmt::If {
                cond,
                then_body: scope.stmts,
                else_body: vec![],
            },
            ScopeKind::Else { cond, then_body } => Stmt::If {
                cond,
                then_body,
                else_body: scope.stmts,
            },
            ScopeKind::Body | ScopeKind::Loop { .. } => return self.fail("end_if", "not an if"),
        };
        self.push_stmt(stmt);
        Ok(())
    }

    /// Pops the innermost scope (never the body: callers check its kind first) and puts
    /// what it defined out of scope.
    fn close_scope(&mut self) -> Scope {
        let scope = self
            .scopes
            .pop()
            .unwrap_or_else(|| Scope::new(ScopeKind::Body));
        for &v in &scope.values {
            self.visible[v] = false;
        }
        for &a in &scope.accs {
            self.acc_visible[a] = false;
        }
        scope
    }

    // ----- sources -----

    /// The workgroup's position in the grid along `axis` (i32).
    pub fn workgroup_id(&mut self, axis: Axis) -> ValueId {
        self.define(ValueType::scalar(DType::I32), Expr::WorkgroupId(axis))
    }

    /// The lane's position in its workgroup along `axis` (i32).
    pub fn local_id(&mut self, axis: Axis) -> ValueId {
        self.define(ValueType::scalar(DType::I32), Expr::LocalId(axis))
    }

    /// A scalar constant; `value` must be a value of `dtype` (see [`representable`]);
    /// floats are rounded to `dtype`.
    pub fn constant(&mut self, dtype: DType, value: Scalar) -> Built<ValueId> {
        match representable(value, dtype) {
            Ok(value) => Ok(self.define(ValueType::scalar(dtype), Expr::Const(value))),
            Err(message) => self.fail(self.defining("const"), message),
        }
    }

    pub fn const_i32(&mut self, value: i32) -> ValueId {
        let value = Scalar::Int(i128::from(value));
        self.define(ValueType::scalar(DType::I32), Expr::Const(value))
    }

    pub fn const_i64(&mut self, value: i64) -> ValueId {
        let value = Scalar::Int(i128::from(value));
        self.define(ValueType::scalar(DType::I64), Expr::Const(value))
    }

    pub fn const_f32(&mut self, value: f32) -> ValueId {
        let value = Scalar::Float(f64::from(value));
        self.define(ValueType::scalar(DType::F32), Expr::Const(value))
    }

    pub fn const_bool(&mut self, value: bool) -> ValueId {
        self.define(
            ValueType::scalar(DType::Bool),
            Expr::Const(Scalar::Bool(value)),
        )
    }

    /// The value of a scalar parameter.
    pub fn param(&mut self, param: ParamId) -> Built<ValueId> {
        let what = self.defining("param");
        match self.kernel.params.get(param) {
            Some(Param::Scalar { dtype, .. }) => {
                Ok(self.define(ValueType::scalar(*dtype), Expr::Param(param)))
            }
            Some(Param::Buffer { name, .. }) => self.fail(what, format!("{name} is a buffer")),
            None => self.fail(what, format!("{param} does not exist")),
        }
    }

    // ----- memory -----

    /// The dtype of `memory` and its name, checking that `access` is allowed on it.
    fn memory(&self, what: &dyn Display, memory: Memory, write: bool) -> Built<(DType, &str)> {
        match self.kernel.access(memory, write) {
            Ok((dtype, _, name)) => Ok((dtype, name)),
            Err(m) => self.fail(what, m),
        }
    }

    /// A mask must be bool, of width 1 (the whole access) or of the access's width.
    fn check_mask(&self, what: &dyn Display, mask: Option<ValueId>, width: u32) -> Built<()> {
        let Some(mask) = mask else { return Ok(()) };
        let ty = self.operand(what, mask)?;
        if ty.dtype != DType::Bool || (ty.width != 1 && ty.width != width) {
            let m = format!(
                "the mask {mask} is {ty}; it must be bool or a bool vector of width {width}"
            );
            return self.fail(what, m);
        }
        Ok(())
    }

    /// `width` consecutive elements of `source` from `index`; masked-off elements give 0.
    pub fn load(
        &mut self,
        source: Memory,
        index: ValueId,
        width: u32,
        mask: Option<ValueId>,
    ) -> Built<ValueId> {
        let what = self.defining("load");
        let (dtype, _) = self.memory(&what, source, false)?;
        if !WIDTHS.contains(&width) {
            return self.fail(what, format!("width {width} is not one of 1, 2, 4, 8"));
        }
        self.index_operand(&what, "index", index)?;
        self.check_mask(&what, mask, width)?;
        let expr = Expr::Load {
            source,
            index,
            mask,
        };
        Ok(self.define(ValueType::vector(dtype, width), expr))
    }

    /// Stores `value` (a vector writes consecutive elements) at `index` of `target`.
    pub fn store(
        &mut self,
        target: Memory,
        index: ValueId,
        value: ValueId,
        mask: Option<ValueId>,
    ) -> Built<()> {
        let (dtype, name) = self.memory(&"store", target, true)?;
        let what = Label {
            first: "store",
            sep: " ",
            second: name,
        };
        self.index_operand(&what, "index", index)?;
        let ty = self.operand(&what, value)?;
        if ty.dtype != dtype {
            return self.fail(
                what,
                format!("the value {value} is {ty}; {name} holds {dtype}"),
            );
        }
        self.check_mask(&what, mask, ty.width)?;
        self.push_stmt(Stmt::Store(Store {
            target,
            index,
            value,
            mask,
        }));
        Ok(())
    }

    /// `target[index] = op(target[index], value)` atomically: a scalar of the memory's
    /// dtype (f32 or i32 for add, i32 for max and min), in a `read_write` buffer or a
    /// shared array.
    pub fn atomic(
        &mut self,
        op: AtomicOp,
        target: Memory,
        index: ValueId,
        value: ValueId,
    ) -> Built<()> {
        let (dtype, name) = self.memory(&"atomic", target, false)?;
        self.memory(&"atomic", target, true)?;
        let what = format!("atomic_{} {name}", op.name());
        self.index_operand(&what, "index", index)?;
        let ty = self.operand(&what, value)?;
        if ty != ValueType::scalar(dtype) {
            return self.fail(
                what,
                format!("the value {value} is {ty}; {name} holds {dtype} (one element)"),
            );
        }
        if !op.applies_to(dtype) {
            let wants = if op == AtomicOp::Add {
                "f32 or i32"
            } else {
                "i32"
            };
            return self.fail(what, format!("needs {wants} memory, not {dtype}"));
        }
        self.push_stmt(Stmt::Atomic(Atomic {
            op,
            target,
            index,
            value,
        }));
        Ok(())
    }

    /// Waits for every lane of the workgroup; see the module documentation.
    pub fn barrier(&mut self) {
        self.push_stmt(Stmt::Barrier);
    }

    // ----- ALU -----

    /// An elementwise op of one operand.
    pub fn unary(&mut self, op: UnaryOp, x: ValueId) -> Built<ValueId> {
        let what = self.defining(op.name());
        let ty = self.operand(&what, x)?;
        let d = ty.dtype;
        let ok = match op {
            UnaryOp::Neg => d.is_numeric(),
            UnaryOp::Not => d.is_int() || d.is_bool(),
            _ => d.is_float(),
        };
        if !ok {
            return self.fail(what, format!("does not apply to {ty}"));
        }
        Ok(self.define(ty, Expr::Unary { op, x }))
    }

    /// An elementwise op of two operands of one type; comparisons give bool of that width.
    pub fn binary(&mut self, op: BinaryOp, a: ValueId, b: ValueId) -> Built<ValueId> {
        let what = self.defining(op.name());
        let ty = self.same_type_operands(&what, a, b)?;
        if let Err(wants) = binary_dtype_ok(op, ty.dtype) {
            return self.fail(what, format!("needs {wants} operands, got {ty}"));
        }
        let out = if op.is_comparison() {
            ValueType::vector(DType::Bool, ty.width)
        } else {
            ty
        };
        Ok(self.define(out, Expr::Binary { op, a, b }))
    }

    /// The high half of the double-width product, per element, of two operands of one
    /// 32- or 64-bit integer type (signed or unsigned by the dtype).
    pub fn mulhi(&mut self, a: ValueId, b: ValueId) -> Built<ValueId> {
        let what = self.defining("mulhi");
        let ty = self.same_type_operands(&what, a, b)?;
        if !mulhi_dtype_ok(ty.dtype) {
            return self.fail(
                what,
                format!("needs i32, i64, u32 or u64 operands, got {ty}"),
            );
        }
        Ok(self.define(ty, Expr::MulHi { a, b }))
    }

    /// `a · b + c` rounded once, per element, of three float operands of one type.
    pub fn fma(&mut self, a: ValueId, b: ValueId, c: ValueId) -> Built<ValueId> {
        let what = self.defining("fma");
        let ty = self.same_type_operands(&what, a, b)?;
        let ty_c = self.operand(&what, c)?;
        if ty_c != ty {
            return self.fail(
                what,
                format!("operands {a}: {ty} and {c}: {ty_c} differ in type"),
            );
        }
        if !ty.dtype.is_float() {
            return self.fail(what, format!("needs float operands, got {ty}"));
        }
        Ok(self.define(ty, Expr::Fma { a, b, c }))
    }

    /// The common type of two operands, or an error naming both types.
    fn same_type_operands(&self, what: &dyn Display, a: ValueId, b: ValueId) -> Built<ValueType> {
        let ty = self.operand(what, a)?;
        let b_ty = self.operand(what, b)?;
        if ty != b_ty {
            return self.fail(
                what,
                format!("operands {a}: {ty} and {b}: {b_ty} differ in type"),
            );
        }
        Ok(ty)
    }

    /// `cond ? a : b` per element; `cond` is bool of the operands' width.
    pub fn select(&mut self, cond: ValueId, a: ValueId, b: ValueId) -> Built<ValueId> {
        let what = self.defining("where");
        let c = self.operand(&what, cond)?;
        let ty = self.same_type_operands(&what, a, b)?;
        if c != ValueType::vector(DType::Bool, ty.width) {
            return self.fail(
                what,
                format!("the condition {cond} is {c}, operands are {ty}"),
            );
        }
        Ok(self.define(ty, Expr::Where { cond, a, b }))
    }

    /// Value conversion of each element to `dtype` (see [`Scalar::cast`]).
    pub fn cast(&mut self, x: ValueId, dtype: DType) -> Built<ValueId> {
        let what = self.defining("cast");
        let ty = self.operand(&what, x)?;
        Ok(self.define(ValueType::vector(dtype, ty.width), Expr::Cast { x }))
    }

    /// Each element's bits reinterpreted as `dtype`, which has the same width (not bool).
    pub fn bitcast(&mut self, x: ValueId, dtype: DType) -> Built<ValueId> {
        let what = self.defining("bitcast");
        let ty = self.operand(&what, x)?;
        if ty.dtype.bits() != dtype.bits() || ty.dtype.is_bool() || dtype.is_bool() {
            return self.fail(what, format!("cannot reinterpret {} as {dtype}", ty.dtype));
        }
        Ok(self.define(ValueType::vector(dtype, ty.width), Expr::Bitcast { x }))
    }

    /// A vector of 2, 4 or 8 scalars of one type.
    pub fn vector(&mut self, items: &[ValueId]) -> Built<ValueId> {
        let what = self.defining("vec");
        let width = u32::try_from(items.len()).unwrap_or(u32::MAX);
        if width == 1 || !WIDTHS.contains(&width) {
            let n = items.len();
            return self.fail(what, format!("{n} elements; a vector has 2, 4 or 8"));
        }
        let Some(&first) = items.first() else {
            return self.fail(what, "no elements");
        };
        let ty = self.operand(&what, first)?;
        for &item in items {
            let item_ty = self.operand(&what, item)?;
            if item_ty != ty || !ty.is_scalar() {
                return self.fail(
                    what,
                    format!("{item} is {item_ty}; elements must be {} scalars", ty.dtype),
                );
            }
        }
        Ok(self.define(
            ValueType::vector(ty.dtype, width),
            Expr::Vector(items.to_vec()),
        ))
    }

    /// A vector of `width` copies of the scalar `x`.
    pub fn splat(&mut self, x: ValueId, width: u32) -> Built<ValueId> {
        if !WIDTHS.contains(&width) {
            // Checked before building the list, so that a huge width cannot allocate.
            let what = self.defining("vec");
            return self.fail(what, format!("width {width}; a vector has 2, 4 or 8"));
        }
        let items = vec![x; width as usize];
        self.vector(&items)
    }

    /// Element `lane` of the vector `x`.
    pub fn extract(&mut self, x: ValueId, lane: u32) -> Built<ValueId> {
        let what = self.defining("extract");
        let ty = self.operand(&what, x)?;
        if lane >= ty.width || ty.is_scalar() {
            return self.fail(what, format!("no element {lane} in {x}: {ty}"));
        }
        Ok(self.define(ValueType::scalar(ty.dtype), Expr::Extract { x, lane }))
    }

    // ----- accumulators, subgroups, tiles -----

    /// Declares an accumulator holding `init`; it is in scope where a value defined here
    /// would be.
    pub fn acc_init(&mut self, init: ValueId) -> Built<AccId> {
        let what = Label {
            first: AccId::new(self.kernel.accs.len()),
            sep: " = ",
            second: "init",
        };
        let ty = self.operand(&what, init)?;
        let acc = self.kernel.accs.push(ty);
        self.acc_visible[acc] = true;
        self.scope().accs.push(acc);
        self.push_stmt(Stmt::InitAcc { acc, init });
        Ok(acc)
    }

    /// The accumulator's type, if it exists and is in scope.
    fn acc_operand(&self, what: &dyn Display, acc: AccId) -> Built<ValueType> {
        match self.kernel.accs.get(acc) {
            None => self.fail(what, format!("{acc} does not exist")),
            Some(_) if !self.acc_visible[acc] => {
                self.fail(what, format!("{acc} is not in scope here"))
            }
            Some(ty) => Ok(*ty),
        }
    }

    /// Sets the accumulator to `value` or combines `value` into it.
    pub fn acc_update(&mut self, acc: AccId, update: AccUpdate, value: ValueId) -> Built<()> {
        let what = Label {
            first: "update",
            sep: " ",
            second: acc,
        };
        let ty = self.acc_operand(&what, acc)?;
        let value_ty = self.operand(&what, value)?;
        if value_ty != ty {
            return self.fail(what, format!("{value} is {value_ty}; {acc} is {ty}"));
        }
        if let AccUpdate::Combine(op) = update
            && !ty.dtype.is_numeric()
        {
            return self.fail(what, format!("{} needs numbers, not {ty}", op.name()));
        }
        self.push_stmt(Stmt::UpdateAcc { acc, update, value });
        Ok(())
    }

    /// The accumulator's current value.
    pub fn acc_read(&mut self, acc: AccId) -> Built<ValueId> {
        let what = self.defining("read");
        let ty = self.acc_operand(&what, acc)?;
        Ok(self.define(ty, Expr::ReadAcc(acc)))
    }

    /// `op` over `x` of every lane of the subgroup; every lane gets the result.
    pub fn subgroup_reduce(&mut self, op: ReduceOp, x: ValueId) -> Built<ValueId> {
        let what = Label {
            first: ValueId::new(self.kernel.values.len()),
            sep: " = subgroup_",
            second: op.name(),
        };
        let ty = self.operand(&what, x)?;
        if !ty.dtype.is_numeric() {
            return self.fail(what, format!("needs numbers, not {ty}"));
        }
        self.uses_subgroups = true;
        Ok(self.define(ty, Expr::SubgroupReduce { op, x }))
    }

    /// `D += A · B` on 16×16 tiles in shared memory, by a whole subgroup of 32 lanes.
    pub fn matrix_tile(&mut self, a: TileRef, b: TileRef, d: TileRef) -> Built<()> {
        let what = "matrix_tile";
        let a_dtype = self.tile_operand(&what, "A", a)?;
        let b_dtype = self.tile_operand(&what, "B", b)?;
        let d_dtype = self.tile_operand(&what, "D", d)?;
        if !matches!(a_dtype, DType::F16 | DType::BF16) || b_dtype != a_dtype {
            return self.fail(
                what,
                format!("A and B must both be f16 or both bf16, not {a_dtype} and {b_dtype}"),
            );
        }
        if d_dtype != DType::F32 {
            return self.fail(what, format!("D must be f32, not {d_dtype}"));
        }
        if self.kernel.subgroup_size != 32 {
            return self.fail(
                what,
                format!(
                    "needs subgroups of 32 lanes, not {}",
                    self.kernel.subgroup_size
                ),
            );
        }
        self.uses_subgroups = true;
        self.push_stmt(Stmt::MatrixTile(MatrixTile { a, b, d }));
        Ok(())
    }

    /// Checks a fragment operand and that subgroups have 32 lanes.
    fn fragment_operand(&mut self, what: &str, frag: FragId) -> Built<()> {
        if self.kernel.fragments.get(frag).is_none() {
            return self.fail(what, format!("{frag} does not exist"));
        }
        if self.kernel.subgroup_size != 32 {
            let size = self.kernel.subgroup_size;
            return self.fail(what, format!("needs subgroups of 32 lanes, not {size}"));
        }
        self.uses_subgroups = true;
        Ok(())
    }

    /// Sets the fragment to zeros (a subgroup operation).
    pub fn fragment_zero(&mut self, frag: FragId) -> Built<()> {
        self.fragment_operand("fragment_zero", frag)?;
        self.push_stmt(Stmt::FragmentZero(frag));
        Ok(())
    }

    /// `frag += A · B` from f16 or bf16 tiles in shared memory (a subgroup operation).
    pub fn fragment_mma(&mut self, frag: FragId, a: TileRef, b: TileRef) -> Built<()> {
        let what = "fragment_mma";
        let a_dtype = self.tile_operand(&what, "A", a)?;
        let b_dtype = self.tile_operand(&what, "B", b)?;
        if !matches!(a_dtype, DType::F16 | DType::BF16) || b_dtype != a_dtype {
            let m = format!("A and B must both be f16 or both bf16, not {a_dtype} and {b_dtype}");
            return self.fail(what, m);
        }
        self.fragment_operand(what, frag)?;
        self.push_stmt(Stmt::FragmentMma { frag, a, b });
        Ok(())
    }

    /// Writes the fragment into an f32 tile of a shared array (a subgroup operation).
    pub fn fragment_store(&mut self, frag: FragId, d: TileRef) -> Built<()> {
        let what = "fragment_store";
        let d_dtype = self.tile_operand(&what, "D", d)?;
        if d_dtype != DType::F32 {
            return self.fail(what, format!("D must be f32, not {d_dtype}"));
        }
        self.fragment_operand(what, frag)?;
        self.push_stmt(Stmt::FragmentStore { frag, d });
        Ok(())
    }

    /// Checks one tile operand: a shared array, an index offset, a row stride of at least 16
    /// that keeps rows 16-byte aligned. Returns the array's dtype.
    fn tile_operand(&self, what: &dyn Display, role: &str, tile: TileRef) -> Built<DType> {
        let Some(array) = self.kernel.shared.get(tile.array) else {
            return self.fail(what, format!("{role}: {} does not exist", tile.array));
        };
        self.index_operand(what, &format!("{role} offset"), tile.offset)?;
        let align = tile_alignment(array.dtype);
        if tile.stride < TILE || !tile.stride.is_multiple_of(align) {
            let m = format!(
                "{role}: the stride {} must be at least 16 and a multiple of {align}",
                tile.stride
            );
            return self.fail(what, m);
        }
        Ok(array.dtype)
    }
}

/// Elements per 16 bytes: tile rows start at multiples of this (so that `ldmatrix` and
/// 128-bit LDS loads can fetch them).
pub(super) fn tile_alignment(dtype: DType) -> u32 {
    (16 / dtype.size_bytes().max(1)) as u32
}

/// Whether `name` is an identifier: a letter or `_`, then letters, digits or `_`.
pub(super) fn check_name(name: &str) -> bool {
    let mut chars = name.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    first_ok && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The dtypes `mulhi` applies to: the integers whose high product half hardware computes.
pub(super) fn mulhi_dtype_ok(dtype: DType) -> bool {
    matches!(dtype, DType::I32 | DType::I64 | DType::U32 | DType::U64)
}

/// The dtype rules of binary ops, the same as the graph builder's; `Err` names what the op
/// needs.
pub(super) fn binary_dtype_ok(op: BinaryOp, dtype: DType) -> Result<(), &'static str> {
    use BinaryOp::*;
    let (ok, wants) = match op {
        Add | Sub | Mul | Max | Min | CmpLt => (dtype.is_numeric(), "numeric"),
        Div => (dtype.is_float(), "float"),
        Idiv | Mod | Shl | Shr => (dtype.is_int(), "integer"),
        And | Or | Xor => (dtype.is_int() || dtype.is_bool(), "bool or integer"),
        CmpEq | CmpNe => (true, ""),
    };
    if ok { Ok(()) } else { Err(wants) }
}
