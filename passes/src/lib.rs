//! egpu's compiler passes (see docs/architecture.md "Passes"):
//! - [`simplify`]: egg e-graph rewriting with cost-based, deterministic extraction;
//! - [`schedule`]: petgraph fusion of the graph into kernels, and the buffer plan.
//!
//! Still to come: `lower` (fusion groups to `ir::kernel` with symbolic index arithmetic) and
//! `optimize` (target-driven launch shapes, vector widths, reductions, tiling, tensor
//! cores), run by one pipeline with per-stage dumps and kill switches. Depends only on
//! `egpu-ir`.

pub mod lower;
pub mod optimize;
pub mod pipeline;
pub mod schedule;
pub mod simplify;

pub use egpu_ir as ir;
