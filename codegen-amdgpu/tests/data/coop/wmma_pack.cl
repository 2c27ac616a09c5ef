// How LLVM packs the 16 halves of a WMMA A/B operand into 8 VGPRs (the oracle for the
// B-fragment loads of isel's matrix family): b's elements come from a strided column, so
// each is its own 16-bit load, and the disassembly shows which half of which VGPR gets
// element k (byte offset 14·k from the lane's base).
#pragma OPENCL EXTENSION cl_khr_fp16 : enable
typedef half v16h __attribute__((ext_vector_type(16)));
typedef float v8f __attribute__((ext_vector_type(8)));
kernel void pack(global const half *a, global const half *b, global float *c) {
    uint lane = __builtin_amdgcn_workitem_id_x();
    v16h av, bv;
    for (int i = 0; i < 16; i++) {
        av[i] = a[lane * 16 + i];
        bv[i] = b[lane + i * 7];
    }
    v8f cv = {0, 0, 0, 0, 0, 0, 0, 0};
    cv = __builtin_amdgcn_wmma_f32_16x16x16_f16_w32(av, bv, cv);
    for (int i = 0; i < 8; i++) {
        c[lane * 8 + i] = cv[i];
    }
}
