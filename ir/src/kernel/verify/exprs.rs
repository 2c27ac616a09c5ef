//! The checks of each statement and of each value's expression: operands in scope, types,
//! widths, masks, memory access, accumulators, matrix tiles, and the static index rules.

use super::uniform::Node;
use super::{Frame, Rule, Verifier};
use crate::kernel::builder::{binary_dtype_ok, mulhi_dtype_ok, tile_alignment};
use crate::kernel::printer::expr_text;
use crate::kernel::types::{
    AccId, AccUpdate, Expr, Loop, MatrixTile, Memory, Param, Stmt, Store, TILE, TileRef, ValueId,
    ValueType, WIDTHS,
};
use crate::{DType, Scalar, UnaryOp, representable};

impl<'k> Verifier<'k> {
    /// The type of operand `v` of `what` if it is defined and in scope; else records why not.
    fn operand(&mut self, what: &str, v: ValueId) -> Option<ValueType> {
        let Some(value) = self.kernel.values.get(v) else {
            self.fail(Rule::Scope, what, format!("{v} does not exist"));
            return None;
        };
        if !self.visible[v] {
            let why = if self.defined[v] {
                "its block has ended"
            } else {
                "it is not defined before this point"
            };
            self.fail(
                Rule::Scope,
                what,
                format!("{v} is used where it is not defined: {why}"),
            );
            return None;
        }
        Some(value.ty)
    }

    /// An operand that must be a scalar i32 or i64.
    fn index_operand(&mut self, what: &str, role: &str, v: ValueId) -> Option<ValueType> {
        let ty = self.operand(what, v)?;
        if !ty.is_index() {
            self.fail(
                Rule::Type,
                what,
                format!("the {role} {v} is {ty}, not i32 or i64"),
            );
            return None;
        }
        Some(ty)
    }

    /// A value's definition: its expression's operands, its type, the static rules of loads.
    pub(super) fn let_value(&mut self, v: ValueId) {
        let Some(value) = self.kernel.values.get(v) else {
            self.fail(Rule::Scope, format!("{v}"), format!("{v} does not exist"));
            return;
        };
        let what = format!("{v} = {}", expr_text(self.kernel, &value.expr));
        if !WIDTHS.contains(&value.ty.width) {
            let m = format!("width {} is not one of 1, 2, 4, 8", value.ty.width);
            self.fail(Rule::Width, &what, m);
            return;
        }
        let operands = value.expr.operands();
        let mut in_scope = true;
        for &x in &operands {
            in_scope &= self.operand(&what, x).is_some();
            self.flow_edge_value(x, v);
        }
        if !in_scope {
            return;
        }
        match &value.expr {
            Expr::LocalId(_) => {
                let node = self.flow.value(v);
                self.flow.source(node);
            }
            Expr::SubgroupReduce { .. } => {
                self.uses_subgroups = true;
                let node = self.flow.value(v);
                self.flow.source(node);
            }
            Expr::ReadAcc(acc) => {
                let (from, to) = (self.flow.acc(*acc), self.flow.value(v));
                self.flow.edge(from, to);
            }
            _ => {}
        }
        if let Some(want) = self.expr_type(&what, &value.expr, value.ty)
            && want != value.ty
        {
            let m = format!("its type is {} but the expression gives {want}", value.ty);
            self.fail(Rule::Type, &what, m);
        }
        if let Expr::Load {
            source,
            index,
            mask,
        } = &value.expr
        {
            self.static_access(&what, *source, *index, value.ty.width, *mask);
        }
    }

    fn flow_edge_value(&mut self, from: ValueId, to: ValueId) {
        let (from, to) = (self.flow.value(from), self.flow.value(to));
        self.flow.edge(from, to);
    }

    /// The type `expr` gives (operands are in scope), or `None` after recording the error.
    /// `ty` is the value's own type, which supplies the target dtype of casts and the width
    /// of loads.
    fn expr_type(&mut self, what: &str, expr: &Expr, ty: ValueType) -> Option<ValueType> {
        let types = &self.kernel.values;
        let type_of = |v: ValueId| types.get(v).map(|x| x.ty);
        let bad = |verifier: &mut Self, rule: Rule, m: String| {
            verifier.fail(rule, what, m);
            None
        };
        match expr {
            Expr::WorkgroupId(_) | Expr::LocalId(_) => Some(ValueType::scalar(DType::I32)),
            Expr::Const(value) => self.const_type(what, *value, ty),
            Expr::Param(p) => match self.kernel.params.get(*p) {
                Some(Param::Scalar { dtype, .. }) => Some(ValueType::scalar(*dtype)),
                Some(Param::Buffer { name, .. }) => {
                    bad(self, Rule::Type, format!("{name} is a buffer"))
                }
                None => bad(self, Rule::Access, format!("{p} does not exist")),
            },
            Expr::LoopVar => bad(
                self,
                Rule::Loop,
                "a loop variable is defined by its loop, not by a let".into(),
            ),
            Expr::Load {
                source,
                index,
                mask,
            } => {
                let (dtype, _) = self.memory(what, *source, false)?;
                self.index_operand(what, "index", *index)?;
                self.mask(what, *mask, ty.width)?;
                Some(ValueType::vector(dtype, ty.width))
            }
            Expr::Unary { op, x } => {
                let t = type_of(*x)?;
                let d = t.dtype;
                let ok = match op {
                    UnaryOp::Neg => d.is_numeric(),
                    UnaryOp::Not => d.is_int() || d.is_bool(),
                    _ => d.is_float(),
                };
                if ok {
                    Some(t)
                } else {
                    bad(
                        self,
                        Rule::Type,
                        format!("{} does not apply to {t}", op.name()),
                    )
                }
            }
            Expr::Binary { op, a, b } => {
                let (ta, tb) = (type_of(*a)?, type_of(*b)?);
                if ta != tb {
                    return bad(
                        self,
                        Rule::Type,
                        format!("operands {a}: {ta} and {b}: {tb} differ in type"),
                    );
                }
                if let Err(wants) = binary_dtype_ok(*op, ta.dtype) {
                    return bad(
                        self,
                        Rule::Type,
                        format!("{} needs {wants} operands, got {ta}", op.name()),
                    );
                }
                let dtype = if op.is_comparison() {
                    DType::Bool
                } else {
                    ta.dtype
                };
                Some(ValueType::vector(dtype, ta.width))
            }
            Expr::MulHi { a, b } => {
                let (ta, tb) = (type_of(*a)?, type_of(*b)?);
                if ta != tb || !mulhi_dtype_ok(ta.dtype) {
                    return bad(
                        self,
                        Rule::Type,
                        format!(
                            "mulhi needs two operands of one type, i32, i64, u32 or u64: got {ta} and {tb}"
                        ),
                    );
                }
                Some(ta)
            }
            Expr::Where { cond, a, b } => {
                let (tc, ta, tb) = (type_of(*cond)?, type_of(*a)?, type_of(*b)?);
                if ta != tb || tc != ValueType::vector(DType::Bool, ta.width) {
                    return bad(
                        self,
                        Rule::Type,
                        format!(
                            "condition {tc}, operands {ta} and {tb}: want bool of the operands' width and one operand type"
                        ),
                    );
                }
                Some(ta)
            }
            Expr::Cast { x } => Some(ValueType::vector(ty.dtype, type_of(*x)?.width)),
            Expr::Bitcast { x } => {
                let t = type_of(*x)?;
                if t.dtype.bits() != ty.dtype.bits() || t.dtype.is_bool() || ty.dtype.is_bool() {
                    return bad(
                        self,
                        Rule::Type,
                        format!("cannot reinterpret {} as {}", t.dtype, ty.dtype),
                    );
                }
                Some(ValueType::vector(ty.dtype, t.width))
            }
            Expr::Vector(items) => self.vector_type(what, items),
            Expr::Extract { x, lane } => {
                let t = type_of(*x)?;
                if t.is_scalar() || *lane >= t.width {
                    return bad(self, Rule::Width, format!("no element {lane} in {x}: {t}"));
                }
                Some(ValueType::scalar(t.dtype))
            }
            Expr::ReadAcc(acc) => self.acc_operand(what, *acc),
            Expr::SubgroupReduce { op, x } => {
                let t = type_of(*x)?;
                if !t.dtype.is_numeric() {
                    return bad(
                        self,
                        Rule::Type,
                        format!("subgroup_{} needs numbers, not {t}", op.name()),
                    );
                }
                Some(t)
            }
        }
    }

    /// A constant is a scalar value of its dtype, of the matching kind.
    fn const_type(&mut self, what: &str, value: Scalar, ty: ValueType) -> Option<ValueType> {
        let d = ty.dtype;
        let kind_ok = match value {
            Scalar::Bool(_) => d.is_bool(),
            Scalar::Int(_) => d.is_int(),
            Scalar::Float(_) => d.is_float(),
        };
        let exact = representable(value, d).is_ok_and(|v| v.same(&value));
        if !ty.is_scalar() || !kind_ok || !exact {
            self.fail(
                Rule::Type,
                what,
                format!("{value} is not a scalar constant of {ty}"),
            );
            return None;
        }
        Some(ty)
    }

    fn vector_type(&mut self, what: &str, items: &[ValueId]) -> Option<ValueType> {
        let width = u32::try_from(items.len()).unwrap_or(u32::MAX);
        let first = items
            .first()
            .and_then(|&v| self.kernel.values.get(v))
            .map(|x| x.ty);
        let Some(first) = first.filter(|_| width != 1 && WIDTHS.contains(&width)) else {
            let m = format!("{} elements; a vector has 2, 4 or 8", items.len());
            self.fail(Rule::Width, what, m);
            return None;
        };
        let mixed = items
            .iter()
            .any(|&v| self.kernel.values.get(v).map(|x| x.ty) != Some(first));
        if mixed || !first.is_scalar() {
            let m = format!("elements must be scalars of one type (the first is {first})");
            self.fail(Rule::Type, what, m);
            return None;
        }
        Some(ValueType::vector(first.dtype, width))
    }

    /// The dtype and length of `memory`, checking that it exists and allows the access.
    fn memory(&mut self, what: &str, memory: Memory, write: bool) -> Option<(DType, usize)> {
        match memory {
            Memory::Global(p) => match self.kernel.params.get(p) {
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
                    if !allowed {
                        let verb = if write { "written" } else { "read" };
                        let m = format!(
                            "buffer {name} is declared {}: it cannot be {verb}",
                            access.name()
                        );
                        self.fail(Rule::Access, what, m);
                        return None;
                    }
                    Some((*dtype, *len))
                }
                Some(Param::Scalar { name, .. }) => {
                    self.fail(
                        Rule::Access,
                        what,
                        format!("{name} is a scalar, not a buffer"),
                    );
                    None
                }
                None => {
                    self.fail(Rule::Access, what, format!("{p} does not exist"));
                    None
                }
            },
            Memory::Shared(s) => match self.kernel.shared.get(s) {
                Some(array) => Some((array.dtype, array.len)),
                None => {
                    self.fail(Rule::Access, what, format!("{s} does not exist"));
                    None
                }
            },
        }
    }

    /// A mask is bool, of width 1 (the whole access) or of the access's width.
    fn mask(&mut self, what: &str, mask: Option<ValueId>, width: u32) -> Option<()> {
        let Some(mask) = mask else { return Some(()) };
        let ty = self.kernel.values.get(mask)?.ty;
        if ty.dtype != DType::Bool || (ty.width != 1 && ty.width != width) {
            let m = format!(
                "the mask {mask} is {ty}; it must be bool or a bool vector of width {width}"
            );
            self.fail(Rule::Mask, what, m);
            return None;
        }
        Some(())
    }

    /// Static rules of an unmasked access at a constant index: a multiple of the width,
    /// and inside the memory.
    fn static_access(
        &mut self,
        what: &str,
        memory: Memory,
        index: ValueId,
        width: u32,
        mask: Option<ValueId>,
    ) {
        if !self.all_rules || mask.is_some() {
            return;
        }
        let Some(Scalar::Int(i)) = self.kernel.constant(index) else {
            return;
        };
        let Some((_, len)) = self.memory_len(memory) else {
            return;
        };
        let width = i128::from(width);
        if i.rem_euclid(width) != 0 {
            let m = format!("the constant index {i} is not a multiple of the width {width}");
            self.fail(Rule::Alignment, what, m);
        } else if i < 0 || i + width > len as i128 {
            let m = format!("elements {i}..{} are outside the {len} elements", i + width);
            self.fail(Rule::Bounds, what, m);
        }
    }

    fn memory_len(&self, memory: Memory) -> Option<(DType, usize)> {
        match memory {
            Memory::Global(p) => match self.kernel.params.get(p)? {
                Param::Buffer { dtype, len, .. } => Some((*dtype, *len)),
                Param::Scalar { .. } => None,
            },
            Memory::Shared(s) => self.kernel.shared.get(s).map(|a| (a.dtype, a.len)),
        }
    }

    /// `for var in start..end step step`: bounds of one index type, the variable of that
    /// type defined by the loop, a positive step. Returns the body's frame.
    pub(super) fn loop_header(&mut self, l: &'k Loop, block: Node) -> Frame<'k> {
        let what = format!("for {}", l.var);
        let start = self.index_operand(&what, "start", l.start);
        let end = self.index_operand(&what, "end", l.end);
        if let (Some(s), Some(e)) = (start, end)
            && s != e
        {
            self.fail(Rule::Loop, &what, format!("start is {s} but end is {e}"));
        }
        if l.step == 0 {
            self.fail(Rule::Loop, &what, "the step must be positive");
        }
        match self.kernel.values.get(l.var) {
            Some(var) if !matches!(var.expr, Expr::LoopVar) => {
                self.fail(
                    Rule::Loop,
                    &what,
                    format!("{} is not a loop variable", l.var),
                );
            }
            Some(var) if start.is_some_and(|s| s != var.ty) => {
                let m = format!(
                    "the variable is {} but the bounds are {}",
                    var.ty,
                    start.map(|s| s.to_string()).unwrap_or_default()
                );
                self.fail(Rule::Loop, &what, m);
            }
            _ => {}
        }
        let body = self.flow.block();
        let var = self.flow.value(l.var);
        for bound in [l.start, l.end] {
            let node = self.flow.value(bound);
            self.flow.edge(node, body);
            self.flow.edge(node, var);
        }
        self.flow.edge(block, body);
        let mut values = Vec::new();
        if self.define(l.var) {
            values.push(l.var);
        }
        Frame {
            stmts: &l.body,
            next: 0,
            values,
            accs: Vec::new(),
            block: body,
            else_body: None,
        }
    }

    /// `if cond`: a scalar bool. Returns the then-block's frame, which hands over to the else.
    pub(super) fn if_header(
        &mut self,
        cond: ValueId,
        then_body: &'k [Stmt],
        else_body: &'k [Stmt],
        block: Node,
    ) -> Frame<'k> {
        let what = format!("if {cond}");
        if let Some(ty) = self.operand(&what, cond)
            && ty != ValueType::scalar(DType::Bool)
        {
            self.fail(
                Rule::Type,
                &what,
                format!("the condition {cond} is {ty}, not bool"),
            );
        }
        let c = self.flow.value(cond);
        let (then_block, else_block) = (self.flow.block(), self.flow.block());
        for b in [then_block, else_block] {
            self.flow.edge(c, b);
            self.flow.edge(block, b);
        }
        let else_body = (!else_body.is_empty()).then_some((else_body, else_block));
        Frame {
            stmts: then_body,
            next: 0,
            values: Vec::new(),
            accs: Vec::new(),
            block: then_block,
            else_body,
        }
    }

    pub(super) fn store(&mut self, s: &Store) {
        let name = self
            .kernel
            .memory(s.target)
            .map_or("?", |(n, _)| n)
            .to_string();
        let what = format!("store {name}[{}]", s.index);
        let memory = self.memory(&what, s.target, true);
        let index = self.index_operand(&what, "index", s.index);
        let value = self.operand(&what, s.value);
        let mask_in_scope = s.mask.is_none_or(|m| self.operand(&what, m).is_some());
        let (Some((dtype, _)), Some(_), Some(ty), true) = (memory, index, value, mask_in_scope)
        else {
            return;
        };
        if ty.dtype != dtype {
            self.fail(
                Rule::Type,
                &what,
                format!("the value {} is {ty}; {name} holds {dtype}", s.value),
            );
            return;
        }
        if self.mask(&what, s.mask, ty.width).is_some() {
            self.static_access(&what, s.target, s.index, ty.width, s.mask);
        }
    }

    /// The accumulator's type, if it is declared and in scope.
    fn acc_operand(&mut self, what: &str, acc: AccId) -> Option<ValueType> {
        let Some(&ty) = self.kernel.accs.get(acc) else {
            self.fail(Rule::Accumulator, what, format!("{acc} does not exist"));
            return None;
        };
        if !self.acc_visible[acc] {
            let why = if self.acc_declared[acc] {
                "its block has ended"
            } else {
                "it is not declared before this point"
            };
            self.fail(
                Rule::Accumulator,
                what,
                format!("{acc} is used where it is not declared: {why}"),
            );
            return None;
        }
        Some(ty)
    }

    /// Declares `acc`; returns whether it is now in scope (for the frame to record).
    pub(super) fn init_acc(&mut self, acc: AccId, init: ValueId, block: Node) -> bool {
        let what = format!("{acc} = init {init}");
        let Some(&ty) = self.kernel.accs.get(acc) else {
            self.fail(Rule::Accumulator, &what, format!("{acc} does not exist"));
            return false;
        };
        if self.acc_declared[acc] {
            self.fail(Rule::Accumulator, &what, format!("{acc} is declared twice"));
            return false;
        }
        if let Some(init_ty) = self.operand(&what, init)
            && init_ty != ty
        {
            self.fail(
                Rule::Accumulator,
                &what,
                format!("{init} is {init_ty}; {acc} is {ty}"),
            );
        }
        if !WIDTHS.contains(&ty.width) {
            self.fail(
                Rule::Width,
                &what,
                format!("width {} is not one of 1, 2, 4, 8", ty.width),
            );
        }
        self.acc_flow(acc, init, block);
        self.acc_declared[acc] = true;
        self.acc_visible[acc] = true;
        true
    }

    pub(super) fn update_acc(
        &mut self,
        acc: AccId,
        update: AccUpdate,
        value: ValueId,
        block: Node,
    ) {
        let what = format!("update {acc}");
        let ty = self.acc_operand(&what, acc);
        let value_ty = self.operand(&what, value);
        self.acc_flow(acc, value, block);
        let (Some(ty), Some(value_ty)) = (ty, value_ty) else {
            return;
        };
        if value_ty != ty {
            self.fail(
                Rule::Accumulator,
                &what,
                format!("{value} is {value_ty}; {acc} is {ty}"),
            );
        }
        if let AccUpdate::Combine(op) = update
            && !ty.dtype.is_numeric()
        {
            self.fail(
                Rule::Accumulator,
                &what,
                format!("{} needs numbers, not {ty}", op.name()),
            );
        }
    }

    /// An accumulator varies if a value stored into it does, or if it is updated in a
    /// block that only some lanes run.
    fn acc_flow(&mut self, acc: AccId, value: ValueId, block: Node) {
        let (v, a) = (self.flow.value(value), self.flow.acc(acc));
        self.flow.edge(v, a);
        self.flow.edge(block, a);
    }

    pub(super) fn matrix_tile(&mut self, t: &MatrixTile) {
        self.uses_subgroups = true;
        let what = "matrix_tile";
        let a = self.tile(what, "A", &t.a);
        let b = self.tile(what, "B", &t.b);
        let d = self.tile(what, "D", &t.d);
        if let (Some(a), Some(b)) = (a, b)
            && (!matches!(a, DType::F16 | DType::BF16) || b != a)
        {
            let m = format!("A and B must both be f16 or both bf16, not {a} and {b}");
            self.fail(Rule::MatrixTile, what, m);
        }
        if let Some(d) = d.filter(|&d| d != DType::F32) {
            self.fail(Rule::MatrixTile, what, format!("D must be f32, not {d}"));
        }
        if self.kernel.subgroup_size != 32 {
            let m = format!(
                "needs subgroups of 32 lanes, not {}",
                self.kernel.subgroup_size
            );
            self.fail(Rule::Subgroup, what, m);
        }
    }

    /// One tile operand: a shared array, an index offset, a stride of at least 16 that keeps
    /// rows 16-byte aligned; with a constant offset (all rules), aligned rows inside the array.
    fn tile(&mut self, what: &str, role: &str, tile: &TileRef) -> Option<DType> {
        let Some(array) = self.kernel.shared.get(tile.array) else {
            self.fail(
                Rule::Access,
                what,
                format!("{role}: {} does not exist", tile.array),
            );
            return None;
        };
        let (dtype, len) = (array.dtype, array.len);
        self.index_operand(what, &format!("{role} offset"), tile.offset)?;
        let align = tile_alignment(dtype);
        if tile.stride < TILE || !tile.stride.is_multiple_of(align) {
            let m = format!(
                "{role}: the stride {} must be at least 16 and a multiple of {align}",
                tile.stride
            );
            self.fail(Rule::MatrixTile, what, m);
            return Some(dtype);
        }
        let Some(Scalar::Int(offset)) =
            self.kernel.constant(tile.offset).filter(|_| self.all_rules)
        else {
            return Some(dtype);
        };
        let last = offset + i128::from(TILE - 1) * i128::from(tile.stride) + i128::from(TILE);
        if offset.rem_euclid(i128::from(align)) != 0 {
            let m =
                format!("{role}: the offset {offset} is not a multiple of {align} (16-byte rows)");
            self.fail(Rule::Alignment, what, m);
        } else if offset < 0 || last > len as i128 {
            let m = format!("{role}: elements {offset}..{last} are outside the {len} elements");
            self.fail(Rule::Bounds, what, m);
        }
        Some(dtype)
    }
}
