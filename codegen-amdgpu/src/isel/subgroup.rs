//! Subgroup reductions over a wave32: an xor butterfly with offsets 1, 2, 4, 8, 16
//! (`ds_swizzle_b32` in bitmask mode or DPP), each step rounded like the binary op.
