/*
 * sysmap_agree.h - sysmap.c's one pass (whose quick path reads nm's line
 * shape at fixed positions with masks), finding names (lx_sysmap_find) or
 * building the index (lx_sysmap_parse, lx_sysmap_read), must answer
 * exactly as the line grammar does: agree_reference below takes every
 * line through parse_line alone.  The same symbol, address and type for
 * every name, and the same verdict on a map with damage (the same counts
 * and first bad line in the reason).  Random maps
 * mix nm's lines with the near misses a fixed-position reader can take for
 * them: a digit that only looks hex, a tab or two blanks, a CR, control or
 * DEL byte inside or after a name, names across the masks' 16- and 32-byte
 * edges, a module tail, 8-digit lines with a blank at column 16.
 *
 * Included after sysmap.c's own text (for its static quick_name) by
 * test_sysmap.c (the masks as built: SSE2 on x86-64) and by
 * test_sysmap_portable.c (TINYVMI_SYSMAP_PORTABLE: the byte loops of other
 * hosts), so both are held to the full parse.
 */
#ifndef TINYVMI_SYSMAP_AGREE_H
#define TINYVMI_SYSMAP_AGREE_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test.h"
#include "os/linux/linux.h"

static uint64_t agree_rng = 0x9e3779b97f4a7c15ULL;
static size_t agree_found; /* probes found, over all checks */

static uint32_t agree_rand(uint32_t n)
{
    agree_rng ^= agree_rng << 13;
    agree_rng ^= agree_rng >> 7;
    agree_rng ^= agree_rng << 17;
    return (uint32_t)(agree_rng % n);
}

typedef struct agree_map {
    char *text;
    size_t len, cap;
    struct {
        size_t at, len; /* each line's name as written, up to its first odd byte */
    } *names;
    size_t nnames, lines;
} agree_map_t;

static void agree_put(agree_map_t *m, const void *s, size_t n)
{
    if (m->len + n > m->cap) {
        m->cap = (m->len + n) * 2;
        m->text = realloc(m->text, m->cap);
        if (!m->text)
            abort();
    }
    memcpy(m->text + m->len, s, n);
    m->len += n;
}

static void agree_putc(agree_map_t *m, char c)
{
    agree_put(m, &c, 1);
}

/* One blank between fields, mostly; sometimes a tab, two blanks, none,
 * or a byte that ends a name but is no blank. */
static void agree_gap(agree_map_t *m, unsigned odd)
{
    static const char stops[] = { '\r', 0x01, 0x1f, 0x7f, 0x00, '\v' };
    switch (agree_rand(100) < odd ? agree_rand(4) : 4) {
    case 0: agree_putc(m, '\t'); break;
    case 1: agree_put(m, "  ", 2); break;
    case 2: break;
    case 3: agree_putc(m, stops[agree_rand(sizeof(stops))]); break;
    default: agree_putc(m, ' ');
    }
}

/* One line; odd is the percentage of places that get a near miss. */
static void agree_line(agree_map_t *m, size_t index, unsigned odd)
{
    static const char hex[] = "0123456789abcdefABCDEF";
    static const char not_hex[] = { 'G', 'g', 'x', 0x10, 0x19, (char)0xc1, (char)0x80, '/', ':',
                                    '@', '`', ' ', '\t' };
    static const char name_bytes[] = "abcdefghijklmnopqrstuvwxyz_.$ABCXYZ";
    static const char odd_bytes[] = { '\r', 0x01, 0x1f, 0x7f, ' ', '\t', (char)0x80, (char)0xff,
                                      '!', '~', '[', 0x00 };
    static const char types[] = "TtDdBbRrWwAaVvUu?-";
    static const char odd_types[] = { '!', '0', ' ', 0x7f, '\t', '\r' };

    if (agree_rand(100) < 2) { /* a blank or blank-only line */
        agree_put(m, "  \r", agree_rand(4));
        agree_putc(m, '\n');
        return;
    }
    if (agree_rand(100) < odd / 4 + 1)
        agree_put(m, "   ", 1 + agree_rand(3));
    unsigned width = agree_rand(100) < 70 ? 16 : agree_rand(100) < 80 ? 8 : 1 + agree_rand(20);
    for (unsigned i = 0; i < width; i++) {
        if (agree_rand(1000) < odd * 2)
            agree_putc(m, not_hex[agree_rand(sizeof(not_hex))]);
        else
            agree_putc(m, hex[agree_rand(sizeof(hex) - 1)]);
    }
    agree_gap(m, odd);
    if (agree_rand(100) < odd)
        agree_putc(m, odd_types[agree_rand(sizeof(odd_types))]);
    else
        agree_putc(m, types[agree_rand(sizeof(types) - 1)]);
    agree_gap(m, odd);

    /* The name: "s<index>" (unique: no digit follows it) and a tail whose
     * length puts the end on every side of the masks' edges. */
    char name[40];
    int n = snprintf(name, sizeof(name), "s%zu", index);
    size_t at = m->len;
    agree_put(m, name, (size_t)n);
    unsigned tail = agree_rand(100) < 3 ? 60 + agree_rand(80) : agree_rand(40);
    if (agree_rand(1000) < 3)
        tail = LX_SYM_NAME_MAX - 2 + agree_rand(4); /* around the index's limit */
    for (unsigned i = 0; i < tail; i++) {
        if (agree_rand(1000) < odd)
            agree_putc(m, odd_bytes[agree_rand(sizeof(odd_bytes))]);
        else
            agree_putc(m, name_bytes[agree_rand(sizeof(name_bytes) - 1)]);
    }
    /* The probe: the name as written up to its first blank, control byte or
     * NUL (what a full parse could give at most). */
    size_t k = 0;
    while (at + k < m->len && (unsigned char)m->text[at + k] > 0x20)
        k++;
    m->names[m->nnames].at = at;
    m->names[m->nnames++].len = k;

    unsigned r = agree_rand(100);
    if (r < 3)
        agree_put(m, " [mod]", 6);
    else if (r < 6)
        agree_putc(m, '\r');
    else if (r < 8)
        agree_put(m, " \t", 1 + agree_rand(2));
    agree_putc(m, '\n');
}

static void agree_build(agree_map_t *m, size_t lines, unsigned odd)
{
    m->len = 0;
    m->nnames = 0;
    m->lines = lines;
    m->names = realloc(m->names, (lines + 1) * sizeof(m->names[0]));
    if (!m->names)
        abort();
    for (size_t i = 0; i < lines; i++)
        agree_line(m, i, odd);
    if (agree_rand(4) == 0 && m->len) /* no newline after the last line */
        m->len--;
}

/* The reference: each line by parse_line alone, counted as sysmap.c
 * counts (a blank-only line is no damage; a name too long for the index
 * is), every kernel symbol added to t. */
static status_t agree_reference(lx_symtab_t *t, const char *text, size_t len, util_err_t *err)
{
    size_t lines = 0, bad = 0, added = 0, first_bad = 0;
    for (const char *p = text, *end = text + len; p < end;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p)), *le = nl ? nl : end;
        uint64_t addr;
        char type;
        const char *name;
        size_t nlen;
        bool module;
        lines++;
        if (le > p && parse_line(p, le, &addr, &type, &name, &nlen, &module) &&
            nlen < LX_SYM_NAME_MAX) {
            if (!module) {
                if (!lx_symtab_add(t, name, nlen, addr, type))
                    abort();
                added++;
            }
        } else {
            const char *q = p;
            while (q < le && (*q == ' ' || *q == '\t' || *q == '\r'))
                q++;
            if (q < le && bad++ == 0)
                first_bad = lines;
        }
        p = nl ? nl + 1 : end;
    }
    return verdict(err, "", added, bad, lines, first_bad);
}

/* The verdict's reason without the map's name, which differs by design. */
static const char *agree_reason(const char *msg)
{
    const char *colon = strchr(msg, ':');
    return colon ? colon : msg;
}

/* 1 when a pass's verdict (rc, reason) differs from the reference's. */
static int agree_verdict(const char *who, status_t rc, const char *msg, status_t ref_rc,
                         const char *ref_msg)
{
    if (rc == ref_rc && (rc == VMI_SUCCESS || !strcmp(agree_reason(msg), agree_reason(ref_msg))))
        return 0;
    fprintf(stderr, "  %s: verdict %d \"%s\", reference %d \"%s\"\n", who, rc, msg, ref_rc,
            ref_msg);
    return 1;
}

/* Find every probe of m in text [text, +len) (path NULL) or in the file;
 * check each against the index t built by the full parse, and the verdict
 * against parse_rc and parse_msg.  Returns the number of disagreements. */
static int agree_check(const agree_map_t *m, const char *path, lx_symtab_t *t,
                       status_t parse_rc, const char *parse_msg)
{
    lx_sysmap_want_t *want = calloc(m->nnames ? m->nnames : 1, sizeof(*want));
    char *probe = malloc(LX_SYM_NAME_MAX + 200);
    if (!want || !probe)
        abort();
    for (size_t i = 0; i < m->nnames; i++) {
        want[i].name = m->text + m->names[i].at;
        want[i].len = m->names[i].len;
    }
    util_err_t err;
    util_err_clear(&err);
    status_t rc = lx_sysmap_find(path, path ? NULL : m->text, path ? 0 : m->len, want, m->nnames,
                                 &err);
    int bad = agree_verdict("find", rc, util_err_msg(&err), parse_rc, parse_msg);
    for (size_t i = 0; rc == VMI_SUCCESS && i < m->nnames; i++) {
        uint64_t a = 0;
        char ty = 0;
        memcpy(probe, want[i].name, want[i].len);
        probe[want[i].len] = '\0';
        bool in_t = want[i].len && lx_symtab_lookup(t, probe, &a, &ty);
        agree_found += want[i].found;
        if (in_t != want[i].found || (in_t && (a != want[i].addr || ty != want[i].type))) {
            if (bad++ < 5)
                fprintf(stderr, "  \"%.60s\": parse %d %#llx %c, find %d %#llx %c\n",
                        probe, in_t, (unsigned long long)a, ty ? ty : '.',
                        want[i].found, (unsigned long long)want[i].addr,
                        want[i].type ? want[i].type : '.');
        }
    }
    free(want);
    free(probe);
    return bad;
}

/* The index built by the pass (from text, or the file at path) against
 * the reference's ref: the same verdict, the same count, and every probe
 * the same.  Returns the disagreements. */
static int agree_index(const agree_map_t *m, const char *path, lx_symtab_t *ref,
                       status_t ref_rc, const char *ref_msg)
{
    lx_symtab_t *t = lx_symtab_new();
    util_err_t err;
    util_err_clear(&err);
    status_t rc = path ? lx_sysmap_read(t, path, false, &err) : lx_sysmap_parse(t, m->text, m->len,
                                                                               &err);
    int bad = agree_verdict("index", rc, util_err_msg(&err), ref_rc, ref_msg);
    if (rc == VMI_SUCCESS && ref_rc == VMI_SUCCESS) {
        if (!lx_symtab_finish(t))
            abort();
        bad += lx_symtab_count(t) != lx_symtab_count(ref);
        char *probe = malloc(LX_SYM_NAME_MAX + 200);
        if (!probe)
            abort();
        for (size_t i = 0; i < m->nnames; i++) {
            memcpy(probe, m->text + m->names[i].at, m->names[i].len);
            probe[m->names[i].len] = '\0';
            uint64_t a = 0, b = 0;
            char ta = 0, tb = 0;
            bool in_ref = lx_symtab_lookup(ref, probe, &a, &ta);
            bool in_t = lx_symtab_lookup(t, probe, &b, &tb);
            if (in_ref != in_t || a != b || ta != tb) {
                if (bad++ < 5)
                    fprintf(stderr, "  \"%.60s\": reference %d %#llx, index %d %#llx\n", probe,
                            in_ref, (unsigned long long)a, in_t, (unsigned long long)b);
            }
        }
        free(probe);
    }
    lx_symtab_free(t);
    return bad;
}

/* The counts behind the verdict: with more junk lines after the map than
 * the map has lines, both must refuse it, and their reasons give the bad
 * lines, all lines and the first bad line.  Returns the disagreements. */
static int agree_counts(agree_map_t *m)
{
    size_t len = m->len;
    if (len && m->text[len - 1] != '\n')
        agree_putc(m, '\n');
    for (size_t i = 0; i <= m->lines + 1; i++)
        agree_put(m, "junk\n", 5);
    lx_symtab_t *t = lx_symtab_new();
    util_err_t err;
    util_err_clear(&err);
    status_t rc = agree_reference(t, m->text, m->len, &err);
    int bad = rc == VMI_SUCCESS;
    bad += agree_check(m, NULL, t, rc, util_err_msg(&err));
    bad += agree_index(m, NULL, t, rc, util_err_msg(&err));
    lx_symtab_free(t);
    m->len = len;
    return bad;
}

/* The quick path takes nm's own lines (so the checks above test it, and
 * not only the full parse behind it): both widths, names of every length
 * across the masks' edges, not too near the text's end. */
static void test_sysmap_quick_takes_nm_lines(void)
{
    char text[512];
    int taken = 0, tried = 0;
    for (unsigned width = 8; width <= 16; width += 8) {
        for (unsigned len = 1; len <= 100; len++, tried++) {
            memset(text, 'z', sizeof(text));
            int n = snprintf(text, sizeof(text), "%0*x T ", (int)width, 0xc1000000u);
            memset(text + n, 'a', len);
            text[n + len] = '\n';
            const char *name = quick_name(text, text + n + len, text + sizeof(text));
            taken += name == text + n;
        }
    }
    CHECK(taken == tried);
}

/* A map of module lines only is a map (the finder reads it), but gives
 * the index no symbol: building one fails, as for an empty map. */
static void test_sysmap_index_needs_kernel_symbols(void)
{
    agree_map_t m = { 0 };
    char line[64];
    for (int i = 0; i < 100; i++)
        agree_put(&m, line, (size_t)snprintf(line, sizeof(line),
                                             "ffffffffc0%06x t mod_sym_%d\t[mod]\n", i, i));
    lx_symtab_t *t = lx_symtab_new();
    util_err_t err;
    util_err_clear(&err);
    CHECK(lx_sysmap_parse(t, m.text, m.len, &err) == VMI_FAILURE);
    CHECK(strstr(util_err_msg(&err), "empty") != NULL);
    lx_sysmap_want_t w = { .name = "mod_sym_7", .len = 9 };
    CHECK(lx_sysmap_find(NULL, m.text, m.len, &w, 1, &err) == VMI_SUCCESS && !w.found);
    lx_symtab_free(t);
    free(m.text);
}

/* Many small maps, from clean to mostly damaged (the verdict flips near
 * half), each found in memory. */
static void test_sysmap_find_agrees_random(void)
{
    agree_map_t m = { 0 };
    int maps_bad = 0, refused = 0, accepted = 0;
    for (unsigned round = 0; round < 1500; round++) {
        unsigned odd = round % 3 == 0 ? 0 : round % 3 == 1 ? 1 + agree_rand(8) : 20 + agree_rand(40);
        agree_build(&m, 1 + agree_rand(120), odd);
        lx_symtab_t *t = lx_symtab_new();
        util_err_t err;
        util_err_clear(&err);
        status_t rc = agree_reference(t, m.text, m.len, &err);
        if (!t || (rc == VMI_SUCCESS && !lx_symtab_finish(t)))
            abort();
        maps_bad += agree_index(&m, NULL, t, rc, util_err_msg(&err));
        rc == VMI_SUCCESS ? accepted++ : refused++;
        if (agree_check(&m, NULL, t, rc, util_err_msg(&err)) + agree_counts(&m)) {
            if (maps_bad++ < 3)
                fprintf(stderr, "  round %u (odd %u%%): the finder and the parse disagree\n",
                        round, odd);
        }
        lx_symtab_free(t);
    }
    CHECK(maps_bad == 0);
    /* Both kinds of map were made, or the verdict was not tested. */
    CHECK(accepted > 100 && refused > 100);
    free(m.text);
    free(m.names);
}

/* One map of several 64 KiB chunks, with a line longer than a chunk, read
 * from a file: lines cut by the chunk edges must count as in memory. */
static void test_sysmap_find_agrees_file(void)
{
    agree_map_t m = { 0 };
    agree_build(&m, 6000, 2);
    /* A line longer than the finder's 64 KiB buffer, in the middle. */
    agree_map_t big = { 0 };
    agree_put(&big, m.text, m.len / 2);
    const char *mid = memchr(big.text + big.len / 2, '\n', big.len - big.len / 2);
    big.len = mid ? (size_t)(mid - big.text) + 1 : big.len;
    size_t head = big.len;
    agree_put(&big, "ffffffff81000000 T long_", 24);
    for (int i = 0; i < 70000; i++)
        agree_putc(&big, 'x');
    agree_putc(&big, '\n');
    agree_put(&big, m.text + head, m.len - head);
    for (size_t i = 0; i < m.nnames; i++)
        if (m.names[i].at >= head)
            m.names[i].at += big.len - m.len;
    free(m.text);
    m.text = big.text;
    m.len = big.len;

    char path[] = "/tmp/tvmi-sysmap-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    if (fd < 0)
        return;
    CHECK(write(fd, m.text, m.len) == (ssize_t)m.len);
    close(fd);

    lx_symtab_t *t = lx_symtab_new();
    util_err_t err;
    util_err_clear(&err);
    status_t rc = agree_reference(t, m.text, m.len, &err);
    CHECK(rc == VMI_SUCCESS && lx_symtab_finish(t));
    CHECK(agree_index(&m, NULL, t, rc, util_err_msg(&err)) == 0);
    CHECK(agree_index(&m, path, t, rc, util_err_msg(&err)) == 0);
    CHECK(m.len > 5 * (64u << 10));
    agree_found = 0;
    CHECK(agree_check(&m, NULL, t, rc, util_err_msg(&err)) == 0);
    CHECK(agree_check(&m, path, t, rc, util_err_msg(&err)) == 0);
    /* Most lines are clean: most probes were found (twice). */
    CHECK(agree_found > m.nnames * 2 * 8 / 10);
    lx_symtab_free(t);
    unlink(path);
    free(m.text);
    free(m.names);
}

/* The checks, in the order both test programs run them. */
static int agree_main(void)
{
    TEST_RUN(test_sysmap_quick_takes_nm_lines);
    TEST_RUN(test_sysmap_index_needs_kernel_symbols);
    TEST_RUN(test_sysmap_find_agrees_random);
    TEST_RUN(test_sysmap_find_agrees_file);
    TEST_DONE();
}

#endif
