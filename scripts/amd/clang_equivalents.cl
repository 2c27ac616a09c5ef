// OpenCL C equivalents of egpu's gfx1100 kernels for three examples (same launch shape and
// work per lane), compiled by clang-19 -O3 to compare instruction and VGPR counts
// (scripts/amd/vs_clang). Without device libraries, builtins stand in for OpenCL's library.

// examples/add.egir: 32 lanes per workgroup, 4 floats per lane.
kernel void add(global const float4* restrict a, global const float4* restrict b,
                global float4* restrict c) {
  uint i = __builtin_amdgcn_workgroup_id_x() * 32 + __builtin_amdgcn_workitem_id_x();
  c[i] = a[i] + b[i];
}

// The xor butterfly over a wave32 (ds_swizzle bitmask mode: and 0x1f, xor k).
#define SWZ(x, k) as_float(__builtin_amdgcn_ds_swizzle(as_int(x), 0x1f | ((k) << 10)))

static float wave_sum(float x) {
  x += SWZ(x, 1); x += SWZ(x, 2); x += SWZ(x, 4); x += SWZ(x, 8); x += SWZ(x, 16);
  return x;
}

static float wave_max(float x) {
  x = __builtin_fmaxf(x, SWZ(x, 1)); x = __builtin_fmaxf(x, SWZ(x, 2));
  x = __builtin_fmaxf(x, SWZ(x, 4)); x = __builtin_fmaxf(x, SWZ(x, 8));
  x = __builtin_fmaxf(x, SWZ(x, 16));
  return x;
}

// examples/sum_rows.egir: one row of 256 per 32-lane workgroup.
kernel void sum_rows(global const float* restrict x, global float* restrict y) {
  uint row = __builtin_amdgcn_workgroup_id_x(), lane = __builtin_amdgcn_workitem_id_x();
  float acc = -0.0f;
  for (uint j = lane; j < 256; j += 32) acc += x[row * 256 + j];
  acc = wave_sum(acc);
  if (lane < 1) y[row] = acc;
}

// examples/softmax.egir: one row of 256 per 32-lane workgroup.
kernel void softmax(global const float* restrict x, global float* restrict y) {
  uint row = __builtin_amdgcn_workgroup_id_x(), lane = __builtin_amdgcn_workitem_id_x();
  float v[8], m = -INFINITY, s = -0.0f;
  for (int k = 0; k < 8; k++) { v[k] = x[row * 256 + lane + 32 * k]; m = __builtin_fmaxf(m, v[k]); }
  m = wave_max(m);
  for (int k = 0; k < 8; k++) { v[k] = __builtin_amdgcn_exp2f((v[k] - m) * 1.4426950216293335f); s += v[k]; }
  s = wave_sum(s);
  for (int k = 0; k < 8; k++) y[row * 256 + lane + 32 * k] = v[k] / s;
}
