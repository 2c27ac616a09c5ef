//! Which values, accumulators and blocks can differ between the lanes of a workgroup, for the
//! barrier rule: a barrier must sit in a block that every lane of the workgroup enters the
//! same number of times, so not under an `if` or a loop whose condition or bounds vary.
//!
//! It is a reachability question on a graph with a node per value, per accumulator and per
//! block: an edge says "if this varies, so does that" (operand → value; start/end → loop
//! variable and body; condition → then/else blocks; enclosing block → inner block; value or
//! block of an accumulator update → accumulator; accumulator → its reads). Lane ids and
//! subgroup reductions (whose results differ between subgroups) vary; everything reachable
//! from them does. One breadth-first search over that graph: linear in its size.
//!
//! It is conservative in one direction only: what it calls uniform is uniform; a condition
//! it calls varying may still happen to be equal on every lane (`local_id.x < 1024`), but
//! a barrier under it is refused, since a code generator cannot rely on that either.

use crate::kernel::{AccId, ValueId};
use cranelift_entity::EntityRef;

/// The graph being built during the verifier's walk.
#[derive(Debug, Default)]
pub(super) struct Flow {
    values: usize,
    accs: usize,
    blocks: usize,
    edges: Vec<(usize, usize)>,
    sources: Vec<usize>,
}

/// A node of the graph.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Node(usize);

impl Flow {
    pub fn new(values: usize, accs: usize) -> Flow {
        Flow {
            values,
            accs,
            // About two operands per value: room for the usual graph without regrowing.
            edges: Vec::with_capacity(values.saturating_mul(2)),
            ..Flow::default()
        }
    }

    pub fn value(&self, v: ValueId) -> Node {
        Node(v.index())
    }

    pub fn acc(&self, a: AccId) -> Node {
        Node(self.values + a.index())
    }

    /// A fresh block node.
    pub fn block(&mut self) -> Node {
        self.blocks += 1;
        Node(self.values + self.accs + self.blocks - 1)
    }

    /// "If `from` varies, so does `to`".
    pub fn edge(&mut self, from: Node, to: Node) {
        self.edges.push((from.0, to.0));
    }

    /// `node` varies between lanes whatever its inputs.
    pub fn source(&mut self, node: Node) {
        self.sources.push(node.0);
    }

    /// Every node reachable from a source: `varying[node]`.
    pub fn varying(&self) -> Vec<bool> {
        let n = self.values + self.accs + self.blocks;
        // Adjacency in compressed rows: offsets by counting, then targets in place.
        let mut start = vec![0usize; n + 1];
        for &(from, _) in &self.edges {
            if from < n {
                start[from + 1] += 1;
            }
        }
        for i in 0..n {
            start[i + 1] += start[i];
        }
        let mut fill = start.clone();
        let mut targets = vec![0usize; start[n]];
        for &(from, to) in &self.edges {
            if from < n {
                targets[fill[from]] = to;
                fill[from] += 1;
            }
        }
        let mut varying = vec![false; n];
        let mut queue: Vec<usize> = Vec::new();
        for &s in &self.sources {
            if s < n && !varying[s] {
                varying[s] = true;
                queue.push(s);
            }
        }
        while let Some(node) = queue.pop() {
            for &to in &targets[start[node]..start[node + 1]] {
                if to < n && !varying[to] {
                    varying[to] = true;
                    queue.push(to);
                }
            }
        }
        varying
    }

    pub fn is_varying(varying: &[bool], node: Node) -> bool {
        varying.get(node.0).copied().unwrap_or(false)
    }
}
