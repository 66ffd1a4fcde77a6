/*
 * sysmap.c - System.map text into the symbol index.
 *
 * A System.map line is "<hex address> <type letter> <name>", as written by
 * nm; /proc/kallsyms has the same shape plus an optional "\t[module]" tail,
 * so both parse here (module symbols are skipped: they do not belong to the
 * kernel image and have no fixed address).  The text is configuration, not
 * guest data, but it is still parsed strictly and with bounds: a file that
 * is not a symbol map yields an error, not a half-filled index.
 *
 * One pass serves both readers: lx_sysmap_parse/load/read put every line
 * into an index; lx_sysmap_find looks for a few names (start-up's), and
 * compares a line's name only when a filter on its length and end bytes
 * lets it through.  A file is read 64 KiB at a time, never held whole.
 * Lines of nm's exact shape take a quick path (masks of 16 bytes, SSE2 on
 * x86-64); any other line takes the full parse, and the quick path must
 * take exactly the lines the full parse takes (tests/unit/sysmap_agree.h
 * holds both to that on random near misses).  A 199k-line map (Linux 7.x)
 * costs about 1.5 ms of parse on this project's machine, plus the read.
 *
 * It must not touch guest memory or the instance: text in, index out.
 */
#include "os/linux/linux.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/strutil.h"
#include "util/sys.h"

static bool is_blank(char c)
{
    return c == ' ' || c == '\t';
}

/* One line [p, end) -> symbol; false when the line has another shape. */
static bool parse_line(const char *p, const char *end, uint64_t *addr, char *type,
                       const char **name, size_t *nlen, bool *module)
{
    uint64_t a = 0;
    int digits = 0, v;

    while (p < end && is_blank(*p))
        p++;
    while (p < end && (v = util_hexval(*p)) >= 0) {
        if (++digits > 16)
            return false;
        a = (a << 4) | (uint64_t)v;
        p++;
    }
    if (digits == 0 || p >= end || !is_blank(*p))
        return false;
    while (p < end && is_blank(*p))
        p++;
    if (p >= end)
        return false;
    char ty = *p++;
    if (!((ty >= 'a' && ty <= 'z') || (ty >= 'A' && ty <= 'Z') || ty == '?' || ty == '-'))
        return false;
    if (p >= end || !is_blank(*p))
        return false;
    while (p < end && is_blank(*p))
        p++;
    const char *n = p;
    while (p < end && !is_blank(*p) && *p != '\r') {
        /* A NUL or control byte cannot be in a symbol name; kept, it would
         * make a name that no lookup by C string can find. */
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            return false;
        p++;
    }
    if (p == n)
        return false;
    *addr = a;
    *type = ty;
    *name = n;
    *nlen = (size_t)(p - n);
    while (p < end && is_blank(*p))
        p++;
    *module = p < end && *p == '[';
    return true;
}

/* The verdict on a map once read: good symbol lines among lines, bad
 * ones (the first at line first_bad).  A few odd lines are tolerated
 * (hand-edited maps); a file that is mostly something else is not a
 * System.map.  what names the map in the reason ("" for none). */
static status_t verdict(util_err_t *err, const char *what, size_t good, size_t bad,
                        size_t lines, size_t first_bad)
{
    const char *sp = what[0] ? " " : "";
    if (good == 0 && bad)
        util_err_set(err, "System.map%s%s: no symbol lines (line %zu is not "
                          "\"<hex address> <type> <name>\")", sp, what, first_bad);
    else if (good == 0)
        util_err_set(err, "System.map%s%s: empty", sp, what);
    else if (bad > good)
        util_err_set(err, "System.map%s%s: %zu of %zu lines are not symbol lines (first at "
                          "line %zu)", sp, what, bad, lines, first_bad);
    else
        return VMI_SUCCESS;
    return VMI_FAILURE;
}

/* ---- one streaming pass: every symbol, or a few names ---- */

#define FIND_CHUNK (64u << 10)

/* A line's name is compared with the wanted ones only when its length and
 * first and last bytes hit this filter: one load and one test per line. */
#define FILTER_BITS 4096

/* One pass over a map.  With index set, every kernel symbol (and module
 * symbol too when modules) goes into it; otherwise only the wanted names
 * are looked at. */
typedef struct finder {
    lx_sysmap_want_t *want;
    size_t n, left;             /* wanted, not yet found */
    uint64_t filter[FILTER_BITS / 64];
    lx_symtab_t *index;
    bool modules, out_of_memory;
    size_t lines, bad, good, first_bad, added;
} finder_t;

static unsigned filter_key(const char *name, size_t len)
{
    return (unsigned)(len * 131u + (unsigned char)name[0] * 7u +
                      (unsigned char)name[len - 1]) % FILTER_BITS;
}

static bool may_want(const finder_t *f, const char *name, size_t len)
{
    if (len == 0)
        return false;
    unsigned k = filter_key(name, len);
    return (f->filter[k / 64] >> (k % 64)) & 1;
}

static bool sym_type(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '?' || c == '-';
}

/* A symbol line [p, le) with its name: into the index, or compared with
 * the wanted names when the filter lets it through. */
static void take(finder_t *f, const char *p, const char *le, const char *name, size_t nlen,
                 bool module);

static void match(finder_t *f, const char *p, const char *le, const char *name, size_t nlen)
{
    for (size_t i = 0; i < f->n; i++) {
        lx_sysmap_want_t *w = &f->want[i];
        if (w->found || w->len != nlen || memcmp(w->name, name, nlen) != 0)
            continue;
        uint64_t a;
        char ty;
        const char *nm;
        size_t nl;
        bool module;
        if (parse_line(p, le, &a, &ty, &nm, &nl, &module) && !module && nl == nlen) {
            w->found = true;
            w->addr = a;
            w->type = ty;
            f->left--;
        }
    }
}

/* The shape check works on masks of 16 bytes: bit i set where byte i of
 * the 16 at p is a hex digit (0-9, a-f, A-F), or where it ends a name (a
 * byte below 0x21: blank, CR, LF, a control byte; or DEL; bytes of 0x80
 * and up are name bytes, as parse_line takes them).  Each reads exactly
 * the 16 bytes at p; the caller makes sure they are there.  With SSE2
 * (every x86-64 CPU) a mask is a few instructions; elsewhere, or built
 * with TINYVMI_SYSMAP_PORTABLE (which the unit tests do, so this path is
 * tested too), it is a byte loop with the same answers. */
#if defined(__SSE2__) && !defined(TINYVMI_SYSMAP_PORTABLE)
#include <emmintrin.h>

/* The bytes of x in [lo, lo + n) (n <= 128), as 0xff: one add and one
 * signed compare.  Adding 0x80 - lo moves lo to -128 with wrap-around, so
 * exactly the bytes of the range land below -128 + n. */
static __m128i in_range(__m128i x, int lo, int n)
{
    __m128i t = _mm_add_epi8(x, _mm_set1_epi8((char)(0x80 - lo)));
    return _mm_cmplt_epi8(t, _mm_set1_epi8((char)(n - 0x80)));
}

/* Letters are tested after folding case with | 0x20, which maps only A-F
 * and a-f onto 0x61-0x66. */
static unsigned hex_bits16(const char *p)
{
    __m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
    __m128i letter = in_range(_mm_or_si128(x, _mm_set1_epi8(0x20)), 'a', 6);
    return (unsigned)_mm_movemask_epi8(_mm_or_si128(in_range(x, '0', 10), letter));
}

static unsigned newline_bits16(const char *p)
{
    __m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
    return (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_set1_epi8('\n')));
}

/* b <= 0x20 (unsigned) is min(b, 0x20) == b. */
static unsigned stop_bits16(const char *p)
{
    __m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
    __m128i stop = _mm_or_si128(_mm_cmpeq_epi8(_mm_min_epu8(x, _mm_set1_epi8(0x20)), x),
                                _mm_cmpeq_epi8(x, _mm_set1_epi8(0x7f)));
    return (unsigned)_mm_movemask_epi8(stop);
}
#else
static unsigned hex_bits16(const char *p)
{
    unsigned m = 0;
    for (unsigned i = 0; i < 16; i++)
        m |= (unsigned)(util_hexval(p[i]) >= 0) << i;
    return m;
}

static unsigned newline_bits16(const char *p)
{
    unsigned m = 0;
    for (unsigned i = 0; i < 16; i++)
        m |= (unsigned)(p[i] == '\n') << i;
    return m;
}

static unsigned stop_bits16(const char *p)
{
    unsigned m = 0;
    for (unsigned i = 0; i < 16; i++)
        m |= (unsigned)((unsigned char)p[i] <= 0x20 || p[i] == 0x7f) << i;
    return m;
}
#endif

static uint32_t stop_bits32(const char *p)
{
    return stop_bits16(p) | (uint32_t)stop_bits16(p + 16) << 16;
}

static uint64_t newline_bits64(const char *p)
{
    uint64_t m = 0;
    for (unsigned i = 0; i < 64; i += 16)
        m |= (uint64_t)newline_bits16(p + i) << i;
    return m;
}

/* Where the name at e ends, or NULL when it does not end 32 or more bytes
 * before end. */
static const char *name_end(const char *e, const char *end)
{
    for (; end - e >= 32; e += 32) {
        uint32_t m = stop_bits32(e);
        if (m)
            return e + __builtin_ctz(m);
    }
    return NULL;
}

/* One line [p, le), any shape: the full parse, counted as lx_sysmap_parse
 * counts it (blank-only lines are not damage). */
static void find_line(finder_t *f, const char *p, const char *le)
{
    size_t n = (size_t)(le - p);
    uint64_t a;
    char ty;
    const char *nm;
    size_t nl;
    bool module;

    f->lines++;
    if (n && parse_line(p, le, &a, &ty, &nm, &nl, &module) && nl < LX_SYM_NAME_MAX) {
        f->good++;
        take(f, p, le, nm, nl, module);
        return;
    }
    const char *q = p;
    while (q < le && (is_blank(*q) || *q == '\r'))
        q++;
    if (q < le && f->bad++ == 0)
        f->first_bad = f->lines;
}

/* The name of the line [p, e) (e its '\n') when the line has nm's shape,
 * "<16 or 8 hex> <type> <name>" with single blanks; NULL for any other
 * line (a tab or two blanks, a CR or control byte, an empty or too long
 * name, too near end for the masks), which is left to the full parse.  It
 * must take exactly the lines parse_line takes, with the same name: every
 * address digit is checked (an 8-digit line can have a blank at column 16
 * too, and would otherwise lend its tail as the name).  The stop mask from
 * the blank after the address must hold exactly that blank, the one after
 * the type, and e; the type byte is then neither a stop nor anything but
 * what sym_type takes.  Reads [p, p + 48) and, for a name of 29 bytes or
 * more, up to e + 31, all below end. */
static const char *quick_name(const char *p, const char *e, const char *end)
{
    if (end - p < 16 + 32)
        return NULL;
    unsigned hex = hex_bits16(p);
    const char *b = p + (hex == 0xffff ? 16 : 8), *name = b + 3;
    if ((hex != 0xffff && (hex & 0xff) != 0xff) || e <= name ||
        (size_t)(e - name) >= LX_SYM_NAME_MAX)
        return NULL;
    uint32_t stop = stop_bits32(b), want = 5;
    if (e - b < 32) {
        want |= 1u << (e - b);
        stop &= (2u << (e - b)) - 1;
    } else if (name_end(b + 32, end) != e) {
        return NULL;
    }
    return stop == want && b[0] == ' ' && b[2] == ' ' && sym_type(b[1]) ? name : NULL;
}

/* Every whole line of [p, end); returns where the unfinished one starts.
 * The newlines of each 64 bytes come from one mask, so finding the next
 * line does not wait for the checks of this one: the checks of several
 * lines overlap in the CPU, where reading line by line left each line's
 * start waiting on the previous line's scan (that took the same time for
 * fewer instructions).  The quick lines are counted in a local and added
 * before a full parse (which numbers a bad line by f->lines) and at the
 * end.  The last 63 bytes or fewer take the full parse. */
static const char *find_lines(finder_t *f, const char *p, const char *end)
{
    size_t quick = 0;
    const char *block = p;
    for (; end - block >= 64; block += 64) {
        /* Here p <= block: a line start never passes the block's end + 1. */
        for (uint64_t nl = newline_bits64(block); nl; nl &= nl - 1) {
            const char *e = block + __builtin_ctzll(nl), *name = quick_name(p, e, end);
            if (name) {
                /* The filter here, so most lines make no call. */
                quick++;
                size_t len = (size_t)(e - name);
                if (f->index || (f->left && may_want(f, name, len)))
                    take(f, p, e, name, len, false);
            } else {
                f->lines += quick;
                f->good += quick;
                quick = 0;
                find_line(f, p, e);
            }
            p = e + 1;
        }
    }
    f->lines += quick;
    f->good += quick;
    for (const char *e; p < end && (e = memchr(p, '\n', (size_t)(end - p))); p = e + 1)
        find_line(f, p, e);
    return p;
}

static status_t find_file(finder_t *f, const char *path, util_err_t *err)
{
    util_sys_file_t fd;
    const char *why;
    if (!util_sys_open(&fd, path, &why)) {
        util_err_set(err, "cannot open System.map %s: %s", path, why);
        return VMI_FAILURE;
    }
    if (!fd.regular) {
        util_err_set(err, "System.map %s is not a regular file", path);
        util_sys_close(&fd);
        return VMI_FAILURE;
    }
    if (fd.size > LX_SYSMAP_MAX) {
        util_err_set(err, "System.map %s is %lld bytes, more than the %u allowed", path,
                     (long long)fd.size, LX_SYSMAP_MAX);
        util_sys_close(&fd);
        return VMI_FAILURE;
    }
    char *buf = malloc(FIND_CHUNK);
    if (!buf) {
        util_err_set(err, "System.map %s: out of memory", path);
        util_sys_close(&fd);
        return VMI_FAILURE;
    }
    size_t have = 0, total = 0;
    bool skipping = false; /* inside a line longer than the buffer */
    for (;;) {
        long long r = util_sys_read(&fd, buf + have, FIND_CHUNK - have, &why);
        if (r < 0) {
            util_err_set(err, "reading System.map %s: %s", path, why);
            break;
        }
        total += (size_t)r;
        if (total > LX_SYSMAP_MAX) {
            util_err_set(err, "System.map %s grew past the %u bytes allowed", path,
                         LX_SYSMAP_MAX);
            break;
        }
        const char *p = buf, *end = buf + have + (size_t)r;
        if (skipping) {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            if (!nl) {
                have = 0;
                if (r == 0)
                    break;
                continue;
            }
            skipping = false;
            p = nl + 1;
        }
        p = find_lines(f, p, end);
        if (r == 0) {
            if (p < end)
                find_line(f, p, end);
            break;
        }
        have = (size_t)(end - p);
        if (have == FIND_CHUNK) {
            /* No line is that long: count it as damage and skip it. */
            f->lines++;
            if (f->bad++ == 0)
                f->first_bad = f->lines;
            skipping = true;
            have = 0;
        } else {
            memmove(buf, p, have);
        }
    }
    free(buf);
    util_sys_close(&fd);
    return util_err_msg(err)[0] ? VMI_FAILURE : VMI_SUCCESS;
}

static void take(finder_t *f, const char *p, const char *le, const char *name, size_t nlen,
                 bool module)
{
    if (!f->index) {
        if (!module && f->left && may_want(f, name, nlen))
            match(f, p, le, name, nlen);
        return;
    }
    uint64_t a;
    char ty;
    if (f->out_of_memory || (module && !f->modules) ||
        !parse_line(p, le, &a, &ty, &name, &nlen, &module))
        return;
    if (lx_symtab_add(f->index, name, nlen, a, ty))
        f->added++;
    else
        f->out_of_memory = true;
}

/* The pass over the file at path or over [text, text + len), and the
 * verdict.  A map for the index must give it a symbol: one of only module
 * lines (not kept) is as empty as no lines. */
static status_t run(finder_t *f, const char *path, const char *text, size_t len,
                    util_err_t *err)
{
    util_err_clear(err);
    if (path) {
        if (find_file(f, path, err) != VMI_SUCCESS)
            return VMI_FAILURE;
    } else {
        const char *p = find_lines(f, text, text + len);
        if (p < text + len)
            find_line(f, p, text + len);
    }
    const char *what = path ? path : "text";
    if (f->out_of_memory) {
        util_err_set(err, "System.map %s: out of memory after %zu symbols", what, f->added);
        return VMI_FAILURE;
    }
    return verdict(err, what, f->index ? f->added : f->good, f->bad, f->lines, f->first_bad);
}

status_t lx_sysmap_parse(lx_symtab_t *t, const char *text, size_t len, util_err_t *err)
{
    finder_t f = { .index = t };
    return run(&f, NULL, text, len, err);
}

status_t lx_sysmap_load(lx_symtab_t *t, const char *path, util_err_t *err)
{
    return lx_sysmap_read(t, path, false, err);
}

status_t lx_sysmap_read(lx_symtab_t *t, const char *path, bool modules, util_err_t *err)
{
    finder_t f = { .index = t, .modules = modules };
    return run(&f, path, NULL, 0, err);
}

status_t lx_sysmap_find(const char *path, const char *text, size_t len, lx_sysmap_want_t *want,
                        size_t n, util_err_t *err)
{
    finder_t f;
    memset(&f, 0, sizeof(f));
    f.want = want;
    f.n = n;
    for (size_t i = 0; i < n; i++) {
        want[i].found = false;
        if (want[i].len == 0 || want[i].len >= LX_SYM_NAME_MAX)
            continue;
        unsigned k = filter_key(want[i].name, want[i].len);
        f.filter[k / 64] |= 1ULL << (k % 64);
        f.left++;
    }
    return run(&f, path, text, len, err);
}
