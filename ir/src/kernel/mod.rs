//! The kernel IR: one GPU kernel with its parameters, launch shape, shared memory and a
//! structured SSA body; a deterministic printer and a CPU interpreter.
