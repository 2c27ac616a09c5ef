// A small gfx1100 kernel with forward and backward branches, for comparing our
// disassembly of an object file with llvm-objdump-19's, line by line (tests/objdump.rs).
// out[i] = sum over j < n of in[i * n + j], one lane per row.
  .amdgcn_target "amdgcn-amd-amdhsa--gfx1100"
  .text
  .globl rowsum
  .p2align 8
  .type rowsum,@function
rowsum:
  s_load_b128 s[4:7], s[0:1], 0x0
  s_load_b32 s8, s[0:1], 0x10
  v_and_b32 v0, 0x3ff, v0
  s_lshl_b32 s2, s15, 8
  v_add_nc_u32 v0, s2, v0
  s_waitcnt lgkmcnt(0)
  v_mul_lo_u32 v1, v0, s8
  v_mov_b32 v2, 0
  s_mov_b32 s9, 0
  s_cmp_eq_u32 s8, 0
  s_cbranch_scc1 .Lstore
.Lloop:
  v_add_nc_u32 v3, s9, v1
  v_lshlrev_b32 v3, 2, v3
  global_load_b32 v4, v3, s[4:5]
  s_add_i32 s9, s9, 1
  s_cmp_lg_u32 s9, s8
  s_waitcnt vmcnt(0)
  v_add_f32 v2, v2, v4
  s_cbranch_scc1 .Lloop
.Lstore:
  v_lshlrev_b32 v0, 2, v0
  global_store_b32 v0, v2, s[6:7]
  s_waitcnt_vscnt null, 0x0
  v_exp_f32 v5, v2
  s_waitcnt_depctr 0xfff
  v_fma_f32 v5, -v5, 0.5, 1.0
  ds_store_b32 v0, v5 offset:16
  s_waitcnt lgkmcnt(0)
  s_barrier
  ds_load_b32 v6, v0 offset:16
  ds_swizzle_b32 v7, v6 offset:swizzle(SWAP,1)
  s_delay_alu instid0(VALU_DEP_1) | instskip(NEXT) | instid1(VALU_DEP_2)
  v_cndmask_b32 v7, v6, v7, vcc_lo
  s_branch .Lend
  s_nop 7
.Lend:
  s_nop 0
  s_sendmsg sendmsg(MSG_DEALLOC_VGPRS)
  s_endpgm
  s_code_end
