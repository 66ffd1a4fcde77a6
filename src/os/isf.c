/*
 * isf.c - reading Volatility 3 ISF symbol tables (see isf.h for the fields).
 *
 * The JSON tree is kept as parsed; lookups walk it on demand, which is fast
 * because util_json indexes large objects (user_types, symbols).  Only the
 * reverse symbol index (address -> name) is built here, lazily.
 *
 * Must not: trust a value before checking its JSON type and range, or
 * follow type descriptors without a depth limit.
 */
#include "os/isf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/json.h"

/* Deepest dotted member path and deepest chain of type descriptors we
 * follow: real tables need a handful; more means a malformed table. */
#define ISF_PATH_MAX 16
#define ISF_TYPE_DEPTH 32
/* Anonymous structs within anonymous structs: how deep a member is looked
 * for, and how many fields one lookup may look at in all (a hostile table
 * could nest wide anonymous members to make the search exponential). */
#define ISF_ANON_DEPTH 8
#define ISF_ANON_BUDGET 65536u

typedef struct sym_addr {
    uint64_t address;
    const char *name;
} sym_addr_t;

struct isf {
    util_json_doc_t *doc;
    const util_json_t *metadata, *base_types, *user_types, *enums, *symbols;
    isf_os_t os;
    char name[256];
    char *banner;      /* decoded linux_banner, or NULL */
    sym_addr_t *by_addr;
    size_t nby_addr;
    bool by_addr_built;
};

/* ---- Loading ---- */

static bool check_format(const char *fmt, util_err_t *err)
{
    unsigned major = 0;
    const char *p = fmt;
    if (!fmt || *p < '0' || *p > '9') {
        util_err_set(err, "metadata.format is missing or not a version string");
        return false;
    }
    while (*p >= '0' && *p <= '9' && major < 1000)
        major = major * 10 + (unsigned)(*p++ - '0');
    if (*p != '.') {
        util_err_set(err, "metadata.format \"%.32s\" is not a version string", fmt);
        return false;
    }
    if (major < 4 || major > 6) {
        util_err_set(err, "ISF format %.32s is not supported (major versions 4 to 6 are)", fmt);
        return false;
    }
    return true;
}

static isf_t *isf_from_doc(util_json_doc_t *doc, const char *name, util_err_t *err)
{
    isf_t *isf = calloc(1, sizeof(*isf));
    if (!isf) {
        util_json_free(doc);
        util_err_set(err, "%s: out of memory", name);
        return NULL;
    }
    isf->doc = doc;
    snprintf(isf->name, sizeof(isf->name), "%s", name);
    const util_json_t *root = util_json_root(doc);
    if (util_json_type(root) != UTIL_JSON_OBJECT) {
        util_err_set(err, "%s: not an ISF symbol table (top level is %s, not an object)",
                     name, util_json_type_name(util_json_type(root)));
        goto fail;
    }
    static const char *const parts[] = { "metadata", "base_types", "user_types",
                                         "enums", "symbols" };
    const util_json_t **slots[] = { &isf->metadata, &isf->base_types, &isf->user_types,
                                    &isf->enums, &isf->symbols };
    for (size_t i = 0; i < 5; i++) {
        const util_json_t *v = util_json_get(root, parts[i]);
        if (util_json_type(v) != UTIL_JSON_OBJECT) {
            util_err_set(err, "%s: not an ISF symbol table (\"%s\" %s)", name, parts[i],
                         v ? "is not an object" : "is missing");
            goto fail;
        }
        *slots[i] = v;
    }
    if (!check_format(util_json_str(util_json_get(isf->metadata, "format"), NULL), err)) {
        util_err_prefix(err, "%s", name);
        goto fail;
    }
    if (util_json_get(isf->metadata, "windows"))
        isf->os = ISF_OS_WINDOWS;
    else if (util_json_get(isf->metadata, "linux"))
        isf->os = ISF_OS_LINUX;
    else if (util_json_get(isf->metadata, "mac"))
        isf->os = ISF_OS_MAC;
    return isf;
fail:
    isf_free(isf);
    return NULL;
}

isf_t *isf_load_file(const char *path, util_err_t *err)
{
    util_json_doc_t *doc = util_json_parse_file(path, NULL, err);
    if (!doc)
        return NULL;
    return isf_from_doc(doc, path, err);
}

isf_t *isf_load_text(const char *text, size_t len, const char *name, util_err_t *err)
{
    if (!name)
        name = "(built-in symbol table)";
    util_json_doc_t *doc = util_json_parse(text, len, NULL, err);
    if (!doc) {
        util_err_prefix(err, "%s", name);
        return NULL;
    }
    return isf_from_doc(doc, name, err);
}

void isf_free(isf_t *isf)
{
    if (!isf)
        return;
    util_json_free(isf->doc);
    free(isf->banner);
    free(isf->by_addr);
    free(isf);
}

const char *isf_name(const isf_t *isf)
{
    return isf ? isf->name : "";
}

isf_os_t isf_os(const isf_t *isf)
{
    return isf ? isf->os : ISF_OS_UNKNOWN;
}

unsigned isf_pointer_size(const isf_t *isf)
{
    uint64_t size;
    if (!isf || !util_json_u64(util_json_get(util_json_get(isf->base_types, "pointer"),
                                             "size"), &size))
        return 0;
    return size == 4 || size == 8 ? (unsigned)size : 0;
}

/* ---- Metadata ---- */

bool isf_windows_pdb(const isf_t *isf, isf_pdb_t *out, util_err_t *err)
{
    const util_json_t *pdb = util_json_get(util_json_get(isf ? isf->metadata : NULL,
                                                         "windows"), "pdb");
    if (!pdb) {
        util_err_set(err, "%s: no metadata.windows.pdb (not a Windows kernel table)",
                     isf_name(isf));
        return false;
    }
    memset(out, 0, sizeof(*out));
    const char *guid = util_json_str(util_json_get(pdb, "GUID"), NULL);
    uint64_t age;
    if (!guid || !util_json_u64(util_json_get(pdb, "age"), &age) || age > UINT32_MAX) {
        util_err_set(err, "%s: metadata.windows.pdb needs a GUID string and an age",
                     isf_name(isf));
        return false;
    }
    /* Accept "{...}", dashes and either case; keep 32 upper-case digits. */
    size_t n = 0;
    for (const char *p = guid; *p; p++) {
        char c = *p;
        if (c == '-' || c == '{' || c == '}')
            continue;
        if (c >= 'a' && c <= 'f')
            c = (char)(c - 'a' + 'A');
        if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'F')) || n >= 32) {
            util_err_set(err, "%s: metadata.windows.pdb.GUID \"%.64s\" is not 32 hex digits",
                         isf_name(isf), guid);
            return false;
        }
        out->guid[n++] = c;
    }
    if (n != 32) {
        util_err_set(err, "%s: metadata.windows.pdb.GUID \"%.64s\" is not 32 hex digits",
                     isf_name(isf), guid);
        return false;
    }
    out->guid[32] = '\0';
    out->age = (uint32_t)age;
    const char *db = util_json_str(util_json_get(pdb, "database"), NULL);
    if (db)
        snprintf(out->database, sizeof(out->database), "%s", db);
    uint64_t machine;
    if (util_json_u64(util_json_get(pdb, "machine_type"), &machine) && machine <= UINT32_MAX)
        out->machine = (uint32_t)machine;
    return true;
}

bool isf_windows_pe_version(const isf_t *isf, uint32_t *major, uint32_t *minor,
                            uint32_t *revision, uint32_t *build)
{
    const util_json_t *pe = util_json_get(util_json_get(isf ? isf->metadata : NULL,
                                                        "windows"), "pe");
    uint64_t v[4] = { 0, 0, 0, 0 };
    static const char *const keys[] = { "major", "minor", "revision", "build" };
    if (!pe)
        return false;
    for (int i = 0; i < 4; i++) {
        const util_json_t *f = util_json_get(pe, keys[i]);
        if (f && (!util_json_u64(f, &v[i]) || v[i] > UINT32_MAX))
            return false;
        if (!f && i < 3)
            return false; /* major, minor, revision are required */
    }
    *major = (uint32_t)v[0];
    *minor = (uint32_t)v[1];
    *revision = (uint32_t)v[2];
    *build = (uint32_t)v[3];
    return true;
}

static int b64val(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

/* Strict base64 (RFC 4648, with padding); NULL when malformed. */
static char *b64_decode(const char *s, size_t len)
{
    if (len % 4)
        return NULL;
    char *out = malloc(len / 4 * 3 + 1);
    if (!out)
        return NULL;
    size_t n = 0;
    for (size_t i = 0; i < len; i += 4) {
        int v[4];
        int pad = 0;
        for (int k = 0; k < 4; k++) {
            if (s[i + k] == '=' && i + 4 == len && k >= 2) {
                v[k] = 0;
                pad++;
            } else if (pad || (v[k] = b64val(s[i + k])) < 0) {
                free(out);
                return NULL;
            }
        }
        uint32_t w = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 |
                     (uint32_t)v[3];
        out[n++] = (char)(w >> 16);
        if (pad < 2)
            out[n++] = (char)(w >> 8 & 0xff);
        if (pad < 1)
            out[n++] = (char)(w & 0xff);
    }
    out[n] = '\0';
    return out;
}

const char *isf_linux_banner(const isf_t *isf)
{
    if (!isf)
        return NULL;
    if (!isf->banner) {
        size_t len;
        const char *b64 = util_json_str(util_json_get(util_json_get(isf->symbols,
                                                                    "linux_banner"),
                                                      "constant_data"), &len);
        if (!b64)
            return NULL;
        /* The cache is filled once; the table is otherwise read-only. */
        ((isf_t *)isf)->banner = b64_decode(b64, len);
    }
    return isf->banner;
}

/* ---- Symbols ---- */

bool isf_symbol(const isf_t *isf, const char *name, uint64_t *address, util_err_t *err)
{
    const util_json_t *sym = util_json_get(isf ? isf->symbols : NULL, name);
    if (!sym) {
        util_err_set(err, "symbol %s is not in %s", name ? name : "(null)", isf_name(isf));
        return false;
    }
    if (!util_json_u64(util_json_get(sym, "address"), address)) {
        util_err_set(err, "%s: symbol %s has no unsigned integer address", isf_name(isf), name);
        return false;
    }
    return true;
}

static int sym_addr_cmp(const void *a, const void *b)
{
    const sym_addr_t *x = a, *y = b;
    if (x->address != y->address)
        return x->address < y->address ? -1 : 1;
    return strcmp(x->name, y->name); /* stable answer for aliases */
}

const char *isf_symbol_at(isf_t *isf, uint64_t address)
{
    if (!isf)
        return NULL;
    if (!isf->by_addr_built) {
        isf->by_addr_built = true;
        size_t n = util_json_count(isf->symbols);
        isf->by_addr = n ? malloc(n * sizeof(*isf->by_addr)) : NULL;
        if (!isf->by_addr)
            return NULL;
        for (size_t i = 0; i < n; i++) {
            uint64_t a;
            if (!util_json_u64(util_json_get(util_json_at(isf->symbols, i), "address"), &a))
                continue;
            isf->by_addr[isf->nby_addr].address = a;
            isf->by_addr[isf->nby_addr].name = util_json_key_at(isf->symbols, i, NULL);
            isf->nby_addr++;
        }
        qsort(isf->by_addr, isf->nby_addr, sizeof(*isf->by_addr), sym_addr_cmp);
    }
    size_t lo = 0, hi = isf->nby_addr;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (isf->by_addr[mid].address < address)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < isf->nby_addr && isf->by_addr[lo].address == address)
        return isf->by_addr[lo].name;
    return NULL;
}

/* ---- Types ---- */

/* Size of what a type descriptor describes, following names into the
 * tables; 0 when unknown (functions, void, damaged entries). */
static uint64_t desc_size(const isf_t *isf, const util_json_t *desc, unsigned depth)
{
    if (!desc || depth > ISF_TYPE_DEPTH)
        return 0;
    const char *kind = util_json_str(util_json_get(desc, "kind"), NULL);
    const char *name = util_json_str(util_json_get(desc, "name"), NULL);
    uint64_t v = 0;
    if (!kind)
        return 0;
    if (!strcmp(kind, "pointer"))
        return isf_pointer_size(isf);
    if (!strcmp(kind, "base")) {
        util_json_u64(util_json_get(util_json_get(isf->base_types, name), "size"), &v);
        return v;
    }
    if (!strcmp(kind, "struct") || !strcmp(kind, "union") || !strcmp(kind, "class")) {
        util_json_u64(util_json_get(util_json_get(isf->user_types, name), "size"), &v);
        return v;
    }
    if (!strcmp(kind, "enum")) {
        util_json_u64(util_json_get(util_json_get(isf->enums, name), "size"), &v);
        return v;
    }
    if (!strcmp(kind, "bitfield"))
        return desc_size(isf, util_json_get(desc, "type"), depth + 1);
    if (!strcmp(kind, "array")) {
        uint64_t count, elem = desc_size(isf, util_json_get(desc, "subtype"), depth + 1);
        if (!util_json_u64(util_json_get(desc, "count"), &count))
            return 0;
        if (elem && count > UINT64_MAX / elem)
            return 0;
        return elem * count;
    }
    return 0;
}

bool isf_type_size(const isf_t *isf, const char *type, uint64_t *size, util_err_t *err)
{
    const util_json_t *tables[3] = { isf ? isf->user_types : NULL,
                                     isf ? isf->base_types : NULL,
                                     isf ? isf->enums : NULL };
    for (int i = 0; i < 3; i++) {
        const util_json_t *t = util_json_get(tables[i], type);
        if (!t)
            continue;
        if (!util_json_u64(util_json_get(t, "size"), size)) {
            util_err_set(err, "%s: type %s has no unsigned integer size", isf_name(isf), type);
            return false;
        }
        return true;
    }
    util_err_set(err, "type %s is not in %s", type ? type : "(null)", isf_name(isf));
    return false;
}

static void describe(const isf_t *isf, const util_json_t *desc, isf_member_t *out)
{
    const char *kind = util_json_str(util_json_get(desc, "kind"), NULL);
    snprintf(out->kind, sizeof(out->kind), "%s", kind ? kind : "");
    const util_json_t *named = desc;
    if (kind && !strcmp(kind, "bitfield")) {
        uint64_t pos = 0, len = 0;
        util_json_u64(util_json_get(desc, "bit_position"), &pos);
        util_json_u64(util_json_get(desc, "bit_length"), &len);
        out->bit_position = pos < 64 ? (unsigned)pos : 0;
        out->bit_length = len <= 64 ? (unsigned)len : 0;
        named = util_json_get(desc, "type");
    }
    if (kind && !strcmp(kind, "array"))
        util_json_u64(util_json_get(desc, "count"), &out->count);
    const char *name = util_json_str(util_json_get(named, "name"), NULL);
    snprintf(out->type_name, sizeof(out->type_name), "%s", name ? name : "");
    out->type_ref = name;
    out->size = desc_size(isf, desc, 0);
}

/* The name of the struct, union or class a field's descriptor holds by
 * value (not through a pointer); NULL for any other kind. */
static const char *by_value_name(const util_json_t *desc)
{
    const char *kind = util_json_str(util_json_get(desc, "kind"), NULL);
    const char *name = util_json_str(util_json_get(desc, "name"), NULL);
    if (!kind || !name ||
        (strcmp(kind, "struct") && strcmp(kind, "union") && strcmp(kind, "class")))
        return NULL;
    return name;
}

/* Member name[0, len) of user type `type`: one of its fields, or a field
 * of one of its anonymous struct or union members (dwarf2json marks them
 * "anonymous" and names them unnamed_field_N), whose offset is added to
 * *extra.  *budget counts the fields looked at. */
static const util_json_t *find_field(const isf_t *isf, const util_json_t *type, const char *name,
                                     size_t len, unsigned depth, unsigned *budget,
                                     uint64_t *extra)
{
    const util_json_t *fields = util_json_get(type, "fields");
    const util_json_t *f = util_json_getn(fields, name, len);
    size_t n = util_json_count(fields);

    if (f || depth >= ISF_ANON_DEPTH)
        return f;
    for (size_t i = 0; i < n && *budget; i++, (*budget)--) {
        const util_json_t *cand = util_json_at(fields, i), *sub, *hit;
        size_t klen = 0;
        const char *key = util_json_key_at(fields, i, &klen);
        bool anon = false;
        uint64_t off, inner = 0;

        util_json_bool(util_json_get(cand, "anonymous"), &anon);
        if (!anon && !(key && klen > 13 && !strncmp(key, "unnamed_field", 13)))
            continue;
        if (!(sub = util_json_get(isf->user_types, by_value_name(util_json_get(cand, "type")))) ||
            !util_json_u64(util_json_get(cand, "offset"), &off))
            continue;
        hit = find_field(isf, sub, name, len, depth + 1, budget, &inner);
        if (hit && off <= UINT64_MAX - inner) {
            *extra = off + inner;
            return hit;
        }
    }
    return NULL;
}

bool isf_member(const isf_t *isf, const char *strct, const char *member,
                isf_member_t *out, util_err_t *err)
{
    if (!isf || !strct || !member) {
        util_err_set(err, "no symbol table, struct or member given");
        return false;
    }
    const char *cur_type = strct;
    char cur_buf[128];
    uint64_t total = 0;
    const char *p = member;
    for (unsigned step = 0;; step++) {
        if (step >= ISF_PATH_MAX) {
            util_err_set(err, "%s: member path %.128s is too deep", isf_name(isf), member);
            return false;
        }
        const char *dot = strchr(p, '.');
        size_t len = dot ? (size_t)(dot - p) : strlen(p);
        const util_json_t *type = util_json_get(isf->user_types, cur_type);
        if (!type) {
            util_err_set(err, "struct %s is not in %s", cur_type, isf_name(isf));
            return false;
        }
        unsigned budget = ISF_ANON_BUDGET;
        uint64_t anon_off = 0;
        const util_json_t *field = find_field(isf, type, p, len, 0, &budget, &anon_off);
        if (!field) {
            util_err_set(err, "%s: struct %s has no member %.*s", isf_name(isf), cur_type,
                         (int)len, p);
            return false;
        }
        uint64_t off;
        if (!util_json_u64(util_json_get(field, "offset"), &off)) {
            util_err_set(err, "%s: %s.%.*s has no unsigned integer offset", isf_name(isf),
                         cur_type, (int)len, p);
            return false;
        }
        if (off > UINT64_MAX - anon_off || off + anon_off > UINT64_MAX - total) {
            util_err_set(err, "%s: offset of %s.%.128s overflows", isf_name(isf), strct, member);
            return false;
        }
        total += off + anon_off;
        const util_json_t *desc = util_json_get(field, "type");
        if (!dot) {
            memset(out, 0, sizeof(*out));
            describe(isf, desc, out);
            out->offset = total;
            return true;
        }
        /* Step into a nested struct: only by value, never through a pointer,
         * so the offsets still add up within one object. */
        const char *name = by_value_name(desc);
        if (!name) {
            util_err_set(err, "%s: %s.%.*s is not a nested struct, so it has no members",
                         isf_name(isf), cur_type, (int)len, p);
            return false;
        }
        snprintf(cur_buf, sizeof(cur_buf), "%s", name);
        cur_type = cur_buf;
        p = dot + 1;
    }
}

bool isf_member_offset(const isf_t *isf, const char *strct, const char *member,
                       uint64_t *offset, util_err_t *err)
{
    isf_member_t m;
    if (!isf_member(isf, strct, member, &m, err))
        return false;
    *offset = m.offset;
    return true;
}

bool isf_enum_value(const isf_t *isf, const char *enm, const char *name,
                    int64_t *value, util_err_t *err)
{
    const util_json_t *e = util_json_get(isf ? isf->enums : NULL, enm);
    if (!e) {
        util_err_set(err, "enum %s is not in %s", enm ? enm : "(null)", isf_name(isf));
        return false;
    }
    const util_json_t *c = util_json_get(util_json_get(e, "constants"), name);
    if (!c) {
        util_err_set(err, "%s: enum %s has no constant %s", isf_name(isf), enm,
                     name ? name : "(null)");
        return false;
    }
    if (!util_json_i64(c, value)) {
        util_err_set(err, "%s: enum constant %s.%s is not an integer", isf_name(isf), enm, name);
        return false;
    }
    return true;
}

size_t isf_symbol_count(const isf_t *isf)
{
    return isf ? util_json_count(isf->symbols) : 0;
}

bool isf_symbol_i(const isf_t *isf, size_t i, const char **name, size_t *len, uint64_t *address,
                  bool *function)
{
    const util_json_t *sym = isf ? util_json_at(isf->symbols, i) : NULL;
    const char *n = sym ? util_json_key_at(isf->symbols, i, len) : NULL;
    if (!n || !util_json_u64(util_json_get(sym, "address"), address))
        return false;
    const char *kind = util_json_str(util_json_get(util_json_get(sym, "type"), "kind"), NULL);
    *name = n;
    *function = kind && strcmp(kind, "function") == 0;
    return true;
}
