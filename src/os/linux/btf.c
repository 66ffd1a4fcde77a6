/*
 * btf.c - structure offsets from the kernel's BTF (BPF Type Format), so that
 * a kernel built with CONFIG_DEBUG_INFO_BTF can be introspected with no
 * configuration at all.
 *
 * Format (Documentation/bpf/btf.rst): a header {u16 magic 0xeB9F, u8
 * version 1, u8 flags, u32 hdr_len, u32 type_off, type_len, str_off,
 * str_len} with section offsets counted from the end of the header; a type
 * section of variable-size records (struct btf_type: name_off, info = kind
 * << 24 | vlen, size-or-type) each followed by kind-specific data; a string
 * section of NUL-terminated names.  Type id 0 is void, ids count up from 1
 * in record order.
 *
 * The blob comes from guest memory, so every offset, id and count is
 * checked before use and every recursion (anonymous members, typedef
 * chains, array element sizes) has a depth limit.  Pure: no vmi instance.
 *
 * It must not allocate per lookup or trust an offset it has not checked.
 */
#include "os/linux/linux.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "util/hash.h"
#include "util/bytes.h"
#include "util/strutil.h"
#include "util/sys.h"

enum {
    K_INT = 1, K_PTR, K_ARRAY, K_STRUCT, K_UNION, K_ENUM, K_FWD, K_TYPEDEF, K_VOLATILE,
    K_CONST, K_RESTRICT, K_FUNC, K_FUNC_PROTO, K_VAR, K_DATASEC, K_FLOAT, K_DECL_TAG,
    K_TYPE_TAG, K_ENUM64,
};

#define BTF_HDR_MIN 24
#define BTF_MAX_TYPES (1u << 20)  /* the format's own limit (BTF_MAX_TYPE) */
#define BTF_DEPTH 32
/* Members visited in one search through anonymous members.  The depth limit
 * alone does not bound the work: a struct whose many anonymous members are
 * the struct itself makes the search exponential in the depth.  A real
 * task_struct, anonymous parts included, has a few hundred members. */
#define BTF_MEMBER_BUDGET 100000u

struct lx_btf {
    const uint8_t *data;
    uint8_t *owned;    /* data when the index holds it (util_sys_big_new); NULL
                        * when borrowed from an image mapped in place */
    const uint8_t *types;
    size_t types_len;
    const char *strs;
    size_t strs_len;
    uint32_t *off;     /* off[id] = byte offset of type id in types; off[0] unused */
    uint32_t ntypes;   /* ids 1..ntypes-1 are valid */
    unsigned ptr_size;
    util_hash_t *by_name; /* struct/union name -> id */
};

static unsigned kind_of(uint32_t info)
{
    return (info >> 24) & 0x1f;
}

static unsigned vlen_of(uint32_t info)
{
    return info & 0xffff;
}

/* Bytes after the 12-byte btf_type record for this kind; -1 unknown kind. */
static long extra_bytes(unsigned kind, unsigned vlen)
{
    switch (kind) {
    case K_INT: case K_VAR: case K_DECL_TAG:
        return 4;
    case K_PTR: case K_FWD: case K_TYPEDEF: case K_VOLATILE: case K_CONST:
    case K_RESTRICT: case K_FUNC: case K_FLOAT: case K_TYPE_TAG:
        return 0;
    case K_ARRAY:
        return 12;
    case K_STRUCT: case K_UNION: case K_DATASEC: case K_ENUM64:
        return 12L * vlen;
    case K_ENUM: case K_FUNC_PROTO:
        return 8L * vlen;
    default:
        return -1;
    }
}

bool lx_btf_header_ok(const uint8_t *d, size_t len, size_t *total)
{
    if (len < BTF_HDR_MIN || d[0] != 0x9f || d[1] != 0xeb || d[2] != 1)
        return false;
    uint32_t hdr = util_le32(d + 4), toff = util_le32(d + 8), tlen = util_le32(d + 12);
    uint32_t soff = util_le32(d + 16), slen = util_le32(d + 20);
    if (hdr < BTF_HDR_MIN || hdr > 256 || (hdr & 3))
        return false;
    uint64_t tend = (uint64_t)toff + tlen, send = (uint64_t)soff + slen;
    uint64_t end = hdr + (tend > send ? tend : send);
    if (tlen == 0 || slen == 0 || end > (256u << 20))
        return false;
    if (total)
        *total = (size_t)end;
    return true;
}

static const char *name_at(const lx_btf_t *b, uint32_t off)
{
    /* The string section is checked to end in NUL, so any in-range offset
     * starts a terminated string. */
    return off < b->strs_len ? b->strs + off : "";
}

lx_btf_t *lx_btf_parse(const uint8_t *data, size_t len, unsigned ptr_size, util_err_t *err)
{
    uint8_t *copy = util_sys_big_new(len ? len : 1);
    if (!copy) {
        util_err_set(err, "BTF: out of memory");
        return NULL;
    }
    memcpy(copy, data, len);
    return lx_btf_adopt(copy, len, ptr_size, err);
}

static lx_btf_t *index_blob(const uint8_t *data, uint8_t *owned, size_t len,
                           unsigned ptr_size, util_err_t *err);

lx_btf_t *lx_btf_adopt(uint8_t *data, size_t len, unsigned ptr_size, util_err_t *err)
{
    return index_blob(data, data, len, ptr_size, err);
}

lx_btf_t *lx_btf_borrow(const uint8_t *data, size_t len, unsigned ptr_size, util_err_t *err)
{
    return index_blob(data, NULL, len, ptr_size, err);
}

/* The index over data; owned (data, or NULL) is freed with it, or at once
 * on failure. */
static lx_btf_t *index_blob(const uint8_t *data, uint8_t *owned, size_t len,
                           unsigned ptr_size, util_err_t *err)
{
    size_t total;
    if (!lx_btf_header_ok(data, len, &total) || total > len) {
        util_err_set(err, "BTF: bad header (magic, version or section bounds)");
        util_sys_big_free(owned);
        return NULL;
    }
    lx_btf_t *b = calloc(1, sizeof(*b));
    if (!b) {
        util_sys_big_free(owned);
        util_err_set(err, "BTF: out of memory");
        return NULL;
    }
    b->data = data;
    b->owned = owned;
    uint32_t hdr = util_le32(data + 4);
    b->types = b->data + hdr + util_le32(data + 8);
    b->types_len = util_le32(data + 12);
    b->strs = (const char *)b->data + hdr + util_le32(data + 16);
    b->strs_len = util_le32(data + 20);
    b->ptr_size = ptr_size;
    if (b->strs[b->strs_len - 1] != '\0' || b->strs[0] != '\0') {
        util_err_set(err, "BTF: string section does not start and end with NUL");
        lx_btf_free(b);
        return NULL;
    }

    /* Count, then index, the type records. */
    size_t cap = 1024;
    b->off = malloc(cap * sizeof(uint32_t));
    b->by_name = util_hash_new(util_hash_str, util_hash_str_eq, NULL, NULL);
    if (!b->off || !b->by_name) {
        util_err_set(err, "BTF: out of memory");
        lx_btf_free(b);
        return NULL;
    }
    b->ntypes = 1;
    size_t p = 0;
    while (p < b->types_len) {
        if (b->types_len - p < 12) {
            util_err_set(err, "BTF: type %u cut off at +0x%zx", b->ntypes, p);
            lx_btf_free(b);
            return NULL;
        }
        uint32_t info = util_le32(b->types + p + 4);
        long extra = extra_bytes(kind_of(info), vlen_of(info));
        if (extra < 0) {
            util_err_set(err, "BTF: type %u has kind %u, newer than the kinds this parser "
                              "knows (1..19: int .. enum64, as of Linux 6.0 and still 7.3); "
                              "give the offsets in the config, or linux_btf = off to use the "
                              "heuristics", b->ntypes, kind_of(info));
            lx_btf_free(b);
            return NULL;
        }
        if ((size_t)extra > b->types_len - p - 12) {
            util_err_set(err, "BTF: type %u runs past the type section", b->ntypes);
            lx_btf_free(b);
            return NULL;
        }
        if (b->ntypes >= BTF_MAX_TYPES) {
            util_err_set(err, "BTF: more than %u types", BTF_MAX_TYPES);
            lx_btf_free(b);
            return NULL;
        }
        if (b->ntypes == cap) {
            cap *= 2;
            uint32_t *o = realloc(b->off, cap * sizeof(uint32_t));
            if (!o) {
                util_err_set(err, "BTF: out of memory");
                lx_btf_free(b);
                return NULL;
            }
            b->off = o;
        }
        b->off[b->ntypes] = (uint32_t)p;
        unsigned k = kind_of(info);
        uint32_t nm = util_le32(b->types + p);
        if ((k == K_STRUCT || k == K_UNION) && nm && nm < b->strs_len) {
            const char *name = b->strs + nm;
            if (!util_hash_contains(b->by_name, name) &&
                !util_hash_insert(b->by_name, (void *)name, (void *)(uintptr_t)b->ntypes)) {
                util_err_set(err, "BTF: out of memory");
                lx_btf_free(b);
                return NULL;
            }
        }
        b->ntypes++;
        p += 12 + (size_t)extra;
    }
    return b;
}

void lx_btf_free(lx_btf_t *b)
{
    if (!b)
        return;
    util_hash_free(b->by_name);
    free(b->off);
    util_sys_big_free(b->owned);
    free(b);
}

size_t lx_btf_type_count(const lx_btf_t *b)
{
    return b ? b->ntypes - 1 : 0;
}

static const uint8_t *type_rec(const lx_btf_t *b, uint32_t id)
{
    return id > 0 && id < b->ntypes ? b->types + b->off[id] : NULL;
}

/* Skip typedef/const/volatile/restrict/type_tag. 0 for void or bad ids. */
static uint32_t resolve(const lx_btf_t *b, uint32_t id)
{
    for (int d = 0; d < BTF_DEPTH; d++) {
        const uint8_t *t = type_rec(b, id);
        if (!t)
            return 0;
        unsigned k = kind_of(util_le32(t + 4));
        if (k != K_TYPEDEF && k != K_CONST && k != K_VOLATILE && k != K_RESTRICT &&
            k != K_TYPE_TAG)
            return id;
        id = util_le32(t + 8);
    }
    return 0;
}

static bool type_size(const lx_btf_t *b, uint32_t id, uint64_t *size, int depth)
{
    if (depth > BTF_DEPTH)
        return false;
    id = resolve(b, id);
    const uint8_t *t = type_rec(b, id);
    if (!t)
        return false;
    unsigned k = kind_of(util_le32(t + 4));
    switch (k) {
    case K_INT: case K_ENUM: case K_STRUCT: case K_UNION: case K_ENUM64: case K_FLOAT:
    case K_DATASEC:
        *size = util_le32(t + 8);
        return true;
    case K_PTR:
        *size = b->ptr_size;
        return true;
    case K_ARRAY: {
        uint64_t es;
        uint32_t n = util_le32(t + 20);
        if (!type_size(b, util_le32(t + 12), &es, depth + 1))
            return false;
        if (n && es > (UINT64_C(1) << 40) / n)
            return false;
        *size = es * n;
        return true;
    }
    default:
        return false;
    }
}

/* Member `name` of struct/union sid, searching anonymous members too.
 * *bitoff gets the bit offset from the start of sid. */
static bool find_member(const lx_btf_t *b, uint32_t sid, const char *name, uint64_t *bitoff,
                        uint32_t *mtype, bool *bitfield, int depth, unsigned *budget)
{
    const uint8_t *t = type_rec(b, sid);
    if (!t || depth > 8)
        return false;
    uint32_t info = util_le32(t + 4);
    unsigned k = kind_of(info), n = vlen_of(info);
    if (k != K_STRUCT && k != K_UNION)
        return false;
    bool kflag = (info >> 31) & 1;
    for (unsigned i = 0; i < n; i++) {
        if (*budget == 0)
            return false;
        (*budget)--;
        const uint8_t *m = t + 12 + 12 * (size_t)i;
        uint32_t mname = util_le32(m), mt = util_le32(m + 4), moff = util_le32(m + 8);
        uint64_t bo = kflag ? (moff & 0xffffff) : moff;
        bool bf = kflag && (moff >> 24) != 0;
        if (mname) {
            if (strcmp(name_at(b, mname), name) == 0) {
                *bitoff = bo;
                *mtype = mt;
                *bitfield = bf;
                return true;
            }
        } else {
            uint64_t inner;
            if (find_member(b, resolve(b, mt), name, &inner, mtype, bitfield, depth + 1,
                            budget)) {
                *bitoff = bo + inner;
                return true;
            }
        }
    }
    return false;
}

static uint32_t struct_id(const lx_btf_t *b, const char *name)
{
    return (uint32_t)(uintptr_t)util_hash_lookup(b->by_name, name);
}

bool lx_btf_has_struct(const lx_btf_t *b, const char *strct)
{
    return b && strct && struct_id(b, strct) != 0;
}

/* Walk a member path; *off in bytes, *last the final member's type. */
static status_t walk_path(const lx_btf_t *b, const char *strct, const char *path,
                          uint64_t *off, uint32_t *last, util_err_t *err)
{
    uint32_t cur = b && strct ? struct_id(b, strct) : 0;
    if (!cur) {
        util_err_set(err, "BTF has no struct %s", strct ? strct : "(null)");
        return VMI_FAILURE;
    }
    uint64_t total = 0;
    const char *p = path;
    uint32_t mt = cur;
    for (int step = 0; step < 16; step++) {
        char name[128];
        size_t n = strcspn(p, ".[");
        if (n == 0 || n >= sizeof(name)) {
            util_err_set(err, "BTF: bad member path \"%s\"", path);
            return VMI_FAILURE;
        }
        memcpy(name, p, n);
        name[n] = '\0';
        p += n;
        uint64_t bo;
        bool bf;
        unsigned budget = BTF_MEMBER_BUDGET;
        if (!find_member(b, cur, name, &bo, &mt, &bf, 0, &budget)) {
            if (budget == 0)
                util_err_set(err, "BTF: looking for %s in struct %s visits more than %u"
                             " members (anonymous members that contain each other):"
                             " refusing the blob as corrupt", path, strct,
                             BTF_MEMBER_BUDGET);
            else
                util_err_set(err, "BTF: struct %s has no member %s", strct, path);
            return VMI_FAILURE;
        }
        if (bf || bo % 8) {
            util_err_set(err, "BTF: %s.%s is a bitfield", strct, path);
            return VMI_FAILURE;
        }
        total += bo / 8;
        while (*p == '[') {
            uint64_t idx;
            const char *end = util_scan_decimal(p + 1, &idx);
            if (!end || *end != ']') {
                util_err_set(err, "BTF: bad index in \"%s\"", path);
                return VMI_FAILURE;
            }
            p = end + 1;
            const uint8_t *t = type_rec(b, resolve(b, mt));
            if (!t || kind_of(util_le32(t + 4)) != K_ARRAY) {
                util_err_set(err, "BTF: %s.%s is not an array", strct, path);
                return VMI_FAILURE;
            }
            uint64_t es;
            if (idx >= util_le32(t + 20) || !type_size(b, util_le32(t + 12), &es, 0)) {
                util_err_set(err, "BTF: index %" PRIu64 " out of range in %s.%s", idx, strct, path);
                return VMI_FAILURE;
            }
            mt = util_le32(t + 12);
            total += es * idx;
        }
        if (*p == '\0')
            break;
        if (*p != '.') {
            util_err_set(err, "BTF: bad member path \"%s\"", path);
            return VMI_FAILURE;
        }
        p++;
        cur = resolve(b, mt);
    }
    if (*p) {
        util_err_set(err, "BTF: member path \"%s\" is too deep", path);
        return VMI_FAILURE;
    }
    *off = total;
    if (last)
        *last = mt;
    return VMI_SUCCESS;
}

status_t lx_btf_offset(const lx_btf_t *b, const char *strct, const char *member,
                       uint64_t *off, util_err_t *err)
{
    if (!member) {
        util_err_set(err, "BTF: no member named");
        return VMI_FAILURE;
    }
    return walk_path(b, strct, member, off, NULL, err);
}

status_t lx_btf_array_len(const lx_btf_t *b, const char *strct, const char *member,
                          uint64_t *count, util_err_t *err)
{
    uint64_t off;
    uint32_t mt;
    if (walk_path(b, strct, member, &off, &mt, err) != VMI_SUCCESS)
        return VMI_FAILURE;
    const uint8_t *t = type_rec(b, resolve(b, mt));
    if (!t || kind_of(util_le32(t + 4)) != K_ARRAY) {
        util_err_set(err, "BTF: %s.%s is not an array", strct, member);
        return VMI_FAILURE;
    }
    *count = util_le32(t + 20);
    return VMI_SUCCESS;
}

status_t lx_btf_struct_size(const lx_btf_t *b, const char *strct, uint64_t *size,
                            util_err_t *err)
{
    uint32_t id = b && strct ? struct_id(b, strct) : 0;
    if (!id || !type_size(b, id, size, 0)) {
        util_err_set(err, "BTF has no struct %s", strct ? strct : "(null)");
        return VMI_FAILURE;
    }
    return VMI_SUCCESS;
}
