// Small OpenCL kernels for the code-object test (the third spills an array to scratch) (compiled by clang-19 -nogpulib,
// so only builtins: no get_global_id).
kernel void vadd(global const float *a, global const float *b, global float *c, uint n) {
    uint i = __builtin_amdgcn_workgroup_id_x() * 256 + __builtin_amdgcn_workitem_id_x();
    if (i < n) {
        c[i] = a[i] + b[i];
    }
}

kernel void row_sum(global const float *x, global float *out, uint cols) {
    local float part[256];
    uint t = __builtin_amdgcn_workitem_id_x();
    uint row = __builtin_amdgcn_workgroup_id_y();
    float s = 0.0f;
    for (uint c = t; c < cols; c += 256) {
        s += x[row * cols + c];
    }
    part[t] = s;
    __builtin_amdgcn_fence(__ATOMIC_RELEASE, "workgroup");
    __builtin_amdgcn_s_barrier();
    __builtin_amdgcn_fence(__ATOMIC_ACQUIRE, "workgroup");
    if (t == 0) {
        float total = 0.0f;
        for (uint k = 0; k < 256; k++) {
            total += part[k];
        }
        out[row] = total;
    }
}

kernel void scratch(global float *a, uint n) {
    volatile float tmp[64];
    uint t = __builtin_amdgcn_workitem_id_x();
    for (uint i = 0; i < 64; i++) {
        tmp[i] = a[i * n + t];
    }
    a[t] = tmp[(t * 7) & 63];
}
