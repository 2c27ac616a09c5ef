//! Fusion and scheduling (petgraph).
