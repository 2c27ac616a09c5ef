//! Canonical n-ary sums and products, instead of pairwise associativity and commutativity
//! rules (which let a sum of n terms take every bracketing and order: exponentially many
//! e-nodes, so a sum of 8 terms already hit the node limit).
//!
//! Where reassociation is allowed (integers, which wrap, always; floats under fast-math),
//! a tree of one operator (add or mul) whose inner nodes are used once is read as the list
//! of its leaves. While the region is loaded, the tree is replaced by its canonical form:
//! the leaves that are not constants, in class order, then every constant folded into one
//! (with the interpreter's arithmetic), all combined left to right; a constant that
//! changes nothing (0 for add, 1 for mul) is dropped. Two trees of the same terms in
//! different orders get the same form, so the e-graph shares it. The work is one pass over
//! the tree and a sort of its leaves; every node is inside at most one tree, so the whole
//! is near-linear in the region's size.

use super::SimplifyError;
use super::analysis::{EG, value};
use super::convert::{Window, index};
use super::fold;
use super::language::{ENode, Kind, Source, Value, binary};
use egg::Id;
use egpu_ir::{BinaryOp, DType, Graph, NodeId, Op};
use std::collections::BTreeSet;

/// The operator of `id` if it is an add or mul that may be reassociated.
fn tree_op(eg: &EG, graph: &Graph, id: NodeId) -> Option<BinaryOp> {
    let node = graph.node(id);
    match node.op {
        Op::Binary {
            op: op @ (BinaryOp::Add | BinaryOp::Mul),
            ..
        } if node.dtype != DType::Bool && eg.analysis.reassociates(node.dtype) => Some(op),
        _ => None,
    }
}

/// The trees of one region: which of its nodes are inner nodes of a tree.
pub struct Trees {
    inner: BTreeSet<NodeId>,
}

impl Trees {
    /// Finds the inner nodes of `w`: nodes of the region that belong to the tree of their
    /// one user (same operator, read once, not needed after the region).
    pub fn new(eg: &EG, w: &Window) -> Trees {
        let inside: BTreeSet<NodeId> = w.nodes.iter().copied().collect();
        let mut inner = BTreeSet::new();
        for &id in w.nodes {
            let (Some(op), Op::Binary { a, b, .. }) =
                (tree_op(eg, w.graph, id), &w.graph.node(id).op)
            else {
                continue;
            };
            for x in [*a, *b] {
                let once = w.uses.get(index(x)) == Some(&1);
                let stays = w.escapes.get(index(x)) == Some(&false);
                if once && stays && inside.contains(&x) && tree_op(eg, w.graph, x) == Some(op) {
                    inner.insert(x);
                }
            }
        }
        Trees { inner }
    }

    /// If node `id` (just loaded as class `class`) is the root of a tree whose canonical
    /// form is not the tree itself, that form's class: the region then uses it in place
    /// of the tree (it is never costlier: no more operations, constants folded).
    /// `class_of` gives the class of any operand.
    pub fn canonical_root(
        &self,
        eg: &mut EG,
        w: &Window,
        id: NodeId,
        class: Id,
        class_of: impl Fn(NodeId) -> Option<Id>,
    ) -> Result<Option<Id>, SimplifyError> {
        let Some(op) = tree_op(eg, w.graph, id).filter(|_| !self.inner.contains(&id)) else {
            return Ok(None);
        };
        let leaves = leaves(w.graph, id, &self.inner)
            .into_iter()
            .map(|x| class_of(x).ok_or_else(|| missing(x)))
            .collect::<Result<Vec<Id>, _>>()?;
        Ok(canonical(eg, op, class, &leaves).filter(|&form| eg.find(form) != eg.find(class)))
    }
}

fn missing(node: NodeId) -> SimplifyError {
    SimplifyError::Rebuild(format!("{node} has no e-class"))
}

/// The leaves of the tree rooted at `root`, left to right (an explicit stack: a tree may
/// be as deep as the region).
fn leaves(graph: &Graph, root: NodeId, inner: &BTreeSet<NodeId>) -> Vec<NodeId> {
    let mut found = Vec::new();
    let mut stack = vec![root];
    while let Some(id) = stack.pop() {
        if let (true, Op::Binary { a, b, .. }) =
            (id == root || inner.contains(&id), &graph.node(id).op)
        {
            stack.push(*b);
            stack.push(*a);
        } else {
            found.push(id);
        }
    }
    found
}

/// Adds the canonical form of `op` over the classes `leaves` (the tree at class `root`);
/// `None` where constants do not fold.
fn canonical(eg: &mut EG, op: BinaryOp, root: Id, leaves: &[Id]) -> Option<Id> {
    let info = value(eg, root)?;
    let (dtype, dims) = (info.dtype, info.dims.clone());
    let mut constant: Option<Value> = None;
    let mut terms = Vec::with_capacity(leaves.len());
    for &leaf in leaves {
        match value(eg, leaf).and_then(|v| v.constant) {
            Some(c) => {
                constant = Some(match constant {
                    None => c,
                    Some(acc) => fold_pair(op, acc, c, dtype)?,
                })
            }
            None => terms.push(eg.find(leaf)),
        }
    }
    terms.sort_unstable();
    if constant.is_some_and(|c| is_identity(op, c, dtype)) && !terms.is_empty() {
        constant = None;
    }
    let constant = constant.map(|value| {
        let dims = dims.clone();
        eg.add(ENode::Source(Source::Const { value, dtype, dims }))
    });
    let mut form: Option<Id> = None;
    for term in terms.into_iter().chain(constant) {
        form = Some(match form {
            None => term,
            Some(acc) => eg.add(binary(op, acc, term)),
        });
    }
    form
}

fn fold_pair(op: BinaryOp, a: Value, b: Value, dtype: DType) -> Option<Value> {
    let any = Id::from(0);
    fold::elementwise(Kind::Binary(op, any, any), &[(a, dtype), (b, dtype)], dtype)
}

/// 0 for add (either zero for floats, which only get here under fast-math), 1 for mul.
fn is_identity(op: BinaryOp, c: Value, dtype: DType) -> bool {
    match op {
        BinaryOp::Add => {
            c == Value::of(0.0, dtype) || (dtype.is_float() && c == Value::of(-0.0, dtype))
        }
        _ => c == Value::of(1.0, dtype),
    }
}
