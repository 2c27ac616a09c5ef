// The workgroup release/acquire around a barrier, as LLVM lowers it for gfx1100 (the oracle
// for isel's `barrier` when lanes may share global data): LDS and global stores, then the
// fenced barrier, then loads of what other lanes stored.
kernel void fenced(global float *x, global float *y) {
    uint t = __builtin_amdgcn_workitem_id_x();
    local float part[64];
    float v = x[t];
    part[t] = v;
    x[t + 64] = v * 2.0f;
    __builtin_amdgcn_fence(__ATOMIC_RELEASE, "workgroup");
    __builtin_amdgcn_s_barrier();
    __builtin_amdgcn_fence(__ATOMIC_ACQUIRE, "workgroup");
    y[t] = x[(t + 1) % 64 + 64] + part[(t + 1) % 64];
}
