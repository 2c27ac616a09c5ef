//! The kernel verifier: checks a finished [`Kernel`] against the rules of `docs/kir.md`,
//! independently of the builder that made it, and reports every broken rule.
//!
//! Two sets of rules:
//! - **structure** — what [`super::KernelBuilder`] guarantees: declarations, launch shape,
//!   the type of every value and statement, SSA scopes (a value is used only after its
//!   definition, in the block that defines it or one nested there; each value is defined
//!   exactly once), loop variables, widths, masks, buffer access, accumulators, subgroup
//!   and matrix-tile requirements. `KernelBuilder::finish` checks these in debug builds.
//! - **static semantics** — rules that the builder leaves to run time but that can be
//!   decided from the text: a barrier under lane-varying control, a constant index that is
//!   misaligned or out of bounds, a matrix tile whose constant offset breaks 16-byte rows
//!   or leaves its array (both only where the access surely runs: not under an `if`, not
//!   in a loop that may run zero times), and, given a [`Target`], the target's launch limits. [`verify`]
//!   checks both sets; the `.kir` parser and the pass pipeline call it.
//!
//! The walk is iterative (an explicit stack of open blocks) and linear in the kernel's
//! size; the barrier rule adds one linear graph search (see `uniform`).

mod decls;
mod exprs;
mod memory;
mod stmts;
mod uniform;

#[cfg(test)]
mod tests;

use super::printer::expr_text;
use super::types::{AccId, Kernel, Memory, Stmt, ValueId};
use crate::Target;
use cranelift_entity::SecondaryMap;
use std::fmt;
use uniform::{Flow, Node};

/// The rule a [`VerifyError`] is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Rule {
    /// Names of the kernel, parameters and shared arrays; scalar parameter dtypes.
    Declaration,
    /// Grid and workgroup shape, subgroup size, and a target's limits.
    Launch,
    /// An operand's or a value's type.
    Type,
    /// A value or accumulator used where it is not defined, or defined twice.
    Scope,
    /// A loop's variable, bounds or step.
    Loop,
    /// A vector width other than 1, 2, 4, 8, or an element number past a vector's end.
    Width,
    /// A mask that is not bool of the access's width.
    Mask,
    /// A load from a write-only buffer, a store to a read-only one, or memory that is
    /// not there.
    Access,
    /// A constant index not a multiple of the access width, or a tile offset that breaks
    /// 16-byte rows, in code that surely runs.
    Alignment,
    /// A constant index outside its buffer or array, in code that surely runs.
    Bounds,
    /// An accumulator's declaration, type or update.
    Accumulator,
    /// A barrier where lanes of a workgroup may not all arrive.
    Barrier,
    /// A subgroup operation or matrix tile without whole subgroups of the right size.
    Subgroup,
    /// Matrix tile operand dtypes or strides.
    MatrixTile,
}

/// One broken rule: the kernel, where (the statement, counted from 0 in program order, a
/// loop or if before its body; `None` for the kernel's declarations), which rule, and what
/// is wrong.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("kernel {kernel}: {what}: {message}")]
pub struct VerifyError {
    pub kernel: String,
    pub stmt: Option<usize>,
    pub rule: Rule,
    /// The statement or declaration, as printed (`v7 = load a[v3]`, `launch`).
    pub what: String,
    pub message: String,
}

/// Checks every rule; `target`, when given, adds its launch limits.
pub fn verify(kernel: &Kernel, target: Option<&Target>) -> Result<(), Vec<VerifyError>> {
    Verifier::new(kernel, true, target).run()
}

/// Checks the structure rules only: what the builder guarantees.
#[cfg_attr(not(debug_assertions), allow(dead_code))]
pub(crate) fn verify_structure(kernel: &Kernel) -> Result<(), Vec<VerifyError>> {
    Verifier::new(kernel, false, None).run()
}

/// The statement an error is about, described only when there is an error (describing
/// every statement would cost more than checking it).
#[derive(Clone, Copy, Debug)]
pub(super) enum Site {
    Value(ValueId),
    Loop(ValueId),
    If(ValueId),
    Store(Memory, ValueId),
    Atomic(Memory, ValueId),
    Init(AccId, ValueId),
    Update(AccId),
    Barrier,
    MatrixTile,
}

impl Site {
    /// `v7 = load a[v3]`, `for v5`, `store a[v3]`, `acc0 = init v2`, …
    fn describe(self, kernel: &Kernel) -> String {
        match self {
            Site::Value(v) => match kernel.values.get(v) {
                Some(value) => format!("{v} = {}", expr_text(kernel, &value.expr)),
                None => v.to_string(),
            },
            Site::Loop(var) => format!("for {var}"),
            Site::If(cond) => format!("if {cond}"),
            Site::Store(memory, index) => {
                let name = kernel.memory(memory).map_or("?", |(n, _)| n);
                format!("store {name}[{index}]")
            }
            Site::Atomic(memory, index) => {
                let name = kernel.memory(memory).map_or("?", |(n, _)| n);
                format!("atomic {name}[{index}]")
            }
            Site::Init(acc, init) => format!("{acc} = init {init}"),
            Site::Update(acc) => format!("update {acc}"),
            Site::Barrier => "barrier".to_string(),
            Site::MatrixTile => "matrix_tile".to_string(),
        }
    }
}

/// An open block of the walk.
struct Frame<'k> {
    stmts: &'k [Stmt],
    next: usize,
    /// What this block defined, which goes out of scope when it ends.
    values: Vec<ValueId>,
    accs: Vec<AccId>,
    block: Node,
    /// For a then-block: the else-block to walk after it, and its node.
    else_body: Option<(&'k [Stmt], Node)>,
    /// Whether the block surely runs whenever the kernel does (see [`Verifier::sure`]).
    sure: bool,
}

pub(super) struct Verifier<'k> {
    kernel: &'k Kernel,
    /// Whether the static-semantics rules apply (see the module documentation).
    all_rules: bool,
    target: Option<&'k Target>,
    errors: Vec<VerifyError>,
    defined: SecondaryMap<ValueId, bool>,
    visible: SecondaryMap<ValueId, bool>,
    acc_declared: SecondaryMap<AccId, bool>,
    acc_visible: SecondaryMap<AccId, bool>,
    /// The statement being checked, counted in program order.
    stmt: usize,
    /// Whether the statement being checked surely runs on every lane: it is not under an
    /// `if` nor in a loop that may run zero times. The static rules of constant indices
    /// (Alignment, Bounds) apply only there: an access in code that may not run (a pad's
    /// validity check, a branch folded to a constant index) is left to the interpreter,
    /// which reports the accesses that do run.
    sure: bool,
    uses_subgroups: bool,
    flow: Flow,
    barriers: Vec<(Node, usize)>,
}

impl<'k> Verifier<'k> {
    fn new(kernel: &'k Kernel, all_rules: bool, target: Option<&'k Target>) -> Verifier<'k> {
        // Sized for every value up front, so that marking one never grows a table.
        let sized = || {
            let mut map = SecondaryMap::new();
            map.resize(kernel.values.len());
            map
        };
        Verifier {
            kernel,
            all_rules,
            target,
            errors: Vec::new(),
            defined: sized(),
            visible: sized(),
            acc_declared: SecondaryMap::new(),
            acc_visible: SecondaryMap::new(),
            stmt: 0,
            sure: true,
            uses_subgroups: false,
            flow: Flow::new(kernel.values.len(), kernel.accs.len()),
            barriers: Vec::new(),
        }
    }

    fn run(mut self) -> Result<(), Vec<VerifyError>> {
        self.declarations();
        self.walk();
        self.launch();
        if self.all_rules {
            self.barrier_placement();
        }
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(self.errors)
        }
    }

    /// Records a broken rule at the current statement.
    fn fail(&mut self, rule: Rule, site: Site, message: impl Into<String>) {
        self.errors.push(VerifyError {
            kernel: self.kernel.name.clone(),
            stmt: Some(self.stmt),
            rule,
            what: site.describe(self.kernel),
            message: message.into(),
        });
    }

    /// Records a broken rule of the declarations (no statement).
    fn fail_decl(&mut self, rule: Rule, what: impl Into<String>, message: impl Into<String>) {
        self.errors.push(VerifyError {
            kernel: self.kernel.name.clone(),
            stmt: None,
            rule,
            what: what.into(),
            message: message.into(),
        });
    }

    /// Every statement in program order, blocks on an explicit stack.
    fn walk(&mut self) {
        let root = self.flow.block();
        let mut stack = vec![Frame {
            stmts: &self.kernel.body,
            next: 0,
            values: Vec::with_capacity(self.kernel.body.len()),
            accs: Vec::new(),
            block: root,
            else_body: None,
            sure: true,
        }];
        while let Some(frame) = stack.last_mut() {
            let Some(stmt) = frame.stmts.get(frame.next) else {
                if let Some(done) = stack.pop() {
                    self.close(done, &mut stack);
                }
                continue;
            };
            frame.next += 1;
            self.sure = frame.sure;
            if let Some(inner) = self.statement(stmt, frame) {
                stack.push(inner);
            }
            self.stmt += 1;
        }
    }

    /// Ends a block: what it defined goes out of scope; a then-block hands over to its else.
    fn close(&mut self, done: Frame<'k>, stack: &mut Vec<Frame<'k>>) {
        for v in done.values {
            self.visible[v] = false;
        }
        for a in done.accs {
            self.acc_visible[a] = false;
        }
        if let Some((stmts, block)) = done.else_body {
            stack.push(Frame {
                stmts,
                next: 0,
                values: Vec::with_capacity(stmts.len()),
                accs: Vec::new(),
                block,
                else_body: None,
                sure: false,
            });
        }
    }

    /// Checks one statement; a loop or if returns the frame of the block it opens.
    fn statement(&mut self, stmt: &'k Stmt, frame: &mut Frame<'k>) -> Option<Frame<'k>> {
        let block = frame.block;
        match stmt {
            Stmt::Let(v) => {
                self.let_value(*v);
                if self.define(*v) {
                    frame.values.push(*v);
                }
                None
            }
            Stmt::Loop(l) => Some(self.loop_header(l, block)),
            Stmt::If {
                cond,
                then_body,
                else_body,
            } => Some(self.if_header(*cond, then_body, else_body, block)),
            Stmt::Store(s) => {
                self.store(s);
                None
            }
            Stmt::InitAcc { acc, init } => {
                if self.init_acc(*acc, *init, block) {
                    frame.accs.push(*acc);
                }
                None
            }
            Stmt::UpdateAcc { acc, update, value } => {
                self.update_acc(*acc, *update, *value, block);
                None
            }
            Stmt::Atomic(a) => {
                self.atomic(a);
                None
            }
            Stmt::FragmentZero(_) | Stmt::FragmentMma { .. } | Stmt::FragmentStore { .. } => {
                self.fragment_stmt(stmt);
                None
            }
            Stmt::Barrier => {
                self.barriers.push((block, self.stmt));
                None
            }
            Stmt::MatrixTile(t) => {
                self.matrix_tile(t);
                None
            }
        }
    }

    /// Marks `v` defined and in scope (the caller's frame records it for the scope's end).
    fn define(&mut self, v: ValueId) -> bool {
        if self.kernel.values.get(v).is_none() {
            return false;
        }
        if self.defined[v] {
            self.fail(Rule::Scope, Site::Value(v), "is defined twice");
            return false;
        }
        self.defined[v] = true;
        self.visible[v] = true;
        true
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self:?}")
    }
}
