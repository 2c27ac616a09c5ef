// Kernels whose gfx1100 code from clang-19 is the oracle for tests/post_ra_clang.rs:
// transcendental chains, a use a few VALUs after a TRANS, a TRANS carried around a
// loop, loads waited for by count, LDS around a barrier.
__kernel void chain(__global float *a, __global float *b) {
  int i = __builtin_amdgcn_workitem_id_x() + __builtin_amdgcn_workgroup_id_x() * 64;
  float x = a[i];
  float y = __builtin_amdgcn_exp2f(x);
  float z = __builtin_amdgcn_logf(y + x);
  float w = __builtin_amdgcn_rcpf(z * y);
  float v = __builtin_amdgcn_sqrtf(w) + w;
  float u = __builtin_amdgcn_rsqf(v) * x;
  b[i] = u + __builtin_amdgcn_sinf(u) * __builtin_amdgcn_cosf(v);
}
__kernel void spaced(__global float *a, __global float *b) {
  int i = __builtin_amdgcn_workitem_id_x() + __builtin_amdgcn_workgroup_id_x() * 64;
  float x = a[i], p = a[i + 64], q = a[i + 128];
  float y = __builtin_amdgcn_exp2f(x);
  float s = p * q; s = s * p + q; s = s * q + p; s = s * s + q;
  b[i] = y + s;
}
__kernel void loop(__global float *a, __global float *b, int n) {
  int i = __builtin_amdgcn_workitem_id_x() + __builtin_amdgcn_workgroup_id_x() * 64;
  float x = a[i];
  for (int k = 0; k < n; k++) {
    x = __builtin_amdgcn_rcpf(x + 1.0f);
  }
  b[i] = x;
}
__kernel void lds(__global float *a, __global float *b, __local float *t) {
  int l = __builtin_amdgcn_workitem_id_x();
  int i = l + __builtin_amdgcn_workgroup_id_x() * 64;
  t[l] = a[i];
  __builtin_amdgcn_s_barrier();
  float x = t[63 - l], y = t[(l + 1) & 63], z = t[(l + 7) & 63];
  b[i] = (x * z + y) * a[i + 64];
}
