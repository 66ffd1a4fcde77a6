/*
 * hostile.h - one entry point per parser of untrusted input, taking nothing
 * but bytes: a memory image, JSON or ISF text, a PE image, a BTF blob, a
 * copy of guest memory holding kallsyms, System.map text, libvmi.conf text,
 * guest-physical memory holding page tables, the kernel log (both printk
 * formats, tools/common/printk.c), copies of struct module, what QEMU's
 * gdbstub sends (packets, stop replies, register descriptions) or QEMU's
 * monitor texts (the memory map, the register dump).
 *
 * Shared by test_hostile_inputs.c (fixed crashers and a deterministic
 * mutation loop) and the libFuzzer harnesses in tests/fuzz/, so the fuzzers
 * and the regression test drive the parsers the same way.  Each entry point
 * runs the parser and then every query a caller would make of the result,
 * and answers HOSTILE_OK, HOSTILE_REJECTED (failed with a reason) or
 * HOSTILE_NO_REASON (some call failed and left no reason: a bug).  It aborts
 * when a parser accepted something that breaks its own promises (an image
 * range outside the file, say), so a fuzzer reports it as a crash.
 *
 * Must not: depend on files or guest images; everything comes from the
 * bytes given.
 */
#ifndef TINYVMI_TESTS_HOSTILE_H
#define TINYVMI_TESTS_HOSTILE_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <libvmi/peparse.h>
#include "arch/x86.h"
#include "common/printk.h"
#include "core/config.h"
#include "driver/driver.h"
#include "driver/file_format.h"
#include "driver/qemu_gdb.h"
#include "driver/qemu_layout.h"
#include "os/isf.h"
#include "os/linux/linux.h"
#include "os/windows/pe.h"
#include "util/json.h"
#include "util/symz.h"

#define HOSTILE_OK 0
#define HOSTILE_REJECTED 1
#define HOSTILE_NO_REASON (-1)

extern const driver_ops_t driver_file_ops;

/* A failing call must leave a reason; fold one call's outcome into rc
 * (which a failure with a reason leaves as it was: only the main parse
 * decides between OK and REJECTED). */
static inline int hostile_fold(int rc, bool ok, util_err_t *err)
{
    if (ok)
        return rc;
    if (!util_err_msg(err)[0]) {
        if (getenv("HOSTILE_VERBOSE"))
            fprintf(stderr, "hostile: a call failed without a reason\n");
        return HOSTILE_NO_REASON;
    }
    if (getenv("HOSTILE_VERBOSE"))
        fprintf(stderr, "hostile: refused: %s\n", util_err_msg(err));
    util_err_clear(err);
    return rc;
}

static inline void hostile_die(const char *what)
{
    fprintf(stderr, "hostile: %s\n", what);
    abort();
}

/* ---- Memory images: the format's parse, the driver's checks, then the
 * whole driver over the same bytes (as a memfd, so no disk is touched). */

static const char *hostile_forced;
static inline const char *hostile_lookup(void *ctx, const char *key)
{
    (void)ctx;
    return strcmp(key, "image_format") == 0 ? hostile_forced : NULL;
}

static inline int hostile_image_driver(const char *format, const uint8_t *d, size_t n)
{
    char path[64];
    util_err_t err;
    void *st = NULL;
    int rc = HOSTILE_OK;
    int fd = memfd_create("tvmi-hostile", MFD_CLOEXEC);

    if (fd < 0)
        hostile_die("memfd_create failed");
    for (size_t done = 0; done < n;) {
        ssize_t w = write(fd, d + done, n - done);
        if (w <= 0)
            hostile_die("writing the memfd failed");
        done += (size_t)w;
    }
    snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    hostile_forced = format;
    driver_settings_t set = { hostile_lookup, NULL };
    util_err_clear(&err);
    if (driver_file_ops.open(&st, DRIVER_TARGET_NAMED(path), &set, &err) != VMI_SUCCESS) {
        close(fd);
        return hostile_fold(HOSTILE_REJECTED, false, &err);
    }
    /* Every range readable at both ends, through read and map; the bytes
     * just past each range either belong to the next one or fail. */
    driver_range_t r;
    uint64_t sum = 0;
    for (size_t i = 0; driver_file_ops.range(st, i, &r); i++) {
        uint8_t b[16];
        size_t done;
        if (r.end <= r.start)
            hostile_die("file driver: empty or wrapping range");
        sum += r.end - r.start;
        if (driver_file_ops.read(st, r.start, b, 1, &done, &err) != VMI_SUCCESS ||
            driver_file_ops.read(st, r.end - 1, b, 1, &done, &err) != VMI_SUCCESS ||
            !driver_file_ops.map(st, r.start, (size_t)(r.end - r.start > 16 ? 16 : r.end - r.start), &err))
            hostile_die("file driver: a listed range is not readable");
        rc = hostile_fold(rc, driver_file_ops.read(st, r.end - 1, b, sizeof(b), &done, &err)
                                  == VMI_SUCCESS, &err);
        rc = hostile_fold(rc, driver_file_ops.map(st, r.end - 1, 2, &err) != NULL, &err);
    }
    if (sum != driver_file_ops.memsize(st))
        hostile_die("file driver: memsize is not the sum of the ranges");
    uint8_t b[8];
    size_t done;
    rc = hostile_fold(rc, driver_file_ops.read(st, driver_file_ops.max_pa(st), b, 8, &done, &err)
                              == VMI_SUCCESS, &err);
    rc = hostile_fold(rc, driver_file_ops.read(st, UINT64_MAX - 3, b, 8, &done, &err)
                              == VMI_SUCCESS, &err);
    static const reg_t regs[] = { CR0, CR3, CR4, MSR_EFER, RIP, SHADOW_GS, GS_BASE };
    unsigned nv = driver_file_ops.num_vcpus(st);
    for (unsigned v = 0; v <= nv && v < 4; v++)
        for (size_t i = 0; i < sizeof(regs) / sizeof(regs[0]); i++) {
            uint64_t val;
            rc = hostile_fold(rc, driver_file_ops.get_vcpureg(st, &val, regs[i], v, &err)
                                      == VMI_SUCCESS, &err);
        }
    uint64_t val;
    rc = hostile_fold(rc, driver_file_ops.hint(st, "win.PsActiveProcessHead", &val, &err)
                              == VMI_SUCCESS, &err);
    /* Every fact has a key, and text facts are terminated strings; every
     * numeric fact answers hint() (text ones fail with a reason). */
    driver_fact_t f;
    for (size_t i = 0; driver_file_ops.fact(st, i, &f); i++) {
        if (!f.key || !f.key[0] || (f.text && strlen(f.text) >= FILE_FACT_TEXT_MAX))
            hostile_die("file driver: a fact without a key or with an unbounded text");
        if (i < 64)
            rc = hostile_fold(rc, driver_file_ops.hint(st, f.key, &val, &err) == VMI_SUCCESS,
                              &err);
    }
    /* Memory by virtual address: somewhere low, high, and where the
     * kernel's data usually is; each read succeeds or says why. */
    static const uint64_t vas[] = { 0, 0x80000000ULL, 0xfffff80000000000ULL,
                                    UINT64_MAX - 3 };
    for (size_t i = 0; i < sizeof(vas) / sizeof(vas[0]); i++)
        rc = hostile_fold(rc, driver_file_ops.read_va(st, vas[i], b, 8, &done, &err) ==
                                  VMI_SUCCESS, &err);
    driver_file_ops.close(st);
    close(fd);
    return rc;
}

static inline int hostile_image(const file_format_t *f, const uint8_t *d, size_t n)
{
    file_layout_t l;
    util_err_t err;
    status_t st;

    memset(&l, 0, sizeof(l));
    util_err_clear(&err);
    (void)f->detect(d, n);
    st = f->parse(d, n, &l, &err);
    if (st == VMI_SUCCESS)
        st = file_layout_finish(&l, n, &err);
    if (st == VMI_SUCCESS) {
        /* The driver's promise to its readers: sorted, disjoint, inside the
         * file, never wrapping. */
        for (size_t i = 0; i < l.mem.nranges; i++) {
            const file_range_t *r = &l.mem.ranges[i];
            if (r->len == 0 || r->offset > n || r->len > n - r->offset ||
                r->start + r->len < r->start ||
                (i && r->start < l.mem.ranges[i - 1].start + l.mem.ranges[i - 1].len))
                hostile_die("file layout: a validated range breaks the rules");
            volatile uint8_t x = d[r->offset];
            x = d[r->offset + r->len - 1];
            (void)x;
        }
        if (l.nvcpus > l.cap_vcpus || l.nfacts > FILE_MAX_FACTS || l.nfacts > l.cap_facts)
            hostile_die("file layout: counts past their tables");
        /* Virtual runs: sorted, disjoint, inside the file, never wrapping. */
        for (size_t i = 0; i < l.vmem.nranges; i++) {
            const file_range_t *r = &l.vmem.ranges[i];
            if (r->len == 0 || r->offset > n || r->len > n - r->offset ||
                r->start + r->len < r->start ||
                (i && r->start < l.vmem.ranges[i - 1].start + l.vmem.ranges[i - 1].len))
                hostile_die("file layout: a validated virtual run breaks the rules");
        }
    }
    file_layout_free(&l);
    int rc = hostile_fold(st == VMI_SUCCESS ? HOSTILE_OK : HOSTILE_REJECTED, st == VMI_SUCCESS, &err);
    if (n > 0) {
        int rd = hostile_image_driver(f->name, d, n);
        if (rd == HOSTILE_NO_REASON)
            rc = rd;
        if ((rd == HOSTILE_OK) != (st == VMI_SUCCESS))
            hostile_die("file driver: opening disagrees with parsing");
    }
    return rc;
}

static inline int hostile_elf(const uint8_t *d, size_t n)
{
    return hostile_image(&file_format_elf, d, n);
}
static inline int hostile_lime(const uint8_t *d, size_t n)
{
    return hostile_image(&file_format_lime, d, n);
}
static inline int hostile_windump(const uint8_t *d, size_t n)
{
    return hostile_image(&file_format_windump, d, n);
}

/* ---- JSON ---- */

static inline void hostile_json_walk(const util_json_t *v)
{
    size_t n = util_json_count(v), kl, sl;
    uint64_t u;
    int64_t i64;
    bool b;

    (void)util_json_type_name(util_json_type(v));
    (void)util_json_str(v, &sl);
    (void)util_json_u64(v, &u);
    (void)util_json_i64(v, &i64);
    (void)util_json_bool(v, &b);
    (void)util_json_is_null(v);
    for (size_t i = 0; i < n; i++) {
        const char *k = util_json_key_at(v, i, &kl);
        if (k && util_json_getn(v, k, kl) == NULL)
            hostile_die("json: a key of an object is not found in it");
        hostile_json_walk(util_json_at(v, i));
    }
    if (util_json_at(v, n) != NULL)
        hostile_die("json: an element past the end");
}

static inline int hostile_json(const uint8_t *d, size_t n)
{
    util_err_t err;
    util_json_limits_t lim = { 0, 64 };
    util_json_doc_t *doc;

    util_err_clear(&err);
    doc = util_json_parse((const char *)d, n, &lim, &err);
    if (!doc)
        return hostile_fold(HOSTILE_REJECTED, false, &err);
    hostile_json_walk(util_json_root(doc));
    util_json_free(doc);
    return HOSTILE_OK;
}

/* ---- ISF: load, then ask about every name the table itself holds ---- */

static inline int hostile_isf(const uint8_t *d, size_t n)
{
    util_err_t err;
    int rc = HOSTILE_OK;
    isf_t *isf;

    util_err_clear(&err);
    isf = isf_load_text((const char *)d, n, "hostile.json", &err);
    if (!isf)
        return hostile_fold(HOSTILE_REJECTED, false, &err);
    util_json_doc_t *doc = util_json_parse((const char *)d, n, NULL, &err);
    if (!doc)
        hostile_die("isf: loaded a table that is not JSON");
    const util_json_t *root = util_json_root(doc);
    isf_pdb_t pdb;
    uint32_t a, b2, c, dd;
    (void)isf_name(isf);
    (void)isf_os(isf);
    (void)isf_pointer_size(isf);
    (void)isf_linux_banner(isf);
    (void)isf_windows_pe_version(isf, &a, &b2, &c, &dd);
    util_err_clear(&err);
    if (!isf_windows_pdb(isf, &pdb, &err))
        util_err_clear(&err); /* "absent" may say nothing */

    const util_json_t *syms = util_json_get(root, "symbols");
    for (size_t i = 0; i < util_json_count(syms) && i < 64; i++) {
        const char *k = util_json_key_at(syms, i, NULL);
        uint64_t addr;
        bool ok = isf_symbol(isf, k, &addr, &err);
        rc = hostile_fold(rc, ok, &err);
        if (ok)
            (void)isf_symbol_at(isf, addr);
    }
    static const char *const groups[] = { "user_types", "base_types", "enums" };
    for (size_t g = 0; g < 3; g++) {
        const util_json_t *types = util_json_get(root, groups[g]);
        for (size_t i = 0; i < util_json_count(types) && i < 64; i++) {
            const char *t = util_json_key_at(types, i, NULL);
            const util_json_t *ty = util_json_at(types, i);
            uint64_t size;
            rc = hostile_fold(rc, isf_type_size(isf, t, &size, &err), &err);
            const util_json_t *fields = util_json_get(ty, "fields");
            for (size_t j = 0; j < util_json_count(fields) && j < 64; j++) {
                const char *m = util_json_key_at(fields, j, NULL);
                isf_member_t mem;
                uint64_t off;
                char path[300];
                rc = hostile_fold(rc, isf_member(isf, t, m, &mem, &err), &err);
                rc = hostile_fold(rc, isf_member_offset(isf, t, m, &off, &err), &err);
                /* A path through the member, whatever it is. */
                const util_json_t *sub = util_json_get(
                    util_json_get(types, util_json_str(util_json_get(util_json_get(
                        util_json_at(fields, j), "type"), "name"), NULL)), "fields");
                const char *m2 = util_json_key_at(sub, 0, NULL);
                snprintf(path, sizeof(path), "%s.%s", m, m2 ? m2 : "x");
                rc = hostile_fold(rc, isf_member(isf, t, path, &mem, &err), &err);
            }
            const util_json_t *consts = util_json_get(ty, "constants");
            for (size_t j = 0; j < util_json_count(consts) && j < 64; j++) {
                int64_t v;
                rc = hostile_fold(rc, isf_enum_value(isf, t, util_json_key_at(consts, j, NULL),
                                                     &v, &err), &err);
            }
        }
    }
    uint64_t x;
    isf_member_t mem;
    rc = hostile_fold(rc, isf_symbol(isf, "NoSuchSymbol", &x, &err), &err);
    rc = hostile_fold(rc, isf_member(isf, "_EPROCESS", "Pcb.DirectoryTableBase", &mem, &err),
                      &err);
    rc = hostile_fold(rc, isf_member(isf, "_EPROCESS", "..", &mem, &err), &err);
    util_json_free(doc);
    isf_free(isf);
    return rc;
}

/* ---- PE: the bytes are the image as mapped, from its base ---- */

typedef struct hostile_buf {
    const uint8_t *d;
    size_t n;
} hostile_buf_t;

static inline status_t hostile_pe_read(void *ctx, uint64_t rva, void *buf, size_t len,
                                       util_err_t *err)
{
    const hostile_buf_t *b = ctx;
    if (rva > b->n || len > b->n - rva) {
        util_err_set(err, "rva 0x%llx+0x%zx is beyond the image copy",
                     (unsigned long long)rva, len);
        return VMI_FAILURE;
    }
    memcpy(buf, b->d + rva, len);
    return VMI_SUCCESS;
}

/* LibVMI's peparse on the same bytes, in a block of exactly their size (so
 * the sanitizers see any read past them): validation, then the headers and
 * every directory it vouched for.  Reasons are per thread. */
static inline int hostile_peparse(const uint8_t *d, size_t n)
{
    uint8_t *copy = malloc(n ? n : 1);
    struct pe_header *pe = NULL;
    void *opt = NULL;
    uint16_t type = 0;
    int rc = HOSTILE_OK;

    if (!copy)
        hostile_die("out of memory");
    memcpy(copy, d, n);
    if (peparse_validate_pe_image(copy, n) != VMI_SUCCESS) {
        rc = tvmi_errmsg(NULL)[0] ? HOSTILE_REJECTED : HOSTILE_NO_REASON;
    } else {
        peparse_assign_headers(copy, NULL, &pe, &type, &opt, NULL, NULL);
        if (!pe || !opt)
            hostile_die("peparse: a validated image has no headers");
        for (uint32_t i = 0; i <= 16; i++) {
            (void)peparse_get_idd_rva(i, &type, opt, NULL, NULL);
            (void)peparse_get_idd_size(i, &type, opt, NULL, NULL);
        }
    }
    free(copy);
    return rc;
}

static inline int hostile_pe(const uint8_t *d, size_t n)
{
    hostile_buf_t b = { d, n };
    pe_image_t img;
    util_err_t err;
    int rc = HOSTILE_OK;

    if (hostile_peparse(d, n) == HOSTILE_NO_REASON)
        return HOSTILE_NO_REASON;
    util_err_clear(&err);
    if (pe_open(&img, hostile_pe_read, &b, &err) != VMI_SUCCESS)
        return hostile_fold(HOSTILE_REJECTED, false, &err);
    for (unsigned i = 0; i < img.nsections && i < PE_MAX_SECTIONS + 1; i++) {
        pe_section_t s;
        rc = hostile_fold(rc, pe_section(&img, i, &s, &err) == VMI_SUCCESS, &err);
    }
    pe_codeview_t cv;
    rc = hostile_fold(rc, pe_codeview(&img, &cv, &err) == VMI_SUCCESS, &err);
    char name[PE_NAME_MAX];
    rc = hostile_fold(rc, pe_export_dll_name(&img, name, sizeof(name), &err) == VMI_SUCCESS,
                      &err);
    static const char *const names[] = { "Alpha", "Beta", "Forwarded", "Zeta", "", "A",
                                         "zzzz" };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        pe_export_t e;
        bool ok = pe_export_by_name(&img, names[i], &e, &err) == VMI_SUCCESS;
        rc = hostile_fold(rc, ok, &err);
        if (ok && e.rva)
            rc = hostile_fold(rc, pe_export_name_at(&img, e.rva, name, sizeof(name), &err)
                                      == VMI_SUCCESS, &err);
    }
    static const uint32_t ords[] = { 0, 1, 2, 3, 5, 0xffff, 0x10000, 0xffffffffu };
    for (size_t i = 0; i < sizeof(ords) / sizeof(ords[0]); i++) {
        pe_export_t e;
        rc = hostile_fold(rc, pe_export_by_ordinal(&img, ords[i], &e, &err) == VMI_SUCCESS,
                          &err);
    }
    rc = hostile_fold(rc, pe_export_name_at(&img, 0x1020, name, 4, &err) == VMI_SUCCESS, &err);
    (void)pe_pdb_basename(cv.pdb[0] ? cv.pdb : "a\\b.pdb");
    pe_export_dir_t x;
    rc = hostile_fold(rc, pe_export_dir(&img, &x, &err) == VMI_SUCCESS, &err);
    return rc;
}



/* ---- Linux: BTF, kallsyms, System.map and the symbol index ---- */

/* in_order: every listed name is found by name (a built index; a table
 * read in place finds names by their order in guest memory, which hostile
 * memory may break: a wrong answer then, never a crash). */
static inline int hostile_symtab_queries(lx_symtab_t *t, bool in_order)
{
    uint64_t a, off;
    char ty;
    const char *nm;
    size_t n = lx_symtab_count(t);

    (void)lx_symtab_lookup(t, "init_task", &a, &ty);
    (void)lx_symtab_lookup(t, "_text", &a, &ty);
    (void)lx_symtab_at(t, 0xffffffff81000000ULL);
    (void)lx_symtab_near(t, 0xffffffff81000040ULL, &off);
    (void)lx_symtab_near(t, 0, &off);
    for (size_t i = 0; i < n && i < 8; i++)
        if (lx_symtab_get(t, i, &nm, &a, &ty) && !lx_symtab_lookup(t, nm, &a, &ty) && in_order)
            hostile_die("symtab: a listed symbol is not found by name");
    lx_symtab_relocate(t, 0xffffffff80000000ULL, 0x1000000);
    (void)lx_symtab_near(t, UINT64_MAX, &off);
    return HOSTILE_OK;
}

static inline int hostile_btf_blob(const uint8_t *d, size_t n, unsigned ptr_size)
{
    static const char *const q[][2] = {
        { "task_struct", "tasks" }, { "task_struct", "pid" }, { "task_struct", "tgid" },
        { "task_struct", "comm" }, { "task_struct", "mm" }, { "task_struct", "flags" },
        { "task_struct", "tasks.next" }, { "task_struct", "nope" },
        { "module", "list" }, { "module", "mem[1].size" }, { "module", "mem[9].size" },
        { "module", "mem[1]" }, { "module", "mem[" }, { "module", "mem[99999999999]" },
        { "list_head", "next.prev" }, { "nosuch", "x" }, { "module", "" },
    };
    util_err_t err;
    int rc = HOSTILE_OK;
    size_t total;
    lx_btf_t *b;

    util_err_clear(&err);
    (void)lx_btf_header_ok(d, n, &total);
    b = lx_btf_parse(d, n, ptr_size, &err);
    if (!b)
        return hostile_fold(HOSTILE_REJECTED, false, &err);
    (void)lx_btf_type_count(b);
    for (size_t i = 0; i < sizeof(q) / sizeof(q[0]); i++) {
        uint64_t v;
        rc = hostile_fold(rc, lx_btf_offset(b, q[i][0], q[i][1], &v, &err) == VMI_SUCCESS,
                          &err);
        rc = hostile_fold(rc, lx_btf_array_len(b, q[i][0], q[i][1], &v, &err) == VMI_SUCCESS,
                          &err);
        rc = hostile_fold(rc, lx_btf_struct_size(b, q[i][0], &v, &err) == VMI_SUCCESS, &err);
        (void)lx_btf_has_struct(b, q[i][0]);
    }
    lx_btf_free(b);
    return rc;
}

static inline int hostile_btf(const uint8_t *d, size_t n)
{
    int rc = hostile_btf_blob(d, n, 8);
    if (rc == HOSTILE_OK && hostile_btf_blob(d, n, 4) == HOSTILE_NO_REASON)
        rc = HOSTILE_NO_REASON;
    return rc;
}

static inline int hostile_kallsyms(const uint8_t *d, size_t n)
{
    util_err_t err;
    int rc = HOSTILE_REJECTED, hits = 0;

    util_err_clear(&err);
    for (size_t at = 0; n >= LX_KALLSYMS_DIGITS_LEN && at <= n - LX_KALLSYMS_DIGITS_LEN &&
                        hits < 4; at++) {
        const uint8_t *p = memchr(d + at, '0', n - at);
        if (!p)
            break;
        at = (size_t)(p - d);
        if (at > n - LX_KALLSYMS_DIGITS_LEN ||
            memcmp(p, lx_kallsyms_digits, LX_KALLSYMS_DIGITS_LEN) != 0)
            continue;
        hits++;
        for (unsigned w = 4; w <= 8; w += 4) {
            lx_kallsyms_t k;
            if (lx_kallsyms_locate(d, n, at, w, &k, &err) != VMI_SUCCESS) {
                if (k.need && k.need <= n)
                    hostile_die("kallsyms: asked for a copy no longer than the one it had");
                if (hostile_fold(HOSTILE_REJECTED, false, &err) == HOSTILE_NO_REASON)
                    return HOSTILE_NO_REASON;
                continue;
            }
            if (k.place_relative) /* as locate.c would: where the copy is in the guest */
                k.addrs_va = 0xffffffff82000000ULL + k.addrs;
            lx_symtab_t *t = lx_symtab_new();
            if (!t)
                hostile_die("out of memory");
            if (lx_kallsyms_decode(d, n, &k, t, &err) == VMI_SUCCESS) {
                rc = HOSTILE_OK;
                if (lx_symtab_finish(t))
                    hostile_symtab_queries(t, true);
            } else if (hostile_fold(HOSTILE_REJECTED, false, &err) == HOSTILE_NO_REASON) {
                lx_symtab_free(t);
                return HOSTILE_NO_REASON;
            }
            lx_symtab_free(t);
            /* The same tables read in place (an image mapped by its
             * driver): by name order, or by a hash of every name. */
            t = lx_symtab_from_kallsyms(lx_ksview_new(d, n, &k));
            if (t) {
                rc = HOSTILE_OK;
                hostile_symtab_queries(t, false);
                lx_symtab_free(t);
            }
        }
    }
    if (!hits) {
        lx_kallsyms_t k;
        /* No digits: the hit is refused, with a reason. */
        return hostile_fold(rc, lx_kallsyms_locate(d, n, 0, 8, &k, &err) == VMI_SUCCESS,
                            &err);
    }
    return rc;
}

static inline int hostile_sysmap(const uint8_t *d, size_t n)
{
    util_err_t err;
    int rc = HOSTILE_OK;
    lx_symtab_t *t = lx_symtab_new();

    if (!t)
        hostile_die("out of memory");
    util_err_clear(&err);
    bool built = false;
    if (lx_sysmap_parse(t, (const char *)d, n, &err) != VMI_SUCCESS)
        rc = hostile_fold(HOSTILE_REJECTED, false, &err);
    else
        built = lx_symtab_finish(t);
    /* The lazy reader of the same text: its answers for start-up's names
     * (and any name asked later) are the built index's.  Compared before
     * the queries below, which relocate the index. */
    static const char *const hints[] = { "_text", "init_task", "linux_banner", "a" };
    lx_symtab_t *z = lx_symtab_from_sysmap(NULL, (const char *)d, n, hints, 4, &err);
    if (!z) {
        if (!util_err_msg(&err)[0])
            rc = HOSTILE_NO_REASON;
    } else if (rc == HOSTILE_OK && built) {
        const char *nm;
        uint64_t a, b;
        char ta, tb;
        for (size_t i = 0; i < 4; i++)
            if (lx_symtab_lookup(t, hints[i], &a, &ta) != lx_symtab_lookup(z, hints[i], &b, &tb) ||
                (lx_symtab_lookup(t, hints[i], &a, &ta) && (a != b || ta != tb)))
                hostile_die("sysmap: the lazy reader disagrees with the index on a name");
        for (size_t i = 0; i < 12 && lx_symtab_get(t, i * 7, &nm, &a, &ta); i++)
            if (!lx_symtab_lookup(z, nm, &b, &tb) || !lx_symtab_lookup(t, nm, &a, &ta) ||
                a != b || ta != tb)
                hostile_die("sysmap: the lazy reader disagrees with the index on a name");
        hostile_symtab_queries(z, true);
    }
    if (built)
        hostile_symtab_queries(t, true);
    lx_symtab_free(z);
    lx_symtab_free(t);
    return rc;
}

/* ---- Linux: copies of struct module, for the base/size guess ---- */

/* The first 24 bytes: three module addresses; the rest: three equal
 * copies of struct module.  A guess is a guess (false needs no reason);
 * one that is made must point inside the copies. */
static inline int hostile_modlayout(const uint8_t *d, size_t n)
{
    if (n < 24 + 3 * 0x40)
        return HOSTILE_OK;
    size_t len = (n - 24) / 3;
    const uint8_t *m[3] = { d + 24, d + 24 + len, d + 24 + 2 * len };
    uint64_t addr[3] = { util_le64(d), util_le64(d + 8), util_le64(d + 16) };
    for (unsigned w = 4; w <= 8; w += 4) {
        lx_mod_layout_t l;
        if (lx_module_layout_guess(m, addr, 3, len, 3 * w + 64 - w, w, &l) &&
            (l.base + w > len || l.size + 4 > len ||
             (l.mem_count && l.base + (l.mem_count - 1) * l.mem_stride + w > len)))
            hostile_die("modlayout: a guess outside the copies");
    }
    return HOSTILE_OK;
}

/* ---- The kernel log (tools/common/printk.c) ---- */

static inline int hostile_printk_fail(util_err_t *err, const char *why)
{
    if (why[0])
        util_err_set(err, "%s", why);
    return hostile_fold(HOSTILE_REJECTED, false, err);
}

static inline void hostile_printk_records(const printk_log_t *log)
{
    for (size_t i = 0; i < log->n; i++)
        if (!log->r[i].text || strlen(log->r[i].text) > PRINTK_RECORD_MAX ||
            (i && log->r[i].seq < log->r[i - 1].seq))
            hostile_die("printk: a record breaks the promises");
}

/* The first 16 bytes: log_first_idx, log_next_idx (u32), log_first_seq
 * (u64); the rest: log_buf. */
static inline int hostile_printk_logbuf(const uint8_t *d, size_t n)
{
    util_err_t err;
    char why[200] = "";
    printk_log_t log;
    util_err_clear(&err);
    if (n < 16)
        return HOSTILE_REJECTED;
    printk_logbuf_t v = { util_le32(d), util_le32(d + 4), util_le64(d + 8) };
    if (!printk_logbuf_decode(d + 16, n - 16, &v, &log, why, sizeof(why)))
        return hostile_printk_fail(&err, why);
    hostile_printk_records(&log);
    printk_log_free(&log);
    return HOSTILE_OK;
}

/* The first PRINTK_RB_HDR_MAX bytes: struct printk_ringbuffer (64-bit,
 * 6.1 layout unless the header says 5.10's); then the descriptors, the
 * infos and the text, as many bytes as the header asks for. */
static inline int hostile_printk_ring(const uint8_t *d, size_t n)
{
    util_err_t err;
    char why[200] = "";
    printk_rb_layout_t l;
    printk_rb_hdr_t h;
    printk_log_t log;
    util_err_clear(&err);
    if (n < PRINTK_RB_HDR_MAX)
        return HOSTILE_REJECTED;
    printk_rb_default_layout(&l, 8);
    if (!printk_rb_header(&l, d, PRINTK_RB_HDR_MAX, &h, why, sizeof(why)))
        return hostile_printk_fail(&err, why);
    size_t count = (size_t)1 << h.count_bits, size = (size_t)1 << h.size_bits;
    size_t rest = n - PRINTK_RB_HDR_MAX;
    const uint8_t *descs = d + PRINTK_RB_HDR_MAX;
    if (count > rest / l.desc_size)
        return hostile_printk_fail(&err, "the descriptors are cut off");
    const uint8_t *infos = descs + count * l.desc_size;
    rest -= count * l.desc_size;
    size_t s = printk_rb_info_stride(&l, &h, descs, infos, rest);
    if (!s)
        return hostile_printk_fail(&err, "no info size fits");
    l.info_size = s;
    if (count > rest / s || rest - count * s < size)
        return hostile_printk_fail(&err, "the infos or the text are cut off");
    if (!printk_rb_decode(&l, &h, descs, infos, infos + count * s, &log, why, sizeof(why)))
        return hostile_printk_fail(&err, why);
    hostile_printk_records(&log);
    printk_log_free(&log);
    return HOSTILE_OK;
}

static inline int hostile_printk(const uint8_t *d, size_t n)
{
    int a = hostile_printk_ring(d, n), b = hostile_printk_logbuf(d, n);
    if (a == HOSTILE_NO_REASON || b == HOSTILE_NO_REASON)
        return HOSTILE_NO_REASON;
    return a == HOSTILE_OK || b == HOSTILE_OK ? HOSTILE_OK : HOSTILE_REJECTED;
}


/* ---- The compact symbol table (util/symz.c) ---- */

static inline int hostile_symz(const uint8_t *d, size_t n)
{
    util_err_t err;
    util_symz_t z;
    util_err_clear(&err);
    if (!util_symz_open(&z, d, n, &err))
        return hostile_fold(HOSTILE_REJECTED, false, &err);
    /* Opened: every entry decodes, is found by its name, and lies in its
     * place in address order. */
    char name[UTIL_SYMZ_NAME_MAX];
    for (uint32_t p = 0; p < z.count; p++) {
        size_t len = util_symz_name(&z, p, name, sizeof(name));
        uint32_t q;
        if (len == 0 || !util_symz_find(&z, name, len, &q) ||
            util_symz_name(&z, q, name, sizeof(name)) != len)
            hostile_die("symz: an opened table lost a name");
        uint64_t a = util_symz_addr(&z, p);
        uint32_t u = util_symz_upper(&z, a);
        if (u <= p || util_symz_addr(&z, u - 1) != a)
            hostile_die("symz: an opened table's address order is broken");
    }
    lx_symtab_t *t = lx_symtab_from_symz(&z);
    if (!t)
        hostile_die("out of memory");
    hostile_symtab_queries(t, true);
    lx_symtab_free(t);
    return HOSTILE_OK;
}

/* ---- libvmi.conf ---- */

typedef struct hostile_cfg {
    const config_t *c;
    int rc;
} hostile_cfg_t;

static inline void hostile_cfg_key(void *ctx, const char *k, const char *v)
{
    hostile_cfg_t *h = ctx;
    util_err_t err;
    uint64_t x;
    util_err_clear(&err);
    if (!config_get(h->c, k) || strcmp(config_get(h->c, k), v) != 0)
        hostile_die("config: a visited key does not look up to its value");
    /* Set but not a number: false, with a reason. */
    h->rc = hostile_fold(h->rc, config_get_u64(h->c, k, &x, &err), &err);
}

static inline int hostile_config(const uint8_t *d, size_t n)
{
    static const char *const wants[] = { NULL, "/images/guest.raw", "" };
    char *text = malloc(n + 1);
    int rc = HOSTILE_OK;

    if (!text)
        hostile_die("out of memory");
    memcpy(text, d, n);
    text[n] = '\0';
    for (size_t i = 0; i < 3; i++) {
        util_err_t err;
        bool found = false;
        config_t *c = config_new();
        util_err_clear(&err);
        if (!c)
            hostile_die("out of memory");
        if (config_parse(c, text, wants[i], &found, &err)) {
            hostile_cfg_t h = { c, rc };
            config_foreach(c, hostile_cfg_key, &h);
            rc = h.rc == HOSTILE_NO_REASON ? h.rc : rc;
            (void)config_count(c);
        } else {
            rc = hostile_fold(HOSTILE_REJECTED, false, &err);
        }
        config_free(c);
    }
    free(text);
    return rc;
}

/* ---- x86 paging: the bytes are guest-physical memory from 0 ---- */

typedef struct hostile_mem {
    uint8_t *m;
    size_t size; /* a multiple of 4096 */
    unsigned reads;
} hostile_mem_t;

static inline status_t hostile_read_entry(void *ctx, addr_t pa, unsigned size, uint64_t *value,
                                          util_err_t *err)
{
    hostile_mem_t *h = ctx;
    h->reads++;
    if ((size != 4 && size != 8) || pa > h->size || size > h->size - pa) {
        util_err_set(err, "no guest-physical 0x%llx (size %u)", (unsigned long long)pa, size);
        return VMI_FAILURE;
    }
    *value = size == 4 ? (uint64_t)util_le32(h->m + pa) : util_le64(h->m + pa);
    return VMI_SUCCESS;
}

static inline const void *hostile_read_page(void *ctx, addr_t pa, void *buf, util_err_t *err)
{
    hostile_mem_t *h = ctx;
    h->reads++;
    if ((pa & 0xfff) || pa >= h->size) {
        util_err_set(err, "no guest-physical page 0x%llx", (unsigned long long)pa);
        return NULL;
    }
    if (pa & 0x1000) { /* half the pages copied, half handed out in place */
        memcpy(buf, h->m + pa, 4096);
        return buf;
    }
    return h->m + pa;
}

/* Memory is [0, size); a max_pa past it is one hole to step over. */
static inline addr_t hostile_next_readable(void *ctx, addr_t pa)
{
    const hostile_mem_t *h = ctx;
    return pa < h->size ? pa : ~(addr_t)0;
}

typedef struct hostile_enum {
    const arch_x86_walker_t *w;
    arch_x86_mode_t mode;
} hostile_enum_t;

static inline status_t hostile_enum_page(void *ctx, const page_info_t *p, util_err_t *err)
{
    const hostile_enum_t *e = ctx;
    page_info_t t;
    util_err_t e2;
    if (arch_x86_translate(e->w, e->mode, p->pt, p->vaddr, &t, &e2) != VMI_SUCCESS ||
        memcmp(&t, p, sizeof(t)) != 0)
        hostile_die("x86: a listed page is not what a translation of it gives");
    (void)err;
    return VMI_SUCCESS;
}

static inline int hostile_x86(const uint8_t *d, size_t n)
{
    static const addr_t vas[] = {
        0, 0x1000, 0x400000, 0xc0000000, 0xc0001234, 0x7fffffffe000ULL,
        0xffff888000000000ULL, 0xffffffff81000000ULL, 0xff00000000000000ULL,
        0x0000800000000000ULL, 0xfffffffffffff000ULL,
    };
    static const arch_x86_mode_t modes[] = {
        ARCH_X86_NONE, ARCH_X86_LEGACY, ARCH_X86_PAE, ARCH_X86_IA32E_4, ARCH_X86_IA32E_5,
    };
    hostile_mem_t h;
    util_err_t err;
    int rc = HOSTILE_OK;

    h.size = (n + 4095) / 4096 * 4096;
    h.m = calloc(1, h.size ? h.size : 1);
    h.reads = 0;
    if (!h.m)
        hostile_die("out of memory");
    memcpy(h.m, d, n);
    util_err_clear(&err);
    uint64_t tail = n >= 16 ? util_le64(d + n - 8) : 0;
    uint64_t tail2 = n >= 16 ? util_le64(d + n - 16) : 0;
    addr_t roots[] = { 0, 0x1000, 0x20, tail2 % (h.size + 1) };
    for (unsigned cfg = 0; cfg < 2; cfg++) {
        arch_x86_walker_t w = { hostile_read_entry, &h, cfg ? 36 : (unsigned)(tail & 0x3f),
                                cfg != 0, cfg == 0, cfg ? hostile_read_page : NULL,
                                cfg ? hostile_next_readable : NULL };
        for (size_t m = 0; m < sizeof(modes) / sizeof(modes[0]); m++)
            for (size_t r = 0; r < sizeof(roots) / sizeof(roots[0]); r++)
                for (size_t v = 0; v <= sizeof(vas) / sizeof(vas[0]); v++) {
                    page_info_t info;
                    addr_t va = v < sizeof(vas) / sizeof(vas[0]) ? vas[v] : tail;
                    unsigned before = h.reads;
                    bool ok = arch_x86_translate(&w, modes[m], roots[r], va, &info, &err)
                              == VMI_SUCCESS;
                    if (h.reads - before > 5)
                        hostile_die("x86: a walk read more entries than levels");
                    rc = hostile_fold(rc, ok, &err);
                    if (ok && (va & (info.size - 1)) != (info.paddr & (info.size - 1)))
                        hostile_die("x86: the page offset did not survive translation");
                }
        arch_x86_mode_t mode;
        addr_t dtb;
        for (size_t r = 0; r < sizeof(roots) / sizeof(roots[0]); r++)
            rc = hostile_fold(rc, arch_x86_root_mode(&w, h.size, roots[r], &mode, &err)
                                      == VMI_SUCCESS, &err);
        rc = hostile_fold(rc, arch_x86_scan_dtb(&w, h.size, &mode, &dtb, &err) == VMI_SUCCESS,
                          &err);
        /* A max_pa past the memory: the unreadable pages are skipped. */
        rc = hostile_fold(rc, arch_x86_scan_dtb(&w, h.size + 0x3000, &mode, &dtb, &err)
                                  == VMI_SUCCESS, &err);
        /* Every page of each root, bounded, each as a translation gives it. */
        for (size_t m = 0; m < sizeof(modes) / sizeof(modes[0]); m++)
            for (size_t r = 0; r < sizeof(roots) / sizeof(roots[0]); r++) {
                hostile_enum_t e = { &w, modes[m] };
                rc = hostile_fold(rc, arch_x86_enum_pages(&w, modes[m], roots[r], 4096, 512,
                                                          hostile_enum_page, &e, NULL, &err)
                                          == VMI_SUCCESS, &err);
            }
        /* Memory ends long before max_pa: bounded only with next_readable. */
        if (cfg)
            rc = hostile_fold(rc, arch_x86_scan_dtb(&w, 1ULL << 47, &mode, &dtb, &err)
                                      == VMI_SUCCESS, &err);
    }
    free(h.m);
    return rc;
}

/* ---- By name, for the harnesses and the regression test ---- */

typedef struct hostile_target {
    const char *name;
    int (*run)(const uint8_t *d, size_t n);
} hostile_target_t;

/* ---- QEMU's gdbstub: bytes as a packet, as a stop reply, and as a
 * register description whose every include is these bytes again. */

typedef struct hostile_doc {
    const uint8_t *d;
    size_t n;
} hostile_doc_t;

static inline status_t hostile_fetch(void *ctx, const char *annex, char **out, size_t *len,
                                     util_err_t *err)
{
    const hostile_doc_t *doc = ctx;
    (void)annex;
    if (!(*out = malloc(doc->n + 1))) {
        util_err_set(err, "out of memory");
        return VMI_FAILURE;
    }
    memcpy(*out, doc->d, doc->n);
    *len = doc->n;
    return VMI_SUCCESS;
}

static inline int hostile_gdb(const uint8_t *d, size_t n)
{
    char out[QEMU_GDB_MAX_PACKET], *text = malloc(n + 1);
    size_t outlen = 0, used = 0;
    util_err_t err;
    int rc = HOSTILE_OK, r;
    bool ok;
    qemu_gdb_stop_t stop;
    static qemu_gdb_t g;
    hostile_doc_t doc = { d, n };
    /* What the bytes look like decides which parse is the main one. */
    char kind = n && d[0] == '$' ? 'p' : n && d[0] == '<' ? 'x' : 's';

    if (!text)
        hostile_die("out of memory");
    memcpy(text, d, n);
    text[n] = '\0';
    util_err_clear(&err);
    r = qemu_gdb_decode((const char *)d, n, out, sizeof(out), &outlen, &used, &err);
    if (r == 1 && (used > n || outlen >= sizeof(out) || out[outlen] != '\0'))
        hostile_die("gdb: a decoded packet breaks its bounds");
    if (r < 0 || (kind == 'p' && r == 0)) {
        if (r == 0)
            util_err_set(&err, "incomplete");
        rc = hostile_fold(kind == 'p' ? HOSTILE_REJECTED : rc, false, &err);
    }
    ok = qemu_gdb_parse_stop(text, strlen(text), &stop, &err) == VMI_SUCCESS;
    rc = hostile_fold(kind == 's' && !ok ? HOSTILE_REJECTED : rc, ok, &err);
    memset(&g, 0, sizeof(g));
    ok = qemu_gdb_parse_xml(&g, text, strlen(text), hostile_fetch, &doc, &err) == VMI_SUCCESS;
    if (ok) {
        if (g.nregs == 0 || g.nregs > QEMU_GDB_MAX_REGS)
            hostile_die("gdb: register count out of bounds");
        for (unsigned i = 0; i < g.nregs; i++)
            if (g.regs[i].size == 0 || g.regs[i].size > 64 || !memchr(g.regs[i].name, 0, 16))
                hostile_die("gdb: a register breaks its bounds");
    }
    rc = hostile_fold(kind == 'x' && !ok ? HOSTILE_REJECTED : rc, ok, &err);
    free(text);
    return rc;
}

/* ---- QEMU's monitor texts: a memory map and a register dump. */
static inline int hostile_mtree(const uint8_t *d, size_t n)
{
    char *text = malloc(n + 1);
    driver_pmap_t m;
    x86_registers_t regs;
    util_err_t err;
    int rc = HOSTILE_OK;

    if (!text)
        hostile_die("out of memory");
    memcpy(text, d, n);
    text[n] = '\0';
    memset(&m, 0, sizeof(m));
    util_err_clear(&err);
    if (qemu_layout_parse_mtree(text, "mem", &m, &err) == VMI_SUCCESS) {
        if (driver_pmap_finish(&m, 1ull << 33, &err) == VMI_SUCCESS) {
            for (size_t i = 0; i < m.nranges; i++)
                if (m.ranges[i].len == 0 || m.ranges[i].offset + m.ranges[i].len > 1ull << 33)
                    hostile_die("mtree: a validated run breaks its bounds");
        } else {
            rc = hostile_fold(HOSTILE_REJECTED, false, &err);
        }
    } else {
        rc = hostile_fold(HOSTILE_REJECTED, false, &err);
    }
    driver_pmap_free(&m);
    for (unsigned v = 0; v < 2; v++)
        rc = hostile_fold(rc, qemu_layout_parse_registers(text, v, &regs, &err) == VMI_SUCCESS,
                          &err);
    free(text);
    return rc;
}

static const hostile_target_t hostile_targets[] __attribute__((unused)) = {
    { "elf", hostile_elf },         { "lime", hostile_lime },
    { "windump", hostile_windump }, { "json", hostile_json },
    { "isf", hostile_isf },         { "pe", hostile_pe },
    { "btf", hostile_btf },         { "kallsyms", hostile_kallsyms },
    { "sysmap", hostile_sysmap },   { "config", hostile_config },
    { "x86", hostile_x86 },         { "printk", hostile_printk },
    { "modlayout", hostile_modlayout }, { "gdb", hostile_gdb },
    { "mtree", hostile_mtree },
    { "symz", hostile_symz },
};

#endif
