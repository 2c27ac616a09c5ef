//! egpu's compiler passes (to be built, see DESIGN.md "Passes"): `simplify` (egg e-graph
//! rewriting with cost-based extraction), `schedule` (petgraph fusion into kernels and the
//! buffer plan), `lower` (fusion groups to `ir::Kernel` with symbolic index arithmetic) and
//! `optimize` (target-driven launch shapes, vector widths, reductions, tiling, tensor cores),
//! run by one pipeline with per-stage dumps and kill switches. Depends only on `egpu-ir`.

pub use egpu_ir as ir;
