# Instruction forms the RDNA3 ISA layer must encode, decode and print exactly as LLVM does.
# One instruction per line; regen.sh runs llvm-mc-19 over this file to make encodings.txt.
# SOP2
s_add_u32 s0, s1, s2
s_sub_u32 s3, s4, 17
s_add_i32 s5, s6, -1
s_sub_i32 s7, 0x1234, s8
s_addc_u32 s9, s10, s11
s_subb_u32 s12, s13, s14
s_min_i32 s0, s1, s2
s_min_u32 s0, s1, 64
s_max_i32 s0, s1, -16
s_max_u32 s0, s1, s2
s_cselect_b32 s0, s1, 0
s_cselect_b64 s[0:1], s[2:3], 0
s_and_b32 s0, s1, 0xff00
s_and_b64 s[4:5], s[6:7], exec
s_or_b32 exec_lo, exec_lo, s6
s_or_b64 s[4:5], vcc, s[8:9]
s_xor_b32 s0, s1, s2
s_xor_b64 exec, exec, s[2:3]
s_and_not1_b32 s0, exec_lo, vcc_lo
s_or_not1_b32 s0, s1, s2
s_lshl_b32 s3, s15, 8
s_lshl_b64 s[0:1], s[2:3], 2
s_lshr_b32 s0, s1, 31
s_lshr_b64 s[0:1], s[2:3], s4
s_ashr_i32 s0, s1, 16
s_ashr_i64 s[0:1], s[2:3], 63
s_mul_i32 s0, s1, s2
s_mul_hi_u32 s0, s1, s2
s_mul_hi_i32 s0, s1, 0x10001
s_bfe_u32 s0, s1, 0x80008
s_bfe_i32 s0, s1, s2
s_lshl1_add_u32 s0, s1, s2
s_lshl2_add_u32 s0, s1, s2
s_lshl3_add_u32 s0, s1, s2
s_lshl4_add_u32 s0, s1, s2
s_pack_ll_b32_b16 s0, s1, s2
s_mov_b32 s0, 1.0
# SOP1
s_mov_b32 s0, s1
s_mov_b32 m0, -1
s_mov_b32 s105, 0x12345678
s_mov_b64 s[0:1], s[2:3]
s_mov_b64 exec, -1
s_cmov_b32 s0, s1
s_not_b32 s0, s1
s_brev_b32 s0, s1
s_ctz_i32_b32 s0, s1
s_clz_i32_u32 s0, s1
s_bcnt1_i32_b32 s0, s1
s_sext_i32_i8 s0, s1
s_sext_i32_i16 s0, s1
s_abs_i32 s0, s1
s_and_saveexec_b32 s6, vcc_lo
s_or_saveexec_b32 s6, s7
s_and_not1_saveexec_b32 s6, s7
s_getpc_b64 s[0:1]
s_setpc_b64 s[0:1]
# SOPC
s_cmp_eq_i32 s0, s1
s_cmp_lg_i32 s0, 0
s_cmp_gt_i32 s0, s1
s_cmp_ge_i32 s0, s1
s_cmp_lt_i32 s0, -4
s_cmp_le_i32 s0, s1
s_cmp_eq_u32 s0, 0x100
s_cmp_lg_u32 s0, s1
s_cmp_gt_u32 s0, s1
s_cmp_ge_u32 s0, s1
s_cmp_lt_u32 s0, s1
s_cmp_le_u32 s0, s1
s_bitcmp0_b32 s0, 3
s_bitcmp1_b32 s0, s1
s_cmp_eq_u64 s[0:1], s[2:3]
s_cmp_lg_u64 s[0:1], 0
# SOPK
s_movk_i32 s0, 0x1234
s_cmovk_i32 s0, 0x10
s_cmpk_eq_u32 s0, 0x12
s_cmpk_lg_i32 s1, 0x7fff
s_addk_i32 s0, 0xfff0
s_mulk_i32 s0, 0x3
s_waitcnt_vscnt null, 0x0
s_waitcnt_vscnt null, 0x3
# SOPP
s_nop 0
s_nop 7
s_endpgm
s_branch 1
s_branch -5
s_cbranch_scc0 2
s_cbranch_scc1 3
s_cbranch_vccz 4
s_cbranch_vccnz -3
s_cbranch_execz 3
s_cbranch_execnz 0
s_barrier
s_waitcnt vmcnt(0)
s_waitcnt lgkmcnt(0)
s_waitcnt vmcnt(0) lgkmcnt(0)
s_waitcnt vmcnt(2) expcnt(1) lgkmcnt(3)
s_waitcnt expcnt(0)
s_waitcnt_depctr 0xfff
s_delay_alu instid0(VALU_DEP_1)
s_delay_alu instid0(VALU_DEP_1) | instskip(NEXT) | instid1(VALU_DEP_2)
s_delay_alu instid0(TRANS32_DEP_1) | instskip(SKIP_2) | instid1(SALU_CYCLE_1)
s_code_end
s_sendmsg sendmsg(MSG_DEALLOC_VGPRS)
s_sleep 2
# SMEM
s_load_b32 s4, s[0:1], 0x18
s_load_b64 s[2:3], s[0:1], 0x10
s_load_b128 s[4:7], s[0:1], 0x0
s_load_b256 s[8:15], s[2:3], 0x40
s_load_b512 s[16:31], s[2:3], 0x100
s_load_b32 s4, s[0:1], -0x8
s_load_b32 s4, s[0:1], s5 offset:0x18
s_load_b64 s[4:5], s[0:1], s6
s_load_b32 s4, s[0:1], 0x18 glc dlc
# VOP1
v_nop
v_mov_b32 v0, v1
v_mov_b32 v1, s2
v_mov_b32 v255, 0x3fb8aa3b
v_mov_b32 v0, -4.0
v_mov_b32 v0, 0.15915494
v_readfirstlane_b32 s0, v1
v_cvt_f32_i32 v0, v1
v_cvt_f32_u32 v0, v1
v_cvt_u32_f32 v0, v1
v_cvt_i32_f32 v0, v1
v_cvt_f16_f32 v0, v1
v_cvt_f32_f16 v0, v1
v_cvt_f64_f32 v[0:1], v2
v_cvt_f32_f64 v0, v[2:3]
v_cvt_f64_i32 v[0:1], v2
v_cvt_i32_f64 v0, v[2:3]
v_cvt_f64_u32 v[0:1], v2
v_cvt_u32_f64 v0, v[2:3]
v_cvt_f32_ubyte0 v0, v1
v_cvt_f16_u16 v0, v1
v_cvt_f16_i16 v0, v1
v_cvt_u16_f16 v0, v1
v_cvt_i16_f16 v0, v1
v_fract_f32 v0, v1
v_trunc_f32 v0, v1
v_ceil_f32 v0, v1
v_rndne_f32 v0, v1
v_floor_f32 v0, v1
v_exp_f32 v2, v2
v_log_f32 v0, v1
v_rcp_f32 v2, v2
v_rcp_iflag_f32 v0, v1
v_rsq_f32 v0, v1
v_sqrt_f32 v0, s1
v_sin_f32 v0, v1
v_cos_f32 v0, v1
v_not_b32 v0, v1
v_bfrev_b32 v0, v1
v_clz_i32_u32 v0, v1
v_ctz_i32_b32 v0, v1
v_rcp_f64 v[0:1], v[2:3]
v_rsq_f64 v[0:1], v[2:3]
v_sqrt_f64 v[0:1], s[2:3]
v_exp_f16 v0, v1
v_log_f16 v0, v1
v_rcp_f16 v0, v1
v_sqrt_f16 v0, v1
v_rsq_f16 v0, v1
v_sin_f16 v0, v1
v_cos_f16 v0, v1
v_floor_f16 v0, v1
v_trunc_f32 v0, 0.5
# VOP2
v_cndmask_b32 v0, v1, v2, vcc_lo
v_add_f32 v2, v2, v3
v_add_f32 v0, 0x3f000001, v1
v_sub_f32 v0, v1, v2
v_subrev_f32 v0, s1, v2
v_mul_f32 v2, 0x3fb8aa3b, v2
v_min_f32 v0, v1, v2
v_max_f32 v2, v2, v3
v_mul_i32_i24 v0, v1, v2
v_mul_u32_u24 v0, v1, v2
v_min_i32 v0, v1, v2
v_max_i32 v0, -1, v2
v_min_u32 v0, v1, v2
v_max_u32 v0, v1, v2
v_lshrrev_b32 v0, 31, v1
v_ashrrev_i32 v0, 16, v1
v_lshlrev_b32 v1, 2, v0
v_and_b32 v0, 0x3ff, v0
v_or_b32 v0, v1, v2
v_xor_b32 v0, 0x80000000, v2
v_xnor_b32 v0, v1, v2
v_add_nc_u32 v0, s3, v0
v_sub_nc_u32 v0, v1, v2
v_subrev_nc_u32 v0, v1, v2
v_add_co_ci_u32 v3, vcc_lo, s3, v4, vcc_lo
v_sub_co_ci_u32 v3, vcc_lo, v1, v4, vcc_lo
v_subrev_co_ci_u32 v3, vcc_lo, v1, v4, vcc_lo
v_fmac_f32 v2, v3, v4
v_add_f16 v0, v1, v2
v_sub_f16 v0, v1, v2
v_mul_f16 v0, 0x3c01, v2
v_fmac_f16 v0, v1, v2
v_max_f16 v0, v1, v2
v_min_f16 v0, v1, v2
v_ldexp_f16 v0, v1, v2
v_cvt_pk_rtz_f16_f32 v0, v1, v2
# VOPC (e32 writes vcc_lo)
v_cmp_lt_f32 vcc_lo, v1, v2
v_cmp_eq_f32 vcc_lo, v1, v2
v_cmp_le_f32 vcc_lo, v1, v2
v_cmp_gt_f32 vcc_lo, 0, v2
v_cmp_lg_f32 vcc_lo, v1, v2
v_cmp_ge_f32 vcc_lo, v1, v2
v_cmp_o_f32 vcc_lo, v1, v2
v_cmp_u_f32 vcc_lo, v1, v2
v_cmp_neq_f32 vcc_lo, v1, v2
v_cmp_nlt_f32 vcc_lo, v1, v2
v_cmp_lt_i32 vcc_lo, v1, v2
v_cmp_eq_i32 vcc_lo, s1, v2
v_cmp_le_i32 vcc_lo, v1, v2
v_cmp_gt_i32 vcc_lo, v1, v2
v_cmp_ne_i32 vcc_lo, v1, v2
v_cmp_ge_i32 vcc_lo, v1, v2
v_cmp_lt_u32 vcc_lo, v1, v2
v_cmp_eq_u32 vcc_lo, v1, v2
v_cmp_le_u32 vcc_lo, v1, v2
v_cmp_gt_u32 vcc_lo, s4, v0
v_cmp_ne_u32 vcc_lo, v1, v2
v_cmp_ge_u32 vcc_lo, v1, v2
v_cmp_lt_f16 vcc_lo, v1, v2
v_cmp_eq_f16 vcc_lo, v1, v2
v_cmp_lt_f64 vcc_lo, v[0:1], v[2:3]
v_cmp_eq_f64 vcc_lo, v[0:1], v[2:3]
v_cmp_lt_i64 vcc_lo, v[0:1], v[2:3]
v_cmp_eq_u64 vcc_lo, v[0:1], v[2:3]
v_cmp_class_f32 vcc_lo, v1, v2
# VOPC as VOP3 (e64 writes any SGPR)
v_cmp_gt_u32_e64 s5, s4, v0
v_cmp_lt_f32_e64 s4, -v1, |v2|
v_cmp_eq_i32_e64 vcc_lo, v1, 0x1234
v_cmp_ne_u32_e64 s0, 0, v1
v_cmp_lt_f64_e64 s2, v[0:1], v[2:3]
# VOP1/VOP2 promoted to VOP3
v_mov_b32_e64 v0, s1
v_cvt_f32_i32_e64 v0, v1 mul:4
v_cvt_f32_f16_e64 v0, -v1
v_exp_f32_e64 v0, |v1|
v_add_f32_e64 v0, -v1, |v2| clamp mul:2
v_max_f32_e64 v0, v1, v2 div:2
v_add_nc_u32_e64 v0, v1, v2 clamp
v_cndmask_b32_e64 v0, v1, v2, s4
v_cndmask_b32_e64 v0, -v1, |v2|, s4
v_mul_f32_e64 v0, s1, s2
v_lshlrev_b32_e64 v0, v1, 0x1234
# VOP3
v_fma_f32 v2, v3, v4, v5
v_fma_f32 v0, -|v1|, v2, v3 div:2
v_fma_f32 v0, v1, 0x3f000001, v3
v_fma_f16 v0, v1, v2, v3
v_fma_f64 v[0:1], v[2:3], v[4:5], v[6:7]
v_fma_f64 v[0:1], 0.15915494309189532, v[2:3], -v[4:5]
v_add_f64 v[0:1], v[2:3], v[4:5]
v_add_f64 v[0:1], s[2:3], 2.0
v_mul_f64 v[0:1], v[2:3], v[4:5]
v_min_f64 v[0:1], v[2:3], v[4:5]
v_max_f64 v[0:1], v[2:3], v[4:5]
v_ldexp_f64 v[0:1], v[2:3], v4
v_mul_hi_u32 v0, v1, v2
v_mul_hi_i32 v0, v1, v2
v_mul_lo_u32 v0, v1, v2
v_mul_lo_u32 v0, 0x1234, v1
v_mad_u32_u24 v0, v1, v2, v3
v_mad_i32_i24 v0, v1, v2, v3
v_bfe_u32 v0, v1, 8, 8
v_bfe_i32 v0, v1, v2, v3
v_bfi_b32 v0, v1, v2, v3
v_alignbit_b32 v0, v1, v2, v3
v_lshlrev_b64 v[0:1], 2, v[2:3]
v_lshrrev_b64 v[0:1], v2, v[2:3]
v_ashrrev_i64 v[0:1], 63, v[2:3]
v_add3_u32 v0, v1, v2, v3
v_add3_u32 v0, 0x1234, v1, 0x1234
v_lshl_add_u32 v0, v1, 2, v3
v_add_lshl_u32 v0, v1, v2, v3
v_and_or_b32 v0, v1, v2, v3
v_or3_b32 v0, v1, v2, v3
v_lshl_or_b32 v0, v1, 16, v3
v_xad_u32 v0, v1, v2, v3
v_max3_f32 v0, v1, v2, v3
v_min3_f32 v0, v1, v2, v3
v_med3_f32 v0, v1, v2, v3
v_max3_i32 v0, v1, v2, v3
v_min3_i32 v0, v1, v2, v3
v_max3_u32 v0, v1, v2, v3
v_min3_u32 v0, v1, v2, v3
v_div_fixup_f32 v0, v1, v2, v3
v_div_fmas_f32 v0, v1, v2, v3
v_ldexp_f32 v0, v1, v2
v_perm_b32 v0, v1, v2, 0x5040100
v_readlane_b32 s0, v1, 3
v_writelane_b32 v0, s1, 3
v_cvt_pk_u16_u32 v0, v1, v2
v_pack_b32_f16 v0, v1, v2
# VOP3SD (carry/scale written to an SGPR)
v_add_co_u32 v2, vcc_lo, s2, v1
v_add_co_u32 v0, s4, v1, v2
v_sub_co_u32 v0, s4, v1, v2
v_subrev_co_u32 v0, vcc_lo, v1, v2
v_add_co_ci_u32_e64 v3, s4, s3, v4, s5
v_sub_co_ci_u32_e64 v3, s4, v1, v4, s5
v_mad_u64_u32 v[2:3], null, s15, s4, v[0:1]
v_mad_i64_i32 v[2:3], s6, v4, v5, v[6:7]
v_div_scale_f32 v0, vcc_lo, v1, v2, v3
v_div_scale_f64 v[0:1], s4, v[2:3], v[4:5], v[6:7]
# VOP3P
v_pk_add_f16 v0, v1, v2
v_pk_add_f16 v0, v1, v2 op_sel:[1,0]
v_pk_mul_f16 v0, v1, v2 op_sel_hi:[0,0]
v_pk_fma_f16 v0, v1, v2, v3
v_pk_fma_f16 v0, v1, v2, v3 op_sel:[1,0,0] op_sel_hi:[0,1,1]
v_pk_fma_f16 v0, v1, v2, v3 neg_lo:[1,0,0] neg_hi:[0,1,0]
v_pk_max_f16 v0, v1, v2
v_pk_min_f16 v0, v1, v2
v_pk_add_u16 v0, v1, v2
v_pk_mul_lo_u16 v0, v1, v2
v_dot2_f32_f16 v0, v1, v2, v3
v_fma_mix_f32 v0, v1, v2, v3 op_sel_hi:[1,1,0]
v_wmma_f32_16x16x16_f16 v[0:7], v[8:15], v[16:23], v[0:7]
v_wmma_f32_16x16x16_bf16 v[0:7], v[8:15], v[16:23], v[0:7]
v_wmma_f16_16x16x16_f16 v[0:7], v[8:15], v[16:23], v[0:7]
# GLOBAL / FLAT
global_load_b32 v2, v1, s[2:3] offset:16
global_load_b32 v2, v[2:3], off
global_load_b64 v[0:1], v2, s[4:5]
global_load_b96 v[0:2], v3, s[4:5]
global_load_b128 v[4:7], v1, s[2:3]
global_load_u8 v0, v[0:1], off offset:-8
global_load_i8 v0, v1, s[2:3]
global_load_u16 v0, v1, s[2:3] offset:2
global_load_i16 v0, v1, s[2:3]
global_load_b32 v0, v1, s[2:3] glc slc dlc
global_store_b32 v1, v2, s[2:3]
global_store_b64 v1, v[2:3], s[2:3] offset:16 glc slc dlc
global_store_b96 v1, v[2:4], s[2:3]
global_store_b128 v[0:1], v[2:5], off offset:4095
global_store_b8 v1, v2, s[2:3]
global_store_b16 v1, v2, s[2:3] offset:-4096
global_atomic_add_u32 v1, v2, s[2:3]
global_atomic_add_u32 v0, v1, v2, s[2:3] glc
global_atomic_add_f32 v1, v2, s[2:3]
global_atomic_max_i32 v1, v2, s[2:3]
global_atomic_min_i32 v1, v2, s[2:3] offset:8
global_atomic_max_u32 v1, v2, s[2:3]
global_atomic_min_u32 v1, v2, s[2:3]
global_atomic_swap_b32 v0, v1, v2, s[2:3] glc
global_atomic_cmpswap_b32 v0, v1, v[2:3], s[2:3] glc
global_atomic_and_b32 v1, v2, s[2:3]
global_atomic_or_b32 v1, v2, s[2:3]
global_atomic_xor_b32 v1, v2, s[2:3]
global_atomic_add_u64 v1, v[2:3], s[2:3]
flat_load_b32 v0, v[2:3] offset:8
flat_store_b32 v[2:3], v4
# DS
ds_load_b32 v2, v1 offset:128
ds_load_b64 v[0:1], v1
ds_load_b128 v[0:3], v4 offset:16
ds_load_u8 v0, v1
ds_load_i8 v0, v1
ds_load_u16 v0, v1 offset:2
ds_load_i16 v0, v1
ds_store_b32 v1, v2 offset:64
ds_store_b64 v1, v[2:3]
ds_store_b128 v1, v[2:5] offset:65535
ds_store_b8 v1, v2
ds_store_b16 v1, v2
ds_add_u32 v1, v2 offset:4
ds_add_f32 v1, v2
ds_max_i32 v1, v2
ds_min_i32 v1, v2
ds_max_u32 v1, v2
ds_min_u32 v1, v2
ds_add_rtn_u32 v0, v1, v2 offset:8
ds_add_rtn_f32 v0, v1, v2
ds_load_2addr_b32 v[0:1], v2 offset0:1 offset1:2
ds_store_2addr_b32 v0, v1, v2 offset0:3 offset1:4
ds_swizzle_b32 v0, v1 offset:swizzle(SWAP,16)
ds_swizzle_b32 v0, v1 offset:swizzle(SWAP,1)
ds_swizzle_b32 v0, v1 offset:swizzle(QUAD_PERM,1,0,3,2)
ds_swizzle_b32 v0, v1 offset:swizzle(BROADCAST,8,3)
ds_swizzle_b32 v0, v1 offset:swizzle(BROADCAST,32,0)
ds_swizzle_b32 v0, v1 offset:swizzle(REVERSE,32)
ds_swizzle_b32 v0, v1 offset:0xffff
ds_bpermute_b32 v0, v1, v2
ds_permute_b32 v0, v1, v2 offset:4
# SCRATCH (spills): VGPR offset or off, SGPR offset or off
scratch_load_b32 v0, off, s2 offset:8
scratch_load_b32 v0, v1, off
scratch_load_b64 v[0:1], off, off offset:16
scratch_load_b128 v[0:3], v1, s2
scratch_store_b32 off, v2, s3 offset:4
scratch_store_b64 v1, v[2:3], off
scratch_store_b128 off, v[4:7], off offset:-16
# more forms a kernel compiler emits
s_mov_b32 exec_lo, s0
s_mov_b32 exec_lo, -1
v_cmp_lt_f16_e64 s0, v1, v2
v_cmp_eq_u64_e64 s0, v[0:1], 0
v_add_co_u32 v0, vcc_lo, v1, 0x100
v_mad_u64_u32 v[4:5], null, v0, 0x100, v[2:3]
v_sub_f32_e64 v0, |v1|, -v2 clamp
v_cvt_f32_u32_e64 v0, s1 clamp
# D: clause and prefetch hints in clang-19's code (egpu disasm)
s_clause 0x1
s_clause 0x3f
s_clause 0x100
s_set_inst_prefetch_distance 0x1
# E: emulator fidelity kernels
v_cmp_ngt_f32 vcc_lo, v1, v2
v_cmp_ngt_f32_e64 s1, v1, v2
# INT: integer widths, division and conversions
v_cmp_lt_u64_e64 s0, v[0:1], v[2:3]
v_cmp_ne_u64_e64 s0, v[0:1], 0
v_cmp_ge_u64_e32 vcc_lo, v[0:1], v[2:3]
v_cmp_gt_f64_e64 s0, |v[0:1]|, |v[2:3]|
v_cmp_lg_f64_e64 s0, v[0:1], v[2:3]
v_cmp_ge_f64_e64 s0, v[0:1], 1.0
v_med3_i32 v0, v1, -1, 0x7f
v_med3_u32 v0, s1, v2, v3
v_trunc_f64_e32 v[0:1], v[2:3]
# FLOAT: f16/f64 rounding, compares, division, frexp
v_trunc_f16 v0, v1
v_trunc_f16_e64 v0, -v1
v_trunc_f64 v[0:1], v[2:3]
v_rndne_f64 v[0:1], v[2:3]
v_frexp_mant_f64 v[0:1], v[2:3]
v_frexp_exp_i32_f64 v0, v[2:3]
v_frexp_exp_i32_f64_e64 v0, |v[2:3]|
v_cmp_u_f16 vcc_lo, v1, v2
v_cmp_u_f16_e64 s0, v1, v2
v_cmp_neq_f16_e64 s0, v1, v2
v_cmp_gt_f64_e64 s0, v[0:1], v[2:3]
v_cmp_u_f64_e64 s0, v[0:1], v[2:3]
v_cmp_neq_f64_e64 s0, v[0:1], v[2:3]
v_cmp_class_f64_e64 s0, v[0:1], 0x204
v_cmp_class_f64 vcc_lo, v[0:1], v2
v_div_fixup_f64 v[0:1], v[2:3], v[4:5], v[6:7]
v_div_fmas_f64 v[0:1], v[2:3], v[4:5], v[6:7]
v_div_scale_f64 v[0:1], vcc_lo, v[2:3], v[4:5], v[2:3]
v_div_scale_f32 v0, null, v1, v1, v2
v_div_fmas_f32 v0, v1, v2, v3
v_div_fixup_f32 v0, v1, v2, v3
v_fma_f64 v[0:1], -v[2:3], v[4:5], 1.0
v_add_f64 v[0:1], v[2:3], -v[4:5]
v_max_f64 v[0:1], v[2:3], v[4:5]
v_trunc_f64_e64 v[0:1], -v[2:3]
# COOP: cache invalidates, d16 LDS loads, lane id
buffer_gl0_inv
buffer_gl1_inv
ds_load_u16_d16 v0, v1 offset:2
ds_load_u16_d16_hi v0, v1 offset:34
v_mbcnt_lo_u32_b32 v0, -1, 0
# VOPD: every opcode as X and as Y, shared literals and K, scalar and constant sources
v_dual_fmac_f32 v0, v1, v2 :: v_dual_fmac_f32 v3, v4, v5
v_dual_fmaak_f32 v0, v1, v2, 0x3f800001 :: v_dual_mov_b32 v3, v4
v_dual_fmamk_f32 v0, v1, 0x3f800001, v2 :: v_dual_mov_b32 v3, v4
v_dual_mul_f32 v0, v1, v2 :: v_dual_add_f32 v3, v4, v5
v_dual_add_f32 v0, v1, v2 :: v_dual_mul_f32 v3, v4, v5
v_dual_sub_f32 v0, v1, v2 :: v_dual_subrev_f32 v3, v4, v5
v_dual_subrev_f32 v0, v1, v2 :: v_dual_sub_f32 v3, v4, v5
v_dual_mul_dx9_zero_f32 v0, v1, v2 :: v_dual_mul_dx9_zero_f32 v3, v4, v5
v_dual_mov_b32 v0, v1 :: v_dual_cndmask_b32 v3, v4, v5
v_dual_cndmask_b32 v0, v1, v2 :: v_dual_max_f32 v3, v4, v5
v_dual_max_f32 v0, v1, v2 :: v_dual_min_f32 v3, v4, v5
v_dual_min_f32 v0, v1, v2 :: v_dual_dot2acc_f32_f16 v3, v4, v5
v_dual_dot2acc_f32_f16 v0, v1, v2 :: v_dual_mov_b32 v3, v6
v_dual_mov_b32 v0, v1 :: v_dual_add_nc_u32 v3, v4, v5
v_dual_mov_b32 v0, v1 :: v_dual_lshlrev_b32 v3, v4, v5
v_dual_mov_b32 v0, v1 :: v_dual_and_b32 v3, v4, v5
v_dual_mov_b32 v0, v1 :: v_dual_fmaak_f32 v3, v4, v5, 0x1234
v_dual_mov_b32 v0, v1 :: v_dual_fmamk_f32 v3, v4, 0x1234, v5
v_dual_mov_b32 v0, s1 :: v_dual_mov_b32 v3, 1.0
v_dual_mov_b32 v0, 0x1234 :: v_dual_mov_b32 v3, 0x1234
v_dual_mov_b32 v255, v1 :: v_dual_mov_b32 v254, v2
v_dual_mov_b32 v0, vcc_lo :: v_dual_mov_b32 v1, exec_lo
v_dual_mov_b32 v0, -4.0 :: v_dual_mov_b32 v1, 0.15915494
v_dual_mul_f32 v0, s1, v2 :: v_dual_add_f32 v3, s2, v7
v_dual_mul_f32 v0, 0x1234, v2 :: v_dual_add_f32 v3, s1, v7
v_dual_fmaak_f32 v0, v1, v2, 0x1234 :: v_dual_fmaak_f32 v3, v4, v7, 0x1234
v_dual_fmaak_f32 v0, 0x1234, v2, 0x1234 :: v_dual_mov_b32 v3, v4
v_dual_fmaak_f32 v0, v1, v2, 0x3f800000 :: v_dual_mov_b32 v3, v4
v_dual_fmaak_f32 v8, v1, v2, 0 :: v_dual_mov_b32 v9, -1
v_dual_mov_b32 v3, 17 :: v_dual_fmamk_f32 v0, 17, 0x11, v2
v_dual_fmac_f32 v0, 1.0, v2 :: v_dual_mov_b32 v3, v1
v_dual_cndmask_b32 v0, s1, v2 :: v_dual_cndmask_b32 v3, v1, v7
# v_cmpx: every compare that writes EXEC, in the 32-bit form; some in the VOP3 form
v_cmpx_lt_f32 v1, v2
v_cmpx_eq_f32 v1, v2
v_cmpx_le_f32 v1, v2
v_cmpx_gt_f32 v1, v2
v_cmpx_lg_f32 v1, v2
v_cmpx_ge_f32 v1, v2
v_cmpx_o_f32 v1, v2
v_cmpx_u_f32 v1, v2
v_cmpx_neq_f32 v1, v2
v_cmpx_nlt_f32 v1, v2
v_cmpx_lt_i32 v1, v2
v_cmpx_eq_i32 v1, v2
v_cmpx_le_i32 v1, v2
v_cmpx_gt_i32 v1, v2
v_cmpx_ne_i32 v1, v2
v_cmpx_ge_i32 v1, v2
v_cmpx_lt_u32 v1, v2
v_cmpx_eq_u32 v1, v2
v_cmpx_le_u32 v1, v2
v_cmpx_gt_u32 v1, v2
v_cmpx_ne_u32 v1, v2
v_cmpx_ge_u32 v1, v2
v_cmpx_lt_f16 v1, v2
v_cmpx_eq_f16 v1, v2
v_cmpx_lt_f64 v[0:1], v[2:3]
v_cmpx_eq_f64 v[0:1], v[2:3]
v_cmpx_lt_i64 v[0:1], v[2:3]
v_cmpx_eq_u64 v[0:1], v[2:3]
v_cmpx_class_f32 v1, v2
v_cmpx_ngt_f32 v1, v2
v_cmpx_lt_u64 v[0:1], v[2:3]
v_cmpx_ne_u64 v[0:1], v[2:3]
v_cmpx_ge_u64 v[0:1], v[2:3]
v_cmpx_gt_f64 v[0:1], v[2:3]
v_cmpx_lg_f64 v[0:1], v[2:3]
v_cmpx_ge_f64 v[0:1], v[2:3]
v_cmpx_u_f16 v1, v2
v_cmpx_neq_f16 v1, v2
v_cmpx_u_f64 v[0:1], v[2:3]
v_cmpx_neq_f64 v[0:1], v[2:3]
v_cmpx_class_f64 v[0:1], v2
v_cmpx_gt_u32 16, v0
v_cmpx_gt_u32_e64 v1, s2
v_cmpx_lt_f32_e64 -v1, |v2|
v_cmpx_class_f32_e64 v1, 3
v_cmpx_lt_f32_e64 v1, v2 clamp
v_cmpx_eq_u32_e64 s1, 0x1234
v_cmpx_ne_u64_e64 s[2:3], v[4:5]
# v_fma_mixlo/mixhi_f16: the f16 results of v_fma_mix, into the low or high half
v_fma_mixlo_f16 v0, v1, v2, v3
v_fma_mixlo_f16 v0, v1, v2, v3 op_sel_hi:[1,1,1]
v_fma_mixhi_f16 v0, v1, v2, v3 op_sel:[1,0,0] op_sel_hi:[1,1,0] clamp
v_fma_mixhi_f16 v5, s1, v2, 1.0 op_sel_hi:[0,1,0]
# v_fmaak/fmamk: VOP2 FMAs with a K literal, which src0 may share
v_fmaak_f32 v0, v1, v2, 0x1234
v_fmamk_f32 v0, v1, 0x1234, v2
v_fmaak_f16 v0, v1, v2, 0x3c00
v_fmamk_f16 v0, 1.0, 0x3c00, v2
v_fmaak_f32 v0, 0x1234, v2, 0x1234
v_fmamk_f32 v0, s1, 0x3f800000, v2
v_fmaak_f32 v0, 1.0, v2, 0x0
v_fmamk_f32 v255, v1, 0x1, v255
