//! Shared helpers for egpu's cross-crate tests (random graph generators, tolerances).
pub mod random_graph;
