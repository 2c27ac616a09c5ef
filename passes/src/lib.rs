//! egpu's compiler passes (see docs/architecture.md "Passes"), in pipeline order:
//! - [`simplify`]: egg e-graph rewriting with cost-based, deterministic extraction;
//! - [`schedule`]: petgraph fusion of the graph into kernels, and the buffers they use;
//! - [`optimize`]: per-target kernel plans ([`plan`]: launch shape, vector width, per-lane
//!   work, reduction strategy, shared-memory tiling, matrix tiles);
//! - [`lower`]: fusion groups to `ir::kernel` kernels, views composed into simplified index
//!   arithmetic;
//! - [`kernel_opt`]: kernel-IR optimizations (folding, strength reduction, CSE, LICM, DCE);
//! - [`pipeline`]: runs them in order, prints any stage, switches passes off by name.
//!
//! Depends only on `egpu-ir`.

mod fast_hash;
pub mod kernel_opt;
pub mod lower;
pub mod optimize;
pub mod pipeline;
pub mod plan;
pub mod schedule;
pub mod simplify;

pub use egpu_ir as ir;
