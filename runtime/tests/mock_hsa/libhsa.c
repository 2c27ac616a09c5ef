/* A stand-in for ROCm's libhsa-runtime64.so.1 with the entry points egpu's hsa device
 * calls, so the device's own logic (agent choice, pools, code object loading, the AQL
 * packet and kernarg segment it writes, completion, queue errors, freeing) is tested on
 * machines without an AMD GPU. It is not a GPU: "device memory" is host memory, and the
 * packet processor runs when the doorbell rings, on the calling thread.
 *
 * Agents: one CPU agent ("Mock CPU") with a fine-grained kernarg pool, then one GPU agent
 * per name in MOCK_HSA_AGENTS (comma-separated; default "gfx1100"), each with a
 * coarse-grained device pool (16 GiB), a fine-grained pool without the kernarg flag and
 * a group-segment pool. Queues hold at most 128 packets.
 *
 * Code objects must be ELF images; a kernel's symbol NAME.kd is found in the ELF symbol
 * table and its descriptor gives the symbol's group, private and kernarg segment sizes
 * (kernarg alignment 16); the kernel object is the descriptor's address.
 *
 * Dispatch: each packet is checked (kernel dispatch type, kernarg inside a live
 * allocation the GPU may access) and logged, then "run" by its kernel's name:
 *   copy_double(x, y)  y[i] = 2 * x[i] (i32) for i < grid_size_x
 *   fault              the queue callback gets HSA_STATUS_ERROR_EXCEPTION; the packet
 *                      never completes
 *   hang               the packet never completes
 *   anything else      nothing runs; the packet completes
 *
 * Log (MOCK_HSA_LOG, appended, one line per event): init, shut_down, alloc, free,
 * allow, copy, symbol, dispatch (with the kernarg bytes in hex), queue_destroy,
 * signal_destroy, executable_destroy, reader_destroy.
 * Build: cc -shared -fPIC -o libhsa-runtime64.so.1 libhsa.c
 * (-DMOCK_HSA_WITHOUT_FREEZE leaves hsa_executable_freeze out: a runtime too old.) */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef uint32_t status_t;
typedef struct { uint64_t handle; } handle_t;
typedef struct {
  uint32_t type, features;
  void *base_address;
  handle_t doorbell_signal;
  uint32_t size, reserved1;
  uint64_t id;
} queue_t;
typedef void (*queue_callback)(status_t, queue_t *, void *);

enum {
  OK = 0, INFO_BREAK = 1, ERROR_INVALID_ARGUMENT = 0x1001, INVALID_QUEUE_CREATION = 0x1002,
  INVALID_ALLOCATION = 0x1003, INVALID_AGENT = 0x1004, INVALID_SIGNAL = 0x1006,
  OUT_OF_RESOURCES = 0x1008, INVALID_PACKET_FORMAT = 0x1009, INVALID_CODE_OBJECT = 0x1010,
  INVALID_EXECUTABLE = 0x1011, FROZEN_EXECUTABLE = 0x1012, INVALID_SYMBOL_NAME = 0x1013,
  EXCEPTION = 0x1016
};
#define MAX 64
#define QUEUE_MAX 128

/* ---- log ---------------------------------------------------------------------------- */
static void logf_(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void logf_(const char *fmt, ...) {
  const char *path = getenv("MOCK_HSA_LOG");
  if (!path) return;
  FILE *f = fopen(path, "a");
  if (!f) return;
  va_list ap;
  va_start(ap, fmt);
  vfprintf(f, fmt, ap);
  va_end(ap);
  fputc('\n', f);
  fclose(f);
}

/* ---- agents ------------------------------------------------------------------------- */
static char agent_names[MAX][64];
static int agent_count;

static void discover(void) {
  if (agent_count) return;
  strcpy(agent_names[0], "Mock CPU");
  agent_count = 1;
  const char *list = getenv("MOCK_HSA_AGENTS");
  if (!list) list = "gfx1100";
  while (*list && agent_count < MAX) {
    size_t n = strcspn(list, ",");
    if (n > 0 && n < 64) {
      memcpy(agent_names[agent_count], list, n);
      agent_names[agent_count][n] = 0;
      agent_count++;
    }
    list += n + (list[n] == ',');
  }
}
/* Agent handles are index + 1; agent 0 is the CPU. */
static int agent_index(handle_t a) {
  return a.handle >= 1 && a.handle <= (uint64_t)agent_count ? (int)a.handle - 1 : -1;
}

static int inits;
status_t hsa_init(void) { discover(); inits++; logf_("init"); return OK; }
status_t hsa_shut_down(void) { inits--; logf_("shut_down"); return OK; }
status_t hsa_status_string(status_t s, const char **text) {
  static char buffer[64];
  snprintf(buffer, sizeof buffer, "mock runtime status %#x", s);
  *text = buffer;
  return OK;
}
status_t hsa_system_get_info(uint32_t attribute, void *value) {
  if (attribute != 3) return ERROR_INVALID_ARGUMENT; /* TIMESTAMP_FREQUENCY */
  *(uint64_t *)value = 1000000000u;
  return OK;
}
status_t hsa_iterate_agents(status_t (*cb)(handle_t, void *), void *data) {
  for (int i = 0; i < agent_count; i++) {
    status_t s = cb((handle_t){(uint64_t)i + 1}, data);
    if (s == INFO_BREAK) return OK;
    if (s != OK) return s;
  }
  return OK;
}
status_t hsa_agent_get_info(handle_t agent, uint32_t attribute, void *value) {
  int i = agent_index(agent);
  if (i < 0) return INVALID_AGENT;
  switch (attribute) {
    case 0: memcpy(value, agent_names[i], 64); return OK;            /* NAME */
    case 14: *(uint32_t *)value = QUEUE_MAX; return OK;              /* QUEUE_MAX_SIZE */
    case 17: *(uint32_t *)value = i == 0 ? 0 : 1; return OK;         /* DEVICE: CPU / GPU */
    case 0xA009:                                                     /* PRODUCT_NAME */
      memset(value, 0, 64);
      strcpy(value, i == 0 ? "Mock CPU" : "Mock Radeon");
      return OK;
    default: return ERROR_INVALID_ARGUMENT;
  }
}

/* ---- pools and memory --------------------------------------------------------------- */
/* Pool handles: 100 * (agent index + 1) + k. GPU: k=0 device-local, 1 fine-grained,
 * 2 group segment. CPU: k=0 kernarg. */
struct pool { uint32_t segment, flags; bool alloc; uint64_t size; };
static bool pool_of(uint64_t h, struct pool *p) {
  int agent = (int)(h / 100) - 1, k = (int)(h % 100);
  if (agent < 0 || agent >= agent_count) return false;
  if (agent == 0 && k == 0) { *p = (struct pool){0, 1 | 2, true, (uint64_t)64 << 30}; return true; }
  if (agent == 0) return false;
  if (k == 0) { *p = (struct pool){0, 4, true, (uint64_t)16 << 30}; return true; }
  if (k == 1) { *p = (struct pool){0, 2, true, (uint64_t)1 << 30}; return true; }
  if (k == 2) { *p = (struct pool){3, 0, false, 65536}; return true; }
  return false;
}
status_t hsa_amd_agent_iterate_memory_pools(handle_t agent, status_t (*cb)(handle_t, void *), void *data) {
  int i = agent_index(agent);
  if (i < 0) return INVALID_AGENT;
  int pools = i == 0 ? 1 : 3;
  for (int k = 0; k < pools; k++) {
    status_t s = cb((handle_t){100 * ((uint64_t)i + 1) + (uint64_t)k}, data);
    if (s == INFO_BREAK) return OK;
    if (s != OK) return s;
  }
  return OK;
}
status_t hsa_amd_memory_pool_get_info(handle_t pool, uint32_t attribute, void *value) {
  struct pool p;
  if (!pool_of(pool.handle, &p)) return ERROR_INVALID_ARGUMENT;
  switch (attribute) {
    case 0: *(uint32_t *)value = p.segment; return OK;
    case 1: *(uint32_t *)value = p.flags; return OK;
    case 2: *(size_t *)value = p.size; return OK;
    case 5: *(bool *)value = p.alloc; return OK;
    default: return ERROR_INVALID_ARGUMENT;
  }
}

struct allocation { uint8_t *p; size_t n; uint64_t pool; bool gpu_access; };
static struct allocation allocations[4096];

static struct allocation *find_allocation(const void *p, size_t n) {
  for (size_t i = 0; i < sizeof allocations / sizeof allocations[0]; i++) {
    struct allocation *a = &allocations[i];
    if (a->p && (const uint8_t *)p >= a->p && (const uint8_t *)p + n <= a->p + a->n) return a;
  }
  return 0;
}
status_t hsa_amd_memory_pool_allocate(handle_t pool, size_t n, uint32_t flags, void **out) {
  struct pool p;
  if (!pool_of(pool.handle, &p) || !p.alloc || flags != 0 || n == 0) return ERROR_INVALID_ARGUMENT;
  for (size_t i = 0; i < sizeof allocations / sizeof allocations[0]; i++) {
    if (allocations[i].p) continue;
    uint8_t *mem = aligned_alloc(4096, (n + 4095) / 4096 * 4096);
    if (!mem) return OUT_OF_RESOURCES;
    memset(mem, 0xEE, n); /* memory nobody wrote looks like nothing a test expects */
    /* Device-local memory is the GPU's; system memory needs allow_access. */
    allocations[i] = (struct allocation){mem, n, pool.handle, pool.handle >= 200};
    *out = mem;
    logf_("alloc pool=%llu size=%zu ptr=%#llx", (unsigned long long)pool.handle, n,
          (unsigned long long)(uintptr_t)mem);
    return OK;
  }
  return OUT_OF_RESOURCES;
}
status_t hsa_amd_memory_pool_free(void *p) {
  struct allocation *a = find_allocation(p, 0);
  if (!a || a->p != p) return INVALID_ALLOCATION;
  logf_("free ptr=%#llx", (unsigned long long)(uintptr_t)p);
  free(a->p);
  a->p = 0;
  return OK;
}
status_t hsa_amd_agents_allow_access(uint32_t n, const handle_t *agents, const uint32_t *flags, const void *p) {
  struct allocation *a = find_allocation(p, 0);
  if (!a || a->p != p || flags || n == 0) return ERROR_INVALID_ARGUMENT;
  for (uint32_t i = 0; i < n; i++) {
    if (agent_index(agents[i]) <= 0) return INVALID_AGENT;
    logf_("allow ptr=%#llx agent=%llu", (unsigned long long)(uintptr_t)p,
          (unsigned long long)agents[i].handle);
  }
  a->gpu_access = true;
  return OK;
}
status_t hsa_memory_copy(void *dst, const void *src, size_t n) {
  /* Both sides must be runtime allocations (the device stages host data). */
  if (!find_allocation(dst, n) || !find_allocation(src, n)) return ERROR_INVALID_ARGUMENT;
  memcpy(dst, src, n);
  logf_("copy dst=%#llx src=%#llx size=%zu", (unsigned long long)(uintptr_t)dst,
        (unsigned long long)(uintptr_t)src, n);
  return OK;
}

/* ---- code objects ------------------------------------------------------------------- */
static uint64_t rd(const uint8_t *p, int n) {
  uint64_t v = 0;
  for (int i = n - 1; i >= 0; i--) v = v << 8 | p[i];
  return v;
}
/* The bytes symbol `name` points at inside the ELF image, or 0. */
static const uint8_t *elf_symbol(const uint8_t *img, size_t size, const char *name) {
  if (size < 64) return 0;
  uint64_t shoff = rd(img + 0x28, 8), shentsize = rd(img + 0x3A, 2), shnum = rd(img + 0x3C, 2);
  if (shentsize < 64 || shoff + shnum * shentsize > size) return 0;
  for (uint64_t i = 0; i < shnum; i++) {
    const uint8_t *sh = img + shoff + i * shentsize;
    if (rd(sh + 4, 4) != 2) continue; /* SHT_SYMTAB */
    uint64_t symoff = rd(sh + 0x18, 8), symsize = rd(sh + 0x20, 8), link = rd(sh + 0x28, 4);
    if (link >= shnum || symoff + symsize > size) return 0;
    uint64_t stroff = rd(img + shoff + link * shentsize + 0x18, 8);
    for (uint64_t at = symoff; at + 24 <= symoff + symsize; at += 24) {
      uint64_t name_at = stroff + rd(img + at, 4), shndx = rd(img + at + 6, 2);
      if (name_at >= size || strncmp((const char *)img + name_at, name, size - name_at) != 0) continue;
      if (shndx == 0 || shndx >= shnum) return 0;
      const uint8_t *sec = img + shoff + shndx * shentsize;
      uint64_t off = rd(sec + 0x18, 8) + rd(img + at + 8, 8) - rd(sec + 0x10, 8);
      return off + 64 <= size ? img + off : 0;
    }
  }
  return 0;
}

struct reader { const uint8_t *p; size_t n; bool live; };
static struct reader readers[MAX];
struct executable { uint8_t *image; size_t n; bool live, frozen; };
static struct executable executables[MAX];
/* Kernel objects (descriptor addresses) by kernel name, for dispatch. */
static struct { uint64_t object; char name[64]; } kernels[MAX];

status_t hsa_code_object_reader_create_from_memory(const void *p, size_t n, handle_t *reader) {
  for (int i = 0; i < MAX; i++)
    if (!readers[i].live) {
      readers[i] = (struct reader){p, n, true};
      reader->handle = (uint64_t)i + 1;
      return OK;
    }
  return OUT_OF_RESOURCES;
}
status_t hsa_code_object_reader_destroy(handle_t reader) {
  if (reader.handle == 0 || reader.handle > MAX || !readers[reader.handle - 1].live) return ERROR_INVALID_ARGUMENT;
  readers[reader.handle - 1].live = false;
  logf_("reader_destroy %llu", (unsigned long long)reader.handle);
  return OK;
}
status_t hsa_executable_create_alt(uint32_t profile, uint32_t rounding, const char *options, handle_t *out) {
  if (profile != 1 || rounding != 0 || options) return ERROR_INVALID_ARGUMENT;
  for (int i = 0; i < MAX; i++)
    if (!executables[i].live) {
      executables[i] = (struct executable){0, 0, true, false};
      out->handle = (uint64_t)i + 1;
      return OK;
    }
  return OUT_OF_RESOURCES;
}
static struct executable *executable_of(handle_t e) {
  return e.handle && e.handle <= MAX && executables[e.handle - 1].live ? &executables[e.handle - 1] : 0;
}
status_t hsa_executable_load_agent_code_object(handle_t exe, handle_t agent, handle_t reader,
                                               const char *options, handle_t *loaded) {
  struct executable *e = executable_of(exe);
  if (!e || options) return INVALID_EXECUTABLE;
  if (e->frozen) return FROZEN_EXECUTABLE;
  if (agent_index(agent) <= 0) return INVALID_AGENT;
  if (reader.handle == 0 || reader.handle > MAX || !readers[reader.handle - 1].live) return ERROR_INVALID_ARGUMENT;
  struct reader *r = &readers[reader.handle - 1];
  if (r->n < 64 || memcmp(r->p, "\x7f" "ELF\x02\x01", 6) != 0) return INVALID_CODE_OBJECT;
  e->image = malloc(r->n);
  memcpy(e->image, r->p, r->n);
  e->n = r->n;
  if (loaded) loaded->handle = exe.handle;
  return OK;
}
#ifndef MOCK_HSA_WITHOUT_FREEZE /* defined: a runtime missing one entry point */
status_t hsa_executable_freeze(handle_t exe, const char *options) {
  struct executable *e = executable_of(exe);
  if (!e || options) return INVALID_EXECUTABLE;
  e->frozen = true;
  return OK;
}
#endif
status_t hsa_executable_destroy(handle_t exe) {
  struct executable *e = executable_of(exe);
  if (!e) return INVALID_EXECUTABLE;
  free(e->image);
  e->live = false;
  logf_("executable_destroy %llu", (unsigned long long)exe.handle);
  return OK;
}
/* Symbol handles are descriptor addresses. */
status_t hsa_executable_get_symbol_by_name(handle_t exe, const char *name, const handle_t *agent, handle_t *symbol) {
  struct executable *e = executable_of(exe);
  if (!e || !e->frozen || !e->image) return INVALID_EXECUTABLE;
  if (!agent || agent_index(*agent) <= 0) return INVALID_AGENT;
  const uint8_t *kd = elf_symbol(e->image, e->n, name);
  if (!kd) return INVALID_SYMBOL_NAME;
  symbol->handle = (uint64_t)(uintptr_t)kd;
  for (int i = 0; i < MAX; i++)
    if (!kernels[i].object || kernels[i].object == symbol->handle) {
      kernels[i].object = symbol->handle;
      snprintf(kernels[i].name, sizeof kernels[i].name, "%.*s", (int)(strlen(name) - 3), name);
      break;
    }
  logf_("symbol %s object=%#llx", name, (unsigned long long)symbol->handle);
  return OK;
}
status_t hsa_executable_symbol_get_info(handle_t symbol, uint32_t attribute, void *value) {
  const uint8_t *kd = (const uint8_t *)(uintptr_t)symbol.handle;
  switch (attribute) {
    case 22: *(uint64_t *)value = symbol.handle; return OK;                  /* KERNEL_OBJECT */
    case 11: *(uint32_t *)value = (uint32_t)rd(kd + 8, 4); return OK;        /* KERNARG_SIZE */
    case 12: *(uint32_t *)value = 16; return OK;                             /* KERNARG_ALIGN */
    case 13: *(uint32_t *)value = (uint32_t)rd(kd + 0, 4); return OK;        /* GROUP_SIZE */
    case 14: *(uint32_t *)value = (uint32_t)rd(kd + 4, 4); return OK;        /* PRIVATE_SIZE */
    default: return ERROR_INVALID_ARGUMENT;
  }
}

/* ---- signals ------------------------------------------------------------------------ */
static struct { int64_t value; bool live; } signals[MAX];
static int64_t *signal_value(handle_t s) {
  return s.handle && s.handle <= MAX && signals[s.handle - 1].live ? &signals[s.handle - 1].value : 0;
}
status_t hsa_signal_create(int64_t initial, uint32_t n, const handle_t *consumers, handle_t *out) {
  (void)n; (void)consumers;
  for (int i = 0; i < MAX; i++)
    if (!signals[i].live) {
      signals[i].live = true;
      signals[i].value = initial;
      out->handle = (uint64_t)i + 1;
      return OK;
    }
  return OUT_OF_RESOURCES;
}
status_t hsa_signal_destroy(handle_t s) {
  if (!signal_value(s)) return INVALID_SIGNAL;
  signals[s.handle - 1].live = false;
  logf_("signal_destroy %llu", (unsigned long long)s.handle);
  return OK;
}
void hsa_signal_add_screlease(handle_t s, int64_t v) {
  int64_t *value = signal_value(s);
  if (value) *value += v;
}
int64_t hsa_signal_wait_scacquire(handle_t s, uint32_t condition, int64_t compare, uint64_t hint, uint32_t state) {
  (void)hint; (void)state;
  int64_t *value = signal_value(s);
  if (!value) return -1;
  if (condition == 0 && *value == compare) return *value;
  usleep(1000); /* the hint allows an early return; this keeps a waiting test cool */
  return *value;
}

/* ---- queues ------------------------------------------------------------------------- */
struct queue {
  queue_t q;
  uint64_t read, write;
  queue_callback callback;
  void *data;
  bool live, broken;
};
static struct queue queues[8];

static const char *kernel_name(uint64_t object) {
  for (int i = 0; i < MAX; i++)
    if (kernels[i].object == object) return kernels[i].name;
  return "";
}
static void fail(struct queue *q, status_t status) {
  q->broken = true;
  q->callback(status, &q->q, q->data);
}
/* Processes one packet; false when it must not complete. */
static bool run_packet(struct queue *q, uint8_t *slot) {
  uint16_t header = (uint16_t)rd(slot, 2), setup = (uint16_t)rd(slot + 2, 2);
  uint64_t object = rd(slot + 32, 8), kernarg = rd(slot + 40, 8), signal = rd(slot + 56, 8);
  if ((header & 0xff) != 2) { fail(q, INVALID_PACKET_FORMAT); return false; }
  const uint8_t *kd = (const uint8_t *)(uintptr_t)object;
  size_t kernarg_size = kd ? (size_t)rd(kd + 8, 4) : 0;
  struct allocation *a = find_allocation((void *)(uintptr_t)kernarg, kernarg_size);
  if (!a || !a->gpu_access) { fail(q, INVALID_ALLOCATION); return false; }
  char hex[2 * 4096 + 1] = "";
  for (size_t i = 0; i < kernarg_size && i < 4096; i++)
    sprintf(hex + 2 * i, "%02x", ((const uint8_t *)(uintptr_t)kernarg)[i]);
  logf_("dispatch header=%#x setup=%u workgroup=%llu,%llu,%llu grid=%llu,%llu,%llu private=%llu "
        "group=%llu object=%#llx kernarg=%#llx signal=%llu kernarg_bytes=%s",
        header, setup, (unsigned long long)rd(slot + 4, 2), (unsigned long long)rd(slot + 6, 2),
        (unsigned long long)rd(slot + 8, 2), (unsigned long long)rd(slot + 12, 4),
        (unsigned long long)rd(slot + 16, 4), (unsigned long long)rd(slot + 20, 4),
        (unsigned long long)rd(slot + 24, 4), (unsigned long long)rd(slot + 28, 4),
        (unsigned long long)object, (unsigned long long)kernarg, (unsigned long long)signal, hex);
  const char *name = kernel_name(object);
  const uint8_t *args = (const uint8_t *)(uintptr_t)kernarg;
  if (strcmp(name, "fault") == 0) { fail(q, EXCEPTION); return false; }
  if (strcmp(name, "hang") == 0) return false;
  if (strcmp(name, "copy_double") == 0) {
    uint32_t n = (uint32_t)rd(slot + 12, 4);
    int32_t *x = (int32_t *)(uintptr_t)rd(args, 8), *y = (int32_t *)(uintptr_t)rd(args + 8, 8);
    if (!find_allocation(x, 4 * (size_t)n) || !find_allocation(y, 4 * (size_t)n)) { fail(q, EXCEPTION); return false; }
    for (uint32_t i = 0; i < n; i++) y[i] = 2 * x[i];
  }
  int64_t *done = signal_value((handle_t){signal});
  if (done) *done -= 1;
  return true;
}
static void ring(struct queue *q, uint64_t upto) {
  while (!q->broken && q->read <= upto && q->read < q->write) {
    uint8_t *slot = (uint8_t *)q->q.base_address + (q->read % q->q.size) * 64;
    if (!run_packet(q, slot)) return;
    slot[0] = 1; /* consumed: INVALID again */
    slot[1] = 0;
    q->read++;
  }
}
void hsa_signal_store_screlease(handle_t s, int64_t v) {
  for (int i = 0; i < 8; i++)
    if (queues[i].live && queues[i].q.doorbell_signal.handle == s.handle) {
      ring(&queues[i], (uint64_t)v);
      return;
    }
  int64_t *value = signal_value(s);
  if (value) *value = v;
}
status_t hsa_queue_create(handle_t agent, uint32_t size, uint32_t type, queue_callback cb, void *data,
                          uint32_t private_size, uint32_t group_size, queue_t **out) {
  (void)private_size; (void)group_size;
  if (agent_index(agent) <= 0) return INVALID_AGENT;
  if (size == 0 || (size & (size - 1)) || size > QUEUE_MAX || type > 1 || !cb) return ERROR_INVALID_ARGUMENT;
  for (int i = 0; i < 8; i++) {
    if (queues[i].live) continue;
    struct queue *q = &queues[i];
    memset(q, 0, sizeof *q);
    q->q.base_address = aligned_alloc(64, (size_t)size * 64);
    memset(q->q.base_address, 0, (size_t)size * 64);
    for (uint32_t k = 0; k < size; k++) ((uint8_t *)q->q.base_address)[64 * k] = 1; /* INVALID */
    if (hsa_signal_create(0, 0, 0, &q->q.doorbell_signal) != OK) return OUT_OF_RESOURCES;
    q->q.size = size;
    q->q.id = (uint64_t)i;
    q->callback = cb;
    q->data = data;
    q->live = true;
    *out = &q->q;
    logf_("queue_create size=%u", size);
    return OK;
  }
  return OUT_OF_RESOURCES;
}
static struct queue *queue_of(const queue_t *q) {
  for (int i = 0; i < 8; i++)
    if (queues[i].live && &queues[i].q == q) return &queues[i];
  return 0;
}
status_t hsa_queue_destroy(queue_t *q) {
  struct queue *mine = queue_of(q);
  if (!mine) return ERROR_INVALID_ARGUMENT;
  free(q->base_address);
  hsa_signal_destroy(q->doorbell_signal);
  mine->live = false;
  logf_("queue_destroy");
  return OK;
}
uint64_t hsa_queue_add_write_index_screlease(const queue_t *q, uint64_t v) {
  struct queue *mine = queue_of(q);
  uint64_t old = mine->write;
  mine->write += v;
  return old;
}
uint64_t hsa_queue_load_read_index_scacquire(const queue_t *q) { return queue_of(q)->read; }
