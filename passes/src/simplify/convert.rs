//! One region of the graph → an e-graph, and its chosen e-nodes → nodes of the new graph.
//!
//! A region is a run of consecutive nodes of the graph (see `region`). Its operands from
//! outside it (graph inputs, values earlier regions built) are leaves: a constant or iota
//! as the source it is, so that constants still fold across regions, anything else as an
//! opaque `Source::Input` standing for the node already built. Sums and products are
//! loaded together with their canonical n-ary form (see `reassociate`).

use super::SimplifyError;
use super::analysis::{EG, GraphAnalysis, ValueInfo, dims_attr, dtype_attr, pairs_attr, value};
use super::cost::{Choice, topological};
use super::language::{
    Attr, ENode, Kind, Move, Source, Value, binary, kind, movement, reduce, unary, value_children,
};
use super::reassociate;
use egg::Id;
use egpu_ir::{Graph, GraphBuilder, Node, NodeId, Op};
use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap};

/// The position of a node in its graph (nodes are numbered densely in order).
pub fn index(id: NodeId) -> usize {
    id.as_u32() as usize
}

/// One region: consecutive nodes of `graph`, and what the whole graph says about them.
pub struct Window<'a> {
    pub graph: &'a Graph,
    /// The region's nodes in graph order (never an input).
    pub nodes: &'a [NodeId],
    /// By node index: whether the value is needed after its region (by a node of a later
    /// region, or as an output).
    pub escapes: &'a [bool],
    /// By node index: how many operand slots read the value.
    pub uses: &'a [u32],
}

/// The new graph as regions build it, one after another.
pub struct Stitched {
    pub b: GraphBuilder,
    /// By original node index: what the node became, for inputs and for every node a
    /// region exported.
    pub built: Vec<Option<NodeId>>,
    /// Every constant and iota built so far, shared instead of built twice.
    pub leaves: BTreeMap<Source, NodeId>,
    /// Names to give once everything is built (output names go first), in graph order.
    pub names: Vec<(NodeId, String)>,
}

impl Stitched {
    /// A builder holding `graph`'s inputs (names, dtypes, shapes and order), even unused ones.
    pub fn new(graph: &Graph) -> Result<Stitched, SimplifyError> {
        let mut b = GraphBuilder::new(graph.name());
        b.set_doc(graph.doc().to_vec());
        let mut built = vec![None; graph.len()];
        for &id in graph.inputs() {
            let node = graph.node(id);
            let new = b.input(graph.input_name(id), node.dtype, &node.shape)?;
            if let Some(slot) = built.get_mut(index(id)) {
                *slot = Some(new);
            }
        }
        Ok(Stitched {
            b,
            built,
            leaves: BTreeMap::new(),
            names: Vec::new(),
        })
    }

    fn built(&self, original: NodeId) -> Result<NodeId, SimplifyError> {
        self.built
            .get(index(original))
            .copied()
            .flatten()
            .ok_or_else(|| missing(original))
    }

    /// The graph with `original`'s outputs (names, dtypes, shapes, order) and names.
    pub fn finish(self, original: &Graph) -> Result<Graph, SimplifyError> {
        let mut outputs = Vec::new();
        for o in original.outputs() {
            let node = self.built(o.node)?;
            check_output(original, o.node, &self.b, node, &o.name)?;
            outputs.push((o.name.as_str(), node));
        }
        let Stitched { mut b, names, .. } = self;
        for &(name, node) in &outputs {
            b.set_name(node, name);
        }
        for (node, name) in &names {
            b.set_name(*node, name);
        }
        for (name, node) in outputs {
            b.output(name, node)?;
        }
        Ok(b.finish()?)
    }
}

/// What there is to know about a region loaded into an e-graph (the e-graph aside).
pub struct Loaded {
    /// The class of every node the region exports, with the node.
    pub roots: Vec<(NodeId, Id)>,
    /// The classes of the nodes their author named, in graph order.
    pub names: Vec<(Id, String)>,
    /// The classes of the leaves, then of every node of the region in graph order.
    pub order: Vec<Id>,
    /// The built nodes that `Source::Input { index }` leaves stand for, by index.
    pub boundary: Vec<NodeId>,
    /// How many sums and products got a canonical form different from their own.
    pub reassociated: usize,
}

/// Adds the nodes of `w` to a new e-graph, after leaves for their operands from outside.
pub fn load(
    w: &Window,
    st: &Stitched,
    analysis: GraphAnalysis,
) -> Result<(EG, Loaded), SimplifyError> {
    let mut eg = EG::new(analysis);
    let (outside, boundary) = boundary_leaves(w, st, &mut eg)?;
    let mut classes: BTreeMap<NodeId, Id> = BTreeMap::new();
    let mut names = Vec::new();
    // The leaves come first, as inputs do in a graph: they build nothing new, and a class
    // without a position would hold back everything that uses it.
    let mut order: Vec<Id> = outside.values().copied().collect();
    order.sort_unstable();
    order.reserve(w.nodes.len());
    let trees = reassociate::Trees::new(&eg, w);
    let mut reassociated = 0;
    for &id in w.nodes {
        let node = w.graph.node(id);
        let lookup = |x: NodeId| classes.get(&x).or_else(|| outside.get(&x)).copied();
        let mut class = add_node(&mut eg, node, |x| lookup(*x).ok_or_else(|| missing(*x)))?;
        if let Some(form) = trees.canonical_root(&mut eg, w, id, class, lookup)? {
            class = form;
            reassociated += 1;
        }
        classes.insert(id, class);
        order.push(class);
        if let Some(name) = &node.name {
            names.push((class, name.clone()));
        }
    }
    let roots = w
        .nodes
        .iter()
        .filter(|&&id| w.escapes.get(index(id)).copied().unwrap_or(true))
        .map(|&id| {
            classes
                .get(&id)
                .map(|&c| (id, c))
                .ok_or_else(|| missing(id))
        })
        .collect::<Result<_, _>>()?;
    let loaded = Loaded {
        roots,
        names,
        order,
        boundary,
        reassociated,
    };
    Ok((eg, loaded))
}

fn missing(node: NodeId) -> SimplifyError {
    SimplifyError::Rebuild(format!("{node} is used before it is defined"))
}

/// A leaf for every operand from outside the region, made in the order of the original
/// nodes (graph inputs first, as in the graph): so a graph small enough to be one region
/// gets the class ids, and so the tie-breaks, it would get loaded whole. Operands that
/// were built as one node share one leaf.
#[allow(clippy::type_complexity)]
fn boundary_leaves(
    w: &Window,
    st: &Stitched,
    eg: &mut EG,
) -> Result<(BTreeMap<NodeId, Id>, Vec<NodeId>), SimplifyError> {
    let inside: BTreeSet<NodeId> = w.nodes.iter().copied().collect();
    let operands: BTreeSet<NodeId> = w
        .nodes
        .iter()
        .flat_map(|&id| w.graph.node(id).op.operands())
        .filter(|x| !inside.contains(x))
        .collect();
    let mut outside = BTreeMap::new();
    let mut by_built: BTreeMap<NodeId, Id> = BTreeMap::new();
    let mut boundary = Vec::new();
    for x in operands {
        let built = st.built(x)?;
        let class = match by_built.get(&built) {
            Some(&class) => class,
            None => {
                let source = leaf_source(st.b.node(built), boundary.len());
                if let Source::Input { .. } = source {
                    boundary.push(built);
                }
                let class = eg.add(ENode::Source(source));
                by_built.insert(built, class);
                class
            }
        };
        outside.insert(x, class);
    }
    Ok((outside, boundary))
}

/// A built node as a leaf: a constant or iota as itself, anything else as boundary
/// input number `next`.
fn leaf_source(node: &Node, next: usize) -> Source {
    let (dtype, dims) = (node.dtype, node.shape.to_vec());
    match &node.op {
        Op::Const { value } => Source::Const {
            value: Value::from_scalar(*value),
            dtype,
            dims,
        },
        Op::Iota { axis } => Source::Iota {
            axis: *axis,
            dtype,
            dims,
        },
        _ => Source::Input {
            index: next,
            dtype,
            dims,
        },
    }
}

fn add_node(
    eg: &mut EG,
    node: &Node,
    get: impl Fn(&NodeId) -> Result<Id, SimplifyError>,
) -> Result<Id, SimplifyError> {
    let dims = node.shape.to_vec();
    let enode = match &node.op {
        Op::Input { name } => {
            return Err(SimplifyError::Rebuild(format!(
                "input '{name}' inside a region"
            )));
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

/// Builds, into `st`, the nodes of `choice` (one per class) that the region's exported
/// values need, and records what each exported node and each named class became. Nodes
/// come in the region's original order where they were there, so a region that did not
/// change is built as it was.
pub fn emit(
    eg: &EG,
    loaded: &Loaded,
    choice: &Choice,
    st: &mut Stitched,
) -> Result<(), SimplifyError> {
    let roots: Vec<Id> = loaded.roots.iter().map(|&(_, r)| eg.find(r)).collect();
    let classes = topological(eg, &roots, choice)
        .ok_or_else(|| SimplifyError::Rebuild("the chosen nodes form a cycle".to_string()))?;
    let mut emitter = Emitter {
        eg,
        b: &mut st.b,
        boundary: &loaded.boundary,
        leaves: &mut st.leaves,
        built: BTreeMap::new(),
    };
    for id in in_original_order(eg, &classes, choice, &loaded.order) {
        let node = choice
            .get(id)
            .ok_or_else(|| SimplifyError::Rebuild(format!("class {id} has no chosen node")))?;
        let emitted = emitter.emit(id, node)?;
        emitter.built.insert(id, emitted);
    }
    for &(original, class) in &loaded.roots {
        let node = emitter.node_of(class)?;
        if let Some(slot) = st.built.get_mut(index(original)) {
            *slot = Some(node);
        }
    }
    for (class, name) in &loaded.names {
        if let Some(&node) = emitter.built.get(&eg.find(*class)) {
            st.names.push((node, name.clone()));
        }
    }
    Ok(())
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
    b: &'a mut GraphBuilder,
    boundary: &'a [NodeId],
    leaves: &'a mut BTreeMap<Source, NodeId>,
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

    /// A boundary input is the node it stands for; a constant or iota is the one built
    /// before, if there is one.
    fn emit_leaf(&mut self, node: &ENode, want: &ValueInfo) -> Result<NodeId, SimplifyError> {
        let ENode::Source(source) = node else {
            return Err(SimplifyError::Rebuild(format!("{node} is not a value")));
        };
        if let Some(&built) = self.leaves.get(source) {
            return Ok(built);
        }
        let built =
            match source {
                Source::Input { index, .. } => {
                    return self.boundary.get(*index).copied().ok_or_else(|| {
                        SimplifyError::Rebuild(format!("there is no input {index}"))
                    });
                }
                Source::Const { value, .. } => {
                    self.b.constant(value.scalar(), want.dtype, &want.dims)?
                }
                Source::Iota { axis, .. } => self.b.iota(want.dtype, &want.dims, *axis)?,
            };
        self.leaves.insert(source.clone(), built);
        Ok(built)
    }
}
