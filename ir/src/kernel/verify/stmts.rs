//! Loops, ifs, accumulators and matrix tiles.

use super::uniform::Node;
use super::{Frame, Rule, Site, Verifier};
use crate::kernel::builder::tile_alignment;
use crate::kernel::types::{
    AccId, AccUpdate, Expr, Loop, MatrixTile, Stmt, TILE, TileRef, ValueId, ValueType, WIDTHS,
};
use crate::{DType, Scalar};

impl<'k> Verifier<'k> {
    /// `for var in start..end step step`: bounds of one index type, the variable of that
    /// type defined by the loop, a positive step. Returns the body's frame.
    pub(super) fn loop_header(&mut self, l: &'k Loop, block: Node) -> Frame<'k> {
        let what = Site::Loop(l.var);
        let start = self.index_operand(what, "start", l.start);
        let end = self.index_operand(what, "end", l.end);
        if let (Some(s), Some(e)) = (start, end)
            && s != e
        {
            self.fail(Rule::Loop, what, format!("start is {s} but end is {e}"));
        }
        if l.step == 0 {
            self.fail(Rule::Loop, what, "the step must be positive");
        }
        match self.kernel.values.get(l.var) {
            Some(var) if !matches!(var.expr, Expr::LoopVar) => {
                self.fail(
                    Rule::Loop,
                    what,
                    format!("{} is not a loop variable", l.var),
                );
            }
            Some(var) if start.is_some_and(|s| s != var.ty) => {
                let m = format!(
                    "the variable is {} but the bounds are {}",
                    var.ty,
                    start.map(|s| s.to_string()).unwrap_or_default()
                );
                self.fail(Rule::Loop, what, m);
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
        // A block defines at most one value per statement (and the loop its variable).
        let mut values = Vec::with_capacity(l.body.len() + 1);
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
            sure: self.sure && self.runs_at_least_once(l),
        }
    }

    /// Whether a loop surely runs its body: constant bounds with `start < end`.
    fn runs_at_least_once(&self, l: &Loop) -> bool {
        match (self.kernel.constant(l.start), self.kernel.constant(l.end)) {
            (Some(Scalar::Int(start)), Some(Scalar::Int(end))) => start < end,
            _ => false,
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
        let what = Site::If(cond);
        if let Some(ty) = self.operand(what, cond)
            && ty != ValueType::scalar(DType::Bool)
        {
            self.fail(
                Rule::Type,
                what,
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
            values: Vec::with_capacity(then_body.len()),
            accs: Vec::new(),
            block: then_block,
            else_body,
            sure: false,
        }
    }

    /// The accumulator's type, if it is declared and in scope.
    pub(super) fn acc_operand(&mut self, what: Site, acc: AccId) -> Option<ValueType> {
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
        let what = Site::Init(acc, init);
        let Some(&ty) = self.kernel.accs.get(acc) else {
            self.fail(Rule::Accumulator, what, format!("{acc} does not exist"));
            return false;
        };
        if self.acc_declared[acc] {
            self.fail(Rule::Accumulator, what, format!("{acc} is declared twice"));
            return false;
        }
        if let Some(init_ty) = self.operand(what, init)
            && init_ty != ty
        {
            self.fail(
                Rule::Accumulator,
                what,
                format!("{init} is {init_ty}; {acc} is {ty}"),
            );
        }
        if !WIDTHS.contains(&ty.width) {
            self.fail(
                Rule::Width,
                what,
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
        let what = Site::Update(acc);
        let ty = self.acc_operand(what, acc);
        let value_ty = self.operand(what, value);
        self.acc_flow(acc, value, block);
        let (Some(ty), Some(value_ty)) = (ty, value_ty) else {
            return;
        };
        if value_ty != ty {
            self.fail(
                Rule::Accumulator,
                what,
                format!("{value} is {value_ty}; {acc} is {ty}"),
            );
        }
        if let AccUpdate::Combine(op) = update
            && !ty.dtype.is_numeric()
        {
            self.fail(
                Rule::Accumulator,
                what,
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
        let what = Site::MatrixTile;
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

    /// A fragment statement: the fragment exists, subgroups have 32 lanes, A and B are
    /// f16 or bf16 tiles of one dtype, a stored-to D is an f32 tile.
    pub(super) fn fragment_stmt(&mut self, stmt: &Stmt) {
        self.uses_subgroups = true;
        let what = Site::MatrixTile;
        let frag = match stmt {
            Stmt::FragmentZero(f) => *f,
            Stmt::FragmentMma { frag, a, b } => {
                let (a, b) = (self.tile(what, "A", a), self.tile(what, "B", b));
                if let (Some(a), Some(b)) = (a, b)
                    && (!matches!(a, DType::F16 | DType::BF16) || b != a)
                {
                    let m = format!("A and B must both be f16 or both bf16, not {a} and {b}");
                    self.fail(Rule::MatrixTile, what, m);
                }
                *frag
            }
            Stmt::FragmentStore { frag, d } => {
                if let Some(d) = self.tile(what, "D", d).filter(|&d| d != DType::F32) {
                    self.fail(Rule::MatrixTile, what, format!("D must be f32, not {d}"));
                }
                *frag
            }
            _ => return,
        };
        if self.kernel.fragments.get(frag).is_none() {
            self.fail(Rule::Access, what, format!("{frag} does not exist"));
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
    /// rows 16-byte aligned; with a constant offset (all rules, where the tile surely runs),
    /// aligned rows inside the array.
    fn tile(&mut self, what: Site, role: &str, tile: &TileRef) -> Option<DType> {
        let Some(array) = self.kernel.shared.get(tile.array) else {
            self.fail(
                Rule::Access,
                what,
                format!("{role}: {} does not exist", tile.array),
            );
            return None;
        };
        let (dtype, len) = (array.dtype, array.len);
        let offset_role = match role {
            "A" => "A offset",
            "B" => "B offset",
            _ => "D offset",
        };
        self.index_operand(what, offset_role, tile.offset)?;
        let align = tile_alignment(dtype);
        if tile.stride < TILE || !tile.stride.is_multiple_of(align) {
            let m = format!(
                "{role}: the stride {} must be at least 16 and a multiple of {align}",
                tile.stride
            );
            self.fail(Rule::MatrixTile, what, m);
            return Some(dtype);
        }
        let Some(Scalar::Int(offset)) = self
            .kernel
            .constant(tile.offset)
            .filter(|_| self.all_rules && self.sure)
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
