//! [`KernelIndex`]: positional ids for the statements, loops and blocks of a kernel, and use
//! lists, computed in one linear, iterative walk, so that a backend can key side tables
//! (uniformity, liveness, register classes) by id instead of by address.
//!
//! The ids are positions, not stored in the kernel: they are what the same walk over the
//! same kernel gives, so equal kernels (equal text) have equal ids, and a reader of the
//! `.kir` text finds them by counting:
//! - [`StmtId`] `n` is the n-th statement in program order, a `for` or `if` before its
//!   body, a then-body before its else-body (the verifier's statement numbers);
//! - [`LoopId`] `n` is the n-th `for` in program order;
//! - [`BlockId`] 0 is the kernel body; every `for` opens one block (its body) and every `if`
//!   two (then, and else — also when the text has no `else`), numbered when their statement
//!   is reached, the then-block before the else-block.
//!
//! A rewrite that adds or removes statements renumbers the ids after it: side tables are
//! for one kernel, built after the last rewrite.

use super::types::{Kernel, Stmt, ValueId};
use cranelift_entity::{EntityRef, PrimaryMap, SecondaryMap, entity_impl};

/// A statement, by position in program order (printed by the verifier as `statement n`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StmtId(u32);
entity_impl!(StmtId, "stmt");

/// A `for` statement, by position among the kernel's loops.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LoopId(u32);
entity_impl!(LoopId, "loop");

/// A block (the kernel body, a loop body, a then- or else-body), by position.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BlockId(u32);
entity_impl!(BlockId, "block");

/// What a block is the body of.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BlockKind {
    Kernel,
    Loop(LoopId),
    Then,
    Else,
}

/// A block: what opens it (`None` for the kernel body), the block that statement lies in,
/// and its statements.
#[derive(Clone, Copy, Debug)]
pub struct BlockInfo<'k> {
    pub kind: BlockKind,
    pub opened_by: Option<StmtId>,
    pub parent: Option<BlockId>,
    pub stmts: &'k [Stmt],
}

/// A statement and the block it lies in.
#[derive(Clone, Copy, Debug)]
pub struct StmtInfo<'k> {
    pub stmt: &'k Stmt,
    pub block: BlockId,
}

/// Something that reads a value: the expression of another value, or a statement (a
/// `for`'s bounds, an `if`'s condition, a store, an atomic, an accumulator `init` or
/// update, a matrix tile's offsets).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum User {
    Value(ValueId),
    Stmt(StmtId),
}

/// Ids and use lists of one kernel; see the module documentation.
#[derive(Clone, Debug)]
pub struct KernelIndex<'k> {
    stmts: PrimaryMap<StmtId, StmtInfo<'k>>,
    blocks: PrimaryMap<BlockId, BlockInfo<'k>>,
    loops: PrimaryMap<LoopId, StmtId>,
    /// The statement defining each value: its `let`, or the `for` of a loop variable.
    defs: SecondaryMap<ValueId, Option<StmtId>>,
    /// Use lists in one array: the users of value `v` are
    /// `users[use_start[v] .. use_start[v + 1]]`, in program order.
    use_start: Vec<u32>,
    users: Vec<User>,
}

impl<'k> KernelIndex<'k> {
    /// Walks `kernel` once (iteratively; linear in its size).
    pub fn new(kernel: &'k Kernel) -> KernelIndex<'k> {
        let mut index = KernelIndex {
            stmts: PrimaryMap::new(),
            blocks: PrimaryMap::new(),
            loops: PrimaryMap::new(),
            defs: SecondaryMap::new(),
            use_start: Vec::new(),
            users: Vec::new(),
        };
        let root = index.blocks.push(BlockInfo {
            kind: BlockKind::Kernel,
            opened_by: None,
            parent: None,
            stmts: kernel.body(),
        });
        // Blocks still to walk, with the next statement's position; the top is the current
        // one. Blocks are pushed in reverse so that the then-block runs before the else.
        let mut stack = vec![(root, 0usize)];
        while let Some((block, next)) = stack.last_mut() {
            let (block, at) = (*block, *next);
            let Some(stmt) = index.blocks[block].stmts.get(at) else {
                stack.pop();
                continue;
            };
            *next += 1;
            let id = index.stmts.push(StmtInfo { stmt, block });
            index.open_blocks(kernel, stmt, id, block, &mut stack);
        }
        index.build_uses(kernel);
        index
    }

    /// Records what `stmt` defines and pushes the blocks it opens.
    fn open_blocks(
        &mut self,
        kernel: &Kernel,
        stmt: &'k Stmt,
        id: StmtId,
        parent: BlockId,
        stack: &mut Vec<(BlockId, usize)>,
    ) {
        let open = |index: &mut Self, kind, stmts| {
            index.blocks.push(BlockInfo {
                kind,
                opened_by: Some(id),
                parent: Some(parent),
                stmts,
            })
        };
        match stmt {
            Stmt::Let(v) if kernel.value(*v).is_some() => self.defs[*v] = Some(id),
            Stmt::Loop(l) => {
                let lp = self.loops.push(id);
                let body = open(self, BlockKind::Loop(lp), &l.body);
                if kernel.value(l.var).is_some() {
                    self.defs[l.var] = Some(id);
                }
                stack.push((body, 0));
            }
            Stmt::If {
                then_body,
                else_body,
                ..
            } => {
                let then_block = open(self, BlockKind::Then, then_body);
                let else_block = open(self, BlockKind::Else, else_body);
                stack.push((else_block, 0));
                stack.push((then_block, 0));
            }
            _ => {}
        }
    }

    /// Fills the use lists: counts users per value, then places them (two linear passes).
    fn build_uses(&mut self, kernel: &Kernel) {
        let mut pairs: Vec<(ValueId, User)> = Vec::new();
        for (id, info) in self.stmts.iter() {
            match info.stmt {
                Stmt::Let(v) => {
                    if let Some(value) = kernel.value(*v) {
                        let operands = value.expr.each_operand();
                        pairs.extend(operands.map(|x| (x, User::Value(*v))));
                    }
                }
                other => pairs.extend(
                    stmt_operands(other)
                        .into_iter()
                        .map(|x| (x, User::Stmt(id))),
                ),
            }
        }
        let count = kernel.values().len();
        let mut start = vec![0u32; count + 1];
        for (v, _) in &pairs {
            if let Some(slot) = start.get_mut(v.index() + 1) {
                *slot += 1;
            }
        }
        for i in 0..count {
            start[i + 1] += start[i];
        }
        let mut fill = start.clone();
        let mut users = vec![User::Stmt(StmtId(0)); pairs.len()];
        for (v, user) in pairs {
            if let Some(slot) = fill.get_mut(v.index()) {
                users[*slot as usize] = user;
                *slot += 1;
            }
        }
        users.truncate(start[count] as usize);
        self.use_start = start;
        self.users = users;
    }

    /// Every statement in program order, with its id.
    pub fn stmts(&self) -> impl ExactSizeIterator<Item = (StmtId, &StmtInfo<'k>)> {
        self.stmts.iter()
    }

    pub fn stmt(&self, id: StmtId) -> Option<&StmtInfo<'k>> {
        self.stmts.get(id)
    }

    /// Every block, the kernel body first.
    pub fn blocks(&self) -> impl ExactSizeIterator<Item = (BlockId, &BlockInfo<'k>)> {
        self.blocks.iter()
    }

    pub fn block(&self, id: BlockId) -> Option<&BlockInfo<'k>> {
        self.blocks.get(id)
    }

    /// Every loop with its `for` statement, in program order.
    pub fn loops(&self) -> impl ExactSizeIterator<Item = (LoopId, StmtId)> + '_ {
        self.loops.iter().map(|(l, s)| (l, *s))
    }

    /// The statement defining `v` (its `let`, or the `for` of a loop variable); `None` for
    /// a value no statement of the body defines.
    pub fn def(&self, v: ValueId) -> Option<StmtId> {
        self.defs.get(v).copied().flatten()
    }

    /// The users of `v`, in program order (a value's expression reading `v` twice is listed
    /// twice).
    pub fn uses(&self, v: ValueId) -> &[User] {
        let i = v.index();
        match (self.use_start.get(i), self.use_start.get(i + 1)) {
            (Some(&a), Some(&b)) => &self.users[a as usize..b as usize],
            _ => &[],
        }
    }
}

/// The values a statement other than `let` reads, in operand order.
pub fn stmt_operands(stmt: &Stmt) -> Vec<ValueId> {
    match stmt {
        Stmt::Let(_) | Stmt::Barrier => vec![],
        Stmt::Loop(l) => vec![l.start, l.end],
        Stmt::If { cond, .. } => vec![*cond],
        Stmt::Store(s) => [Some(s.index), Some(s.value), s.mask]
            .into_iter()
            .flatten()
            .collect(),
        Stmt::InitAcc { init, .. } => vec![*init],
        Stmt::UpdateAcc { value, .. } => vec![*value],
        Stmt::MatrixTile(t) => vec![t.a.offset, t.b.offset, t.d.offset],
        Stmt::Atomic(a) => vec![a.index, a.value],
        Stmt::FragmentZero(_) => vec![],
        Stmt::FragmentMma { a, b, .. } => vec![a.offset, b.offset],
        Stmt::FragmentStore { d, .. } => vec![d.offset],
    }
}

impl Kernel {
    /// Positional ids and use lists; see [`KernelIndex`].
    pub fn index(&self) -> KernelIndex<'_> {
        KernelIndex::new(self)
    }
}
