/* A stand-in for NVIDIA's libcuda.so with the few driver entry points egpu's cuda device
 * calls, so the device's own logic (driver loading, the cubin -> PTX fallback, JIT logs,
 * argument marshalling and checks, fault reporting) is tested on machines without a GPU.
 * It is not a GPU: "device memory" is host memory, and its kernels are four C functions.
 *
 * Behaviour: one device, compute capability MOCK_CUDA_CC_MAJOR.0 (default 12.0, newer than
 * every egpu target); every cubin is refused with CUDA_ERROR_NO_BINARY_FOR_GPU; PTX is
 * accepted when it starts with "//mock ptx", else refused with CUDA_ERROR_INVALID_PTX and a
 * two-line error log. Kernels (n = grid.x * block.x elements of i32):
 *   scale(ptr, i32 factor)    ptr[i] *= factor
 *   copy_double(src, dst)     dst[i] = 2 * src[i]
 *   fault(ptr)                later synchronization fails with CUDA_ERROR_ILLEGAL_ADDRESS
 * Build: cc -shared -fPIC -o libcuda.so libcuda.c */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef int CUresult;
typedef int CUdevice;
typedef unsigned long long CUdeviceptr;
enum {
  OK = 0, INVALID_VALUE = 1, INVALID_DEVICE = 101, NO_BINARY_FOR_GPU = 209,
  INVALID_PTX = 218, NOT_FOUND = 500, ILLEGAL_ADDRESS = 700
};

struct function { const char *name; size_t count; size_t sizes[2]; };
static struct function functions[] = {
  {"scale", 2, {8, 4}}, {"copy_double", 2, {8, 8}}, {"fault", 1, {8, 0}},
};
static int context, module_token, sticky_error;
static void *current;

CUresult cuInit(unsigned flags) { (void)flags; return OK; }
CUresult cuDeviceGet(CUdevice *d, int ordinal) { *d = ordinal; return ordinal == 0 ? OK : INVALID_DEVICE; }
CUresult cuDeviceGetCount(int *n) { *n = 1; return OK; }
CUresult cuDevicePrimaryCtxRetain(void **ctx, CUdevice d) { (void)d; *ctx = &context; return OK; }
CUresult cuDevicePrimaryCtxRelease_v2(CUdevice d) { (void)d; return OK; }
CUresult cuCtxGetCurrent(void **ctx) { *ctx = current; return OK; }
CUresult cuCtxSetCurrent(void *ctx) { current = ctx; return OK; }
CUresult cuCtxSynchronize(void) { int e = sticky_error; return e; }

CUresult cuDeviceGetAttribute(int *value, int attribute, CUdevice d) {
  (void)d;
  const char *major = getenv("MOCK_CUDA_CC_MAJOR");
  switch (attribute) {
    case 75: *value = major ? atoi(major) : 12; return OK; /* compute capability major */
    case 76: *value = 0; return OK;                        /* minor */
    default: *value = 0; return OK;
  }
}
CUresult cuDeviceGetName(char *name, int len, CUdevice d) {
  (void)d;
  strncpy(name, "Mock GPU", (size_t)len);
  return OK;
}
CUresult cuDeviceTotalMem_v2(size_t *bytes, CUdevice d) { (void)d; *bytes = (size_t)16 << 30; return OK; }

CUresult cuMemAlloc_v2(CUdeviceptr *p, size_t bytes) {
  if (bytes == 0) return INVALID_VALUE;
  *p = (CUdeviceptr)(uintptr_t)malloc(bytes);
  return OK;
}
CUresult cuMemFree_v2(CUdeviceptr p) { free((void *)(uintptr_t)p); return OK; }
CUresult cuMemcpyHtoD_v2(CUdeviceptr dst, const void *src, size_t n) {
  memcpy((void *)(uintptr_t)dst, src, n);
  return OK;
}
CUresult cuMemcpyDtoH_v2(void *dst, CUdeviceptr src, size_t n) {
  if (sticky_error) return sticky_error;
  memcpy(dst, (void *)(uintptr_t)src, n);
  return OK;
}

static void write_log(unsigned n, int *options, void **values, const char *text) {
  char *buffer = 0;
  size_t size = 0;
  for (unsigned i = 0; i < n; i++) {
    if (options[i] == 5) buffer = values[i];
    if (options[i] == 6) size = (size_t)(uintptr_t)values[i];
  }
  if (buffer && size) {
    strncpy(buffer, text, size - 1);
    buffer[size - 1] = 0;
  }
}
CUresult cuModuleLoadDataEx(void **module, const void *image, unsigned n, int *options, void **values) {
  if (memcmp(image, "\x7f" "ELF", 4) == 0) return NO_BINARY_FOR_GPU;
  if (strncmp(image, "//mock ptx", 10) != 0) {
    write_log(n, options, values, "mock ptxas: line 1; error   : not mock PTX\nmock ptxas fatal   : aborted\n");
    return INVALID_PTX;
  }
  *module = &module_token;
  return OK;
}
CUresult cuModuleUnload(void *module) { return module == &module_token ? OK : INVALID_VALUE; }
CUresult cuModuleGetFunction(void **f, void *module, const char *name) {
  (void)module;
  for (size_t i = 0; i < sizeof functions / sizeof functions[0]; i++)
    if (strcmp(functions[i].name, name) == 0) { *f = &functions[i]; return OK; }
  return NOT_FOUND;
}
CUresult cuFuncGetParamInfo(void *f, size_t index, size_t *offset, size_t *size) {
  struct function *fn = f;
  if (index >= fn->count) return INVALID_VALUE;
  *offset = index * 8;
  *size = fn->sizes[index];
  return OK;
}
CUresult cuLaunchKernel(void *f, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by,
                        unsigned bz, unsigned shared, void *stream, void **params, void **extra) {
  (void)gy; (void)gz; (void)by; (void)bz; (void)stream; (void)extra;
  struct function *fn = f;
  size_t n = (size_t)gx * bx;
  if (shared != 0) return INVALID_VALUE;
  if (strcmp(fn->name, "scale") == 0) {
    int32_t *x = (int32_t *)(uintptr_t)*(CUdeviceptr *)params[0];
    int32_t factor = *(int32_t *)params[1];
    for (size_t i = 0; i < n; i++) x[i] *= factor;
  } else if (strcmp(fn->name, "copy_double") == 0) {
    int32_t *src = (int32_t *)(uintptr_t)*(CUdeviceptr *)params[0];
    int32_t *dst = (int32_t *)(uintptr_t)*(CUdeviceptr *)params[1];
    for (size_t i = 0; i < n; i++) dst[i] = 2 * src[i];
  } else {
    sticky_error = ILLEGAL_ADDRESS;
  }
  return OK;
}

CUresult cuEventCreate(void **e, unsigned flags) { (void)flags; *e = malloc(1); return OK; }
CUresult cuEventDestroy_v2(void *e) { free(e); return OK; }
CUresult cuEventRecord(void *e, void *stream) { (void)e; (void)stream; return OK; }
CUresult cuEventSynchronize(void *e) { (void)e; return sticky_error; }
CUresult cuEventElapsedTime(float *ms, void *a, void *b) { (void)a; (void)b; *ms = 1.5f; return OK; }
CUresult cuEventElapsedTime_v2(float *ms, void *a, void *b) { return cuEventElapsedTime(ms, a, b); }

/* Memsets over host memory, as the driver's: N elements of 1, 2 or 4 bytes; the 2D form
   writes Width 4-byte words in each of Height rows Pitch bytes apart. */
CUresult cuMemsetD8_v2(CUdeviceptr p, unsigned char v, size_t n) {
  memset((void *)(uintptr_t)p, v, n);
  return OK;
}
CUresult cuMemsetD16_v2(CUdeviceptr p, unsigned short v, size_t n) {
  unsigned short *q = (unsigned short *)(uintptr_t)p;
  for (size_t i = 0; i < n; i++) q[i] = v;
  return OK;
}
CUresult cuMemsetD32_v2(CUdeviceptr p, unsigned int v, size_t n) {
  unsigned int *q = (unsigned int *)(uintptr_t)p;
  for (size_t i = 0; i < n; i++) q[i] = v;
  return OK;
}
CUresult cuMemsetD2D32_v2(CUdeviceptr p, size_t pitch, unsigned int v, size_t width, size_t height) {
  for (size_t r = 0; r < height; r++) {
    unsigned int *row = (unsigned int *)(uintptr_t)(p + r * pitch);
    for (size_t c = 0; c < width; c++) row[c] = v;
  }
  return OK;
}
