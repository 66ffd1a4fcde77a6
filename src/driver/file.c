/*
 * file.c - the file driver: guest memory from a memory image on disk (raw,
 * ELF core, LiME; see file_format.h for the list).
 *
 * The image is mapped read-only once, at open; the chosen format turns it
 * into a sorted table of ranges (guest-physical run -> file offset, pmap.h),
 * validated once so that reads need no further bounds checks.  A read is a
 * binary search (after a one-entry cache of the last range hit) and a
 * memcpy; map() hands out pointers straight into the mapping.
 * Addresses outside every range are holes: reading one fails with a reason,
 * it never yields zeros.  Images are read-only and cannot be paused.  What
 * a format found beyond memory (vCPU registers, facts such as a crash
 * dump's list heads) is handed out as parsed, unchecked: it is the guest's
 * word, and the layers above judge it.
 *
 * This file must not know any image format's layout (that is file_<fmt>.c)
 * nor anything about paging or operating systems.  If the file is truncated
 * by someone else while mapped, touching the lost pages raises SIGBUS: the
 * price of zero-copy, as for any mmap.
 */
#include "driver/driver.h"
#include "driver/file_format.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
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

typedef struct file_state {
    char *path;
    const uint8_t *map;
    size_t size;
    const file_format_t *format;
    file_layout_t layout;       /* layout.mem: ranges sorted, validated, merged */
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

status_t file_layout_add_hint(file_layout_t *out, const char *key, uint64_t value,
                              util_err_t *err)
{
    size_t len = key ? strlen(key) : 0;

    if (len == 0 || len >= FILE_HINT_KEY_MAX) {
        util_err_set(err, "image hint key \"%s\" is empty or longer than %d bytes",
                     key ? key : "", FILE_HINT_KEY_MAX - 1);
        return VMI_FAILURE;
    }
    for (unsigned int i = 0; i < out->nhints; i++) {
        if (strcmp(out->hints[i].key, key) == 0) {
            out->hints[i].value = value;
            return VMI_SUCCESS;
        }
    }
    if (out->nhints >= FILE_MAX_HINTS) {
        util_err_set(err, "more than %d image hints (adding %s)", FILE_MAX_HINTS, key);
        return VMI_FAILURE;
    }
    memcpy(out->hints[out->nhints].key, key, len + 1);
    out->hints[out->nhints].value = value;
    out->nhints++;
    return VMI_SUCCESS;
}

void file_layout_free(file_layout_t *layout)
{
    driver_pmap_free(&layout->mem);
    free(layout->vcpus);
    memset(layout, 0, sizeof(*layout));
}

status_t file_layout_finish(file_layout_t *layout, uint64_t filesize,
                            util_err_t *err)
{
    return driver_pmap_finish(&layout->mem, filesize, err);
}

/* ---- Memory ---- */

static const void *file_map(void *state, addr_t pa, size_t len, util_err_t *err)
{
    return driver_pmap_map(&((file_state_t *)state)->layout.mem, pa, len, err);
}

static status_t file_read(void *state, addr_t pa, void *buf, size_t len,
                          size_t *done, util_err_t *err)
{
    return driver_pmap_copy(&((file_state_t *)state)->layout.mem, pa, buf, len, done, false,
                            err);
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

    for (unsigned int i = 0; key && i < l->nhints; i++) {
        if (strcmp(l->hints[i].key, key) == 0) {
            *value = l->hints[i].value;
            return VMI_SUCCESS;
        }
    }
    if (l->nhints == 0)
        util_err_set(err, "%s: a %s image states nothing about its guest beyond memory%s"
                     " (asked for %s)", s->path, s->format->name,
                     l->nvcpus ? " and registers" : "", key ? key : "(no key)");
    else
        util_err_set(err, "%s: the %s image does not state %s", s->path, s->format->name,
                     key ? key : "(no key)");
    return VMI_FAILURE;
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
    close(fd);  /* the mapping keeps the file alive */
    if (m == MAP_FAILED) {
        util_err_set(err, "%s: cannot map 0x%" PRIx64 " bytes: %s", path,
                     (uint64_t)st.st_size, strerror(errno));
        return VMI_FAILURE;
    }
    s->map = m;
    s->size = (size_t)st.st_size;
    return VMI_SUCCESS;
}

static status_t file_open(void **state, const driver_target_t *t,
                          const driver_settings_t *settings, util_err_t *err)
{
    const char *forced = NULL, *target = t->name;
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
    s->layout.mem.base = s->map;
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
};
