//! The checks of each value's definition: operands in scope, the type its expression
//! gives, and the static rules of loads.

use super::{Rule, Site, Verifier};
use crate::kernel::builder::{binary_dtype_ok, mulhi_dtype_ok};
use crate::kernel::types::{Expr, Param, ValueId, ValueType, WIDTHS};
use crate::{DType, Scalar, UnaryOp, representable};

impl Verifier<'_> {
    /// The type of operand `v` of `what` if it is defined and in scope; else records why not.
    pub(super) fn operand(&mut self, what: Site, v: ValueId) -> Option<ValueType> {
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
    pub(super) fn index_operand(
        &mut self,
        what: Site,
        role: &str,
        v: ValueId,
    ) -> Option<ValueType> {
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
            self.fail(Rule::Scope, Site::Value(v), format!("{v} does not exist"));
            return;
        };
        let what = Site::Value(v);
        if !WIDTHS.contains(&value.ty.width) {
            let m = format!("width {} is not one of 1, 2, 4, 8", value.ty.width);
            self.fail(Rule::Width, what, m);
            return;
        }
        let mut in_scope = true;
        for x in value.expr.each_operand() {
            in_scope &= self.operand(what, x).is_some();
            self.flow_edge_value(x, v);
        }
        if !in_scope {
            return;
        }
        // Lane ids vary along an axis of more than one lane; subgroup results vary between
        // the subgroups of a workgroup of more than one.
        let launch = self.kernel.launch;
        match &value.expr {
            Expr::LocalId(axis) if launch.workgroup[axis.index()] > 1 => {
                let node = self.flow.value(v);
                self.flow.source(node);
            }
            Expr::SubgroupReduce { .. } => {
                self.uses_subgroups = true;
                if launch.workgroup_size() > u64::from(self.kernel.subgroup_size) {
                    let node = self.flow.value(v);
                    self.flow.source(node);
                }
            }
            Expr::ReadAcc(acc) => {
                let (from, to) = (self.flow.acc(*acc), self.flow.value(v));
                self.flow.edge(from, to);
            }
            _ => {}
        }
        if let Some(want) = self.expr_type(what, &value.expr, value.ty)
            && want != value.ty
        {
            let m = format!("its type is {} but the expression gives {want}", value.ty);
            self.fail(Rule::Type, what, m);
        }
        if let Expr::Load {
            source,
            index,
            mask,
        } = &value.expr
        {
            self.static_access(what, *source, *index, value.ty.width, *mask);
        }
    }

    fn flow_edge_value(&mut self, from: ValueId, to: ValueId) {
        let (from, to) = (self.flow.value(from), self.flow.value(to));
        self.flow.edge(from, to);
    }

    /// The type `expr` gives (operands are in scope), or `None` after recording the error.
    /// `ty` is the value's own type, which supplies the target dtype of casts and the width
    /// of loads.
    fn expr_type(&mut self, what: Site, expr: &Expr, ty: ValueType) -> Option<ValueType> {
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
                    let m = format!(
                        "mulhi needs two operands of one type, i32, i64, u32 or u64: got {ta} and {tb}"
                    );
                    return bad(self, Rule::Type, m);
                }
                Some(ta)
            }
            Expr::Fma { a, b, c } => {
                let (ta, tb, tc) = (type_of(*a)?, type_of(*b)?, type_of(*c)?);
                if ta != tb || ta != tc || !ta.dtype.is_float() {
                    let m = format!(
                        "fma needs three float operands of one type: got {ta}, {tb} and {tc}"
                    );
                    return bad(self, Rule::Type, m);
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
    fn const_type(&mut self, what: Site, value: Scalar, ty: ValueType) -> Option<ValueType> {
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

    fn vector_type(&mut self, what: Site, items: &[ValueId]) -> Option<ValueType> {
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
}
