/*
 * embed.c - vmi-embed's generator (tinyvmi.h: tvmi_embed_generate): one
 * libvmi.conf entry and a kernel's symbols (System.map, kallsyms text or a
 * Linux ISF profile) into one C source file that defines an embedded entry
 * (core/embed.c finds it at init; util/symz.c is the table's format).
 *
 * The entry's keys are written back as a config body, less `sysmap`, whose
 * file is read here and compiled in instead.  From an ISF profile the
 * process offsets the entry lacks are taken too (task_struct and mm_struct
 * members), so a program needs neither the profile nor the map at run
 * time.  Byte arrays are written as string literals, which compilers read
 * much faster than lists of numbers.
 *
 * It must not open a guest: this runs where the program is built.
 */
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "os/isf.h"
#include "os/linux/linux.h"
#include "util/symz.h"
#include "util/sys.h"

typedef struct body {
    char *text;
    size_t len, cap;
    bool oom;
    const char *sysmap; /* the entry's sysmap value (owned by the config) */
    char sysmap_copy[4096];
    bool has[LX_OFF_COUNT];
} body_t;

static void body_add(body_t *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 1024;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *t = realloc(b->text, cap);
        if (!t) {
            b->oom = true;
            return;
        }
        b->text = t;
        b->cap = cap;
    }
    memcpy(b->text + b->len, s, n);
    b->len += n;
    b->text[b->len] = '\0';
}

static void body_key(body_t *b, const char *k, const char *v)
{
    body_add(b, k, strlen(k));
    body_add(b, " = \"", 4);
    body_add(b, v, strlen(v));
    body_add(b, "\";\n", 3);
}

static void take_key(void *ctx, const char *k, const char *v)
{
    body_t *b = ctx;
    if (strcmp(k, "sysmap") == 0) {
        snprintf(b->sysmap_copy, sizeof(b->sysmap_copy), "%s", v);
        b->sysmap = b->sysmap_copy;
        return;
    }
    for (lx_off_t i = 0; i < LX_OFF_COUNT; i++)
        if (strcmp(k, lx_off_desc[i].key) == 0)
            b->has[i] = true;
    body_key(b, k, v);
}

/* Bytes as C string literals of about 80 columns (a printable byte as
 * itself, quote, backslash and newline escaped, the rest as three-digit
 * octal, so no digit can extend it). */
static bool put_literal(void *out, const unsigned char *p, size_t n)
{
    /* A line at a time: 4 + 1 + at most 76 + 3 columns + the line break. */
    char line[96] = "    \"";
    size_t col = 0, len = 5;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = p[i];
        int w;
        if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\' && c != '?') {
            line[len] = (char)c;
            w = 1;
        } else if (c == '"' || c == '\\' || c == '\n') {
            w = snprintf(line + len, sizeof(line) - len, "\\%c", c == '\n' ? 'n' : c);
        } else {
            w = snprintf(line + len, sizeof(line) - len, "\\%03o", c);
        }
        col += (size_t)w;
        len += (size_t)w;
        if ((col >= 76 || c == '\n') && i + 1 < n) {
            util_sys_write(out, line, len);
            util_sys_write(out, "\"\n    \"", 7);
            col = len = 0;
        }
    }
    line[len++] = '"';
    util_sys_write(out, line, len);
    return true;
}

static bool c_identifier(const char *s)
{
    if (!s || !*s || (*s >= '0' && *s <= '9'))
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '_'))
            return false;
    return true;
}

/* Symbols of an ISF profile, and the offsets the entry lacks. */
static util_symz_in_t *isf_symbols(isf_t *isf, body_t *b, size_t *n, util_err_t *err)
{
    size_t count = isf_symbol_count(isf), k = 0;
    util_symz_in_t *in = malloc((count ? count : 1) * sizeof(*in));
    if (!in) {
        util_err_set(err, "out of memory");
        return NULL;
    }
    for (size_t i = 0; i < count; i++) {
        const char *name;
        size_t len;
        uint64_t a;
        bool fn;
        if (!isf_symbol_i(isf, i, &name, &len, &a, &fn) || len == 0 ||
            len >= UTIL_SYMZ_NAME_MAX)
            continue;
        in[k++] = (util_symz_in_t){ name, (uint32_t)len, a, fn ? 'T' : 'D' };
    }
    *n = k;
    for (lx_off_t i = 0; i < LX_OFF_COUNT; i++) {
        const lx_off_desc_t *d = &lx_off_desc[i];
        uint64_t off;
        util_err_t e;
        char v[32];
        if (b->has[i] || i >= LX_OFF_MOD_LIST)
            continue;
        if (!isf_member_offset(isf, d->strct, d->member, &off, &e) &&
            !(d->alt && isf_member_offset(isf, d->strct, d->alt, &off, &e)))
            continue;
        snprintf(v, sizeof(v), "0x%llx", (unsigned long long)off);
        body_key(b, d->key, v);
    }
    return in;
}

/* Symbols of a System.map or kallsyms text, in file order. */
static util_symz_in_t *text_symbols(lx_symtab_t *t, const char *path, bool modules, size_t *n,
                                    util_err_t *err)
{
    if (lx_sysmap_read(t, path, modules, err) != VMI_SUCCESS)
        return NULL;
    if (!lx_symtab_finish(t)) {
        util_err_set(err, "out of memory");
        return NULL;
    }
    size_t count = lx_symtab_count(t);
    util_symz_in_t *in = malloc((count ? count : 1) * sizeof(*in));
    if (!in) {
        util_err_set(err, "out of memory");
        return NULL;
    }
    for (size_t i = 0; i < count; i++) {
        size_t len = 0;
        lx_symtab_get_added(t, i, &in[i].name, &len, &in[i].addr, &in[i].type);
        in[i].len = (uint32_t)len;
    }
    *n = count;
    return in;
}

static status_t generate(const tvmi_embed_spec_t *spec, FILE *out)
{
    static const char fn[] = "tvmi_embed_generate";
    util_err_t err;
    body_t b;
    status_t rc = VMI_FAILURE;
    lx_symtab_t *t = NULL;
    isf_t *isf = NULL;
    util_symz_in_t *in = NULL;
    uint8_t *table = NULL;
    size_t n = 0, tlen = 0;

    if (!spec || !out || !spec->config) {
        core_api_no_instance(fn, "a required argument is NULL (spec, out, spec->config)");
        return VMI_FAILURE;
    }
    bool reg_only = spec->flags & TVMI_EMBED_REGISTER_ONLY;
    if (reg_only && !c_identifier(spec->variable)) {
        core_api_no_instance(fn, "TVMI_EMBED_REGISTER_ONLY needs a C identifier as variable "
                                 "(got \"%s\")", spec->variable ? spec->variable : "(null)");
        return VMI_FAILURE;
    }
    /* No entry named: the file's first, embedded for any target. */
    const char *name = spec->name ? spec->name : spec->entry ? spec->entry : "*";
    if (!name || !*name || strlen(name) > 255 || strchr(name, '"') || strchr(name, '\\')) {
        core_api_no_instance(fn, "the embedded entry needs a name of 1..255 bytes without "
                                 "quotes or backslashes (give the entry or a name)");
        return VMI_FAILURE;
    }
    memset(&b, 0, sizeof(b));
    util_err_clear(&err);
    if (!core_config_file_entry(spec->config, spec->entry, take_key, &b, &err)) {
        core_api_no_instance(fn, "%s", util_err_msg(&err));
        goto done;
    }
    const char *sym_path = spec->symbols ? spec->symbols : b.sysmap;
    tvmi_symbols_kind_t kind = spec->kind;
    if (spec->flags & TVMI_EMBED_NO_SYMBOLS) {
        sym_path = NULL;
        kind = TVMI_SYMBOLS_NONE;
    }
    if (sym_path && kind == TVMI_SYMBOLS_NONE)
        kind = TVMI_SYMBOLS_SYSMAP; /* the entry's own sysmap */
    if (spec->symbols && spec->kind == TVMI_SYMBOLS_NONE && !(spec->flags & TVMI_EMBED_NO_SYMBOLS)) {
        core_api_no_instance(fn, "a symbol file is given but not its kind");
        goto done;
    }
    if (kind != TVMI_SYMBOLS_NONE && !sym_path) {
        core_api_no_instance(fn, "no symbol file given and the entry has no sysmap");
        goto done;
    }
    if (kind == TVMI_SYMBOLS_ISF) {
        if (!(isf = isf_load_file(sym_path, &err)) ||
            !(in = isf_symbols(isf, &b, &n, &err))) {
            core_api_no_instance(fn, "%s", util_err_msg(&err));
            goto done;
        }
        if (isf_os(isf) != ISF_OS_LINUX) {
            core_api_no_instance(fn, "%s is not a Linux ISF profile (no metadata.linux)",
                                 sym_path);
            goto done;
        }
    } else if (kind == TVMI_SYMBOLS_SYSMAP || kind == TVMI_SYMBOLS_KALLSYMS) {
        if (!(t = lx_symtab_new())) {
            core_api_no_instance(fn, "out of memory");
            goto done;
        }
        bool mods = kind == TVMI_SYMBOLS_KALLSYMS && (spec->flags & TVMI_EMBED_MODULE_SYMBOLS);
        if (!(in = text_symbols(t, sym_path, mods, &n, &err))) {
            core_api_no_instance(fn, "%s", util_err_msg(&err));
            goto done;
        }
    } else if (kind != TVMI_SYMBOLS_NONE) {
        core_api_no_instance(fn, "unknown symbol file kind %d", (int)kind);
        goto done;
    }
    if (in && !(table = util_symz_build(in, n, &tlen, &err))) {
        core_api_no_instance(fn, "%s: %s", sym_path, util_err_msg(&err));
        goto done;
    }
    if (b.oom) {
        core_api_no_instance(fn, "out of memory");
        goto done;
    }
    const char *var = reg_only ? spec->variable : "tvmi_embedded_entry";
    bool ok = util_sys_printf(out, "/*\n * Generated by vmi-embed: the libvmi.conf entry %s "
                                   "of %s%s%s",
                              spec->entry ? spec->entry : "(first)", spec->config,
                              sym_path ? " and the symbols of " : "", sym_path ? sym_path : "");
    if (ok && table)
        ok = util_sys_printf(out, "\n * (%zu symbols in a %zu-byte table, %.1f bytes a symbol)",
                             n, tlen, (double)tlen / (double)n);
    ok = ok && util_sys_printf(out, ".\n * Do not edit; docs/minimal-domain.md says how it is "
                                    "used.\n */\n#include <libvmi/libvmi.h>\n\n"
                                    "static const char %s_config[] =\n", var);
    ok = ok && put_literal(out, (const unsigned char *)(b.text ? b.text : ""), b.len) &&
         util_sys_printf(out, ";\n\n");
    if (ok && table)
        ok = util_sys_printf(out, "static const unsigned char %s_symbols[%zu] =\n", var, tlen) &&
             put_literal(out, table, tlen) && util_sys_printf(out, ";\n\n");
    ok = ok && util_sys_printf(out, "%sextern const tvmi_embedded_t %s;\n"
                                    "const tvmi_embedded_t %s = {\n    TVMI_EMBED_MAGIC, "
                                    "TVMI_EMBED_VERSION, \"%s\", %s_config,\n",
                               reg_only ? "/* Pass to tvmi_embed_register. */\n"
                                        : "/* Found by TinyVMI when linked in: no call "
                                          "needed. */\n",
                               var, var, name, var);
    if (ok && table)
        ok = util_sys_printf(out, "    %s_symbols, sizeof(%s_symbols),\n};\n", var, var);
    else if (ok)
        ok = util_sys_printf(out, "    NULL, 0,\n};\n");
    if (!util_sys_flush(out) || !ok) {
        core_api_no_instance(fn, "writing the C file failed");
        goto done;
    }
    rc = VMI_SUCCESS;
done:
    free(b.text);
    free(in);
    free(table);
    lx_symtab_free(t);
    isf_free(isf);
    return rc;
}

status_t tvmi_embed_generate(const tvmi_embed_spec_t *spec, FILE *out)
{
    CORE_API(NULL, generate(spec, out));
}
