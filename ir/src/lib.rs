//! egpu's tensor graph IR.
//!
//! - [`DType`], [`Shape`], [`Scalar`]: element types, shapes, values and exact conversions.
//! - [`Graph`], [`Op`]: the primitive graph; [`GraphBuilder`]: checked construction with
//!   broadcasting and composite operations (matmul, softmax, conv2d, attention, …).
//! - [`text`]: the `.egir` parser (with `file:line:col` diagnostics) and canonical printer.
//! - [`interp`]: the reference interpreter, the oracle every backend is checked against.
//! - [`kernel`]: the kernel IR (the contract between passes and code generators), its
//!   printer and its interpreter; [`Target`]: plain descriptions of the GPUs passes tune for.

mod builder;
mod composite;
mod dtype;
mod graph;
pub mod interp;
pub mod kernel;
mod op;
pub mod precision;
mod scalar;
mod shape;
mod target;
pub mod text;

pub use builder::{BuildResult, GraphBuilder, GraphError, representable};
pub use composite::{Conv2dParams, Pool2dParams};
pub use dtype::DType;
pub use graph::{Graph, Node, NodeId, Output};
pub use op::{BinaryOp, Op, ReduceOp, UnaryOp};
pub use scalar::{Scalar, int_to_float, round_float, wrap_int};
pub use shape::{MAX_ELEMENTS, Shape};
pub use target::{Target, TileShape};
