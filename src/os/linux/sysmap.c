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
 * Two readers: lx_sysmap_parse/load put every line into an index;
 * lx_sysmap_find streams over the text once, 64 KiB at a time, for a few
 * names (start-up's), looking at each line's name only when its length is
 * one of theirs, so a 94k-line map costs a pass at memory speed and no copy.
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

static status_t parse_text(lx_symtab_t *t, const char *text, size_t len, bool modules,
                           util_err_t *err);

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

status_t lx_sysmap_parse(lx_symtab_t *t, const char *text, size_t len, util_err_t *err)
{
    return parse_text(t, text, len, false, err);
}

static status_t parse_text(lx_symtab_t *t, const char *text, size_t len, bool modules,
                           util_err_t *err)
{
    size_t lines = 0, bad = 0, added = 0, first_bad = 0;
    const char *p = text, *end = text + len;

    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        uint64_t addr;
        char type;
        const char *name;
        size_t nlen;
        bool module;

        lines++;
        if (le > p) {
            if (!parse_line(p, le, &addr, &type, &name, &nlen, &module) ||
                nlen >= LX_SYM_NAME_MAX) {
                /* Blank-only lines are not damage. */
                const char *q = p;
                while (q < le && (is_blank(*q) || *q == '\r'))
                    q++;
                if (q < le && bad++ == 0)
                    first_bad = lines;
            } else if (!module || modules) {
                if (!lx_symtab_add(t, name, nlen, addr, type)) {
                    util_err_set(err, "System.map: out of memory at line %zu", lines);
                    return VMI_FAILURE;
                }
                added++;
            }
        }
        p = nl ? nl + 1 : end;
    }
    return verdict(err, "", added, bad, lines, first_bad);
}

status_t lx_sysmap_load(lx_symtab_t *t, const char *path, util_err_t *err)
{
    return lx_sysmap_read(t, path, false, err);
}

status_t lx_sysmap_read(lx_symtab_t *t, const char *path, bool modules, util_err_t *err)
{
    util_sys_load_t f;
    switch (util_sys_load(path, LX_SYSMAP_MAX, &f)) {
    case UTIL_SYS_LOAD_OK:
        break;
    case UTIL_SYS_LOAD_NO_OPEN:
        util_err_set(err, "cannot open System.map %s: %s", path, f.why);
        return VMI_FAILURE;
    case UTIL_SYS_LOAD_NOT_REGULAR:
        util_err_set(err, "System.map %s is not a regular file", path);
        return VMI_FAILURE;
    case UTIL_SYS_LOAD_TOO_BIG:
        util_err_set(err, "System.map %s is %lld bytes, more than the %u allowed", path,
                     (long long)f.size, LX_SYSMAP_MAX);
        return VMI_FAILURE;
    case UTIL_SYS_LOAD_NO_MEMORY:
        util_err_set(err, "System.map %s: out of memory", path);
        return VMI_FAILURE;
    case UTIL_SYS_LOAD_SHORT:
        util_err_set(err, "System.map %s: read %zu of %zu bytes", path, f.len, (size_t)f.size);
        free(f.data);
        return VMI_FAILURE;
    }
    char *buf = f.data;
    size_t size = f.len;
    status_t rc = parse_text(t, buf, size, modules, err);
    if (rc != VMI_SUCCESS)
        util_err_prefix(err, "%s", path);
    free(buf);
    return rc;
}

/* ---- one streaming pass for a few names ---- */

#define FIND_CHUNK (64u << 10)

/* A line's name is compared with the wanted ones only when its length and
 * first and last bytes hit this filter: one load and one test per line. */
#define FILTER_BITS 4096

typedef struct finder {
    lx_sysmap_want_t *want;
    size_t n, left;             /* wanted, not yet found */
    uint64_t filter[FILTER_BITS / 64];
    size_t lines, bad, good, first_bad;
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

/* Whether the 8 bytes at p are all hex digits (0-9, a-f, A-F), eight at a
 * time: the per-byte loop was 40% of a configured init.  Each byte is
 * below 0x80 (checked first), so adding a constant up to 0x7f never
 * carries into the next byte, and a byte's top bit after adding 0x80 - lo
 * says "byte >= lo".  Digits are tested on the bytes themselves (0x10-0x19
 * | 0x20 would look like digits), letters after folding case with | 0x20,
 * which maps only A-F and a-f onto 0x61-0x66.  Byte order plays no part:
 * every byte is judged alone and all must pass. */
static bool hex8(const char *p)
{
    const uint64_t ones = 0x0101010101010101ULL, high = 0x8080808080808080ULL;
    uint64_t x;
    memcpy(&x, p, 8);
    if (x & high)
        return false;
#define GE(v, lo) (((v) + (0x80 - (lo)) * ones) & high)
    uint64_t y = x | 0x20 * ones;
    uint64_t digit = GE(x, 0x30) & ~GE(x, 0x3a);
    uint64_t letter = GE(y, 0x61) & ~GE(y, 0x67);
#undef GE
    return (digit | letter) == high;
}

/* The address field of nm's shape: w hex digits then a blank, w = 8 or 16. */
static size_t fixed_width(const char *p, size_t n)
{
    if (n > 11 && p[8] == ' ')
        return hex8(p) ? 8 : 0;
    if (n > 19 && p[16] == ' ')
        return hex8(p) && hex8(p + 8) ? 16 : 0;
    return 0;
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
        if (!module && f->left && may_want(f, nm, nl))
            match(f, p, le, nm, nl);
        return;
    }
    const char *q = p;
    while (q < le && (is_blank(*q) || *q == '\r'))
        q++;
    if (q < le && f->bad++ == 0)
        f->first_bad = f->lines;
}

/* Where the name at e ends: its first byte below 0x21 (a blank, CR, LF
 * or control byte) or DEL, or end.  Eight bytes at a time: a byte b is
 * flagged where b - 0x21 borrows with b's top bit clear (b < 0x21), or
 * b ^ 0x7f is zero; the lowest flag is exact, and on a little-endian host
 * the lowest flag is the first byte.  Bytes of 0x80 and up (UTF-8) are
 * name bytes, as parse_line takes them. */
static const char *name_end(const char *e, const char *end)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    const uint64_t ones = 0x0101010101010101ULL, high = 0x8080808080808080ULL;
    while (end - e >= 8) {
        uint64_t x, y;
        memcpy(&x, e, 8);
        y = x ^ (0x7f * ones);
        uint64_t stop = (((x - 0x21 * ones) & ~x) | ((y - ones) & ~y)) & high;
        if (stop)
            return e + __builtin_ctzll(stop) / 8;
        e += 8;
    }
#endif
    while (e < end && (unsigned char)*e > 0x20 && *e != 0x7f)
        e++;
    return e;
}

/* The line at p in nm's shape ("<16 or 8 hex> <type> <name>\n"), taken at
 * its fixed positions: returns its '\n', or NULL for any other line (with
 * a blank, CR or control byte after the name, an empty or too long name,
 * or no '\n' before end), which the caller parses in full.  It must take
 * exactly the lines parse_line takes, with the same name: every address
 * digit is checked (an 8-digit line can have a blank at column 16 too, and
 * would otherwise lend its tail as the name).  For nm's lines the scan for
 * the name's end is the scan for the line's end, so most lines are read
 * once.  Reads only [p, end). */
static const char *quick_line(finder_t *f, const char *p, const char *end)
{
    size_t w = fixed_width(p, (size_t)(end - p));
    if (!w || p[w + 2] != ' ' || !sym_type(p[w + 1]))
        return NULL;
    const char *name = p + w + 3, *e = name_end(name, end);
    size_t len = (size_t)(e - name);
    if (e == end || *e != '\n' || len == 0 || len >= LX_SYM_NAME_MAX)
        return NULL;
    f->lines++;
    f->good++;
    if (f->left && may_want(f, name, len))
        match(f, p, e, name, len);
    return e;
}

/* Every whole line of [p, end); returns where the unfinished one starts. */
static const char *find_lines(finder_t *f, const char *p, const char *end)
{
    const char *nl;
    while (p < end) {
        if (!(nl = quick_line(f, p, end))) {
            if (!(nl = memchr(p, '\n', (size_t)(end - p))))
                break;
            find_line(f, p, nl);
        }
        p = nl + 1;
    }
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
    util_err_clear(err);
    if (path) {
        if (find_file(&f, path, err) != VMI_SUCCESS)
            return VMI_FAILURE;
    } else {
        const char *p = find_lines(&f, text, text + len);
        if (p < text + len)
            find_line(&f, p, text + len);
    }
    return verdict(err, path ? path : "text", f.good, f.bad, f.lines, f.first_bad);
}
