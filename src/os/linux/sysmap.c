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
 * It must not touch guest memory or the instance: text in, index out.
 */
#include "os/linux/linux.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "util/strutil.h"

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

status_t lx_sysmap_parse(lx_symtab_t *t, const char *text, size_t len, util_err_t *err)
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
            } else if (!module) {
                if (!lx_symtab_add(t, name, nlen, addr, type)) {
                    util_err_set(err, "System.map: out of memory at line %zu", lines);
                    return VMI_FAILURE;
                }
                added++;
            }
        }
        p = nl ? nl + 1 : end;
    }
    if (added == 0) {
        if (bad)
            util_err_set(err, "System.map: no symbol lines (line %zu is not "
                              "\"<hex address> <type> <name>\")", first_bad);
        else
            util_err_set(err, "System.map: empty");
        return VMI_FAILURE;
    }
    /* A few odd lines are tolerated (hand-edited maps); a file that is mostly
     * something else is not a System.map. */
    if (bad > added) {
        util_err_set(err, "System.map: %zu of %zu lines are not symbol lines "
                          "(first at line %zu)", bad, lines, first_bad);
        return VMI_FAILURE;
    }
    return VMI_SUCCESS;
}

status_t lx_sysmap_load(lx_symtab_t *t, const char *path, util_err_t *err)
{
    FILE *f = fopen(path, "rb");
    struct stat sb;
    if (!f) {
        util_err_set(err, "cannot open System.map %s: %s", path, strerror(errno));
        return VMI_FAILURE;
    }
    if (fstat(fileno(f), &sb) != 0 || !S_ISREG(sb.st_mode)) {
        util_err_set(err, "System.map %s is not a regular file", path);
        fclose(f);
        return VMI_FAILURE;
    }
    if ((uint64_t)sb.st_size > LX_SYSMAP_MAX) {
        util_err_set(err, "System.map %s is %lld bytes, more than the %u allowed", path,
                     (long long)sb.st_size, LX_SYSMAP_MAX);
        fclose(f);
        return VMI_FAILURE;
    }
    size_t size = (size_t)sb.st_size;
    char *buf = malloc(size ? size : 1);
    if (!buf) {
        util_err_set(err, "System.map %s: out of memory", path);
        fclose(f);
        return VMI_FAILURE;
    }
    size_t got = fread(buf, 1, size, f);
    fclose(f);
    if (got != size) {
        util_err_set(err, "System.map %s: read %zu of %zu bytes", path, got, size);
        free(buf);
        return VMI_FAILURE;
    }
    status_t rc = lx_sysmap_parse(t, buf, size, err);
    if (rc != VMI_SUCCESS)
        util_err_prefix(err, "%s", path);
    free(buf);
    return rc;
}
