//! Finding and running NVIDIA's assembler (being built: see docs/ptx.md).
