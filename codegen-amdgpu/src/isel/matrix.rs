//! `matrix_tile` and matrix fragments with `v_wmma_f32_16x16x16_f16` / `_bf16`: A and B
//! fragments loaded from LDS (16 halves per lane, lanes 16–31 repeating lanes 0–15), the
//! 8-VGPR C/D fragment kept in registers across a k-loop.
