/*
 * test_linux_parsers.c - the Linux layer's parsers on crafted input: the
 * symbol index, System.map text, kallsyms tables (built here the way
 * scripts/kallsyms.c lays them out) and BTF blobs (built by hand, plus this
 * machine's own /sys/kernel/btf/vmlinux when it is readable).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "btf_builder.h"
#include "os/linux/linux.h"
#include "util/bytes.h"

/* ---------------------------------------------------------------- symtab */

static void test_symtab_index(void)
{
    lx_symtab_t *t = lx_symtab_new();
    CHECK(t != NULL);
    CHECK(lx_symtab_add(t, "_text", 5, 0xffffffff81000000ULL, 'T'));
    CHECK(lx_symtab_add(t, "startup_64", 10, 0xffffffff81000000ULL, 'T'));
    CHECK(lx_symtab_add(t, "init_task", 9, 0xffffffff82a0c940ULL, 'D'));
    CHECK(lx_symtab_add(t, "dup", 3, 0xffffffff81000100ULL, 't'));
    CHECK(lx_symtab_add(t, "dup", 3, 0xffffffff81000050ULL, 't'));
    CHECK(lx_symtab_add(t, "fixed_percpu_data", 17, 0, 'A'));
    CHECK(!lx_symtab_add(t, "", 0, 1, 'T'));
    CHECK(lx_symtab_finish(t));
    CHECK_EQ_U64(lx_symtab_count(t), 6);

    uint64_t a = 0;
    char ty = 0;
    CHECK(lx_symtab_lookup(t, "init_task", &a, &ty));
    CHECK_EQ_U64(a, 0xffffffff82a0c940ULL);
    CHECK(ty == 'D');
    CHECK(lx_symtab_lookup(t, "dup", &a, NULL));
    CHECK_EQ_U64(a, 0xffffffff81000100ULL); /* first added wins */
    CHECK(!lx_symtab_lookup(t, "nope", &a, NULL));
    CHECK(!lx_symtab_lookup(t, "init_tas", &a, NULL));

    CHECK_STREQ(lx_symtab_at(t, 0xffffffff81000000ULL), "_text"); /* first at address */
    CHECK_STREQ(lx_symtab_at(t, 0xffffffff81000050ULL), "dup");
    CHECK(lx_symtab_at(t, 0xffffffff81000051ULL) == NULL);
    uint64_t off = 0;
    CHECK_STREQ(lx_symtab_near(t, 0xffffffff81000060ULL, &off), "dup");
    CHECK_EQ_U64(off, 0x10);
    CHECK_STREQ(lx_symtab_at(t, 0), "fixed_percpu_data");

    /* KASLR: the image moves, the per-CPU offset below it does not. */
    lx_symtab_relocate(t, 0xffffffff80000000ULL, 0x2e000000);
    CHECK(lx_symtab_lookup(t, "init_task", &a, NULL));
    CHECK_EQ_U64(a, 0xffffffffb0a0c940ULL);
    CHECK(lx_symtab_lookup(t, "fixed_percpu_data", &a, NULL));
    CHECK_EQ_U64(a, 0);
    CHECK_STREQ(lx_symtab_at(t, 0xffffffffaf000000ULL), "_text");
    const char *nm;
    CHECK(lx_symtab_get(t, 0, &nm, &a, &ty));
    CHECK_STREQ(nm, "fixed_percpu_data");
    CHECK(lx_symtab_get(t, 5, &nm, &a, &ty));
    CHECK_STREQ(nm, "init_task");
    CHECK(!lx_symtab_get(t, 6, &nm, &a, &ty));
    lx_symtab_free(t);
}

/* Added in address order, the index keeps no order of its own; a slide
 * that wraps the top symbol below the others must give it one. */
static void test_symtab_order_after_wrap(void)
{
    lx_symtab_t *t = lx_symtab_new();
    CHECK(lx_symtab_add(t, "low", 3, 0x1000, 'T'));
    CHECK(lx_symtab_add(t, "high", 4, 0xfffffffffffff000ULL, 'T'));
    CHECK(lx_symtab_finish(t));
    const char *nm = NULL;
    CHECK(lx_symtab_get(t, 0, &nm, NULL, NULL));
    CHECK_STREQ(nm, "low");
    lx_symtab_relocate(t, 0xffff000000000000ULL, 0x1800); /* high -> 0x800 */
    uint64_t a = 0;
    char ty = 0;
    CHECK(lx_symtab_get(t, 0, &nm, &a, &ty));
    CHECK_STREQ(nm, "high");
    CHECK_EQ_U64(a, 0x800);
    CHECK(ty == 'T');
    CHECK_STREQ(lx_symtab_at(t, 0x800), "high");
    CHECK_STREQ(lx_symtab_near(t, 0x1fff, NULL), "low");
    CHECK(lx_symtab_lookup(t, "high", &a, NULL));
    CHECK_EQ_U64(a, 0x800);
    lx_symtab_free(t);
}

/* A name that ends the one added before it shares its bytes (__pfx_X,
 * then X); each keeps its own address and type, and a name that only
 * starts or sits inside the previous one gets its own bytes. */
static void test_symtab_shared_suffix(void)
{
    lx_symtab_t *t = lx_symtab_new();
    CHECK(lx_symtab_add(t, "__pfx_do_fork", 13, 0x1000, 't'));
    CHECK(lx_symtab_add(t, "do_fork", 7, 0x1010, 'T'));
    CHECK(lx_symtab_add(t, "fork", 4, 0x1020, 'T'));      /* ends do_fork */
    CHECK(lx_symtab_add(t, "for", 3, 0x1030, 'T'));       /* starts fork: own bytes */
    CHECK(lx_symtab_add(t, "do_fork_x", 9, 0x1040, 'T')); /* longer: own bytes */
    CHECK(lx_symtab_finish(t));
    const char *pfx = lx_symtab_at(t, 0x1000), *fn = lx_symtab_at(t, 0x1010);
    CHECK_STREQ(pfx, "__pfx_do_fork");
    CHECK_STREQ(fn, "do_fork");
    CHECK(pfx && fn == pfx + 6); /* the same bytes */
    CHECK_STREQ(lx_symtab_at(t, 0x1020), "fork");
    CHECK_STREQ(lx_symtab_at(t, 0x1030), "for");
    CHECK_STREQ(lx_symtab_at(t, 0x1040), "do_fork_x");
    static const struct { const char *n; uint64_t a; char ty; } want[] = {
        { "__pfx_do_fork", 0x1000, 't' }, { "do_fork", 0x1010, 'T' }, { "fork", 0x1020, 'T' },
        { "for", 0x1030, 'T' },           { "do_fork_x", 0x1040, 'T' },
    };
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        uint64_t a = 0;
        char ty = 0;
        CHECK(lx_symtab_lookup(t, want[i].n, &a, &ty));
        CHECK_EQ_U64(a, want[i].a);
        CHECK(ty == want[i].ty);
    }
    CHECK(!lx_symtab_lookup(t, "o_fork", NULL, NULL));
    lx_symtab_free(t);
}

static void test_symtab_many(void)
{
    /* Enough entries to exercise growth and hashing; every one found. */
    lx_symtab_t *t = lx_symtab_new();
    char name[32];
    for (unsigned i = 0; i < 50000; i++) {
        int n = snprintf(name, sizeof(name), "sym_%u", i);
        CHECK(lx_symtab_add(t, name, (size_t)n, 0xc1000000ULL + 16ULL * (50000 - i), 't'));
    }
    CHECK(lx_symtab_finish(t));
    int bad = 0;
    for (unsigned i = 0; i < 50000; i++) {
        uint64_t a;
        snprintf(name, sizeof(name), "sym_%u", i);
        if (!lx_symtab_lookup(t, name, &a, NULL) || a != 0xc1000000ULL + 16ULL * (50000 - i))
            bad++;
        const char *r = lx_symtab_at(t, 0xc1000000ULL + 16ULL * (50000 - i));
        if (!r || strcmp(r, name) != 0)
            bad++;
    }
    CHECK(bad == 0);
    lx_symtab_free(t);
}

/* A reserved index takes exactly what was reserved, then still grows when
 * the hint was short; a reserve it cannot honour says no.  (A reserve that
 * records more room than it allocated overruns the arena here: the
 * sanitizer pass sees it.) */
static void test_symtab_reserve(void)
{
    lx_symtab_t *t = lx_symtab_new();
    char name[32];
    size_t bytes = 0;
    for (unsigned i = 0; i < 3000; i++)
        bytes += (size_t)snprintf(name, sizeof(name), "reserved_%u", i);
    CHECK(lx_symtab_reserve(t, 3000, bytes));
    for (unsigned i = 0; i < 3000; i++) {
        int n = snprintf(name, sizeof(name), "reserved_%u", i);
        CHECK(lx_symtab_add(t, name, (size_t)n, 0x1000ULL * (i + 1), 'T'));
    }
    /* Past the hint: adds go on growing. */
    for (unsigned i = 0; i < 500; i++) {
        int n = snprintf(name, sizeof(name), "extra_%u", i);
        CHECK(lx_symtab_add(t, name, (size_t)n, 0x1000ULL * (3001 + i), 't'));
    }
    CHECK(!lx_symtab_reserve(t, (size_t)UINT32_MAX, 1));
    CHECK(!lx_symtab_reserve(t, 1, (size_t)UINT32_MAX));
    CHECK(lx_symtab_finish(t));
    CHECK(!lx_symtab_reserve(t, 1, 1)); /* finished: no more adds */
    CHECK_EQ_U64(lx_symtab_count(t), 3500);
    int bad = 0;
    for (unsigned i = 0; i < 3000; i++) {
        uint64_t a;
        snprintf(name, sizeof(name), "reserved_%u", i);
        if (!lx_symtab_lookup(t, name, &a, NULL) || a != 0x1000ULL * (i + 1))
            bad++;
    }
    CHECK(bad == 0);
    CHECK_STREQ(lx_symtab_at(t, 0x1000ULL * 3001), "extra_0");
    lx_symtab_free(t);
}

/* ---------------------------------------------------------------- sysmap */

static void test_sysmap_parse(void)
{
    const char *map =
        "0000000000000000 A fixed_percpu_data\n"
        "ffffffff81000000 T _text\r\n"
        "ffffffff81000000 T startup_64\n"
        "\n"
        "ffffffff82a0c940 D init_task\n"
        "ffffffffc0002000 t helper\t[e1000]\n"   /* a module symbol: skipped */
        "c1000000 T _text32\n";
    lx_symtab_t *t = lx_symtab_new();
    util_err_t err;
    util_err_clear(&err);
    CHECK(lx_sysmap_parse(t, map, strlen(map), &err) == VMI_SUCCESS);
    CHECK(lx_symtab_finish(t));
    CHECK_EQ_U64(lx_symtab_count(t), 5);
    uint64_t a;
    CHECK(lx_symtab_lookup(t, "_text", &a, NULL));
    CHECK_EQ_U64(a, 0xffffffff81000000ULL);
    CHECK(lx_symtab_lookup(t, "_text32", &a, NULL));
    CHECK_EQ_U64(a, 0xc1000000ULL);
    CHECK(!lx_symtab_lookup(t, "helper", &a, NULL));
    lx_symtab_free(t);

    /* Not a System.map: an error that says why, not an empty index. */
    const char *junk = "hello world\nthis is not\na map\n";
    t = lx_symtab_new();
    CHECK(lx_sysmap_parse(t, junk, strlen(junk), &err) == VMI_FAILURE);
    CHECK(strstr(util_err_msg(&err), "line 1") != NULL);
    lx_symtab_free(t);
    t = lx_symtab_new();
    CHECK(lx_sysmap_parse(t, "", 0, &err) == VMI_FAILURE);
    lx_symtab_free(t);
    /* 17 hex digits do not fit an address. */
    t = lx_symtab_new();
    CHECK(lx_sysmap_parse(t, "1ffffffff81000000 T x\n", 22, &err) == VMI_FAILURE);
    lx_symtab_free(t);
    t = lx_symtab_new();
    CHECK(lx_sysmap_load(t, "/nonexistent/System.map", &err) == VMI_FAILURE);
    CHECK(strstr(util_err_msg(&err), "/nonexistent/System.map") != NULL);
    lx_symtab_free(t);
}

/* The streaming reader (lx_symtab_from_sysmap) must answer every name as the
 * built index does, on lines whose fixed positions mislead a quick reader: an
 * 8-digit address followed by blanks where a 16-digit one would end, digits
 * that are not all hex, a control byte in a name, leading blanks, a name too
 * long for the index.  (A fuzzer found the first one.) */
static void test_sysmap_lazy_agrees(void)
{
    const char *map =
        "c1000370 T abcde X Y\n"              /* 8 digits; p[16] is a blank */
        "c1000380 T a\n"
        "ffffxxxxffff0000 T _text\n"          /* not hex inside: not a line */
        "ffffffff81000000 T _text\n"
        "ffffffff81000040 T linux\x01" "banner\n" /* control byte: not a line */
        "   ffffffff81a12940 D init_task\n"   /* leading blanks */
        "c1000390 T  two_blanks\n"
        "c10003a0 T linux_banner [mod]\n"     /* a module: not the kernel's */
        "c10003b0 T \r\n"                      /* no name: not a line */
        "FFFFFFFF81000100 T upper\n"           /* upper-case hex is hex */
        "ffffffff8100\x10" "000 T ctl_digit\n"  /* 0x10 | 0x20 is '0': not hex */
        "ffffffff81\xc1" "00000 T high_digit\n" /* a byte >= 0x80: not hex */
        "ffffffff8100010G T g_digit\n"          /* 'G' | 0x20 is 'g': not hex */
        "C10003C0 t upper8\n";
    static const char *const names[] = { "abcde", "a", "_text", "init_task",
                                         "two_blanks", "linux_banner", "X", "Y", "upper",
                                         "ctl_digit", "high_digit", "g_digit", "upper8" };
    static const char *const hints[] = { "abcde", "_text", "init_task", "linux_banner" };
    util_err_t err;
    util_err_clear(&err);
    lx_symtab_t *t = lx_symtab_new();
    CHECK(lx_sysmap_parse(t, map, strlen(map), &err) == VMI_SUCCESS);
    CHECK(lx_symtab_finish(t));
    /* Twice: once with the names as start-up hints, once asked one by one. */
    for (int round = 0; round < 2; round++) {
        lx_symtab_t *z = lx_symtab_from_sysmap(NULL, map, strlen(map), hints,
                                               round ? 0 : 4, &err);
        CHECK(z != NULL);
        for (size_t i = 0; z && i < sizeof(names) / sizeof(names[0]); i++) {
            uint64_t a = 1, b = 2;
            char ta = 0, tb = 1;
            bool in_t = lx_symtab_lookup(t, names[i], &a, &ta);
            bool in_z = lx_symtab_lookup(z, names[i], &b, &tb);
            if (in_t != in_z || (in_t && (a != b || ta != tb))) {
                fprintf(stderr, "  round %d: %s: index %d %#llx, lazy %d %#llx\n", round,
                        names[i], in_t, (unsigned long long)a, in_z, (unsigned long long)b);
                CHECK(!"the lazy reader agrees with the index");
            }
        }
        lx_symtab_free(z);
    }
    uint64_t a;
    CHECK(lx_symtab_lookup(t, "abcde", &a, NULL) && a == 0xc1000370ULL);
    CHECK(!lx_symtab_lookup(t, "X", &a, NULL));
    CHECK(lx_symtab_lookup(t, "_text", &a, NULL) && a == 0xffffffff81000000ULL);
    CHECK(lx_symtab_lookup(t, "upper", &a, NULL) && a == 0xffffffff81000100ULL);
    CHECK(lx_symtab_lookup(t, "upper8", &a, NULL) && a == 0xc10003c0ULL);
    CHECK(!lx_symtab_lookup(t, "ctl_digit", &a, NULL));
    CHECK(!lx_symtab_lookup(t, "high_digit", &a, NULL));
    CHECK(!lx_symtab_lookup(t, "g_digit", &a, NULL));
    lx_symtab_free(t);

    /* Both refuse a text that is mostly not symbol lines, counting the same
     * lines as bad. */
    const char *mostly_bad = "c1000000 T a\nc1000010 T \r\nc1000020 T x\x01y\n";
    t = lx_symtab_new();
    CHECK(lx_sysmap_parse(t, mostly_bad, strlen(mostly_bad), &err) == VMI_FAILURE);
    CHECK(lx_symtab_from_sysmap(NULL, mostly_bad, strlen(mostly_bad), hints, 4, &err) == NULL);
    CHECK(strstr(util_err_msg(&err), "2 of 3 lines") != NULL);
    lx_symtab_free(t);

    /* Addresses whose digits only look hex to a careless eight-at-a-time
     * test: a control byte that | 0x20 makes a digit, a byte >= 0x80 (whose
     * sum would carry into the next byte), 'G'. */
    const char *odd_digits = "ffffffff81000000 T a\n"
                             "ffffffff8100\x10" "000 T b\n"
                             "ffffffff81\xc1" "00000 T c\n"
                             "c100000G T d\n";
    t = lx_symtab_new();
    CHECK(lx_sysmap_parse(t, odd_digits, strlen(odd_digits), &err) == VMI_FAILURE);
    CHECK(strstr(util_err_msg(&err), "3 of 4 lines") != NULL);
    CHECK(lx_symtab_from_sysmap(NULL, odd_digits, strlen(odd_digits), hints, 4, &err) == NULL);
    CHECK(strstr(util_err_msg(&err), "3 of 4 lines") != NULL);
    lx_symtab_free(t);
}

/* -------------------------------------------------------------- kallsyms */

/* A small model of scripts/kallsyms.c: single characters used by the names
 * keep their own byte as token; a few free byte values get two-character
 * tokens; names are encoded greedily. */
typedef struct ks_sym {
    char name[300]; /* type letter first */
    uint64_t addr;
    bool percpu;
    size_t first; /* the lowest-numbered symbol of this name: what a lookup gives */
} ks_sym_t;

typedef struct ks_build {
    uint8_t *buf;
    size_t len;
    size_t hit; /* offset of the digit tokens */
} ks_build_t;

static void put(uint8_t *b, size_t *p, uint64_t v, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        b[(*p)++] = (uint8_t)(v >> (8 * i));
}

static size_t alignup(size_t x, size_t a)
{
    return (x + a - 1) / a * a;
}

/* The orders scripts/kallsyms.c has written the tables in. */
typedef enum ks_order {
    KS_OLD,   /* up to 6.1: addresses, num_syms, names, markers, tokens */
    KS_62,    /* 6.2, 6.3: ... markers, seqs_of_names, tokens */
    KS_64,    /* 6.4 .. 6.12: num_syms, names, markers, tokens, offsets, base, seqs */
    KS_PLACE, /* 7.x: as 6.4, place-relative offsets, no base, natural alignment */
} ks_order_t;

typedef struct ks_opts {
    ks_order_t order;
    bool empty_tokens; /* unused byte values get empty tokens, token 0 too */
} ks_opts_t;

/* Where the buffer's offset 0 is in the guest (for place-relative tables). */
#define KS_BUF_VA 0xffffffff82000000ULL

static void ks_put_addrs(uint8_t *buf, size_t *p, const ks_sym_t *s, size_t n, unsigned w,
                         bool relative, bool abs_percpu, uint64_t rb, bool place)
{
    for (size_t i = 0; i < n; i++) {
        int64_t off;
        if (place)
            off = (int64_t)(s[i].addr - (KS_BUF_VA + *p));
        else if (!relative) {
            put(buf, p, s[i].addr, w);
            continue;
        } else if (!abs_percpu)
            off = (int64_t)(s[i].addr - rb);
        else if (s[i].percpu)
            off = (int64_t)s[i].addr;
        else
            off = (int64_t)rb - (int64_t)s[i].addr - 1;
        put(buf, p, (uint64_t)off, 4);
    }
}

static const ks_sym_t *ks_sort_base;
static int ks_by_name(const void *a, const void *b)
{
    uint32_t i = *(const uint32_t *)a, j = *(const uint32_t *)b;
    int c = strcmp(ks_sort_base[i].name + 1, ks_sort_base[j].name + 1);
    /* Equal names by address, then by number, as scripts/kallsyms.c
     * sorts them (the addresses rise with the number here). */
    return c ? c : (i < j ? -1 : 1);
}

/* kallsyms_seqs_of_names: symbol numbers in name order, 3 bytes each. */
static void ks_put_seqs(uint8_t *buf, size_t *p, const ks_sym_t *s, size_t n)
{
    uint32_t *o = malloc(n * sizeof(*o));
    for (size_t i = 0; i < n; i++)
        o[i] = (uint32_t)i;
    ks_sort_base = s;
    qsort(o, n, sizeof(*o), ks_by_name);
    for (size_t i = 0; i < n; i++) {
        buf[(*p)++] = (uint8_t)(o[i] >> 16);
        buf[(*p)++] = (uint8_t)(o[i] >> 8);
        buf[(*p)++] = (uint8_t)o[i];
    }
    free(o);
}

static ks_build_t ks_build_opts(const ks_sym_t *s, size_t n, unsigned w, bool relative,
                                bool abs_percpu, unsigned marker_w, uint64_t rb,
                                const ks_opts_t *o)
{
    char tok[256][8];
    bool place = o->order == KS_PLACE;
    /* The label alignment: the pointer size, or (7.x) each table's own. */
    size_t a4 = place ? 4 : w, a2 = place ? 2 : w, a1 = place ? 1 : w;
    memset(tok, 0, sizeof(tok));
    for (size_t i = 0; i < n; i++)
        for (const char *c = s[i].name; *c; c++)
            tok[(uint8_t)*c][0] = *c;
    const char *pairs[] = { "sy", "m_", "_t", "in", "it", "ta", "sk", "ex" };
    size_t np = 0;
    for (unsigned b = 1; b < 256 && np < 8; b++)
        if (!tok[b][0] && (b < '0' || b > '9'))
            strcpy(tok[b], pairs[np++]);
    for (unsigned b = 1; b < 256; b++)
        if (!tok[b][0] && !o->empty_tokens) /* unused slots: a token nobody uses */
            strcpy(tok[b], "zz");
    if (!o->empty_tokens) {
        tok[0][0] = 'q';
        tok[0][1] = 'q';
    }

    ks_build_t r;
    r.buf = calloc(1, 4 << 20);
    size_t p = 4096 + 24; /* garbage before, as in a real image */
    for (size_t i = 0; i < 4096; i++)
        r.buf[i] = (uint8_t)(i * 7 + 3);
    p = alignup(p, w);
    if (o->order == KS_OLD || o->order == KS_62) {
        ks_put_addrs(r.buf, &p, s, n, w, relative, abs_percpu, rb, false);
        if (relative) {
            p = alignup(p, w);
            put(r.buf, &p, rb, w);
        }
    }
    p = alignup(p, a4);
    put(r.buf, &p, n, 4);
    p = alignup(p, a1);
    size_t names = p;
    size_t *marks = calloc((n + 255) / 256, sizeof(size_t));
    for (size_t i = 0; i < n; i++) {
        if ((i & 0xff) == 0)
            marks[i >> 8] = p - names;
        uint8_t enc[600];
        size_t el = 0;
        const char *c = s[i].name;
        while (*c) {
            int b = -1;
            for (unsigned t = 1; t < 256 && c[1]; t++)
                if (tok[t][1] && !tok[t][2] && tok[t][0] == c[0] && tok[t][1] == c[1] &&
                    strcmp(tok[t], "zz") != 0)
                    b = (int)t;
            if (b >= 0) {
                enc[el++] = (uint8_t)b;
                c += 2;
            } else {
                enc[el++] = (uint8_t)*c;
                c++;
            }
        }
        if (el <= 0x7f) {
            r.buf[p++] = (uint8_t)el;
        } else {
            r.buf[p++] = (uint8_t)((el & 0x7f) | 0x80);
            r.buf[p++] = (uint8_t)(el >> 7);
        }
        memcpy(r.buf + p, enc, el);
        p += el;
    }
    p = alignup(p, a4);
    for (size_t j = 0; j < (n + 255) / 256; j++)
        put(r.buf, &p, marks[j], marker_w);
    free(marks);
    if (o->order == KS_62) {
        p = alignup(p, w);
        ks_put_seqs(r.buf, &p, s, n);
    }
    p = alignup(p, a1);
    size_t table = p, idx[256];
    for (unsigned t = 0; t < 256; t++) {
        idx[t] = p - table;
        if (t == '0')
            r.hit = p;
        size_t l = strlen(tok[t]);
        memcpy(r.buf + p, tok[t], l + 1);
        p += l + 1;
    }
    p = alignup(p, a2);
    for (unsigned t = 0; t < 256; t++)
        put(r.buf, &p, idx[t], 2);
    if (o->order == KS_64 || place) {
        p = alignup(p, a4);
        ks_put_addrs(r.buf, &p, s, n, w, relative || place, abs_percpu, rb, place);
        if (!place && relative) {
            p = alignup(p, w);
            put(r.buf, &p, rb, w);
        }
        p = alignup(p, a1);
        ks_put_seqs(r.buf, &p, s, n);
    }
    for (size_t i = 0; i < 4096; i++)
        r.buf[p++] = (uint8_t)(i * 13 + 1);
    r.len = p;
    return r;
}

static ks_build_t ks_build(const ks_sym_t *s, size_t n, unsigned w, bool relative,
                           bool abs_percpu, unsigned marker_w, uint64_t rb)
{
    ks_opts_t o = { KS_OLD, false };
    return ks_build_opts(s, n, w, relative, abs_percpu, marker_w, rb, &o);
}

static ks_sym_t *ks_symbols(size_t n, unsigned w, bool percpu)
{
    ks_sym_t *s = calloc(n, sizeof(*s));
    uint64_t base = w == 8 ? 0xffffffff81000000ULL : 0xc1000000ULL;
    size_t k = 0;
    if (percpu) {
        snprintf(s[k].name, sizeof(s[k].name), "Afixed_percpu_data");
        s[k].addr = 0;
        s[k++].percpu = true;
        snprintf(s[k].name, sizeof(s[k].name), "Acpu_number");
        s[k].addr = 0x1f000;
        s[k++].percpu = true;
    }
    snprintf(s[k].name, sizeof(s[k].name), "T_text");
    s[k++].addr = base;
    for (; k + 2 < n; k++) {
        snprintf(s[k].name, sizeof(s[k].name), "%csym_%zu", k % 3 ? 't' : 'T', k);
        /* Every 50th at its predecessor's address, as aliases are. */
        s[k].addr = base + 0x40 * (k - k / 50);
        /* Some names twice or more, as a kernel's static functions are
         * (another type letter, too): a lookup gives the first. */
        if (k % 97 == 13 && k > 200)
            snprintf(s[k].name, sizeof(s[k].name), "%c%s", k % 2 ? 't' : 'd',
                     s[k - 150].name + 1);
    }
    /* A name longer than 127 tokens, as Rust symbols are (two-byte length). */
    s[k].name[0] = 'T';
    for (int i = 1; i < 200; i++)
        s[k].name[i] = (char)('a' + i % 26);
    s[k].addr = base + 0x40 * k;
    k++;
    snprintf(s[k].name, sizeof(s[k].name), "Dinit_task");
    s[k].addr = base + 0x40 * k + 0x1000;
    for (size_t i = 0; i < n; i++) {
        s[i].first = i;
        for (size_t j = i >= 150 ? i - 150 : 0; j < i && s[i].first == i; j++)
            if (strcmp(s[j].name + 1, s[i].name + 1) == 0)
                s[i].first = s[j].first;
    }
    return s;
}

/* Whether some symbol of s is called name and lies at addr. */
static bool ks_named_at(const ks_sym_t *s, size_t n, const char *name, uint64_t addr)
{
    for (size_t j = 0; j < n; j++)
        if (s[j].addr == addr && strcmp(s[j].name + 1, name) == 0)
            return true;
    return false;
}

/* Lookups on the tables read in place: every name (the first of equal
 * names), a few by position and by address. */
static void ks_check_lookups(lx_symtab_t *t, const ks_sym_t *s, size_t n)
{
    CHECK(t != NULL);
    if (!t)
        return;
    CHECK_EQ_U64(lx_symtab_count(t), n);
    int bad = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t a = 0;
        char ty = 0;
        if (!lx_symtab_lookup(t, s[i].name + 1, &a, &ty) || a != s[s[i].first].addr ||
            ty != s[s[i].first].name[0]) {
            if (bad++ < 3)
                fprintf(stderr, "  in place: symbol %s: got 0x%llx\n", s[i].name,
                        (unsigned long long)a);
        }
    }
    CHECK(bad == 0);
    CHECK(!lx_symtab_lookup(t, "no_such_symbol", NULL, NULL));
    CHECK(!lx_symtab_lookup(t, "sym_1x", NULL, NULL)); /* a prefix of none, sym_1 extended */
    for (size_t i = 0; i < n; i += n / 7) {
        const char *nm = NULL;
        uint64_t a = 0, off = 1;
        CHECK(lx_symtab_get(t, i, &nm, &a, NULL) && nm && strcmp(nm, s[i].name + 1) == 0);
        CHECK_EQ_U64(a, s[i].addr);
        const char *at = lx_symtab_near(t, s[i].addr + 1, &off);
        /* An alias shares the address: the first name there answers. */
        CHECK(at && off == 1 && ks_named_at(s, n, at, s[i].addr));
    }
    lx_symtab_free(t);
}

/* The same tables read in place.  With kallsyms_seqs_of_names (6.2+) the
 * name order answers; without it, or when that order is false (reversed
 * here: every sampled pair out of order), the view's name hash must give
 * the same answers.  A name that does not decode refuses the hashed view
 * (which walks every name; so locate.c decodes in full and says why). */
static void ks_check_view(ks_build_t *b, const lx_kallsyms_t *k, const ks_sym_t *s, size_t n)
{
    ks_check_lookups(lx_symtab_from_kallsyms(lx_ksview_new(b->buf, b->len, k)), s, n);
    if (k->seqs) {
        for (size_t i = 0; i < n / 2; i++) {
            uint8_t *x = b->buf + k->seqs + 3 * i, *y = b->buf + k->seqs + 3 * (n - 1 - i);
            uint8_t c[3];
            memcpy(c, x, 3);
            memcpy(x, y, 3);
            memcpy(y, c, 3);
        }
        ks_check_lookups(lx_symtab_from_kallsyms(lx_ksview_new(b->buf, b->len, k)), s, n);
    }
    /* Name 300's length byte zeroed, in a copy (whose name order, if any,
     * is reversed above: the hash is used). */
    uint8_t *bad = malloc(b->len);
    size_t pos = k->names + (size_t)util_le32(b->buf + k->markers + k->marker_width);
    memcpy(bad, b->buf, b->len);
    for (int e = 0; e < 300 - 256; e++)
        pos += 1 + (bad[pos] & 0x80 ? 1 + ((bad[pos] & 0x7f) | (size_t)bad[pos + 1] << 7)
                                    : bad[pos]);
    bad[pos] = 0;
    lx_ksview_t *v = lx_ksview_new(bad, b->len, k);
    CHECK(v == NULL);
    lx_ksview_free(v);
    free(bad);
}

static void ks_check_opts(size_t n, unsigned w, bool relative, bool abs_percpu, unsigned mw,
                          const ks_opts_t *o)
{
    uint64_t rb = w == 8 ? 0xffffffff81000000ULL : 0xc1000000ULL;
    ks_sym_t *s = ks_symbols(n, w, abs_percpu);
    ks_build_t b = ks_build_opts(s, n, w, relative, abs_percpu, mw, rb, o);
    lx_kallsyms_t k;
    util_err_t err;
    util_err_clear(&err);
    status_t rc = lx_kallsyms_locate(b.buf, b.len, b.hit, w, &k, &err);
    if (rc != VMI_SUCCESS)
        fprintf(stderr, "  locate: %s\n", util_err_msg(&err));
    CHECK(rc == VMI_SUCCESS);
    if (rc == VMI_SUCCESS) {
        CHECK_EQ_U64(k.count, n);
        CHECK(k.place_relative == (o->order == KS_PLACE));
        CHECK(k.base_relative == (relative && o->order != KS_PLACE));
        CHECK(k.absolute_percpu == abs_percpu);
        CHECK(k.addrs_after == (o->order == KS_64 || o->order == KS_PLACE));
        CHECK_EQ_U64(k.marker_width, mw);
        if (k.place_relative) /* the caller says where the table is */
            k.addrs_va = KS_BUF_VA + k.addrs;
        lx_symtab_t *t = lx_symtab_new();
        CHECK(lx_kallsyms_decode(b.buf, b.len, &k, t, &err) == VMI_SUCCESS);
        CHECK(lx_symtab_finish(t));
        CHECK_EQ_U64(lx_symtab_count(t), n);
        int bad = 0;
        for (size_t i = 0; i < n; i++) {
            uint64_t a = 0;
            char ty;
            if (!lx_symtab_lookup(t, s[i].name + 1, &a, &ty) || a != s[s[i].first].addr ||
                ty != s[s[i].first].name[0]) {
                if (bad++ < 3)
                    fprintf(stderr, "  symbol %s: got 0x%llx\n", s[i].name,
                            (unsigned long long)a);
            }
        }
        CHECK(bad == 0);
        lx_symtab_free(t);
        ks_check_view(&b, &k, s, n);
        /* A copy that ends before the tables after the token index: an
         * error saying how long it must be, not a read past it. */
        if (k.addrs_after) {
            size_t need = k.seqs;
            CHECK(lx_kallsyms_locate(b.buf, need, b.hit, w, &k, &err) == VMI_FAILURE);
            CHECK(k.need > need);
            CHECK(strstr(util_err_msg(&err), "past the copy") != NULL);
        }
    }
    free(b.buf);
    free(s);
}

static void ks_check(size_t n, unsigned w, bool relative, bool abs_percpu, unsigned mw)
{
    ks_opts_t o = { KS_OLD, false };
    ks_check_opts(n, w, relative, abs_percpu, mw, &o);
}

/* 6.2 and 6.3: kallsyms_seqs_of_names between the markers and the tokens. */
static void test_kallsyms_62_seqs_before_tokens(void)
{
    ks_opts_t o = { KS_62, false };
    ks_check_opts(1500, 8, true, true, 4, &o);
    ks_check_opts(600, 4, true, false, 4, &o);
}

/* 6.4 .. 6.12: the addresses after the token index. */
static void test_kallsyms_64_addresses_last(void)
{
    ks_opts_t o = { KS_64, false };
    ks_check_opts(3000, 8, true, true, 4, &o);  /* absolute per-CPU (up to 6.14) */
    ks_check_opts(1000, 8, true, false, 4, &o); /* relative per-CPU (6.15+) */
    ks_check_opts(800, 4, true, false, 4, &o);
    ks_check_opts(700, 8, false, false, 4, &o); /* absolute addresses (other arches) */
}

/* 7.x: place-relative offsets, no relative base, every table at its own
 * alignment. */
static void test_kallsyms_place_relative(void)
{
    ks_opts_t o = { KS_PLACE, false };
    ks_check_opts(2500, 8, true, false, 4, &o);
    ks_check_opts(900, 4, true, false, 4, &o);
}

/* Empty tokens (token 0 among them), in every order. */
static void test_kallsyms_empty_tokens(void)
{
    for (int order = KS_OLD; order <= KS_PLACE; order++) {
        ks_opts_t o = { (ks_order_t)order, true };
        ks_check_opts(1200, 8, true, order != KS_PLACE, 4, &o);
    }
    ks_opts_t o = { KS_OLD, true };
    ks_check_opts(400, 4, false, false, 4, &o);
}

/* Without the place-relative check's virtual address the decode is still
 * bounded; and a table ending inside the offsets is refused. */
static void test_kallsyms_place_relative_damage(void)
{
    ks_opts_t o = { KS_PLACE, false };
    ks_sym_t *s = ks_symbols(1000, 8, false);
    ks_build_t b = ks_build_opts(s, 1000, 8, true, false, 4, 0, &o);
    lx_kallsyms_t k;
    util_err_t err;
    util_err_clear(&err);
    CHECK(lx_kallsyms_locate(b.buf, b.len, b.hit, 8, &k, &err) == VMI_SUCCESS);
    /* An offset out of order: no longer a table. */
    uint8_t *copy = malloc(b.len);
    memcpy(copy, b.buf, b.len);
    copy[k.addrs + 4 * 500 + 2] ^= 0x40;
    CHECK(lx_kallsyms_locate(copy, b.len, b.hit, 8, &k, &err) == VMI_FAILURE);
    CHECK(strstr(util_err_msg(&err), "no sorted address table") != NULL);
    /* seqs_of_names naming a symbol past the count: refused too. */
    memcpy(copy, b.buf, b.len);
    CHECK(lx_kallsyms_locate(copy, b.len, b.hit, 8, &k, &err) == VMI_SUCCESS);
    copy[k.seqs] = 0xff;
    CHECK(lx_kallsyms_locate(copy, b.len, b.hit, 8, &k, &err) == VMI_FAILURE);
    free(copy);
    free(b.buf);
    free(s);
}

static void test_kallsyms_64_relative_percpu(void)
{
    ks_check(3000, 8, true, true, 4);
}

static void test_kallsyms_64_relative(void)
{
    ks_check(1000, 8, true, false, 4);
}

static void test_kallsyms_32_relative(void)
{
    ks_check(2000, 4, true, false, 4);
}

static void test_kallsyms_64_absolute_old_markers(void)
{
    ks_check(700, 8, false, false, 8);
}

static void test_kallsyms_32_absolute(void)
{
    ks_check(513, 4, false, false, 4);
}

static void test_kallsyms_rejects_damage(void)
{
    unsigned w = 8;
    ks_sym_t *s = ks_symbols(1000, w, true);
    ks_build_t b = ks_build(s, 1000, w, true, true, 4, 0xffffffff81000000ULL);
    lx_kallsyms_t k;
    util_err_t err;

    /* A digit run anywhere else is not a token table. */
    uint8_t fake[64] = { 0 };
    memcpy(fake + 8, lx_kallsyms_digits, LX_KALLSYMS_DIGITS_LEN);
    CHECK(lx_kallsyms_locate(fake, sizeof(fake), 8, w, &k, &err) == VMI_FAILURE);
    CHECK(lx_kallsyms_locate(b.buf, b.len, b.hit + 1, w, &k, &err) == VMI_FAILURE);

    /* A token index that disagrees with the table. */
    uint8_t *copy = malloc(b.len);
    memcpy(copy, b.buf, b.len);
    CHECK(lx_kallsyms_locate(copy, b.len, b.hit, w, &k, &err) == VMI_SUCCESS);
    copy[k.token_index + 2 * 100] ^= 1;
    CHECK(lx_kallsyms_locate(copy, b.len, b.hit, w, &k, &err) == VMI_FAILURE);
    CHECK(strstr(util_err_msg(&err), "token index") != NULL);

    /* Unsorted addresses: the table is not trusted. */
    memcpy(copy, b.buf, b.len);
    CHECK(lx_kallsyms_locate(copy, b.len, b.hit, w, &k, &err) == VMI_SUCCESS);
    size_t o = k.addrs + 4 * 500;
    copy[o + 2] ^= 0x40;
    CHECK(lx_kallsyms_locate(copy, b.len, b.hit, w, &k, &err) == VMI_FAILURE);

    /* A wrong marker. */
    memcpy(copy, b.buf, b.len);
    CHECK(lx_kallsyms_locate(copy, b.len, b.hit, w, &k, &err) == VMI_SUCCESS);
    copy[k.markers + 4 * 2] ^= 1;
    CHECK(lx_kallsyms_locate(copy, b.len, b.hit, w, &k, &err) == VMI_FAILURE);

    /* The copy ends inside the token index: an error, not a read past it. */
    CHECK(lx_kallsyms_locate(b.buf, k.token_index + 100, b.hit, w, &k, &err) ==
          VMI_FAILURE);
    free(copy);
    free(b.buf);
    free(s);
}

/* Memory crafted so that many places before the token table look like
 * kallsyms_num_syms followed by valid names: the search gives up after a
 * bounded number of full walks instead of walking names from every one. */
static void test_kallsyms_crafted_candidates_are_bounded(void)
{
    unsigned w = 8;
    ks_sym_t *s = ks_symbols(1000, w, true);
    ks_build_t b = ks_build(s, 1000, w, true, true, 4, 0xffffffff81000000ULL);
    lx_kallsyms_t k;
    util_err_t err;

    CHECK(lx_kallsyms_locate(b.buf, b.len, b.hit, w, &k, &err) == VMI_SUCCESS);
    memset(b.buf + k.num_syms, 0, 4); /* the real count is gone */
    for (size_t r = 0; r < 100; r++) {
        uint8_t *rec = b.buf + r * 40; /* u32 16, u32 0, then 16 one-token names */
        memset(rec, 0, 8);
        rec[0] = 16;
        for (int i = 0; i < 16; i++) {
            rec[8 + 2 * i] = 1;
            rec[9 + 2 * i] = 'T';
        }
    }
    CHECK(lx_kallsyms_locate(b.buf, b.len, b.hit, w, &k, &err) == VMI_FAILURE);
    CHECK(strstr(util_err_msg(&err), "look like kallsyms_num_syms") != NULL);
    free(b.buf);
    free(s);
}

/* --------------------------------------------- struct module, no BTF */

/* Three loaded modules' struct module copies, laid out as one generation
 * of the kernel lays them out; each module at a different address. */
enum { MOD_LEN = 0x800, MOD_N = 3 };
typedef enum { GEN_MODULE_CORE, GEN_CORE_LAYOUT, GEN_MEM, GEN_MEM_ROX } mod_gen_t;

static void mod_put(uint8_t *m, size_t off, uint64_t v, unsigned n)
{
    size_t p = off;
    put(m, &p, v, n);
}

static void mod_build(uint8_t m[MOD_N][MOD_LEN], uint64_t addr[MOD_N], mod_gen_t gen, unsigned w)
{
    uint64_t space = w == 8 ? 0xffffffffc0000000ULL : 0xf8000000ULL;
    for (unsigned i = 0; i < MOD_N; i++) {
        memset(m[i], 0, MOD_LEN);
        uint64_t text = space + 0x100000 * (i + 1), data = text + 0x3000;
        addr[i] = data + 0x40 * (i + 1); /* struct module inside its data */
        mod_put(m[i], w, addr[i] + w, w);     /* list.next: a self-looking pointer */
        snprintf((char *)m[i] + 3 * w, 16, "mod%u", i);
        /* Decoys before the real fields: a page-aligned pointer with a
         * size that holds nothing, and module space pointers. */
        mod_put(m[i], 0xa0, text, w);
        mod_put(m[i], 0xa0 + w, 0x10, 4);
        mod_put(m[i], 0xb0, addr[i], w);
        switch (gen) {
        case GEN_MODULE_CORE: /* void *module_init, *module_core; init_size, core_size */
            mod_put(m[i], 0x120, 0, w);
            mod_put(m[i], 0x120 + w, text, w);
            mod_put(m[i], 0x120 + 2 * w, 0, 4);
            mod_put(m[i], 0x120 + 2 * w + 4, 0x6000, 4);
            break;
        case GEN_CORE_LAYOUT: /* {base, size, text_size, ro_size, ro_after_init} */
            mod_put(m[i], 0x140, text, w);
            mod_put(m[i], 0x140 + w, 0x6000, 4);
            mod_put(m[i], 0x140 + w + 4, 0x2000, 4);
            mod_put(m[i], 0x140 + w + 8, 0x3000, 4);
            mod_put(m[i], 0x140 + w + 12, 0x3000, 4);
            break;
        case GEN_MEM:
        case GEN_MEM_ROX: {
            size_t stride = gen == GEN_MEM ? 0x38 : 0x48, so = gen == GEN_MEM ? w : w + 4;
            uint64_t base[7] = { text, data, text + 0x2000, 0, 0, 0, 0 };
            uint64_t size[7] = { 0x2000, 0x1000 + 0x1000 * i, 0x1000, 0, 0, 0, 0 };
            for (unsigned k = 0; k < 7; k++) {
                mod_put(m[i], 0x140 + k * stride, base[k], w);
                if (gen == GEN_MEM_ROX)
                    m[i][0x140 + k * stride + w] = k == 0 || k == 2; /* is_rox */
                mod_put(m[i], 0x140 + k * stride + so, size[k], 4);
                mod_put(m[i], 0x140 + k * stride + so + 4 + (w == 8 ? 4 : 0), addr[i], w);
            }
            break;
        }
        }
    }
}

static void mod_check(mod_gen_t gen, unsigned w, uint64_t base, uint64_t size, unsigned count,
                      uint64_t stride)
{
    uint8_t m[MOD_N][MOD_LEN];
    uint64_t addr[MOD_N];
    const uint8_t *v[MOD_N];
    lx_mod_layout_t l;
    mod_build(m, addr, gen, w);
    for (unsigned i = 0; i < MOD_N; i++)
        v[i] = m[i];
    bool ok = lx_module_layout_guess(v, addr, MOD_N, MOD_LEN, 3 * w + 64 - w, w, &l);
    CHECK(ok);
    if (!ok)
        return;
    CHECK_EQ_U64(l.base, base);
    CHECK_EQ_U64(l.size, size);
    CHECK_EQ_U64(l.mem_count, count);
    CHECK_EQ_U64(l.mem_stride, stride);
    /* One module that does not fit: no guess at all. */
    memset(m[1] + 0x100, 0, MOD_LEN - 0x100);
    CHECK(!lx_module_layout_guess(v, addr, MOD_N, MOD_LEN, 3 * w + 64 - w, w, &l));
}

static void test_module_layout_generations(void)
{
    mod_check(GEN_MODULE_CORE, 8, 0x128, 0x134, 0, 0); /* up to 4.4 */
    mod_check(GEN_MODULE_CORE, 4, 0x124, 0x12c, 0, 0);
    mod_check(GEN_CORE_LAYOUT, 8, 0x140, 0x148, 0, 0); /* 4.5 .. 6.3 */
    mod_check(GEN_CORE_LAYOUT, 4, 0x140, 0x144, 0, 0);
    mod_check(GEN_MEM, 8, 0x140, 0x148, 7, 0x38);      /* 6.4 .. 6.12 */
    mod_check(GEN_MEM, 4, 0x140, 0x144, 7, 0x38);
    mod_check(GEN_MEM_ROX, 8, 0x140, 0x14c, 7, 0x48);  /* 7.x: bool is_rox first */
}

/* ------------------------------------------------------------------- BTF */

static uint8_t *btf_sample(size_t *len)
{
    bb_t *b = calloc(1, sizeof(*b));
    b->sl = 1; /* strs[0] = "" */
    /* 1 int */
    bb_type(b, "int", 1, 0, false, 4);
    bb_u32(b, 32);
    /* 2 struct list_head { next, prev } */
    bb_type(b, "list_head", 4, 2, false, 16);
    bb_member(b, "next", 3, 0);
    bb_member(b, "prev", 3, 64);
    /* 3 ptr -> list_head */
    bb_type(b, "", 2, 0, false, 2);
    /* 4 char */
    bb_type(b, "char", 1, 0, false, 1);
    bb_u32(b, 8);
    /* 5 char[16] */
    bb_type(b, "", 3, 0, false, 0);
    bb_u32(b, 4); bb_u32(b, 1); bb_u32(b, 16);
    /* 6 anonymous struct { int pid; int tgid; } */
    bb_type(b, "", 4, 2, false, 8);
    bb_member(b, "pid", 1, 0);
    bb_member(b, "tgid", 1, 32);
    /* 7 struct task_struct (kind_flag: bitfield encoding) */
    bb_type(b, "task_struct", 4, 5, true, 0x100);
    bb_member(b, "flags", 1, (3u << 24) | 0);   /* a 3-bit bitfield */
    bb_member(b, "tasks", 2, 64 * 8);
    bb_member(b, "", 6, 0x80 * 8);              /* anonymous: pid, tgid */
    bb_member(b, "comm", 9, 0x90 * 8);          /* through a typedef */
    bb_member(b, "mm", 3, 0xa0 * 8);
    /* 8 struct module_layout { void *base; unsigned size; } */
    bb_type(b, "module_layout", 4, 2, false, 16);
    bb_member(b, "base", 3, 0);
    bb_member(b, "size", 1, 64);
    /* 9 typedef comm_t -> char[16] */
    bb_type(b, "comm_t", 8, 0, false, 5);
    /* 10 module_layout[4] */
    bb_type(b, "", 3, 0, false, 0);
    bb_u32(b, 8); bb_u32(b, 1); bb_u32(b, 4);
    /* 11 struct module { list, mem[4] } */
    bb_type(b, "module", 4, 2, false, 0x60);
    bb_member(b, "list", 2, 8 * 8);
    bb_member(b, "mem", 10, 0x18 * 8);
    uint8_t *d = bb_blob(b, len);
    free(b);
    return d;
}

/* The kinds added since BTF's first kernels, as 6.x and 7.x emit them:
 * float (5.13), decl_tag (5.16), type_tag (5.17, on pointers: __rcu,
 * __user), enum64 (6.0), alongside var, datasec, func and func_proto. */
static uint8_t *btf_newer_kinds(size_t *len)
{
    bb_t *b = calloc(1, sizeof(*b));
    b->sl = 1;
    bb_type(b, "int", 1, 0, false, 4);             /* 1 int */
    bb_u32(b, 32);
    bb_type(b, "mm_struct", 4, 1, false, 0x60);    /* 2 struct mm_struct */
    bb_member(b, "pgd", 4, 0x50 * 8);
    bb_type(b, "", 2, 0, false, 2);                /* 3 ptr -> mm_struct */
    bb_type(b, "", 2, 0, false, 1);                /* 4 ptr -> int */
    bb_type(b, "rcu", 18, 0, false, 3);            /* 5 type_tag "rcu" -> 3 */
    bb_type(b, "u64e", 19, 2, false, 8);           /* 6 enum64, two values */
    bb_u32(b, bb_str(b, "A")); bb_u32(b, 1); bb_u32(b, 0);
    bb_u32(b, bb_str(b, "B")); bb_u32(b, 0); bb_u32(b, 1);
    bb_type(b, "double", 16, 0, false, 8);         /* 7 float */
    bb_type(b, "char", 1, 0, false, 1);            /* 8 char */
    bb_u32(b, 8);
    bb_type(b, "", 3, 0, false, 0);                /* 9 char[16] */
    bb_u32(b, 8); bb_u32(b, 1); bb_u32(b, 16);
    bb_type(b, "", 10, 0, false, 9);               /* 10 const char[16] */
    bb_type(b, "", 9, 0, false, 10);               /* 11 volatile const ... */
    bb_type(b, "user", 18, 0, false, 11);          /* 12 type_tag on that */
    bb_type(b, "comm_t", 8, 0, false, 12);         /* 13 typedef */
    bb_type(b, "", 5, 2, false, 8);                /* 14 anonymous union */
    bb_member(b, "pid", 1, 0);
    bb_member(b, "tid_alias", 1, 0);
    bb_type(b, "task_struct", 4, 6, false, 0x100); /* 15 struct task_struct */
    bb_member(b, "state", 6, 0x08 * 8);
    bb_member(b, "load", 7, 0x10 * 8);
    bb_member(b, "mm", 5, 0x20 * 8);
    bb_member(b, "", 14, 0x40 * 8);
    bb_member(b, "comm", 13, 0x48 * 8);
    bb_member(b, "tasks", 3, 0x58 * 8);
    bb_type(b, "noinline", 17, 0, false, 15);      /* 16 decl_tag on task_struct */
    bb_u32(b, 0xffffffffu);                        /*    (the whole struct) */
    bb_type(b, "", 13, 1, false, 1);               /* 17 func_proto int (int) */
    bb_u32(b, bb_str(b, "x")); bb_u32(b, 1);
    bb_type(b, "do_fork", 12, 1, false, 17);       /* 18 func, global */
    bb_type(b, "param", 17, 0, false, 18);         /* 19 decl_tag on its param 0 */
    bb_u32(b, 0);
    bb_type(b, "init_task", 14, 0, false, 15);     /* 20 var */
    bb_u32(b, 1);
    bb_type(b, ".data", 15, 1, false, 0x100);      /* 21 datasec */
    bb_u32(b, 20); bb_u32(b, 0); bb_u32(b, 0x100);
    uint8_t *d = bb_blob(b, len);
    free(b);
    return d;
}

static void test_btf_newer_kinds(void)
{
    size_t len;
    uint8_t *d = btf_newer_kinds(&len);
    util_err_t err;
    util_err_clear(&err);
    lx_btf_t *b = lx_btf_parse(d, len, 8, &err);
    if (!b)
        fprintf(stderr, "  %s\n", util_err_msg(&err));
    CHECK(b != NULL);
    if (b) {
        uint64_t v = 0;
        CHECK_EQ_U64(lx_btf_type_count(b), 21);
        CHECK(lx_btf_offset(b, "task_struct", "state", &v, &err) == VMI_SUCCESS);
        CHECK_EQ_U64(v, 0x08);
        CHECK(lx_btf_offset(b, "task_struct", "load", &v, &err) == VMI_SUCCESS);
        CHECK_EQ_U64(v, 0x10);
        CHECK(lx_btf_offset(b, "task_struct", "mm", &v, &err) == VMI_SUCCESS); /* __rcu */
        CHECK_EQ_U64(v, 0x20);
        CHECK(lx_btf_offset(b, "task_struct", "pid", &v, &err) == VMI_SUCCESS);
        CHECK_EQ_U64(v, 0x40);
        CHECK(lx_btf_offset(b, "task_struct", "comm", &v, &err) == VMI_SUCCESS);
        CHECK_EQ_U64(v, 0x48);
        /* An array behind typedef, type_tag, volatile and const. */
        CHECK(lx_btf_array_len(b, "task_struct", "comm", &v, &err) == VMI_SUCCESS);
        CHECK_EQ_U64(v, 16);
        CHECK(lx_btf_offset(b, "task_struct", "comm[3]", &v, &err) == VMI_SUCCESS);
        CHECK_EQ_U64(v, 0x4b);
        CHECK(lx_btf_offset(b, "task_struct", "tasks", &v, &err) == VMI_SUCCESS);
        CHECK_EQ_U64(v, 0x58);
        CHECK(lx_btf_struct_size(b, "task_struct", &v, &err) == VMI_SUCCESS);
        CHECK_EQ_U64(v, 0x100);
        CHECK(lx_btf_offset(b, "mm_struct", "pgd", &v, &err) == VMI_SUCCESS);
        CHECK_EQ_U64(v, 0x50);
        CHECK(!lx_btf_has_struct(b, "u64e") && !lx_btf_has_struct(b, ".data"));
        lx_btf_free(b);
    }
    /* A kind after enum64: refused, saying it is newer and what helps. */
    uint8_t *c = malloc(len);
    memcpy(c, d, len);
    c[24 + 16 + 24 + 7] = 20; /* type 3 (a pointer, no extra bytes) becomes kind 20 */
    CHECK(lx_btf_parse(c, len, 8, &err) == NULL);
    CHECK(strstr(util_err_msg(&err), "newer") != NULL);
    CHECK(strstr(util_err_msg(&err), "linux_btf = off") != NULL);
    free(c);
    free(d);
}

static void test_btf_offsets(void)
{
    size_t len;
    uint8_t *d = btf_sample(&len);
    util_err_t err;
    util_err_clear(&err);
    size_t total = 0;
    CHECK(lx_btf_header_ok(d, len, &total));
    CHECK_EQ_U64(total, len);
    lx_btf_t *b = lx_btf_parse(d, len, 8, &err);
    CHECK(b != NULL);
    if (!b) {
        fprintf(stderr, "  %s\n", util_err_msg(&err));
        free(d);
        return;
    }
    CHECK_EQ_U64(lx_btf_type_count(b), 11);
    uint64_t off = 0;
    CHECK(lx_btf_offset(b, "task_struct", "tasks", &off, &err) == VMI_SUCCESS);
    CHECK_EQ_U64(off, 64);
    CHECK(lx_btf_offset(b, "task_struct", "pid", &off, &err) == VMI_SUCCESS);
    CHECK_EQ_U64(off, 0x80);
    CHECK(lx_btf_offset(b, "task_struct", "tgid", &off, &err) == VMI_SUCCESS);
    CHECK_EQ_U64(off, 0x84);
    CHECK(lx_btf_offset(b, "task_struct", "comm", &off, &err) == VMI_SUCCESS);
    CHECK_EQ_U64(off, 0x90);
    CHECK(lx_btf_offset(b, "task_struct", "tasks.prev", &off, &err) == VMI_SUCCESS);
    CHECK_EQ_U64(off, 72);
    CHECK(lx_btf_offset(b, "task_struct", "flags", &off, &err) == VMI_FAILURE);
    CHECK(strstr(util_err_msg(&err), "bitfield") != NULL);
    CHECK(lx_btf_offset(b, "task_struct", "nothere", &off, &err) == VMI_FAILURE);
    CHECK(strstr(util_err_msg(&err), "nothere") != NULL);
    CHECK(lx_btf_offset(b, "no_struct", "x", &off, &err) == VMI_FAILURE);
    CHECK(lx_btf_offset(b, "module", "mem[2].size", &off, &err) == VMI_SUCCESS);
    CHECK_EQ_U64(off, 0x18 + 2 * 16 + 8);
    CHECK(lx_btf_offset(b, "module", "mem[4].size", &off, &err) == VMI_FAILURE);
    CHECK(lx_btf_offset(b, "module", "list[0]", &off, &err) == VMI_FAILURE);
    uint64_t n = 0;
    CHECK(lx_btf_array_len(b, "module", "mem", &n, &err) == VMI_SUCCESS);
    CHECK_EQ_U64(n, 4);
    CHECK(lx_btf_struct_size(b, "task_struct", &n, &err) == VMI_SUCCESS);
    CHECK_EQ_U64(n, 0x100);
    CHECK(lx_btf_has_struct(b, "module"));
    CHECK(!lx_btf_has_struct(b, "int"));
    lx_btf_free(b);

    /* Damage: each is refused with a reason, never read past. */
    uint8_t *c = malloc(len);
    memcpy(c, d, len);
    c[0] = 0;
    CHECK(lx_btf_parse(c, len, 8, &err) == NULL);
    memcpy(c, d, len);
    c[12] += 4; /* type_len longer than the blob */
    CHECK(lx_btf_parse(c, len, 8, &err) == NULL);
    memcpy(c, d, len);
    c[24 + 7] = 30; /* first type: unknown kind */
    CHECK(lx_btf_parse(c, len, 8, &err) == NULL);
    CHECK(strstr(util_err_msg(&err), "kind") != NULL);
    memcpy(c, d, len);
    c[len - 1] = 'x'; /* strings not terminated */
    CHECK(lx_btf_parse(c, len, 8, &err) == NULL);
    memcpy(c, d, len);
    CHECK(lx_btf_parse(c, len - 1, 8, &err) == NULL);
    free(c);
    free(d);
}

/* This machine's kernel BTF, when readable: a real-world parse. */
static void test_btf_host_kernel(void)
{
    FILE *f = fopen("/sys/kernel/btf/vmlinux", "rb");
    if (!f) {
        TEST_SKIP(test_btf_host_kernel, "no /sys/kernel/btf/vmlinux");
        return;
    }
    size_t cap = 64 << 20, len = 0, n;
    uint8_t *d = malloc(cap);
    while ((n = fread(d + len, 1, cap - len, f)) > 0)
        len += n;
    fclose(f);
    util_err_t err;
    lx_btf_t *b = lx_btf_parse(d, len, 8, &err);
    CHECK(b != NULL);
    if (b) {
        uint64_t tasks, pid, tgid, comm, pgd;
        CHECK(lx_btf_offset(b, "task_struct", "tasks", &tasks, &err) == VMI_SUCCESS);
        CHECK(lx_btf_offset(b, "task_struct", "pid", &pid, &err) == VMI_SUCCESS);
        CHECK(lx_btf_offset(b, "task_struct", "tgid", &tgid, &err) == VMI_SUCCESS);
        CHECK(lx_btf_offset(b, "task_struct", "comm", &comm, &err) == VMI_SUCCESS);
        CHECK(lx_btf_offset(b, "mm_struct", "pgd", &pgd, &err) == VMI_SUCCESS);
        CHECK_EQ_U64(tgid, pid + 4);
        CHECK(lx_btf_type_count(b) > 10000);
        lx_btf_free(b);
    } else {
        fprintf(stderr, "  %s\n", util_err_msg(&err));
    }
    free(d);
}

/* The one kernel-address rule, at its edges. */
static void test_kernel_half(void)
{
    CHECK(!lx_kernel_half(0x3fffffffULL, 4, false));
    CHECK(lx_kernel_half(0x40000000ULL, 4, false));       /* CONFIG_VMSPLIT_1G */
    CHECK(lx_kernel_half(0xc0000000ULL, 4, false));
    CHECK(lx_kernel_half(0xffffffffULL, 4, false));
    CHECK(!lx_kernel_half(0x100000000ULL, 4, false));     /* not a 32-bit address */
    CHECK(!lx_kernel_half(0x00007fffffffffffULL, 8, false));
    CHECK(!lx_kernel_half(0xff7fffffffffffffULL, 8, false));
    CHECK(lx_kernel_half(0xffff800000000000ULL, 8, false));
    CHECK(lx_kernel_half(0xffffffff81000000ULL, 8, false));
    CHECK(!lx_kernel_half(0xfeffffffffffffffULL, 8, true));
    CHECK(lx_kernel_half(0xff11000000000000ULL, 8, true));  /* la57 direct map */
    CHECK(!lx_kernel_half(0xff11000000000000ULL, 8, false));
}

int main(void)
{
    TEST_RUN(test_kernel_half);
    TEST_RUN(test_symtab_index);
    TEST_RUN(test_symtab_order_after_wrap);
    TEST_RUN(test_symtab_shared_suffix);
    TEST_RUN(test_symtab_many);
    TEST_RUN(test_symtab_reserve);
    TEST_RUN(test_sysmap_parse);
    TEST_RUN(test_sysmap_lazy_agrees);
    TEST_RUN(test_kallsyms_64_relative_percpu);
    TEST_RUN(test_kallsyms_64_relative);
    TEST_RUN(test_kallsyms_32_relative);
    TEST_RUN(test_kallsyms_64_absolute_old_markers);
    TEST_RUN(test_kallsyms_32_absolute);
    TEST_RUN(test_kallsyms_62_seqs_before_tokens);
    TEST_RUN(test_kallsyms_64_addresses_last);
    TEST_RUN(test_kallsyms_place_relative);
    TEST_RUN(test_kallsyms_empty_tokens);
    TEST_RUN(test_kallsyms_place_relative_damage);
    TEST_RUN(test_kallsyms_rejects_damage);
    TEST_RUN(test_kallsyms_crafted_candidates_are_bounded);
    TEST_RUN(test_module_layout_generations);
    TEST_RUN(test_btf_offsets);
    TEST_RUN(test_btf_newer_kinds);
    TEST_RUN(test_btf_host_kernel);
    TEST_DONE();
}
