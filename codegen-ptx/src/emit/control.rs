//! Statements: the walk over a kernel body, loops, ifs, accumulators and barriers.
//! Recursion follows block nesting only, which the kernel IR caps at 256.

use super::PtxError;
use super::emitter::Emitter;
use super::sink::{PtxSink, RegClass, reg_class};
use super::value::reduce_binary;
use egpu_ir::kernel::{AccId, AccUpdate, Loop, Stmt, ValueId, statement_text};
use egpu_ir::{DType, Scalar};

impl Emitter<'_> {
    pub(crate) fn block(&mut self, stmts: &[Stmt], comments: bool) -> Result<(), PtxError> {
        for s in stmts {
            if comments {
                let text = statement_text(self.kernel, s);
                self.comment(&text);
            }
            self.stmt(s, comments)?;
        }
        Ok(())
    }

    fn stmt(&mut self, s: &Stmt, comments: bool) -> Result<(), PtxError> {
        match s {
            Stmt::Let(v) => self.let_value(*v)?,
            Stmt::Loop(l) => self.for_loop(l, comments)?,
            Stmt::If {
                cond,
                then_body,
                else_body,
            } => self.if_else(*cond, then_body, else_body, comments)?,
            Stmt::Store(st) => self.store(st.target, st.index, st.value, st.mask)?,
            Stmt::InitAcc { acc, init } => self.acc_update(*acc, AccUpdate::Assign, *init)?,
            Stmt::UpdateAcc { acc, update, value } => self.acc_update(*acc, *update, *value)?,
            Stmt::Barrier => self.ins("bar.sync 0"),
            Stmt::Atomic(a) => self.atomic(a)?,
            Stmt::MatrixTile(t) => self.matrix_tile_stmt(t)?,
            Stmt::FragmentZero(f) => self.fragment_zero_stmt(*f)?,
            Stmt::FragmentMma { frag, a, b } => self.fragment_mma_stmt(*frag, a, b)?,
            Stmt::FragmentStore { frag, d } => self.fragment_store_stmt(*frag, d)?,
        }
        Ok(())
    }

    /// One register set per accumulator: `init` and assignment move into it, a combine
    /// applies the binary op in place (all versions share the registers).
    fn acc_update(
        &mut self,
        acc: AccId,
        update: AccUpdate,
        value: ValueId,
    ) -> Result<(), PtxError> {
        let (dtype, regs) = self.acc_regs(acc)?;
        for (e, r) in (0u32..).zip(&regs) {
            let x = self.reg(value, e)?;
            match update {
                AccUpdate::Assign => self.mov(reg_class(dtype), r, &x),
                AccUpdate::Combine(op) => {
                    self.binary_scalar(reduce_binary(op), dtype, r, r, &x)?;
                }
            }
        }
        Ok(())
    }

    /// `for v in s..e step n`, rotated: one test before the loop, one at its bottom. `e`
    /// is a register set before the loop, so it is read once. When `v + n` could pass the
    /// index type's maximum (an end that is not a small enough constant), the bottom test
    /// also requires that the sum did not wrap.
    fn for_loop(&mut self, l: &Loop, comments: bool) -> Result<(), PtxError> {
        let (ty, _) = self.ty(l.var)?;
        let t = if ty == DType::I64 { "s64" } else { "s32" };
        let (var, start, end) = (
            self.reg(l.var, 0)?,
            self.reg(l.start, 0)?,
            self.reg(l.end, 0)?,
        );
        let (head, exit) = (self.fresh_label(), self.fresh_label());
        let p = self.new_temp(RegClass::Pred);
        self.ins(format!("mov.{t} {var}, {start}"));
        self.ins(format!("setp.ge.{t} {p}, {var}, {end}"));
        self.ins(format!("@{p} bra {exit}"));
        self.place_label(&head);
        self.block(&l.body, comments)?;
        let max = if ty == DType::I64 {
            i128::from(i64::MAX)
        } else {
            i128::from(i32::MAX)
        };
        let safe = match self.kernel.constant(l.end) {
            Some(Scalar::Int(e)) => e - 1 + i128::from(l.step) <= max,
            _ => false,
        };
        if safe {
            self.ins(format!("add.{t} {var}, {var}, {}", l.step));
            self.ins(format!("setp.lt.{t} {p}, {var}, {end}"));
        } else {
            let prev = self.new_temp(reg_class(ty));
            let grew = self.new_temp(RegClass::Pred);
            self.ins(format!("mov.{t} {prev}, {var}"));
            self.ins(format!("add.{t} {var}, {var}, {}", l.step));
            self.ins(format!("setp.gt.{t} {grew}, {var}, {prev}"));
            self.ins(format!("setp.lt.and.{t} {p}, {var}, {end}, {grew}"));
        }
        self.ins(format!("@{p} bra {head}"));
        self.place_label(&exit);
        Ok(())
    }

    fn if_else(
        &mut self,
        cond: ValueId,
        then_body: &[Stmt],
        else_body: &[Stmt],
        comments: bool,
    ) -> Result<(), PtxError> {
        let c = self.reg(cond, 0)?;
        let otherwise = self.fresh_label();
        self.ins(format!("@!{c} bra {otherwise}"));
        self.block(then_body, comments)?;
        if !else_body.is_empty() {
            let end = self.fresh_label();
            self.ins(format!("bra {end}"));
            self.place_label(&otherwise);
            if comments {
                self.comment("else");
            }
            self.block(else_body, comments)?;
            self.place_label(&end);
        } else {
            self.place_label(&otherwise);
        }
        Ok(())
    }
}
