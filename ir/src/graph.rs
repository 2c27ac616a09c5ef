//! The tensor graph: primitive nodes in topological order, named inputs and outputs.

use crate::{DType, Op, Shape};
use cranelift_entity::{PrimaryMap, entity_impl};

/// A node of a [`Graph`].
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId(u32);
entity_impl!(NodeId, "n");

/// One primitive operation with its inferred dtype and shape.
#[derive(Clone, Debug)]
pub struct Node {
    pub op: Op,
    pub dtype: DType,
    pub shape: Shape,
    /// The name the author gave the value, if any (kept for readable dumps).
    pub name: Option<String>,
}

/// A named graph output.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Output {
    pub name: String,
    pub node: NodeId,
}

/// An immutable, valid tensor graph. Nodes are in topological order (every operand comes
/// before its user). Built only by [`crate::GraphBuilder`], which checks every node, so a
/// `Graph` never holds a shape or dtype error. Passes build new graphs.
#[derive(Clone, Debug)]
pub struct Graph {
    pub(crate) name: String,
    /// Comment lines written above the graph in text (without the `# `), kept for people.
    pub(crate) doc: Vec<String>,
    pub(crate) nodes: PrimaryMap<NodeId, Node>,
    pub(crate) inputs: Vec<NodeId>,
    pub(crate) outputs: Vec<Output>,
}

impl Graph {
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The comment lines above the graph in its text form.
    pub fn doc(&self) -> &[String] {
        &self.doc
    }

    pub fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id]
    }

    /// All nodes in topological order.
    pub fn nodes(&self) -> impl ExactSizeIterator<Item = (NodeId, &Node)> {
        self.nodes.iter()
    }

    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// Input nodes in declaration order.
    pub fn inputs(&self) -> &[NodeId] {
        &self.inputs
    }

    /// The name of an input node.
    pub fn input_name(&self, id: NodeId) -> &str {
        match &self.nodes[id].op {
            Op::Input { name } => name,
            _ => "",
        }
    }

    pub fn outputs(&self) -> &[Output] {
        &self.outputs
    }

    /// Structural equality: same name, nodes (operation, operands, attributes, dtype,
    /// shape), inputs and outputs. Names of intermediate values are not compared: they are
    /// for people, and the printer invents names for values that had none.
    pub fn same_structure(&self, other: &Graph) -> bool {
        self.name == other.name
            && self.inputs == other.inputs
            && self.outputs == other.outputs
            && self.nodes.len() == other.nodes.len()
            && self
                .nodes
                .values()
                .zip(other.nodes.values())
                .all(|(a, b)| a.dtype == b.dtype && a.shape == b.shape && a.op.same(&b.op))
    }
}
