/*
 * qemu.c - the QEMU driver: a live, unmodified QEMU (TCG or KVM) that was
 * started with two options, `-qmp unix:PATH,server=on,wait=off` and its RAM
 * in a shared file (`-object memory-backend-file,...,share=on -machine
 * memory-backend=mem`).  TinyVMI is given only the QMP socket.
 *
 * Memory: QMP names the RAM file (qom-get of the machine's memory-backend
 * and its mem-path); QEMU's flat memory map (info mtree -f) says which
 * guest-physical runs it backs at which offsets (qemu_layout.c); the file
 * is mapped MAP_SHARED, so reads are a memcpy of the guest's live RAM and
 * writes land in it directly.  Registers: through the gdbstub when it is
 * attached and the VM stopped (exact), otherwise from QEMU's register dump
 * (info registers -a), which does not stop the guest.  vCPUs: QMP
 * query-cpus-fast.  Pause and resume: QMP, or the gdbstub once attached
 * (qemu.h says why).  Events: qemu_run.c.
 *
 * Must not know paging, symbols or operating systems.  A RAM file another
 * process truncates would raise SIGBUS, as for any mapping.
 */
#include "driver/qemu.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "driver/qemu_layout.h"
#include "driver/regs.h"
#include "util/strutil.h"

#define QEMU_DEFAULT_TIMEOUT_MS 10000u

/* ---- Registers ---- */

/* LibVMI's registers that QEMU's gdbstub holds, by the stub's names
 * (qemu-system-x86_64, then qemu-system-i386). */
static const struct {
    reg_t reg;
    const char *n64, *n32;
} stub_names[] = {
    { RAX, "rax", "eax" },       { RBX, "rbx", "ebx" },     { RCX, "rcx", "ecx" },
    { RDX, "rdx", "edx" },       { RSI, "rsi", "esi" },     { RDI, "rdi", "edi" },
    { RBP, "rbp", "ebp" },       { RSP, "rsp", "esp" },     { R8, "r8", NULL },
    { R9, "r9", NULL },          { R10, "r10", NULL },      { R11, "r11", NULL },
    { R12, "r12", NULL },        { R13, "r13", NULL },      { R14, "r14", NULL },
    { R15, "r15", NULL },        { RIP, "rip", "eip" },     { RFLAGS, "eflags", "eflags" },
    { CS_SEL, "cs", "cs" },      { SS_SEL, "ss", "ss" },    { DS_SEL, "ds", "ds" },
    { ES_SEL, "es", "es" },      { FS_SEL, "fs", "fs" },    { GS_SEL, "gs", "gs" },
    { FS_BASE, "fs_base", "fs_base" }, { GS_BASE, "gs_base", "gs_base" },
    { SHADOW_GS, "k_gs_base", "k_gs_base" },
    { CR0, "cr0", "cr0" },       { CR2, "cr2", "cr2" },     { CR3, "cr3", "cr3" },
    { CR4, "cr4", "cr4" },       { MSR_EFER, "efer", "efer" },
};
#define NSTUB (sizeof(stub_names) / sizeof(stub_names[0]))

static const qemu_gdb_reg_t *stub_reg(const qemu_state_t *s, reg_t reg)
{
    for (size_t i = 0; i < NSTUB; i++) {
        if (stub_names[i].reg != reg)
            continue;
        const qemu_gdb_reg_t *r = qemu_gdb_reg(&s->gdb, stub_names[i].n64);
        if (!r && stub_names[i].n32)
            r = qemu_gdb_reg(&s->gdb, stub_names[i].n32);
        return r;
    }
    return NULL;
}

uint32_t qemu_thread_of(const qemu_state_t *s, unsigned int vcpu)
{
    if (s->gdb_on && vcpu < s->gdb.nthreads)
        return s->gdb.threads[vcpu];
    return vcpu + 1; /* QEMU numbers gdb threads cpu_index + 1 */
}

bool qemu_vcpu_of(const qemu_state_t *s, uint32_t tid, unsigned int *vcpu)
{
    for (unsigned int i = 0; s->gdb_on && i < s->gdb.nthreads && i < s->nvcpus; i++)
        if (s->gdb.threads[i] == tid) {
            *vcpu = i;
            return true;
        }
    return false;
}

void qemu_regs_forget(qemu_state_t *s)
{
    if (s->regs_valid)
        memset(s->regs_valid, 0, s->nvcpus * sizeof(*s->regs_valid));
    free(s->hmp_regs);
    s->hmp_regs = NULL;
}

status_t qemu_regs_stub(qemu_state_t *s, unsigned int vcpu, const x86_registers_t **out,
                        util_err_t *err)
{
    uint8_t *g = s->graw[vcpu];
    size_t len;
    x86_registers_t *r = &s->regs[vcpu];

    if (!s->regs_valid[vcpu]) {
        if (qemu_gdb_read_regs(&s->gdb, qemu_thread_of(s, vcpu), g, QEMU_G_BYTES, &len, err) !=
            VMI_SUCCESS)
            return VMI_FAILURE;
        s->glen[vcpu] = len;
        memset(r, 0, sizeof(*r));
        for (size_t i = 0; i < NSTUB; i++) {
            const qemu_gdb_reg_t *gr = stub_reg(s, stub_names[i].reg);
            uint64_t v = 0;
            if (!gr || gr->size > 8 || gr->offset + gr->size > len)
                continue;
            for (uint32_t b = gr->size; b-- > 0;)
                v = (v << 8) | g[gr->offset + b];
            driver_reg_set(r, stub_names[i].reg, v);
        }
        s->regs_valid[vcpu] = true;
    }
    *out = r;
    return VMI_SUCCESS;
}

status_t qemu_regs_load(qemu_state_t *s, unsigned int vcpu, const x86_registers_t *want,
                        util_err_t *err)
{
    const x86_registers_t *now;
    const qemu_gdb_reg_t *one = NULL;
    uint64_t one_value = 0;
    unsigned int changed = 0;
    uint8_t g[QEMU_G_BYTES];
    status_t st;

    if (qemu_regs_stub(s, vcpu, &now, err) != VMI_SUCCESS)
        return VMI_FAILURE;
    memcpy(g, s->graw[vcpu], s->glen[vcpu]);
    for (size_t i = 0; i < NSTUB; i++) {
        const qemu_gdb_reg_t *gr = stub_reg(s, stub_names[i].reg);
        uint64_t a = 0, b = 0;
        if (!gr || gr->size > 8 || gr->offset + gr->size > s->glen[vcpu])
            continue;
        driver_reg_get(now, stub_names[i].reg, &a);
        driver_reg_get(want, stub_names[i].reg, &b);
        if (a == b)
            continue;
        changed++;
        one = gr;
        one_value = b;
        for (uint32_t k = 0; k < gr->size; k++)
            g[gr->offset + k] = (uint8_t)(b >> (8 * k));
    }
    if (!changed)
        return VMI_SUCCESS;
    if (changed == 1)
        st = qemu_gdb_write_reg(&s->gdb, qemu_thread_of(s, vcpu), one, one_value, err);
    else
        st = qemu_gdb_write_regs(&s->gdb, qemu_thread_of(s, vcpu), g, s->glen[vcpu], err);
    qemu_regs_forget(s);
    return st;
}

/* The register dump QEMU prints, fetched once while the VM stays stopped
 * (always again while it runs). */
static status_t regs_hmp(qemu_state_t *s, unsigned int vcpu, x86_registers_t *out,
                         util_err_t *err)
{
    bool still = s->gdb_on ? !s->gdb.running : s->paused;
    char *text = s->hmp_regs;
    status_t st;

    if (!text && qemu_qmp_hmp(&s->qmp, "info registers -a", &text, err) != VMI_SUCCESS)
        return VMI_FAILURE;
    st = qemu_layout_parse_registers(text, vcpu, out, err);
    if (still)
        s->hmp_regs = text;
    else
        free(text);
    return st;
}

static unsigned int qemu_num_vcpus(void *state)
{
    return ((qemu_state_t *)state)->nvcpus;
}

static status_t check_vcpu(const qemu_state_t *s, unsigned long vcpu, util_err_t *err)
{
    if (vcpu < s->nvcpus)
        return VMI_SUCCESS;
    util_err_set(err, "QEMU has no vCPU %lu (it has %u)", vcpu, s->nvcpus);
    return VMI_FAILURE;
}

static status_t qemu_get_vcpuregs(void *state, registers_t *regs, unsigned long vcpu,
                                  util_err_t *err)
{
    qemu_state_t *s = state;
    const x86_registers_t *stub;
    x86_registers_t hmp;

    if (qemu_run_alive(s, err) != VMI_SUCCESS || check_vcpu(s, vcpu, err) != VMI_SUCCESS)
        return VMI_FAILURE;
    memset(regs, 0, sizeof(*regs));
    if (regs_hmp(s, (unsigned)vcpu, &hmp, err) != VMI_SUCCESS)
        return VMI_FAILURE;
    regs->x86 = hmp;
    /* With the VM stopped in the stub, its values are exact: they win. */
    if (s->gdb_on && !s->gdb.running) {
        if (qemu_regs_stub(s, (unsigned)vcpu, &stub, err) != VMI_SUCCESS)
            return VMI_FAILURE;
        for (size_t i = 0; i < NSTUB; i++) {
            uint64_t v;
            if (stub_reg(s, stub_names[i].reg) && driver_reg_get(stub, stub_names[i].reg, &v))
                driver_reg_set(&regs->x86, stub_names[i].reg, v);
        }
    }
    return VMI_SUCCESS;
}

static status_t qemu_get_vcpureg(void *state, uint64_t *value, reg_t reg, unsigned long vcpu,
                                 util_err_t *err)
{
    qemu_state_t *s = state;
    const x86_registers_t *stub;
    x86_registers_t hmp;

    if (qemu_run_alive(s, err) != VMI_SUCCESS || check_vcpu(s, vcpu, err) != VMI_SUCCESS)
        return VMI_FAILURE;
    if (s->gdb_on && !s->gdb.running && stub_reg(s, reg)) {
        if (qemu_regs_stub(s, (unsigned)vcpu, &stub, err) != VMI_SUCCESS)
            return VMI_FAILURE;
        return driver_reg_get(stub, reg, value) ? VMI_SUCCESS : VMI_FAILURE;
    }
    if (regs_hmp(s, (unsigned)vcpu, &hmp, err) != VMI_SUCCESS)
        return VMI_FAILURE;
    if (!driver_reg_get(&hmp, reg, value)) {
        util_err_set(err, "QEMU exposes no register %" PRIu64 " (neither its gdbstub nor "
                          "its register dump holds it)", (uint64_t)reg);
        return VMI_FAILURE;
    }
    return VMI_SUCCESS;
}

/* Registers are written through the stub with the VM stopped; a VM that
 * was running runs again afterwards (qemu_run_release: unless the stop
 * caught an event). */
static status_t qemu_set_vcpureg(void *state, uint64_t value, reg_t reg, unsigned long vcpu,
                                 util_err_t *err)
{
    qemu_state_t *s = state;
    const qemu_gdb_reg_t *r;
    bool was_running;
    status_t st;

    if (qemu_run_alive(s, err) != VMI_SUCCESS || check_vcpu(s, vcpu, err) != VMI_SUCCESS)
        return VMI_FAILURE;
    if (!s->gdb_on && qemu_run_attach(s, err) != VMI_SUCCESS)
        return VMI_FAILURE;
    if (!(r = stub_reg(s, reg))) {
        util_err_set(err, "QEMU's gdbstub cannot write register %" PRIu64 " (it exposes "
                          "general, segment selector, FS/GS base, CR0-4 and EFER only)",
                     (uint64_t)reg);
        return VMI_FAILURE;
    }
    was_running = s->gdb.running;
    if (was_running && qemu_run_stop(s, err) != VMI_SUCCESS)
        return VMI_FAILURE;
    st = qemu_gdb_write_reg(&s->gdb, qemu_thread_of(s, (unsigned)vcpu), r, value, err);
    qemu_regs_forget(s);
    if (was_running && qemu_run_release(s, st == VMI_SUCCESS ? err : NULL) != VMI_SUCCESS)
        return VMI_FAILURE;
    return st;
}

static status_t qemu_set_vcpuregs(void *state, const registers_t *regs, unsigned long vcpu,
                                  util_err_t *err)
{
    qemu_state_t *s = state;
    bool was_running;
    status_t st;

    if (qemu_run_alive(s, err) != VMI_SUCCESS || check_vcpu(s, vcpu, err) != VMI_SUCCESS)
        return VMI_FAILURE;
    if (!s->gdb_on && qemu_run_attach(s, err) != VMI_SUCCESS)
        return VMI_FAILURE;
    was_running = s->gdb.running;
    if (was_running && qemu_run_stop(s, err) != VMI_SUCCESS)
        return VMI_FAILURE;
    st = qemu_regs_load(s, (unsigned)vcpu, &regs->x86, err);
    if (was_running && qemu_run_release(s, st == VMI_SUCCESS ? err : NULL) != VMI_SUCCESS)
        return VMI_FAILURE;
    return st;
}

/* ---- Memory ---- */

static const void *qemu_map(void *state, addr_t pa, size_t len, util_err_t *err)
{
    return driver_pmap_map(&((qemu_state_t *)state)->mem, pa, len, err);
}

static status_t qemu_read(void *state, addr_t pa, void *buf, size_t len, size_t *done,
                          util_err_t *err)
{
    return driver_pmap_copy(&((qemu_state_t *)state)->mem, pa, buf, len, done, false, err);
}

/* Into the shared file at once.  With the gdbstub attached the same bytes
 * also go through it: TCG keeps translated code, and only a write QEMU
 * itself makes drops the translations of the bytes written (a 0xCC written
 * behind its back would not break).  Without the stub the file write is
 * all; documented in docs/qemu.md. */
static status_t qemu_write(void *state, addr_t pa, const void *buf, size_t len, size_t *done,
                           util_err_t *err)
{
    qemu_state_t *s = state;
    bool was_running;
    status_t st;

    if (!s->ram_writable) {
        util_err_set(err, "QEMU's RAM file %s is open read-only (no write permission)",
                     s->ram_path);
        return VMI_FAILURE;
    }
    if (qemu_run_alive(s, err) != VMI_SUCCESS)
        return VMI_FAILURE;
    if (!s->gdb_on)
        return driver_pmap_copy(&s->mem, pa, (void *)(uintptr_t)buf, len, done, true, err);
    /* Stopped before the first byte lands: a guest that ran on would act on
     * a write (a 0xCC, a request flag) before we could see what it did. */
    was_running = s->gdb.running;
    if (was_running && qemu_run_stop(s, err) != VMI_SUCCESS)
        return VMI_FAILURE;
    st = driver_pmap_copy(&s->mem, pa, (void *)(uintptr_t)buf, len, done, true, err);
    if (st == VMI_SUCCESS)
        st = qemu_gdb_write_phys(&s->gdb, pa, buf, len, err);
    if (was_running && qemu_run_release(s, st == VMI_SUCCESS ? err : NULL) != VMI_SUCCESS)
        return VMI_FAILURE;
    return st;
}

static uint64_t qemu_memsize(void *state)
{
    return ((qemu_state_t *)state)->mem.memsize;
}

static addr_t qemu_max_pa(void *state)
{
    return driver_pmap_max_pa(&((qemu_state_t *)state)->mem);
}

static bool qemu_range(void *state, size_t i, driver_range_t *out)
{
    return driver_pmap_range(&((qemu_state_t *)state)->mem, i, out);
}

/* ---- Control ---- */

static status_t qemu_pause(void *state, util_err_t *err)
{
    qemu_state_t *s = state;

    if (qemu_run_alive(s, err) != VMI_SUCCESS)
        return VMI_FAILURE;
    if (s->gdb_on) {
        if (s->gdb.running && qemu_run_stop(s, err) != VMI_SUCCESS)
            return VMI_FAILURE;
    } else if (qemu_qmp_exec(&s->qmp, "stop", NULL, NULL, NULL, err) != VMI_SUCCESS) {
        return VMI_FAILURE;
    }
    s->paused = true;
    return VMI_SUCCESS;
}

static status_t qemu_resume(void *state, util_err_t *err)
{
    qemu_state_t *s = state;

    if (qemu_run_alive(s, err) != VMI_SUCCESS)
        return VMI_FAILURE;
    s->paused = false;
    s->paused_outside = false;
    qemu_regs_forget(s);
    if (!s->gdb_on)
        return qemu_qmp_exec(&s->qmp, "cont", NULL, NULL, NULL, err);
    /* Events read while pausing are delivered by the next listen, which
     * lets the VM go on after them. */
    if (s->gdb.running || s->npending)
        return VMI_SUCCESS;
    return qemu_run_continue(s, err);
}

static status_t qemu_status(void *state, domain_status_t *out, util_err_t *err)
{
    qemu_state_t *s = state;
    util_json_doc_t *doc;
    const util_json_t *ret;
    const char *st;
    bool running = false;

    memset(out, 0, sizeof(*out));
    if (qemu_run_alive(s, err) != VMI_SUCCESS) {
        out->dying = 1;
        return VMI_FAILURE;
    }
    if (qemu_qmp_exec(&s->qmp, "query-status", NULL, &doc, &ret, err) != VMI_SUCCESS)
        return VMI_FAILURE;
    util_json_bool(util_json_get(ret, "running"), &running);
    st = util_json_str(util_json_get(ret, "status"), NULL);
    out->running = running;
    out->paused = !running;
    out->debugged = s->gdb_on || (st && strcmp(st, "debug") == 0);
    out->shutdown = st && strcmp(st, "shutdown") == 0;
    out->dying = st && (strcmp(st, "guest-panicked") == 0 || strcmp(st, "internal-error") == 0);
    util_json_free(doc);
    return VMI_SUCCESS;
}

static status_t qemu_alive(void *state, util_err_t *err)
{
    return qemu_run_alive(state, err);
}

/* ---- Opening ---- */

/* The QMP socket: the name itself, init data's socket, config qmp_socket,
 * or $TINYVMI_QMP_DIR (default /run/tinyvmi)/<name>.qmp. */
static bool is_socket(const char *path)
{
    struct stat st;
    return path && stat(path, &st) == 0 && S_ISSOCK(st.st_mode);
}

static const char *init_socket(const driver_target_t *t)
{
    if (!t->init_data)
        return NULL;
    for (uint64_t i = 0; i < t->init_data->count && i < 64; i++)
        if (t->init_data->entry[i].type == VMI_INIT_DATA_KVMI_SOCKET &&
            t->init_data->entry[i].data)
            return t->init_data->entry[i].data;
    return NULL;
}

static bool conventional_socket(const char *name, char *buf, size_t cap)
{
    const char *dir = getenv("TINYVMI_QMP_DIR");
    if (!name || !*name || strchr(name, '/'))
        return false;
    snprintf(buf, cap, "%s/%s.qmp", dir && *dir ? dir : "/run/tinyvmi", name);
    return is_socket(buf);
}

static bool qemu_probe(const driver_target_t *t)
{
    char buf[4096];
    if (t->flags & VMI_INIT_DOMAINID)
        return false;
    return is_socket(t->name) || init_socket(t) || conventional_socket(t->name, buf, sizeof(buf));
}

static status_t find_socket(const driver_target_t *t, const driver_settings_t *settings,
                            char *buf, size_t cap, util_err_t *err)
{
    const char *cfg = settings && settings->lookup ? settings->lookup(settings->ctx,
                                                                      "qmp_socket") : NULL;
    const char *p = NULL;

    if (t->flags & VMI_INIT_DOMAINID) {
        util_err_set(err, "a QEMU guest is named by its QMP socket (or a name with "
                          "qmp_socket in its config), not by a domain id (%llu)",
                     (unsigned long long)t->id);
        return VMI_FAILURE;
    }
    if (is_socket(t->name))
        p = t->name;
    else if (init_socket(t))
        p = init_socket(t);
    else if (cfg)
        p = cfg;
    if (p) {
        util_strlcpy(buf, p, cap);
        return VMI_SUCCESS;
    }
    if (conventional_socket(t->name, buf, cap))
        return VMI_SUCCESS;
    util_err_set(err, "\"%s\" is not a QMP socket, no socket came in the init data "
                      "(VMI_INIT_DATA_KVMI_SOCKET), the config sets no qmp_socket, and "
                      "there is no %s/%s.qmp", t->name ? t->name : "",
                 getenv("TINYVMI_QMP_DIR") ? getenv("TINYVMI_QMP_DIR") : "/run/tinyvmi",
                 t->name ? t->name : "");
    return VMI_FAILURE;
}

/* "qom-get" of a property of path: args JSON built with quoting. */
static status_t qom_get(qemu_state_t *s, const char *path, const char *prop,
                        util_json_doc_t **doc, const util_json_t **ret, util_err_t *err)
{
    char qpath[512], args[700];
    if (!qemu_qmp_quote(qpath, sizeof(qpath), path)) {
        util_err_set(err, "QOM path too long: %s", path);
        return VMI_FAILURE;
    }
    snprintf(args, sizeof(args), "{\"path\":%s,\"property\":\"%s\"}", qpath, prop);
    return qemu_qmp_exec(&s->qmp, "qom-get", args, doc, ret, err);
}

/* The RAM backend: its QOM path, file and region name, checked shared. */
static status_t find_ram(qemu_state_t *s, char *region, size_t cap, util_err_t *err)
{
    util_json_doc_t *doc;
    const util_json_t *ret;
    char *backend = NULL;
    const char *str, *slash;
    bool share = false;

    if (qom_get(s, "/machine", "memory-backend", &doc, &ret, err) != VMI_SUCCESS) {
        util_err_prefix(err, "asking QEMU for its RAM backend (start QEMU with "
                             "-object memory-backend-file,id=mem,size=...,mem-path=FILE,"
                             "share=on -machine memory-backend=mem)");
        return VMI_FAILURE;
    }
    str = util_json_str(ret, NULL);
    if (!str || !*str) {
        util_json_free(doc);
        util_err_set(err, "QEMU's machine has no memory-backend: start QEMU with -object "
                          "memory-backend-file,id=mem,size=...,mem-path=FILE,share=on "
                          "-machine memory-backend=mem");
        return VMI_FAILURE;
    }
    /* A link is "/objects/mem"; a plain id is "mem". */
    if (str[0] == '/')
        backend = util_strdup(str);
    else if ((backend = malloc(strlen(str) + 10)))
        sprintf(backend, "/objects/%s", str);
    util_json_free(doc);
    if (!backend) {
        util_err_set(err, "out of memory");
        return VMI_FAILURE;
    }
    slash = strrchr(backend, '/');
    util_strlcpy(region, slash + 1, cap);
    if (qom_get(s, backend, "mem-path", &doc, &ret, err) != VMI_SUCCESS) {
        util_err_prefix(err, "QEMU's RAM backend %s is not a file (use memory-backend-file "
                             "with share=on)", backend);
        free(backend);
        return VMI_FAILURE;
    }
    str = util_json_str(ret, NULL);
    s->ram_path = str ? util_strdup(str) : NULL;
    util_json_free(doc);
    if (!s->ram_path || !*s->ram_path) {
        util_err_set(err, "QEMU's RAM backend %s names no file", backend);
        free(backend);
        return VMI_FAILURE;
    }
    if (qom_get(s, backend, "share", &doc, &ret, err) == VMI_SUCCESS) {
        util_json_bool(ret, &share);
        util_json_free(doc);
    }
    if (!share) {
        util_err_set(err, "QEMU's RAM file %s is not shared (share=off): the guest writes "
                          "into private copies the file never sees; start QEMU with "
                          "share=on", s->ram_path);
        free(backend);
        return VMI_FAILURE;
    }
    free(backend);
    return VMI_SUCCESS;
}

static status_t map_ram(qemu_state_t *s, util_err_t *err)
{
    struct stat st;
    int fd = open(s->ram_path, O_RDWR | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    void *m;

    s->ram_writable = fd >= 0;
    if (fd < 0)
        fd = open(s->ram_path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        util_err_set(err, "cannot open QEMU's RAM file %s: %s", s->ram_path, strerror(errno));
        return VMI_FAILURE;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size <= 0 ||
        (uint64_t)st.st_size > SIZE_MAX) {
        util_err_set(err, "QEMU's RAM file %s is not a usable regular file", s->ram_path);
        close(fd);
        return VMI_FAILURE;
    }
    m = mmap(NULL, (size_t)st.st_size, PROT_READ | (s->ram_writable ? PROT_WRITE : 0),
             MAP_SHARED, fd, 0);
    close(fd);
    if (m == MAP_FAILED) {
        util_err_set(err, "cannot map QEMU's RAM file %s: %s", s->ram_path, strerror(errno));
        return VMI_FAILURE;
    }
    s->ram = m;
    s->ram_size = (size_t)st.st_size;
    s->mem.base = s->ram;
    return VMI_SUCCESS;
}

static status_t read_layout(qemu_state_t *s, const char *region, util_err_t *err)
{
    char *mtree;
    status_t st;

    if (qemu_qmp_hmp(&s->qmp, "info mtree -f", &mtree, err) != VMI_SUCCESS)
        return VMI_FAILURE;
    s->mem.unit = "memory-map line";
    s->mem.where = "QEMU's guest RAM";
    s->mem.container = "mapping";
    st = qemu_layout_parse_mtree(mtree, region, &s->mem, err);
    free(mtree);
    if (st == VMI_SUCCESS && driver_pmap_finish(&s->mem, s->ram_size, err) != VMI_SUCCESS) {
        util_err_prefix(err, "QEMU's memory map against its RAM file %s", s->ram_path);
        return VMI_FAILURE;
    }
    return st;
}

static status_t read_vcpus(qemu_state_t *s, util_err_t *err)
{
    util_json_doc_t *doc;
    const util_json_t *ret;
    const char *t;
    char buf[32];
    const char *target = NULL;
    bool array;

    if (qemu_qmp_exec(&s->qmp, "query-cpus-fast", NULL, &doc, &ret, err) != VMI_SUCCESS)
        return VMI_FAILURE;
    /* Everything wanted from the reply before it is freed. */
    s->nvcpus = (unsigned)util_json_count(ret);
    array = util_json_type(ret) == UTIL_JSON_ARRAY;
    t = util_json_str(util_json_get(util_json_at(ret, 0), "target"), NULL);
    if (t) {
        util_strlcpy(buf, t, sizeof(buf));
        target = buf;
    }
    util_json_free(doc);
    s->x86_64 = target && strcmp(target, "x86_64") == 0;
    if (s->nvcpus == 0 || s->nvcpus > QEMU_MAX_VCPUS || !array) {
        util_err_set(err, "QEMU reports %u vCPUs (TinyVMI handles 1 to %u)", s->nvcpus,
                     QEMU_MAX_VCPUS);
        return VMI_FAILURE;
    }
    if (target && strcmp(target, "x86_64") != 0 && strcmp(target, "i386") != 0) {
        util_err_set(err, "QEMU emulates %s; TinyVMI reads x86 guests only", target);
        return VMI_FAILURE;
    }
    s->regs = calloc(s->nvcpus, sizeof(*s->regs));
    s->regs_valid = calloc(s->nvcpus, sizeof(*s->regs_valid));
    s->stepping = calloc(s->nvcpus, sizeof(*s->stepping));
    s->graw = calloc(s->nvcpus, sizeof(*s->graw));
    s->glen = calloc(s->nvcpus, sizeof(*s->glen));
    s->step_from = calloc(s->nvcpus, sizeof(*s->step_from));
    s->step_from_len = calloc(s->nvcpus, sizeof(*s->step_from_len));
    s->step_retry = calloc(s->nvcpus, sizeof(*s->step_retry));
    if (!s->regs || !s->regs_valid || !s->stepping || !s->graw || !s->glen || !s->step_from ||
        !s->step_from_len || !s->step_retry) {
        util_err_set(err, "out of memory for %u vCPUs", s->nvcpus);
        return VMI_FAILURE;
    }
    return VMI_SUCCESS;
}

static void qemu_close(void *state)
{
    qemu_state_t *s = state;
    if (!s)
        return;
    if (s->gdb_on)
        qemu_run_detach(s);
    qemu_qmp_close(&s->qmp);
    if (s->ram)
        munmap(s->ram, s->ram_size);
    driver_pmap_free(&s->mem);
    free(s->hmp_regs);
    free(s->regs);
    free(s->regs_valid);
    free(s->stepping);
    free(s->step_from);
    free(s->step_from_len);
    free(s->step_retry);
    free(s->graw);
    free(s->glen);
    free(s->points);
    free(s->ram_path);
    free(s->qmp_path);
    free(s);
}

static status_t qemu_open(void **state, const driver_target_t *t,
                          const driver_settings_t *settings, util_err_t *err)
{
    qemu_state_t *s = calloc(1, sizeof(*s));
    char path[4096], region[128];
    const char *v = settings && settings->lookup ? settings->lookup(settings->ctx,
                                                                    "qemu_timeout_ms") : NULL;
    uint64_t ms = QEMU_DEFAULT_TIMEOUT_MS;

    *state = NULL;
    if (!s) {
        util_err_set(err, "out of memory");
        return VMI_FAILURE;
    }
    s->qmp.sock.fd = -1;
    if (v && (!util_parse_u64(v, &ms) || ms == 0 || ms > 3600000)) {
        util_err_set(err, "config qemu_timeout_ms = \"%s\": expected 1..3600000", v);
        goto fail;
    }
    s->timeout_ms = (uint32_t)ms;
    if (find_socket(t, settings, path, sizeof(path), err) != VMI_SUCCESS)
        goto fail;
    if (!(s->qmp_path = util_strdup(path))) {
        util_err_set(err, "out of memory");
        goto fail;
    }
    if (qemu_qmp_open(&s->qmp, path, s->timeout_ms, err) != VMI_SUCCESS ||
        find_ram(s, region, sizeof(region), err) != VMI_SUCCESS ||
        map_ram(s, err) != VMI_SUCCESS || read_layout(s, region, err) != VMI_SUCCESS ||
        read_vcpus(s, err) != VMI_SUCCESS) {
        util_err_prefix(err, "QEMU at %s", path);
        goto fail;
    }
    *state = s;
    return VMI_SUCCESS;
fail:
    qemu_close(s);
    return VMI_FAILURE;
}

/* A live QEMU: memory mapped from its shared RAM file, registers, control
 * and debugger watches.  NULL slots (disks, XSAVE, MTRR, TSC, page-fault
 * injection, frames, native watches) are what QEMU's unmodified interfaces
 * do not offer; see docs/qemu.md. */
const driver_ops_t driver_qemu_ops = {
    .name = "qemu",
    .mode = VMI_KVM,
    .accepts = "a running QEMU's QMP socket (QEMU started with -qmp unix:PATH,server=on,"
               "wait=off and its RAM in a shared memory-backend-file)",
    .probe = qemu_probe,
    .open = qemu_open,
    .close = qemu_close,
    .map = qemu_map,
    .read = qemu_read,
    .write = qemu_write,
    .memsize = qemu_memsize,
    .max_pa = qemu_max_pa,
    .range = qemu_range,
    .num_vcpus = qemu_num_vcpus,
    .get_vcpureg = qemu_get_vcpureg,
    .get_vcpuregs = qemu_get_vcpuregs,
    .set_vcpureg = qemu_set_vcpureg,
    .set_vcpuregs = qemu_set_vcpuregs,
    .pause = qemu_pause,
    .resume = qemu_resume,
    .status = qemu_status,
    .alive = qemu_alive,
    .watch_kinds = qemu_watch_kinds,
    .watch = qemu_watch,
    .listen = qemu_listen,
    .pending = qemu_pending,
};
