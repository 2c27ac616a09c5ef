//! The reference interpreter: evaluates any graph on the CPU in plain, obviously-correct code.
