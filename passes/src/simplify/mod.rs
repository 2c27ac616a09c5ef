//! E-graph simplification (egg).
