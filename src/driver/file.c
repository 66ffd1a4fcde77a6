/*
 * file.c - the file driver: guest memory from a memory image on disk (raw,
 * ELF core, LiME; see file_format.h for the list).
 *
 * The image is mapped read-only once, at open; the chosen format turns it
 * into a sorted table of ranges (guest-physical run -> file offset), which
 * this file validates once so that reads need no further bounds checks.
 * map() hands out pointers straight into the mapping: zero copy, for the
 * page walker's entries and for scans.  read() looks the range up the same
 * way (a one-entry cache of the last range hit, else a binary search) and
 * then copies, from the mapping or with pread from the file it keeps open.
 * Both give the same bytes; they differ in what they cost.  A fault on a
 * file mapping makes the kernel map up to 16 pages around it, so a short
 * job that reads 300 scattered pages through the mapping holds 3-5 MB of
 * the image, while pread leaves nothing resident in this process; but each
 * pread is a system call (2-3 us on the virtual machines we measured, 10
 * times a memcpy of a 4 KiB page from the mapping).  So (config key
 * image_read, default auto): reads of 64 KiB or more always use pread,
 * whose copy then costs what a memcpy would; the first FILE_PREAD_SMALL
 * smaller reads use pread too, which keeps a start-up and a one-shot tool
 * small; after those, small reads copy from the mapping, where a program
 * that keeps reading runs at memory speed.  image_read = pread or map
 * chooses one way for every read.
 * Addresses outside every range are holes: reading one fails with a reason,
 * it never yields zeros.  An image may instead (or also) hold copies of
 * memory by virtual address (a Windows triage dump: read_va), kept in a
 * second table the same way.  Images are read-only and cannot be paused.  What
 * a format found beyond memory (vCPU registers, facts such as a crash
 * dump's list heads) is handed out as parsed, unchecked: it is the guest's
 * word, and the layers above judge it.
 *
 * This file must not know any image format's layout (that is file_<fmt>.c)
 * nor anything about paging or operating systems.  If the file is truncated
 * by someone else while mapped, a read fails with a reason (pread comes up
 * short); touching the lost pages through the mapping raises SIGBUS, which
 * the core's fault guard (core/fault.c) turns into a failed call.
 */
#include "driver/driver.h"
#include "driver/file_format.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* More vCPU notes than this is a corrupt image, not a guest. */
#define FILE_MAX_VCPUS 8192u

/* image_read = auto: reads this large always go through pread (the copy
 * dominates the system call), and this many smaller ones do before small
 * reads switch to the mapping.  1024 covers a configured start-up and a
 * process list of a small guest (about 750 reads) and costs at most a few
 * milliseconds once in a long-running program. */
#define FILE_PREAD_BIG   (64u * 1024u)
#define FILE_PREAD_SMALL 1024u

/* How read() copies (image_read). */
typedef enum file_read_way { FILE_READ_AUTO, FILE_READ_PREAD, FILE_READ_MAP } file_read_way_t;

typedef struct file_state {
    char *path;
    const uint8_t *map;
    size_t size;
    int fd;                     /* the image, open for pread; -1 when closed */
    file_read_way_t way;
    /* Small reads made with pread so far (image_read = auto); a relaxed
     * count: two threads racing past the limit only change which way a
     * read copies, never its bytes. */
    _Atomic unsigned int small_preads;
    const file_format_t *format;
    file_layout_t layout;       /* runs sorted, validated, merged (pmap.h) */
} file_state_t;

#define FILE_FORMAT_ENTRY(n) &file_format_##n,
static const file_format_t *const file_formats[] = {
    FILE_FORMATS(FILE_FORMAT_ENTRY)
    NULL,
};
#undef FILE_FORMAT_ENTRY

/* ---- Building and checking the layout (used by the formats) ---- */

status_t file_layout_add_range(file_layout_t *out, addr_t start, uint64_t len,
                               uint64_t offset, uint32_t src, util_err_t *err)
{
    return driver_pmap_add(&out->mem, start, len, offset, src, err);
}

status_t file_layout_add_vrange(file_layout_t *out, addr_t va, uint64_t len,
                                uint64_t offset, uint32_t src, util_err_t *err)
{
    return driver_pmap_add(&out->vmem, va, len, offset, src, err);
}

file_vcpu_t *file_layout_add_vcpu(file_layout_t *out, util_err_t *err)
{
    if (out->nvcpus >= FILE_MAX_VCPUS) {
        util_err_set(err, "the image describes more than %u vCPUs; refusing"
                     " it as corrupt", FILE_MAX_VCPUS);
        return NULL;
    }
    if (out->nvcpus == out->cap_vcpus) {
        unsigned int cap = out->cap_vcpus ? out->cap_vcpus * 2 : 4;
        file_vcpu_t *v = realloc(out->vcpus, cap * sizeof(*v));
        if (!v) {
            util_err_set(err, "out of memory for %u vCPU states", cap);
            return NULL;
        }
        out->vcpus = v;
        out->cap_vcpus = cap;
    }
    file_vcpu_t *v = &out->vcpus[out->nvcpus++];
    memset(v, 0, sizeof(*v));
    return v;
}

/* A new fact with its key checked, or NULL with a reason. */
static file_fact_t *new_fact(file_layout_t *out, const char *key, util_err_t *err)
{
    size_t len = key ? strlen(key) : 0;

    if (len == 0 || len >= FILE_FACT_KEY_MAX) {
        util_err_set(err, "image fact key \"%s\" is empty or longer than %d bytes",
                     key ? key : "", FILE_FACT_KEY_MAX - 1);
        return NULL;
    }
    if (out->nfacts >= FILE_MAX_FACTS) {
        util_err_set(err, "the image states more than %u facts (adding %s); refusing it "
                     "as corrupt", FILE_MAX_FACTS, key);
        return NULL;
    }
    if (out->nfacts == out->cap_facts) {
        size_t cap = out->cap_facts ? out->cap_facts * 2 : 32;
        file_fact_t *f = realloc(out->facts, cap * sizeof(*f));
        if (!f) {
            util_err_set(err, "out of memory for %zu image facts", cap);
            return NULL;
        }
        out->facts = f;
        out->cap_facts = cap;
    }
    file_fact_t *f = &out->facts[out->nfacts];
    memset(f, 0, sizeof(*f));
    memcpy(f->key, key, len + 1);
    return f;
}

status_t file_layout_add_hint(file_layout_t *out, const char *key, uint64_t value,
                              util_err_t *err)
{
    file_fact_t *f = new_fact(out, key, err);
    if (!f)
        return VMI_FAILURE;
    f->value = value;
    out->nfacts++;
    return VMI_SUCCESS;
}

status_t file_layout_add_text(file_layout_t *out, const char *key, const char *text,
                              util_err_t *err)
{
    file_fact_t *f = new_fact(out, key, err);
    size_t len = strnlen(text ? text : "", FILE_FACT_TEXT_MAX - 1);
    if (!f)
        return VMI_FAILURE;
    f->text = malloc(len + 1);
    if (!f->text) {
        util_err_set(err, "out of memory for the image fact %s", key);
        return VMI_FAILURE;
    }
    memcpy(f->text, text ? text : "", len);
    f->text[len] = '\0';
    out->nfacts++;
    return VMI_SUCCESS;
}

void file_layout_free(file_layout_t *layout)
{
    for (size_t i = 0; i < layout->nfacts; i++)
        free(layout->facts[i].text);
    free(layout->facts);
    driver_pmap_free(&layout->mem);
    driver_pmap_free(&layout->vmem);
    free(layout->vcpus);
    memset(layout, 0, sizeof(*layout));
}

static int u64_cmp(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* A virtual run's start and its place in the order added, sorted by start
 * (equal starts in the order added). */
typedef struct vkey {
    uint64_t start;
    size_t idx;
} vkey_t;

static int vkey_cmp(const void *a, const void *b)
{
    const vkey_t *x = a, *y = b;
    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* A min-heap of run indices: the smallest index (the run added first) on top. */
static void heap_push(size_t *h, size_t *n, size_t v)
{
    size_t i = (*n)++;
    h[i] = v;
    while (i > 0 && h[(i - 1) / 2] > h[i]) {
        size_t p = (i - 1) / 2, t = h[p];
        h[p] = h[i];
        h[i] = t;
        i = p;
    }
}

static void heap_pop(size_t *h, size_t *n)
{
    size_t i = 0;
    h[0] = h[--(*n)];
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < *n && h[l] < h[m])
            m = l;
        if (r < *n && h[r] < h[m])
            m = r;
        if (m == i)
            break;
        size_t t = h[m];
        h[m] = h[i];
        h[i] = t;
        i = m;
    }
}

/* Cut the virtual runs where they overlap, so each byte comes from the run
 * added first: a sweep over the runs' ends with a heap of the runs open at
 * each point, O(n log n) whatever a hostile image lists.  Leaves the runs
 * sorted and disjoint (driver_pmap_finish merges them). */
static status_t cut_vranges(file_layout_t *l, util_err_t *err)
{
    size_t n = l->vmem.nranges, np = 0, nh = 0, nout = 0, next = 0;
    const file_range_t *r = l->vmem.ranges;
    uint64_t *pts = malloc(2 * n * sizeof(*pts));
    vkey_t *order = malloc(n * sizeof(*order));
    size_t *heap = malloc(n * sizeof(*heap));
    file_range_t *out = malloc(2 * n * sizeof(*out));

    if (!pts || !order || !heap || !out) {
        free(pts);
        free(order);
        free(heap);
        free(out);
        util_err_set(err, "out of memory for %zu virtual runs", n);
        return VMI_FAILURE;
    }
    for (size_t i = 0; i < n; i++) {
        order[i] = (vkey_t){ r[i].start, i };
        pts[np++] = r[i].start;
        pts[np++] = r[i].start + r[i].len;
    }
    qsort(pts, np, sizeof(*pts), u64_cmp);
    qsort(order, n, sizeof(*order), vkey_cmp);
    for (size_t k = 0; k + 1 < np; k++) {
        uint64_t p = pts[k], q = pts[k + 1];
        if (p == q)
            continue;
        while (next < n && order[next].start <= p)
            heap_push(heap, &nh, order[next++].idx);
        while (nh && r[heap[0]].start + r[heap[0]].len <= p)
            heap_pop(heap, &nh);
        if (!nh)
            continue;
        /* The first-added open run covers [p, q): q is the next point, and
         * its end is one of the points. */
        const file_range_t *t = &r[heap[0]];
        out[nout++] = (file_range_t){ p, q - p, t->offset + (p - t->start), t->src };
    }
    free(pts);
    free(order);
    free(heap);
    free(l->vmem.ranges);
    l->vmem.ranges = out;
    l->vmem.cap_ranges = 2 * n;
    l->vmem.nranges = nout;
    return VMI_SUCCESS;
}

status_t file_layout_finish(file_layout_t *layout, uint64_t filesize,
                            util_err_t *err)
{
    driver_pmap_t *mem = &layout->mem, *vmem = &layout->vmem;

    if (mem->nranges == 0 && vmem->nranges == 0 && !layout->memoryless) {
        util_err_set(err, "the image holds no guest memory (no ranges)");
        return VMI_FAILURE;
    }
    /* Both tables name their runs as the format does; reads of a table the
     * image lacks say what the image is and where its memory is instead. */
    vmem->unit = mem->unit;
    vmem->virt = true;
    mem->where = vmem->where = layout->memoryless;
    if (!mem->nranges && vmem->nranges)
        mem->empty_note = " (it holds copies of some memory by virtual address: read those "
                          "through a virtual address)";
    if (mem->nranges && driver_pmap_finish(mem, filesize, err) != VMI_SUCCESS)
        return VMI_FAILURE;
    /* Virtual runs may overlap: cut them (first added wins), then they
     * finish like physical ones. */
    if (vmem->nranges && (driver_pmap_check_bounds(vmem, filesize, err) != VMI_SUCCESS ||
                          cut_vranges(layout, err) != VMI_SUCCESS ||
                          driver_pmap_finish(vmem, filesize, err) != VMI_SUCCESS))
        return VMI_FAILURE;
    return VMI_SUCCESS;
}

/* ---- Looking addresses up (pmap.c) ---- */

static const void *file_map(void *state, addr_t pa, size_t len, util_err_t *err)
{
    return driver_pmap_map(&((file_state_t *)state)->layout.mem, pa, len, err);
}

/* Whether this read copies with pread (see the top of the file). */
static bool use_pread(file_state_t *s, size_t len)
{
    if (s->way != FILE_READ_AUTO)
        return s->way == FILE_READ_PREAD;
    if (len >= FILE_PREAD_BIG)
        return true;
    if (atomic_load_explicit(&s->small_preads, memory_order_relaxed) >= FILE_PREAD_SMALL)
        return false;
    atomic_fetch_add_explicit(&s->small_preads, 1, memory_order_relaxed);
    return true;
}

static status_t read_table(file_state_t *s, driver_pmap_t *table, addr_t at, void *buf,
                           size_t len, size_t *done, util_err_t *err)
{
    if (use_pread(s, len))
        return driver_pmap_pread(table, s->fd, s->path, at, buf, len, done, err);
    return driver_pmap_copy(table, at, buf, len, done, false, err);
}

static status_t file_read(void *state, addr_t pa, void *buf, size_t len,
                          size_t *done, util_err_t *err)
{
    file_state_t *s = state;
    return read_table(s, &s->layout.mem, pa, buf, len, done, err);
}

static status_t file_read_va(void *state, addr_t va, void *buf, size_t len,
                             size_t *done, util_err_t *err)
{
    file_state_t *s = state;
    return read_table(s, &s->layout.vmem, va, buf, len, done, err);
}

static uint64_t file_memsize(void *state)
{
    return ((file_state_t *)state)->layout.mem.memsize;
}

static addr_t file_max_pa(void *state)
{
    return driver_pmap_max_pa(&((file_state_t *)state)->layout.mem);
}

static bool file_range(void *state, size_t i, driver_range_t *out)
{
    return driver_pmap_range(&((file_state_t *)state)->layout.mem, i, out);
}

/* ---- Registers ---- */

static const char *reg_name(reg_t reg)
{
    static const char *const names[] = {
        [RAX] = "RAX", [RBX] = "RBX", [RCX] = "RCX", [RDX] = "RDX",
        [RBP] = "RBP", [RSI] = "RSI", [RDI] = "RDI", [RSP] = "RSP",
        [RIP] = "RIP", [RFLAGS] = "RFLAGS", [R8] = "R8", [R9] = "R9",
        [R10] = "R10", [R11] = "R11", [R12] = "R12", [R13] = "R13",
        [R14] = "R14", [R15] = "R15", [CR0] = "CR0", [CR2] = "CR2",
        [CR3] = "CR3", [CR4] = "CR4", [XCR0] = "XCR0", [DR0] = "DR0",
        [DR1] = "DR1", [DR2] = "DR2", [DR3] = "DR3", [DR6] = "DR6",
        [DR7] = "DR7", [CS_SEL] = "CS_SEL", [DS_SEL] = "DS_SEL",
        [ES_SEL] = "ES_SEL", [FS_SEL] = "FS_SEL", [GS_SEL] = "GS_SEL",
        [SS_SEL] = "SS_SEL", [TR_SEL] = "TR_SEL", [LDTR_SEL] = "LDTR_SEL",
        [CS_LIMIT] = "CS_LIMIT", [DS_LIMIT] = "DS_LIMIT",
        [ES_LIMIT] = "ES_LIMIT", [FS_LIMIT] = "FS_LIMIT",
        [GS_LIMIT] = "GS_LIMIT", [SS_LIMIT] = "SS_LIMIT",
        [TR_LIMIT] = "TR_LIMIT", [LDTR_LIMIT] = "LDTR_LIMIT",
        [IDTR_LIMIT] = "IDTR_LIMIT", [GDTR_LIMIT] = "GDTR_LIMIT",
        [CS_BASE] = "CS_BASE", [DS_BASE] = "DS_BASE", [ES_BASE] = "ES_BASE",
        [FS_BASE] = "FS_BASE", [GS_BASE] = "GS_BASE", [SS_BASE] = "SS_BASE",
        [TR_BASE] = "TR_BASE", [LDTR_BASE] = "LDTR_BASE",
        [IDTR_BASE] = "IDTR_BASE", [GDTR_BASE] = "GDTR_BASE",
        [CS_ARBYTES] = "CS_ARBYTES", [DS_ARBYTES] = "DS_ARBYTES",
        [ES_ARBYTES] = "ES_ARBYTES", [FS_ARBYTES] = "FS_ARBYTES",
        [GS_ARBYTES] = "GS_ARBYTES", [SS_ARBYTES] = "SS_ARBYTES",
        [TR_ARBYTES] = "TR_ARBYTES", [LDTR_ARBYTES] = "LDTR_ARBYTES",
        [SYSENTER_CS] = "SYSENTER_CS", [SYSENTER_ESP] = "SYSENTER_ESP",
        [SYSENTER_EIP] = "SYSENTER_EIP", [SHADOW_GS] = "SHADOW_GS",
        [TSC] = "TSC", [MSR_FLAGS] = "MSR_FLAGS", [MSR_LSTAR] = "MSR_LSTAR",
        [MSR_CSTAR] = "MSR_CSTAR", [MSR_SYSCALL_MASK] = "MSR_SYSCALL_MASK",
        [MSR_EFER] = "MSR_EFER", [MSR_TSC_AUX] = "MSR_TSC_AUX",
    };
    if (reg < sizeof(names) / sizeof(names[0]) && names[reg])
        return names[reg];
    return NULL;
}

static unsigned int file_num_vcpus(void *state)
{
    return ((file_state_t *)state)->layout.nvcpus;
}

static status_t file_get_vcpureg(void *state, uint64_t *value, reg_t reg,
                                 unsigned long vcpu, util_err_t *err)
{
    file_state_t *s = state;
    const file_layout_t *l = &s->layout;
    const char *name = reg_name(reg);
    char num[32];

    if (!name) {
        snprintf(num, sizeof(num), "register %" PRIu64, (uint64_t)reg);
        name = num;
    }
    if (l->nvcpus == 0) {
        util_err_set(err, "%s: a %s image holds no vCPU registers (%s"
                     " unknown)", s->path, s->format->name, name);
        return VMI_FAILURE;
    }
    if (vcpu >= l->nvcpus) {
        util_err_set(err, "%s: no vCPU %lu (the image holds %u)", s->path,
                     vcpu, l->nvcpus);
        return VMI_FAILURE;
    }
    const file_vcpu_t *v = &l->vcpus[vcpu];
    if (reg >= FILE_NREGS || !v->have[reg]) {
        util_err_set(err, "%s: vCPU %lu: the image does not record %s"
                     " (registers come from: %s)", s->path, vcpu, name,
                     v->source[0] ? v->source : "nothing usable");
        return VMI_FAILURE;
    }
    *value = v->val[reg];
    return VMI_SUCCESS;
}

/* ---- Facts the image states ---- */

static status_t file_hint(void *state, const char *key, uint64_t *value, util_err_t *err)
{
    const file_state_t *s = state;
    const file_layout_t *l = &s->layout;

    for (size_t i = 0; key && i < l->nfacts; i++) {
        if (strcmp(l->facts[i].key, key) != 0)
            continue;
        if (l->facts[i].text) {
            util_err_set(err, "%s: the %s image states %s as text, not a number", s->path,
                         s->format->name, key);
            return VMI_FAILURE;
        }
        *value = l->facts[i].value;
        return VMI_SUCCESS;
    }
    if (l->nfacts == 0)
        util_err_set(err, "%s: a %s image states nothing about its guest beyond memory%s"
                     " (asked for %s)", s->path, s->format->name,
                     l->nvcpus ? " and registers" : "", key ? key : "(no key)");
    else
        util_err_set(err, "%s: the %s image does not state %s", s->path, s->format->name,
                     key ? key : "(no key)");
    return VMI_FAILURE;
}

static bool file_fact(void *state, size_t i, driver_fact_t *out)
{
    const file_layout_t *l = &((const file_state_t *)state)->layout;

    if (i >= l->nfacts)
        return false;
    out->key = l->facts[i].key;
    out->text = l->facts[i].text;
    out->value = l->facts[i].text ? 0 : l->facts[i].value;
    return true;
}

/* ---- Opening ---- */

static bool file_probe(const driver_target_t *target)
{
    struct stat st;
    return target->name && stat(target->name, &st) == 0 && S_ISREG(st.st_mode);
}

static const file_format_t *format_by_name(const char *name)
{
    for (size_t i = 0; file_formats[i]; i++)
        if (strcasecmp(file_formats[i]->name, name) == 0)
            return file_formats[i];
    return NULL;
}

static void format_names(char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; file_formats[i] && used < size; i++) {
        int n = snprintf(buf + used, size - used, "%s%s", i ? ", " : "",
                         file_formats[i]->name);
        if (n < 0)
            break;
        used += (size_t)n;
    }
}

static void file_close(void *state)
{
    file_state_t *s = state;
    if (!s)
        return;
    if (s->map)
        munmap((void *)s->map, s->size);
    if (s->fd >= 0)
        close(s->fd);
    file_layout_free(&s->layout);
    free(s->path);
    free(s);
}

/* Open and map path; on failure a reason that begins with the path. */
static status_t map_image(file_state_t *s, const char *path, util_err_t *err)
{
    struct stat st;
    void *m;
    /* O_NONBLOCK so that a FIFO given by mistake cannot hang us before the
     * regular-file check; it changes nothing for regular files. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

    if (fd < 0) {
        util_err_set(err, "%s: cannot open for reading: %s", path,
                     strerror(errno));
        return VMI_FAILURE;
    }
    if (fstat(fd, &st) != 0) {
        util_err_set(err, "%s: cannot stat: %s", path, strerror(errno));
        close(fd);
        return VMI_FAILURE;
    }
    if (S_ISDIR(st.st_mode)) {
        util_err_set(err, "%s: is a directory, not a memory image", path);
        close(fd);
        return VMI_FAILURE;
    }
    if (!S_ISREG(st.st_mode)) {
        util_err_set(err, "%s: not a regular file (memory images must be"
                     " regular files)", path);
        close(fd);
        return VMI_FAILURE;
    }
    if (st.st_size == 0) {
        util_err_set(err, "%s: empty image (0 bytes)", path);
        close(fd);
        return VMI_FAILURE;
    }
    if ((uint64_t)st.st_size > SIZE_MAX) {
        util_err_set(err, "%s: image of 0x%" PRIx64 " bytes is too large to"
                     " map on this host", path, (uint64_t)st.st_size);
        close(fd);
        return VMI_FAILURE;
    }
    m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (m == MAP_FAILED) {
        util_err_set(err, "%s: cannot map 0x%" PRIx64 " bytes: %s", path,
                     (uint64_t)st.st_size, strerror(errno));
        close(fd);
        return VMI_FAILURE;
    }
    s->fd = fd;     /* kept for pread: see the top of this file */
    s->map = m;
    s->size = (size_t)st.st_size;
    return VMI_SUCCESS;
}

static status_t file_open(void **state, const driver_target_t *t,
                          const driver_settings_t *settings, util_err_t *err)
{
    const char *forced = NULL, *way, *target = t->name;
    file_state_t *s;

    *state = NULL;
    if (t->flags & VMI_INIT_DOMAINID) {
        util_err_set(err, "a memory image is named by its path, not by a domain id "
                          "(%llu)", (unsigned long long)t->id);
        return VMI_FAILURE;
    }
    if (!target || !*target) {
        util_err_set(err, "no memory image path given");
        return VMI_FAILURE;
    }
    if (settings && settings->lookup)
        forced = settings->lookup(settings->ctx, "image_format");
    s = calloc(1, sizeof(*s));
    if (!s || !(s->path = strdup(target))) {
        util_err_set(err, "%s: out of memory", target);
        free(s);
        return VMI_FAILURE;
    }
    s->fd = -1;
    atomic_init(&s->small_preads, 0);
    if (settings && settings->lookup && (way = settings->lookup(settings->ctx, "image_read"))) {
        if (strcmp(way, "auto") == 0)
            s->way = FILE_READ_AUTO;
        else if (strcmp(way, "pread") == 0)
            s->way = FILE_READ_PREAD;
        else if (strcmp(way, "map") == 0)
            s->way = FILE_READ_MAP;
        else {
            util_err_set(err, "%s: image_read is \"%s\"; it takes auto (the default), pread "
                         "or map", target, way);
            goto fail;
        }
    }
    s->fd = -1;
    if (forced) {
        s->format = format_by_name(forced);
        if (!s->format) {
            char known[128];
            format_names(known, sizeof(known));
            util_err_set(err, "%s: unknown image_format \"%s\" (known: %s)",
                         target, forced, known);
            goto fail;
        }
    }
    if (map_image(s, target, err) != VMI_SUCCESS)
        goto fail;
    for (size_t i = 0; !s->format && file_formats[i]; i++)
        if (file_formats[i]->detect(s->map, s->size))
            s->format = file_formats[i];
    if (!s->format) {
        /* Cannot happen while raw is in the list; kept for safety. */
        util_err_set(err, "%s: not a memory image TinyVMI knows", target);
        goto fail;
    }
    if (s->format->parse(s->map, s->size, &s->layout, err) != VMI_SUCCESS ||
        file_layout_finish(&s->layout, s->size, err) != VMI_SUCCESS) {
        if (forced)
            util_err_prefix(err, "%s (read as %s, as image_format says)",
                            target, s->format->name);
        else
            util_err_prefix(err, "%s", target);
        goto fail;
    }
    s->layout.mem.base = s->layout.vmem.base = s->map;
    *state = s;
    return VMI_SUCCESS;
fail:
    file_close(s);
    return VMI_FAILURE;
}

/* A memory image: read-only, never running, no events.  Every slot not
 * named here is NULL on purpose (see driver.h for what that means). */
const driver_ops_t driver_file_ops = {
    .name = "file",
    .mode = VMI_FILE,
    .accepts = "a memory image file: raw, QEMU ELF core, LiME or Windows crash dump",
    .probe = file_probe,
    .open = file_open,
    .close = file_close,
    .map = file_map,
    .read = file_read,
    .memsize = file_memsize,
    .max_pa = file_max_pa,
    .range = file_range,
    .num_vcpus = file_num_vcpus,
    .get_vcpureg = file_get_vcpureg,
    .hint = file_hint,
    .fact = file_fact,
    .read_va = file_read_va,
};
