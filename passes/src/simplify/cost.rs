//! The cost model and deterministic extraction.
//!
//! Cost of an e-node, in integer units (`u128`, which no graph's sum can overflow):
//! - every node: 1, so that of two otherwise equal forms the one with fewer nodes wins
//!   (tree costs saturate, so acyclicity comes from the settling order, see [`choose`]);
//! - memory: an input is read from memory, `numel × dtype bytes`; a reduction's result is
//!   likely a kernel boundary (written by one kernel, read by the next): `2 × its bytes`;
//! - arithmetic: an elementwise op or a reduction costs `numel × weight` of the elements it
//!   computes (its input's for a reduction), weight 1 for simple ALU ops, 4 for division,
//!   reciprocal and square root, 8 for integer division and remainder and for the
//!   transcendentals (exp2, log2, sin);
//! - movement ops are views (index arithmetic the kernel folds away) and constants and iota
//!   are computed in registers: no cost beyond the node's 1.
//!
//! So doing an elementwise op before an `expand` is cheaper than after it, folding
//! constants is always a win, and a rewrite that removes a node is preferred when
//! everything else is equal.
//!
//! Extraction first takes every class's least *tree* cost (a shared operand counted once
//! per use, as egg's extractor does), then improves that choice by the cost of the graph
//! it actually builds, where every value is computed once.

use super::analysis::{ClassData, EG, ValueInfo, value};
use super::language::{ENode, Kind, Source, kind, value_children};
use egg::{Id, Language};
use egpu_ir::{BinaryOp, DType, UnaryOp};
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// The cost of the node alone (its operands not counted), `out` being its class.
fn own_cost(eg: &EG, node: &ENode, out: Option<&ValueInfo>) -> u128 {
    let (numel, bytes) = match out {
        Some(v) => (v.numel() as u128, bytes(v.numel(), v.dtype)),
        None => (0, 0),
    };
    let work = match kind(node) {
        Kind::Leaf => match node {
            ENode::Source(Source::Input { .. }) => bytes,
            _ => 0,
        },
        Kind::Unary(op, _) => numel.saturating_mul(unary_weight(op)),
        Kind::Cast(..) | Kind::Bitcast(..) | Kind::Where(..) => numel,
        Kind::Binary(op, ..) => numel.saturating_mul(binary_weight(op)),
        Kind::Reduce(_, x, _) => {
            let input = value(eg, x).map_or(0, |x| x.numel() as u128);
            input.saturating_add(bytes.saturating_mul(2))
        }
        Kind::Move(..) | Kind::Pad(..) => 0,
    };
    work.saturating_add(1)
}

fn bytes(numel: usize, dtype: DType) -> u128 {
    (numel as u128).saturating_mul(dtype.size_bytes() as u128)
}

fn unary_weight(op: UnaryOp) -> u128 {
    match op {
        UnaryOp::Exp2 | UnaryOp::Log2 | UnaryOp::Sin => 8,
        UnaryOp::Sqrt | UnaryOp::Recip => 4,
        UnaryOp::Neg | UnaryOp::Trunc | UnaryOp::Not => 1,
    }
}

fn binary_weight(op: BinaryOp) -> u128 {
    match op {
        BinaryOp::Idiv | BinaryOp::Mod => 8,
        BinaryOp::Div => 4,
        _ => 1,
    }
}

/// The node's cost with its operands' best costs, if all of them have one yet.
fn total_cost(
    eg: &EG,
    node: &ENode,
    out: Option<&ValueInfo>,
    best: &[Option<u128>],
) -> Option<u128> {
    let mut total = own_cost(eg, node, out);
    for &child in node.children() {
        total = total.saturating_add((*best.get(index(eg.find(child)))?)?);
    }
    Some(total)
}

/// The chosen node of every class, indexed by class id.
#[derive(Clone, Debug, Default)]
pub struct Choice(Vec<Option<ENode>>);

impl Choice {
    pub fn get(&self, id: Id) -> Option<&ENode> {
        self.0.get(index(id))?.as_ref()
    }

    /// Sets the node of class `id`, answering the one it replaces.
    fn set(&mut self, id: Id, node: ENode) -> Option<ENode> {
        let i = index(id);
        if self.0.len() <= i {
            self.0.resize(i + 1, None);
        }
        self.0[i].replace(node)
    }
}

fn index(id: Id) -> usize {
    usize::from(id)
}

/// The canonical class ids, in order.
fn class_ids(eg: &EG) -> Vec<Id> {
    let mut ids: Vec<Id> = eg.classes().map(|c| c.id).collect();
    ids.sort_unstable();
    ids
}

/// The node each class is computed by: the least tree cost first (see [`tree_choice`]),
/// then improved by the cost of the graph it really builds, where a value used twice is
/// computed once (see [`improve`]).
pub fn choose(eg: &EG, roots: &[Id]) -> Choice {
    let choice = tree_choice(eg);
    improve(eg, roots, choice)
}

/// The cheapest node of every class by tree cost, deterministically.
///
/// Each class takes the node that settled it in [`settling_nodes`]: the node of least
/// `(cost, node)` among those whose operands were all settled before the class (ties go to
/// the smaller e-node in `ENode`'s order, never to hash order). So the classes ordered by
/// when they were settled put every chosen node's operands before it, and the choice has no
/// cycle by construction. That does not rest on costs being strictly increasing: tree costs
/// count a shared operand once per use, so a deep graph with much sharing can reach
/// `u128::MAX`, where saturating sums tie a node with its operands (a fuzzed graph did, and
/// picking by the final costs alone then chose a cycle).
fn tree_choice(eg: &EG) -> Choice {
    let ids = class_ids(eg);
    let mut choice = Choice::default();
    for (id, node) in settling_nodes(eg, &ids) {
        choice.set(id, node.clone());
    }
    choice
}

/// Every class reachable from the leaves with the node that settled it, in the order
/// they were settled: Knuth's generalisation of Dijkstra's algorithm, computing the least
/// tree cost (as egg's own extractor does). The cheapest class not yet settled can be
/// settled: a node costs at least its operands (every node costs at least 1 of its own,
/// sums saturate), so nothing found later is cheaper. A node is priced once all its children
/// are settled; every class and node is handled once, O(E log E), where relaxing until
/// nothing changes could take a pass per level of a deep e-graph.
fn settling_nodes<'a>(eg: &'a EG, ids: &[Id]) -> Vec<(Id, &'a ENode)> {
    let len = ids.last().map_or(0, |&id| index(id) + 1);
    let mut best: Vec<Option<u128>> = vec![None; len];
    let mut settled: Vec<(Id, &ENode)> = Vec::new();
    // Every e-node (with its class), how many of its child slots are unsettled, and the
    // nodes waiting on each class.
    let mut nodes: Vec<(Id, &ENode)> = Vec::new();
    let mut waiting: Vec<usize> = Vec::new();
    let mut users: Vec<Vec<usize>> = vec![Vec::new(); len];
    let mut queue: BinaryHeap<Reverse<(u128, Id, &ENode)>> = BinaryHeap::new();
    for &id in ids {
        let out = class_value(eg, id);
        for node in &eg[id].nodes {
            let n = nodes.len();
            nodes.push((id, node));
            waiting.push(node.children().len());
            for &child in node.children() {
                if let Some(list) = users.get_mut(index(eg.find(child))) {
                    list.push(n);
                }
            }
            if node.children().is_empty() {
                queue.push(Reverse((own_cost(eg, node, out), id, node)));
            }
        }
    }
    while let Some(Reverse((cost, id, node))) = queue.pop() {
        let Some(slot) = best.get_mut(index(id)) else {
            continue;
        };
        if slot.is_some() {
            continue;
        }
        *slot = Some(cost);
        settled.push((id, node));
        for &n in users.get(index(id)).map(Vec::as_slice).unwrap_or_default() {
            let (Some(left), Some(&(class, user))) = (waiting.get_mut(n), nodes.get(n)) else {
                continue;
            };
            *left = left.saturating_sub(1);
            if *left > 0 {
                continue;
            }
            if let Some(c) = total_cost(eg, user, class_value(eg, class), &best) {
                queue.push(Reverse((c, class, user)));
            }
        }
    }
    settled
}

/// How many class visits the graph-cost improvement may spend: a count, not a time, so
/// that the result does not depend on the machine.
const IMPROVE_BUDGET: usize = 400_000;

/// Tree costs count a shared operand once per use, so on a tie (or a near tie) they may
/// pick a form that computes more. This local search tries, class by class in id order,
/// every other node of the class and keeps a change only when the cost of the whole graph
/// it builds ([`graph_cost`]) strictly drops; it stops when a pass changes nothing or the
/// budget is spent.
fn improve(eg: &EG, roots: &[Id], mut choice: Choice) -> Choice {
    let Some(mut best) = graph_cost(eg, roots, &choice) else {
        return choice;
    };
    let mut budget = IMPROVE_BUDGET;
    loop {
        let mut improved = false;
        let Some(classes) = topological(eg, roots, &choice) else {
            return choice;
        };
        // One evaluation visits about as many classes as the graph uses now.
        let spent = classes.len().max(1);
        for id in classes {
            for node in &eg[id].nodes {
                if choice.get(id) == Some(node) {
                    continue;
                }
                if budget < spent {
                    return choice;
                }
                budget -= spent;
                let Some(old) = choice.set(id, node.clone()) else {
                    continue;
                };
                match graph_cost(eg, roots, &choice) {
                    Some(c) if c < best => {
                        best = c;
                        improved = true;
                    }
                    _ => {
                        choice.set(id, old);
                    }
                }
            }
        }
        if !improved {
            return choice;
        }
    }
}

/// The cost of the graph `choice` builds for `roots`: each class it uses counted once.
/// `None` if the choice has a cycle or misses a class.
pub fn graph_cost(eg: &EG, roots: &[Id], choice: &Choice) -> Option<u128> {
    let classes = topological(eg, roots, choice)?;
    let mut total: u128 = 0;
    for id in classes {
        let node = choice.get(id)?;
        total = total.saturating_add(own_cost(eg, node, class_value(eg, id)));
    }
    Some(total)
}

/// The classes the chosen nodes of `roots` use, operands before users (a depth-first
/// post-order with an explicit stack). `None` on a cycle or a class without a choice.
pub fn topological(eg: &EG, roots: &[Id], choice: &Choice) -> Option<Vec<Id>> {
    const NEW: u8 = 0;
    const OPEN: u8 = 1;
    const DONE: u8 = 2;
    let mut state = vec![NEW; choice.0.len()];
    let mut order = Vec::new();
    let mut stack: Vec<(Id, bool)> = roots.iter().rev().map(|&r| (eg.find(r), false)).collect();
    while let Some((id, operands_done)) = stack.pop() {
        let slot = state.get_mut(index(id))?;
        match (*slot, operands_done) {
            (DONE, _) => continue,
            (_, true) => {
                *slot = DONE;
                order.push(id);
                continue;
            }
            // Everything above an open class on the stack belongs to its operands' terms.
            (OPEN, false) => return None,
            _ => *slot = OPEN,
        }
        stack.push((id, true));
        for child in value_children(choice.get(id)?).into_iter().rev() {
            stack.push((eg.find(child), false));
        }
    }
    Some(order)
}

fn class_value(eg: &EG, id: Id) -> Option<&ValueInfo> {
    match &eg[id].data {
        ClassData::Value(v) => Some(v),
        _ => None,
    }
}
