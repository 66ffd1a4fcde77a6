/*
 * qemu_layout.c - QEMU's memory map and register texts (see qemu_layout.h).
 */
#include "driver/qemu_layout.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "driver/regs.h"
#include "util/strutil.h"

/* More runs than this is not a machine QEMU builds. */
#define LAYOUT_MAX_RUNS 4096u

/* "  START-END (prio P, KIND): NAME[ @OFFSET][ ...]" with KIND ram or rom
 * and NAME region: the run.  false for every other line. */
static bool mtree_run(const char *line, size_t n, const char *region, uint64_t *start,
                      uint64_t *end, uint64_t *offset)
{
    const char *p = line, *e = line + n, *dash, *colon, *name;
    size_t rlen = strlen(region);

    while (p < e && *p == ' ')
        p++;
    dash = memchr(p, '-', (size_t)(e - p));
    if (!dash || !util_hex_u64(p, (size_t)(dash - p), start))
        return false;
    p = dash + 1;
    name = memchr(p, ' ', (size_t)(e - p));
    if (!name || !util_hex_u64(p, (size_t)(name - p), end) || *end < *start)
        return false;
    colon = memchr(name, ')', (size_t)(e - name));
    if (!colon || colon + 3 > e || colon[1] != ':' || colon[2] != ' ')
        return false;
    /* The kind is the last word before ')'. */
    if (!((colon - name >= 5 && memcmp(colon - 5, ", ram", 5) == 0) ||
          (colon - name >= 5 && memcmp(colon - 5, ", rom", 5) == 0)))
        return false;
    p = colon + 3;
    if ((size_t)(e - p) < rlen || memcmp(p, region, rlen) != 0 ||
        (p + rlen < e && p[rlen] != ' '))
        return false;
    p += rlen;
    *offset = 0;
    if (p + 2 < e && p[0] == ' ' && p[1] == '@') {
        const char *q = p + 2, *w = q;
        while (w < e && *w != ' ')
            w++;
        if (!util_hex_u64(q, (size_t)(w - q), offset))
            return false;
    }
    return true;
}

status_t qemu_layout_parse_mtree(const char *mtree, const char *region, driver_pmap_t *m,
                                 util_err_t *err)
{
    const char *p = mtree;
    bool in_memory = false, header = false;
    unsigned runs = 0, line_no = 0;

    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        uint64_t start, end, off;

        line_no++;
        if (n && p[n - 1] == '\r')
            n--;
        if (n >= 8 && memcmp(p, "FlatView", 8) == 0) {
            /* A new view: it is guest memory if one of its AS lines says so. */
            header = true;
            in_memory = false;
        } else if (header && n > 4 && memcmp(p, " AS \"", 5) == 0) {
            if (n >= 13 && memcmp(p, " AS \"memory\"", 12) == 0)
                in_memory = true;
        } else if (n > 2 && p[0] == ' ' && p[1] == ' ') {
            header = false;
            if (in_memory && mtree_run(p, n, region, &start, &end, &off)) {
                if (++runs > LAYOUT_MAX_RUNS) {
                    util_err_set(err, "QEMU's memory map lists more than %u RAM runs",
                                 LAYOUT_MAX_RUNS);
                    return VMI_FAILURE;
                }
                if (end - start == UINT64_MAX ||
                    driver_pmap_add(m, start, end - start + 1, off, line_no, err) !=
                        VMI_SUCCESS)
                    return VMI_FAILURE;
            }
        } else if (n == 0) {
            /* Views are separated by blank lines; keep in_memory until the next. */
        }
        if (!nl)
            break;
        p = nl + 1;
    }
    if (runs == 0) {
        util_err_set(err, "QEMU's memory map (info mtree -f) shows no RAM of region \"%s\" "
                          "in the \"memory\" address space", region);
        return VMI_FAILURE;
    }
    return VMI_SUCCESS;
}

/* ---- info registers ---- */

typedef struct hmp_name {
    const char *name;
    reg_t first;    /* the value; further words: segments' base, limit, flags */
    reg_t base, limit, flags;
} hmp_name_t;

#define NONE ((reg_t)~0ULL)
static const hmp_name_t hmp_names[] = {
    { "RAX", RAX, NONE, NONE, NONE }, { "RBX", RBX, NONE, NONE, NONE },
    { "RCX", RCX, NONE, NONE, NONE }, { "RDX", RDX, NONE, NONE, NONE },
    { "RSI", RSI, NONE, NONE, NONE }, { "RDI", RDI, NONE, NONE, NONE },
    { "RBP", RBP, NONE, NONE, NONE }, { "RSP", RSP, NONE, NONE, NONE },
    { "EAX", RAX, NONE, NONE, NONE }, { "EBX", RBX, NONE, NONE, NONE },
    { "ECX", RCX, NONE, NONE, NONE }, { "EDX", RDX, NONE, NONE, NONE },
    { "ESI", RSI, NONE, NONE, NONE }, { "EDI", RDI, NONE, NONE, NONE },
    { "EBP", RBP, NONE, NONE, NONE }, { "ESP", RSP, NONE, NONE, NONE },
    { "R8", R8, NONE, NONE, NONE },   { "R9", R9, NONE, NONE, NONE },
    { "R10", R10, NONE, NONE, NONE }, { "R11", R11, NONE, NONE, NONE },
    { "R12", R12, NONE, NONE, NONE }, { "R13", R13, NONE, NONE, NONE },
    { "R14", R14, NONE, NONE, NONE }, { "R15", R15, NONE, NONE, NONE },
    { "RIP", RIP, NONE, NONE, NONE }, { "EIP", RIP, NONE, NONE, NONE },
    { "RFL", RFLAGS, NONE, NONE, NONE }, { "EFL", RFLAGS, NONE, NONE, NONE },
    { "ES", ES_SEL, ES_BASE, ES_LIMIT, ES_ARBYTES },
    { "CS", CS_SEL, CS_BASE, CS_LIMIT, CS_ARBYTES },
    { "SS", SS_SEL, SS_BASE, SS_LIMIT, SS_ARBYTES },
    { "DS", DS_SEL, DS_BASE, DS_LIMIT, DS_ARBYTES },
    { "FS", FS_SEL, FS_BASE, FS_LIMIT, FS_ARBYTES },
    { "GS", GS_SEL, GS_BASE, GS_LIMIT, GS_ARBYTES },
    { "LDT", LDTR_SEL, LDTR_BASE, LDTR_LIMIT, LDTR_ARBYTES },
    { "TR", TR_SEL, TR_BASE, TR_LIMIT, TR_ARBYTES },
    /* "GDT=     base limit": no selector. */
    { "GDT", NONE, GDTR_BASE, GDTR_LIMIT, NONE },
    { "IDT", NONE, IDTR_BASE, IDTR_LIMIT, NONE },
    { "CR0", CR0, NONE, NONE, NONE }, { "CR2", CR2, NONE, NONE, NONE },
    { "CR3", CR3, NONE, NONE, NONE }, { "CR4", CR4, NONE, NONE, NONE },
    { "DR6", DR6, NONE, NONE, NONE }, { "DR7", DR7, NONE, NONE, NONE },
    { "EFER", MSR_EFER, NONE, NONE, NONE },
};

static const hmp_name_t *hmp_lookup(const char *s, size_t n)
{
    for (size_t i = 0; i < sizeof(hmp_names) / sizeof(hmp_names[0]); i++)
        if (strlen(hmp_names[i].name) == n && memcmp(hmp_names[i].name, s, n) == 0)
            return &hmp_names[i];
    return NULL;
}

static void set(x86_registers_t *r, reg_t reg, uint64_t v)
{
    if (reg != NONE)
        driver_reg_set(r, reg, v);
}

/* One line of a CPU's section: NAME=V words, some followed by more hex
 * words (a segment's base, limit and flags). */
static void registers_line(const char *p, size_t n, x86_registers_t *r, unsigned *general)
{
    const char *e = p + n;
    const hmp_name_t *cur = NULL;
    unsigned word = 0;

    while (p < e) {
        const char *w, *eq;
        uint64_t v;
        while (p < e && *p == ' ')
            p++;
        w = p;
        while (p < e && *p != ' ')
            p++;
        if (p == w)
            break;
        eq = memchr(w, '=', (size_t)(p - w));
        if (!eq) {
            /* "R8 =..." and "CS =...": the name stands alone before "=V". */
            const char *q = p;
            while (q < e && *q == ' ')
                q++;
            if (q < e && *q == '=' && hmp_lookup(w, (size_t)(p - w))) {
                cur = hmp_lookup(w, (size_t)(p - w));
                word = 0;
                continue;
            }
            if (cur && util_hex_u64(w, (size_t)(p - w), &v)) {
                word++;
                set(r, word == 1 ? cur->base : word == 2 ? cur->limit
                                             : word == 3 ? cur->flags : NONE, v);
                if (word == 3 && cur->flags != NONE) {
                    /* QEMU prints the descriptor's flags word; LibVMI keeps
                     * VMX access rights (type..P in 0-7, AVL..G in 12-15). */
                    set(r, cur->flags, (v >> 8) & 0xf0ff);
                }
            } else {
                cur = NULL;
            }
            continue;
        }
        if (eq == w) {
            /* "=0010" after a lone name. */
            if (cur && util_hex_u64(eq + 1, (size_t)(p - eq - 1), &v))
                set(r, cur->first, v);
            word = 0;
            continue;
        }
        cur = hmp_lookup(w, (size_t)(eq - w));
        word = 0;
        if (!cur)
            continue;
        if (eq + 1 < p) {
            if (util_hex_u64(eq + 1, (size_t)(p - eq - 1), &v)) {
                set(r, cur->first, v);
                if (cur->first == RAX || cur->first == RIP)
                    (*general)++;
            } else {
                cur = NULL;
            }
        } else if (cur->first == NONE) {
            /* "GDT=     base limit": the next words are base and limit. */
            word = 0;
        }
    }
}

status_t qemu_layout_parse_registers(const char *text, unsigned int vcpu,
                                     x86_registers_t *regs, util_err_t *err)
{
    char want[32];
    const char *p = text;
    bool in = false;
    unsigned general = 0;

    memset(regs, 0, sizeof(*regs));
    snprintf(want, sizeof(want), "CPU#%u", vcpu);
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        if (n && p[n - 1] == '\r')
            n--;
        if (n >= 4 && memcmp(p, "CPU#", 4) == 0) {
            if (in)
                break;
            in = n == strlen(want) && memcmp(p, want, n) == 0;
        } else if (in && n < 4096) {
            registers_line(p, n, regs, &general);
        }
        if (!nl)
            break;
        p = nl + 1;
    }
    if (!in && general == 0) {
        util_err_set(err, "QEMU's register dump (info registers -a) has no vCPU %u", vcpu);
        return VMI_FAILURE;
    }
    if (general < 2) {
        util_err_set(err, "QEMU's register dump for vCPU %u lacks RAX or RIP", vcpu);
        return VMI_FAILURE;
    }
    return VMI_SUCCESS;
}
