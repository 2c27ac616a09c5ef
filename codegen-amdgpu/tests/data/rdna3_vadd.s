// c[i] = a[i] + b[i], i = wg_id_x * 256 + tid_x, guarded by i < n
// kernargs: a (u64 @0), b (u64 @8), c (u64 @16), count (u32 @24)  => 28 bytes
  .amdgcn_target "amdgcn-amd-amdhsa--gfx1100"
  .amdhsa_code_object_version 5
  .text
  .globl vadd
  .p2align 8
  .type vadd,@function
vadd:
  s_load_b128 s[4:7], s[0:1], 0x0        // s[4:5]=a, s[6:7]=b
  s_load_b64  s[8:9], s[0:1], 0x10       // c
  s_load_b32  s10, s[0:1], 0x18          // n
  v_and_b32   v0, 0x3ff, v0              // packed workitem id: x in bits 9:0
  s_lshl_b32  s3, s15, 8                 // s15 = workgroup_id_x (user_sgpr_count padded to 15, see UserSGPRInit16Bug) ; *256
  v_add_nc_u32 v0, s3, v0                // i
  s_waitcnt lgkmcnt(0)
  v_cmp_gt_u32 vcc_lo, s10, v0           // n > i
  s_and_saveexec_b32 s11, vcc_lo
  s_cbranch_execz .Ldone
  v_lshlrev_b32 v1, 2, v0                // byte offset
  global_load_b32 v2, v1, s[4:5]
  global_load_b32 v3, v1, s[6:7]
  s_waitcnt vmcnt(0)
  v_add_f32   v2, v2, v3
  global_store_b32 v1, v2, s[8:9]
.Ldone:
  s_nop 0
  s_sendmsg sendmsg(MSG_DEALLOC_VGPRS)
  s_endpgm
.Lfunc_end0:
  .size vadd, .Lfunc_end0-vadd

  .rodata
  .p2align 6
  .amdhsa_kernel vadd
    .amdhsa_user_sgpr_kernarg_segment_ptr 1
    .amdhsa_user_sgpr_count 15           // gfx1100 wave32: user+system SGPRs must be >= 16
    .amdhsa_system_sgpr_workgroup_id_x 1
    .amdhsa_system_vgpr_workitem_id 0
    .amdhsa_kernarg_size 28
    .amdhsa_next_free_vgpr 4
    .amdhsa_next_free_sgpr 16
    .amdhsa_wavefront_size32 1
    .amdhsa_float_denorm_mode_32 3
    .amdhsa_float_denorm_mode_16_64 3
  .end_amdhsa_kernel
  .protected vadd.kd                     // as clang-19 marks descriptors (added to the shared/reference copy)

  .amdgpu_metadata
---
amdhsa.version: [ 1, 2 ]
amdhsa.target: amdgcn-amd-amdhsa--gfx1100
amdhsa.kernels:
  - .name: vadd
    .symbol: vadd.kd
    .language: Assembler
    .kernarg_segment_size: 28
    .kernarg_segment_align: 8
    .group_segment_fixed_size: 0
    .private_segment_fixed_size: 0
    .wavefront_size: 32
    .sgpr_count: 18                  # next_free_sgpr(16) + 2 for VCC, as LLVM reports on GFX10+
    .vgpr_count: 4
    .agpr_count: 0
    .max_flat_workgroup_size: 256
    .sgpr_spill_count: 0
    .vgpr_spill_count: 0
    .uses_dynamic_stack: false
    .workgroup_processor_mode: 1
    .args:
      - { .name: a, .offset: 0,  .size: 8, .value_kind: global_buffer, .address_space: global, .actual_access: read_only }
      - { .name: b, .offset: 8,  .size: 8, .value_kind: global_buffer, .address_space: global, .actual_access: read_only }
      - { .name: c, .offset: 16, .size: 8, .value_kind: global_buffer, .address_space: global, .actual_access: write_only }
      - { .name: count, .offset: 24, .size: 4, .value_kind: by_value }
...
  .end_amdgpu_metadata
