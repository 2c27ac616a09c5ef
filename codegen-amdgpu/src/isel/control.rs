//! Structured control flow: `if` (uniform: `s_cbranch_scc`; per-lane:
//! `s_and_saveexec_b32` / `s_cbranch_execz` / restore), `for` (uniform bounds: a scalar
//! loop; per-lane: EXEC narrowed each iteration), and accumulators.
