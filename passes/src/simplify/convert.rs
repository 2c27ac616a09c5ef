//! Graph → e-graph, and the chosen e-nodes → a new graph through `GraphBuilder`.

use super::SimplifyError;
use super::analysis::{EG, GraphAnalysis, ValueInfo, dims_attr, dtype_attr, pairs_attr, value};
use super::cost::{Choice, topological};
use super::language::{
    Attr, ENode, Kind, Move, Source, Value, binary, kind, movement, reduce, unary, value_children,
};
use egg::Id;
use egpu_ir::{Graph, GraphBuilder, Node, NodeId, Op};
use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap};

/// A graph loaded into an e-graph.
pub struct Loaded {
    pub egraph: EG,
    /// The class of each output, in output order.
    pub roots: Vec<Id>,
    /// The classes of the nodes their author named, in graph order (inputs excluded).
    pub names: Vec<(Id, String)>,
    /// The class of every node, in graph order.
    pub order: Vec<Id>,
}

/// Adds every node of `graph` to a new e-graph.
pub fn load(graph: &Graph, analysis: GraphAnalysis) -> Result<Loaded, SimplifyError> {
    let mut egraph = EG::new(analysis);
    let mut classes: BTreeMap<NodeId, Id> = BTreeMap::new();
    let mut names = Vec::new();
    let mut order = Vec::new();
    for (id, node) in graph.nodes() {
        let class = add_node(&mut egraph, graph, id, node, &classes)?;
        classes.insert(id, class);
        order.push(class);
        if let (Some(name), false) = (&node.name, matches!(node.op, Op::Input { .. })) {
            names.push((class, name.clone()));
        }
    }
    let roots = graph
        .outputs()
        .iter()
        .map(|o| classes.get(&o.node).copied().ok_or_else(|| missing(o.node)))
        .collect::<Result<_, _>>()?;
    Ok(Loaded {
        egraph,
        roots,
        names,
        order,
    })
}

fn missing(node: NodeId) -> SimplifyError {
    SimplifyError::Rebuild(format!("{node} is used before it is defined"))
}

fn add_node(
    eg: &mut EG,
    graph: &Graph,
    id: NodeId,
    node: &Node,
    classes: &BTreeMap<NodeId, Id>,
) -> Result<Id, SimplifyError> {
    let get = |x: &NodeId| classes.get(x).copied().ok_or_else(|| missing(*x));
    let dims = node.shape.to_vec();
    let enode = match &node.op {
        Op::Input { .. } => {
            let index = graph
                .inputs()
                .iter()
                .position(|&i| i == id)
                .unwrap_or(usize::MAX);
            ENode::Source(Source::Input {
                index,
                dtype: node.dtype,
                dims,
            })
        }
        Op::Const { value } => ENode::Source(Source::Const {
            value: Value::from_scalar(*value),
            dtype: node.dtype,
            dims,
        }),
        Op::Iota { axis } => ENode::Source(Source::Iota {
            axis: *axis,
            dtype: node.dtype,
            dims,
        }),
        Op::Unary { op, x } => unary(*op, get(x)?),
        Op::Cast { x } => ENode::Cast([get(x)?, eg.add(ENode::Attr(Attr::DType(node.dtype)))]),
        Op::Bitcast { x } => {
            ENode::Bitcast([get(x)?, eg.add(ENode::Attr(Attr::DType(node.dtype)))])
        }
        Op::Binary { op, a, b } => binary(*op, get(a)?, get(b)?),
        Op::Where { cond, a, b } => ENode::Where([get(cond)?, get(a)?, get(b)?]),
        Op::Reduce { op, x, axes } => reduce(*op, get(x)?, dims_leaf(eg, axes.clone())),
        Op::Reshape { x } => movement(Move::Reshape, get(x)?, dims_leaf(eg, dims)),
        Op::Expand { x } => movement(Move::Expand, get(x)?, dims_leaf(eg, dims)),
        Op::Permute { x, perm } => movement(Move::Permute, get(x)?, dims_leaf(eg, perm.clone())),
        Op::Flip { x, axes } => movement(Move::Flip, get(x)?, dims_leaf(eg, axes.clone())),
        Op::Shrink { x, ranges } => {
            let ranges = eg.add(ENode::Attr(Attr::Pairs(ranges.clone())));
            movement(Move::Shrink, get(x)?, ranges)
        }
        Op::Pad { x, pads, value } => {
            let pads = eg.add(ENode::Attr(Attr::Pairs(pads.clone())));
            let fill = eg.add(ENode::Attr(Attr::Value(Value::from_scalar(*value))));
            ENode::Pad([get(x)?, pads, fill])
        }
    };
    Ok(eg.add(enode))
}

fn dims_leaf(eg: &mut EG, dims: Vec<usize>) -> Id {
    eg.add(ENode::Attr(Attr::Dims(dims)))
}

/// Builds the graph that computes `original`'s outputs from the nodes in `choice` (one per
/// class). Inputs keep their names, dtypes, shapes and order, even when unused; outputs
/// keep their names and order; a value keeps the name of an original node of its class.
/// Nodes come in the original graph's order where they were there, so a graph that did
/// not change prints the same.
pub fn rebuild(
    original: &Graph,
    eg: &EG,
    loaded: &Loaded,
    choice: &Choice,
) -> Result<Graph, SimplifyError> {
    let roots: Vec<Id> = loaded.roots.iter().map(|&r| eg.find(r)).collect();
    let classes = topological(eg, &roots, choice)
        .ok_or_else(|| SimplifyError::Rebuild("the chosen nodes form a cycle".to_string()))?;
    let mut b = GraphBuilder::new(original.name());
    b.set_doc(original.doc().to_vec());
    let mut inputs = Vec::new();
    for &id in original.inputs() {
        let node = original.node(id);
        inputs.push(b.input(original.input_name(id), node.dtype, &node.shape)?);
    }
    let mut emitter = Emitter {
        eg,
        b,
        inputs,
        built: BTreeMap::new(),
    };
    for id in in_original_order(eg, &classes, choice, &loaded.order) {
        let node = choice
            .get(id)
            .ok_or_else(|| SimplifyError::Rebuild(format!("class {id} has no chosen node")))?;
        let emitted = emitter.emit(id, node)?;
        emitter.built.insert(id, emitted);
    }
    let mut outputs = Vec::new();
    for (o, &root) in original.outputs().iter().zip(&roots) {
        let node = emitter.node_of(root)?;
        check_output(original, o.node, &emitter.b, node, &o.name)?;
        outputs.push((o.name.as_str(), node));
    }
    let Emitter { mut b, built, .. } = emitter;
    for &(name, node) in &outputs {
        b.set_name(node, name);
    }
    for (class, name) in &loaded.names {
        if let Some(&node) = built.get(&eg.find(*class)) {
            b.set_name(node, name);
        }
    }
    for (name, node) in outputs {
        b.output(name, node)?;
    }
    Ok(b.finish()?)
}

/// `classes` (operands before users) reordered, still operands first, so that classes
/// holding an original node come in that node's original position: Kahn's algorithm
/// taking the ready class of least (original position, id); new classes have no position
/// and so come as late as they can, just before their first user.
fn in_original_order(eg: &EG, classes: &[Id], choice: &Choice, order: &[Id]) -> Vec<Id> {
    let mut position: BTreeMap<Id, usize> = BTreeMap::new();
    for (i, &c) in order.iter().enumerate() {
        position.entry(eg.find(c)).or_insert(i);
    }
    let key = |id: Id| Reverse((position.get(&id).copied().unwrap_or(usize::MAX), id));
    let mut waiting: BTreeMap<Id, usize> = BTreeMap::new();
    let mut users: BTreeMap<Id, Vec<Id>> = BTreeMap::new();
    let mut ready = BinaryHeap::new();
    for &id in classes {
        let operands: BTreeSet<Id> = choice
            .get(id)
            .map(|n| value_children(n).into_iter().map(|c| eg.find(c)).collect())
            .unwrap_or_default();
        for &op in &operands {
            users.entry(op).or_default().push(id);
        }
        waiting.insert(id, operands.len());
        if operands.is_empty() {
            ready.push(key(id));
        }
    }
    let mut out = Vec::with_capacity(classes.len());
    while let Some(Reverse((_, id))) = ready.pop() {
        out.push(id);
        for &user in users.get(&id).map(Vec::as_slice).unwrap_or_default() {
            if let Some(w) = waiting.get_mut(&user) {
                *w = w.saturating_sub(1);
                if *w == 0 {
                    ready.push(key(user));
                }
            }
        }
    }
    out
}

/// An output keeps its dtype and shape.
fn check_output(
    original: &Graph,
    was: NodeId,
    b: &GraphBuilder,
    now: NodeId,
    name: &str,
) -> Result<(), SimplifyError> {
    let old = original.node(was);
    if b.dtype(now) == old.dtype && b.shape(now) == &old.shape {
        return Ok(());
    }
    Err(SimplifyError::Rebuild(format!(
        "output '{name}' changed from {}{} to {}{}",
        old.dtype,
        old.shape,
        b.dtype(now),
        b.shape(now)
    )))
}

/// Emits chosen e-nodes into a builder (operands first).
struct Emitter<'a> {
    eg: &'a EG,
    b: GraphBuilder,
    inputs: Vec<NodeId>,
    built: BTreeMap<Id, NodeId>,
}

impl<'a> Emitter<'a> {
    fn node_of(&self, class: Id) -> Result<NodeId, SimplifyError> {
        let class = self.eg.find(class);
        self.built
            .get(&class)
            .copied()
            .ok_or_else(|| SimplifyError::Rebuild(format!("class {class} was not built")))
    }

    /// Adds `node` (its operands are built) and checks it has its class's type.
    fn emit(&mut self, id: Id, node: &ENode) -> Result<NodeId, SimplifyError> {
        let want = value(self.eg, id)
            .ok_or_else(|| SimplifyError::Rebuild(format!("class {id}: {:?}", self.eg[id].data)))?;
        let emitted = self.emit_op(node, want)?;
        if self.b.dtype(emitted) != want.dtype || self.b.shape(emitted).dims() != want.dims {
            return Err(SimplifyError::Rebuild(format!(
                "{node} gives {}{}, its class is {}{:?}",
                self.b.dtype(emitted),
                self.b.shape(emitted),
                want.dtype,
                want.dims
            )));
        }
        Ok(emitted)
    }

    fn emit_op(&mut self, node: &ENode, want: &ValueInfo) -> Result<NodeId, SimplifyError> {
        let eg = self.eg;
        let bad = || SimplifyError::Rebuild(format!("{node} has a malformed attribute"));
        let dims = |a: Id| dims_attr(eg, a).map(<[usize]>::to_vec).ok_or_else(bad);
        let pairs = |a: Id| {
            pairs_attr(eg, a)
                .map(<[(usize, usize)]>::to_vec)
                .ok_or_else(bad)
        };
        let to = |a: Id| dtype_attr(eg, a).ok_or_else(bad);
        Ok(match kind(node) {
            Kind::Leaf => return self.emit_leaf(node, want),
            Kind::Unary(op, x) => {
                let x = self.node_of(x)?;
                self.b.unary(op, x)?
            }
            Kind::Cast(x, t) => {
                let x = self.node_of(x)?;
                self.b.cast(x, to(t)?)?
            }
            Kind::Bitcast(x, t) => {
                let x = self.node_of(x)?;
                self.b.bitcast(x, to(t)?)?
            }
            Kind::Binary(op, x, y) => {
                let (x, y) = (self.node_of(x)?, self.node_of(y)?);
                self.b.binary(op, x, y)?
            }
            Kind::Where(c, x, y) => {
                let (c, x, y) = (self.node_of(c)?, self.node_of(x)?, self.node_of(y)?);
                self.b.where_(c, x, y)?
            }
            Kind::Reduce(op, x, axes) => {
                let x = self.node_of(x)?;
                self.b.reduce(op, x, &dims(axes)?)?
            }
            Kind::Move(mv, x, a) => {
                let x = self.node_of(x)?;
                match mv {
                    Move::Reshape => self.b.reshape(x, &dims(a)?)?,
                    Move::Expand => self.b.expand(x, &dims(a)?)?,
                    Move::Permute => self.b.permute(x, &dims(a)?)?,
                    Move::Flip => self.b.flip(x, &dims(a)?)?,
                    Move::Shrink => self.b.shrink(x, &pairs(a)?)?,
                }
            }
            Kind::Pad(x, p, v) => {
                let x = self.node_of(x)?;
                let Some(Attr::Value(fill)) = super::analysis::attr(eg, v) else {
                    return Err(bad());
                };
                self.b.pad(x, &pairs(p)?, fill.scalar())?
            }
        })
    }

    fn emit_leaf(&mut self, node: &ENode, want: &ValueInfo) -> Result<NodeId, SimplifyError> {
        match node {
            ENode::Source(Source::Input { index, .. }) => self
                .inputs
                .get(*index)
                .copied()
                .ok_or_else(|| SimplifyError::Rebuild(format!("there is no input {index}"))),
            ENode::Source(Source::Const { value, .. }) => {
                Ok(self.b.constant(value.scalar(), want.dtype, &want.dims)?)
            }
            ENode::Source(Source::Iota { axis, .. }) => {
                Ok(self.b.iota(want.dtype, &want.dims, *axis)?)
            }
            _ => Err(SimplifyError::Rebuild(format!("{node} is not a value"))),
        }
    }
}
