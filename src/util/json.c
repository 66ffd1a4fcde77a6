/*
 * json.c - the strict, bounded JSON reader (see json.h).
 *
 * Layout: every value is a 16-byte node.  An array's elements and an
 * object's members are each one contiguous block, so the tree is a few
 * large allocations (an arena) rather than one per value.  While a
 * container is being parsed its children wait on a scratch stack; when it
 * closes they are copied into the arena in one piece.  Objects with more
 * than JSON_LINEAR_MAX members also get a sorted index for binary search,
 * which is what makes looking up one of ISF's thousands of types cheap.
 *
 * Must not: recurse deeper than the depth limit, read past len, or accept
 * anything outside RFC 8259.
 */
#include "util/json.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/strutil.h"
#include "util/sys.h"
#include "util/utf.h"

/* Objects up to this many members are searched linearly (and checked for
 * duplicate keys pairwise); larger ones get a sorted index. */
#define JSON_LINEAR_MAX 8u
#define ARENA_BLOCK ((size_t)64 << 10)

/* ISF needs integers only, so a number is kept as one of these; fractions,
 * exponents and integers beyond 64 bits are checked for syntax and kept
 * without a value (NUM_OTHER: the integer accessors refuse them). */
enum { NUM_U64, NUM_I64, NUM_OTHER };

struct util_json {
    uint8_t type;    /* util_json_type_t */
    uint8_t sub;     /* numbers: NUM_*; bool: value; objects: indexed */
    uint8_t pad[2];
    uint32_t count;  /* string length, array/object member count */
    union {
        uint64_t u;
        int64_t i;
        const char *s;
        struct util_json *items;
        struct json_member *members;
    } v;
};

typedef struct json_member {
    const char *key;
    uint32_t keylen;
    uint32_t pad;
    struct util_json value;
} json_member_t;

typedef struct arena_block {
    struct arena_block *next;
    size_t used, size;
    _Alignas(max_align_t) unsigned char data[];
} arena_block_t;

struct util_json_doc {
    arena_block_t *blocks;
    struct util_json root;
};

/* ---- Arena ---- */

static void *arena_alloc(util_json_doc_t *doc, size_t n)
{
    n = (n + 7u) & ~(size_t)7u;
    arena_block_t *b = doc->blocks;
    if (!b || b->size - b->used < n) {
        size_t size = n > ARENA_BLOCK ? n : ARENA_BLOCK;
        b = malloc(sizeof(*b) + size);
        if (!b)
            return NULL;
        b->used = 0;
        b->size = size;
        /* A block made just for one large request goes behind the current
         * one, so the current block's free space is not abandoned. */
        if (doc->blocks && size == n && n > ARENA_BLOCK) {
            b->next = doc->blocks->next;
            doc->blocks->next = b;
        } else {
            b->next = doc->blocks;
            doc->blocks = b;
        }
    }
    void *p = b->data + b->used;
    b->used += n;
    return p;
}

void util_json_free(util_json_doc_t *doc)
{
    if (!doc)
        return;
    arena_block_t *b = doc->blocks;
    while (b) {
        arena_block_t *next = b->next;
        free(b);
        b = next;
    }
    free(doc);
}

/* ---- Parser state ---- */

typedef struct parser {
    const char *p, *end;
    const char *line_start;
    unsigned line;
    unsigned depth, max_depth;
    util_json_doc_t *doc;
    util_err_t *err;
    bool failed;
    /* Scratch stacks for children of containers still open. */
    struct util_json *vals;
    size_t nvals, capvals;
    json_member_t *mems;
    size_t nmems, capmems;
} parser_t;

__attribute__((format(printf, 3, 4)))
static void fail_at(parser_t *ps, const char *at, const char *fmt, ...)
{
    if (ps->failed)
        return;
    ps->failed = true;
    char msg[UTIL_ERR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    /* Column in bytes from the start of the line, counting from 1. */
    unsigned long col = (unsigned long)(at - ps->line_start) + 1;
    util_err_set(ps->err, "line %u, column %lu: %s", ps->line, col, msg);
}

static void fail_oom(parser_t *ps)
{
    fail_at(ps, ps->p, "out of memory");
}

/* A short printable rendering of the byte at p, for messages. */
static const char *show_char(const parser_t *ps, const char *p, char buf[16])
{
    if (p >= ps->end)
        return "end of input";
    unsigned char c = (unsigned char)*p;
    if (c >= 0x20 && c < 0x7f)
        snprintf(buf, 16, "'%c'", c);
    else
        snprintf(buf, 16, "byte 0x%02x", c);
    return buf;
}

static void skip_ws(parser_t *ps)
{
    while (ps->p < ps->end) {
        char c = *ps->p;
        if (c == '\n') {
            ps->line++;
            ps->line_start = ps->p + 1;
        } else if (c != ' ' && c != '\t' && c != '\r') {
            return;
        }
        ps->p++;
    }
}

static bool push_val(parser_t *ps, const struct util_json *v)
{
    if (ps->nvals == ps->capvals) {
        size_t cap = ps->capvals ? ps->capvals * 2 : 64;
        struct util_json *n = realloc(ps->vals, cap * sizeof(*n));
        if (!n)
            return false;
        ps->vals = n;
        ps->capvals = cap;
    }
    ps->vals[ps->nvals++] = *v;
    return true;
}

static bool push_mem(parser_t *ps, const json_member_t *m)
{
    if (ps->nmems == ps->capmems) {
        size_t cap = ps->capmems ? ps->capmems * 2 : 64;
        json_member_t *n = realloc(ps->mems, cap * sizeof(*n));
        if (!n)
            return false;
        ps->mems = n;
        ps->capmems = cap;
    }
    ps->mems[ps->nmems++] = *m;
    return true;
}

/* ---- Strings ---- */

/* Four hex digits at p; the caller has checked that four bytes exist. */
static bool read_hex4(const char *p, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        int h = util_hexval(p[i]);
        if (h < 0)
            return false;
        v = v << 4 | (unsigned)h;
    }
    *out = v;
    return true;
}

/* Length of the valid UTF-8 sequence starting at p (1..4), or 0. */
static size_t utf8_seq(const unsigned char *p, const unsigned char *end)
{
    unsigned char c = p[0];
    size_t n;
    unsigned char lo = 0x80, hi = 0xbf; /* allowed range of the 2nd byte */
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf)
        n = 2;
    else if (c >= 0xe0 && c <= 0xef) {
        n = 3;
        if (c == 0xe0)
            lo = 0xa0; /* no overlong forms */
        else if (c == 0xed)
            hi = 0x9f; /* no encoded surrogates */
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4;
        if (c == 0xf0)
            lo = 0x90;
        else if (c == 0xf4)
            hi = 0x8f; /* nothing above U+10FFFF */
    } else
        return 0;
    if ((size_t)(end - p) < n)
        return 0;
    if (p[1] < lo || p[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++)
        if ((p[i] & 0xc0) != 0x80)
            return 0;
    return n;
}

/* ps->p is at the opening quote.  On success *s / *len hold a copy in the
 * arena and ps->p is past the closing quote. */
static bool parse_string(parser_t *ps, const char **s, uint32_t *len)
{
    const char *open = ps->p;
    const char *q = open + 1;

    /* First pass: find the closing quote, so the copy can be sized.  Decoded
     * text is never longer than its escaped form. */
    while (q < ps->end && *q != '"') {
        if (*q == '\\' && ps->end - q < 2)
            break; /* a backslash as the last byte */
        q += *q == '\\' ? 2 : 1;
    }
    if (q >= ps->end || *q != '"') {
        fail_at(ps, open, "string never ends");
        return false;
    }
    size_t raw = (size_t)(q - open - 1);
    char *out = arena_alloc(ps->doc, raw + 1);
    if (!out) {
        fail_oom(ps);
        return false;
    }

    size_t n = 0;
    const char *p = open + 1;
    while (p < q) {
        unsigned char c = (unsigned char)*p;
        if (c < 0x20) {
            fail_at(ps, p, "control character 0x%02x in a string must be escaped", c);
            return false;
        }
        if (c >= 0x80) {
            size_t k = utf8_seq((const unsigned char *)p, (const unsigned char *)q);
            if (!k) {
                fail_at(ps, p, "invalid UTF-8 in string");
                return false;
            }
            memcpy(out + n, p, k);
            n += k;
            p += k;
            continue;
        }
        if (c != '\\') {
            out[n++] = (char)c;
            p++;
            continue;
        }
        const char *esc = p;
        p++; /* the first pass guarantees a byte follows, before q */
        switch (*p) {
        case '"': out[n++] = '"'; p++; break;
        case '\\': out[n++] = '\\'; p++; break;
        case '/': out[n++] = '/'; p++; break;
        case 'b': out[n++] = '\b'; p++; break;
        case 'f': out[n++] = '\f'; p++; break;
        case 'n': out[n++] = '\n'; p++; break;
        case 'r': out[n++] = '\r'; p++; break;
        case 't': out[n++] = '\t'; p++; break;
        case 'u': {
            unsigned cp;
            if (q - (p + 1) < 4 || !read_hex4(p + 1, &cp)) {
                fail_at(ps, esc, "\\u needs four hexadecimal digits");
                return false;
            }
            p += 5;
            if (cp >= 0xdc00 && cp <= 0xdfff) {
                fail_at(ps, esc, "lone low surrogate \\u%04x", cp);
                return false;
            }
            if (cp >= 0xd800 && cp <= 0xdbff) {
                unsigned lo;
                if (q - p < 6 || p[0] != '\\' || p[1] != 'u' ||
                    !read_hex4(p + 2, &lo) || lo < 0xdc00 || lo > 0xdfff) {
                    fail_at(ps, esc, "high surrogate \\u%04x not followed by a low surrogate", cp);
                    return false;
                }
                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                p += 6;
            }
            n += util_utf8_encode(out + n, cp);
            break;
        }
        default:
            fail_at(ps, esc, "invalid escape '\\%c'", *p >= 0x20 && *p < 0x7f ? *p : '?');
            return false;
        }
    }
    out[n] = '\0';
    *s = out;
    *len = (uint32_t)n;
    ps->p = q + 1;
    return true;
}

/* ---- Numbers ---- */

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool parse_number(parser_t *ps, struct util_json *v)
{
    const char *start = ps->p, *p = start;
    bool neg = false, integral = true;

    if (p < ps->end && *p == '-') {
        neg = true;
        p++;
    }
    if (p >= ps->end || !is_digit(*p)) {
        fail_at(ps, p, "a number needs digits");
        return false;
    }
    if (*p == '0' && p + 1 < ps->end && is_digit(p[1])) {
        fail_at(ps, p, "numbers must not have leading zeros");
        return false;
    }
    while (p < ps->end && is_digit(*p))
        p++;
    if (p < ps->end && *p == '.') {
        integral = false;
        p++;
        if (p >= ps->end || !is_digit(*p)) {
            fail_at(ps, p, "a decimal point must be followed by digits");
            return false;
        }
        while (p < ps->end && is_digit(*p))
            p++;
    }
    if (p < ps->end && (*p == 'e' || *p == 'E')) {
        integral = false;
        p++;
        if (p < ps->end && (*p == '+' || *p == '-'))
            p++;
        if (p >= ps->end || !is_digit(*p)) {
            fail_at(ps, p, "an exponent needs digits");
            return false;
        }
        while (p < ps->end && is_digit(*p))
            p++;
    }
    ps->p = p;
    v->type = UTIL_JSON_NUMBER;

    if (integral) {
        uint64_t mag = 0;
        bool overflow = false;
        for (const char *d = start + neg; d < p; d++) {
            unsigned dig = (unsigned)(*d - '0');
            if (mag > (UINT64_MAX - dig) / 10) {
                overflow = true;
                break;
            }
            mag = mag * 10 + dig;
        }
        if (!overflow && !neg) {
            v->sub = NUM_U64;
            v->v.u = mag;
            return true;
        }
        if (!overflow && mag <= (uint64_t)INT64_MAX + 1) {
            v->sub = NUM_I64;
            v->v.i = mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag;
            return true;
        }
    }
    v->sub = NUM_OTHER;
    return true;
}

/* ---- Values ---- */

static bool parse_value(parser_t *ps, struct util_json *v);

static bool literal(parser_t *ps, const char *word, size_t len)
{
    if ((size_t)(ps->end - ps->p) < len || memcmp(ps->p, word, len) != 0) {
        char buf[16];
        fail_at(ps, ps->p, "unexpected %s", show_char(ps, ps->p, buf));
        return false;
    }
    ps->p += len;
    return true;
}

static bool enter(parser_t *ps)
{
    if (ps->depth >= ps->max_depth) {
        fail_at(ps, ps->p, "nesting deeper than %u levels", ps->max_depth);
        return false;
    }
    ps->depth++;
    return true;
}

/* After an array element or object member: 1 when a ',' says another item
 * follows, 0 when `close` ends the container, -1 (with a reason) otherwise. */
static int next_item(parser_t *ps, char close, const char *what)
{
    char buf[16];
    skip_ws(ps);
    if (ps->p < ps->end && *ps->p == ',') {
        ps->p++;
        skip_ws(ps);
        if (ps->p < ps->end && *ps->p == close) {
            fail_at(ps, ps->p, "trailing comma before '%c'", close);
            return -1;
        }
        return 1;
    }
    if (ps->p < ps->end && *ps->p == close) {
        ps->p++;
        return 0;
    }
    fail_at(ps, ps->p, "expected ',' or '%c' after %s, found %s", close, what,
            show_char(ps, ps->p, buf));
    return -1;
}

static bool parse_array(parser_t *ps, struct util_json *v)
{
    if (!enter(ps))
        return false;
    size_t base = ps->nvals;
    ps->p++; /* '[' */
    skip_ws(ps);
    if (ps->p < ps->end && *ps->p == ']') {
        ps->p++;
    } else {
        for (;;) {
            struct util_json item;
            skip_ws(ps);
            if (!parse_value(ps, &item))
                return false;
            if (!push_val(ps, &item)) {
                fail_oom(ps);
                return false;
            }
            int more = next_item(ps, ']', "array element");
            if (more < 0)
                return false;
            if (!more)
                break;
        }
    }
    size_t count = ps->nvals - base;
    if (count > UINT32_MAX) {
        fail_at(ps, ps->p, "array too large");
        return false;
    }
    v->type = UTIL_JSON_ARRAY;
    v->count = (uint32_t)count;
    v->v.items = NULL;
    if (count) {
        v->v.items = arena_alloc(ps->doc, count * sizeof(struct util_json));
        if (!v->v.items) {
            fail_oom(ps);
            return false;
        }
        memcpy(v->v.items, ps->vals + base, count * sizeof(struct util_json));
    }
    ps->nvals = base;
    ps->depth--;
    return true;
}

static int key_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
    int c = memcmp(a, b, alen < blen ? alen : blen);
    if (c)
        return c;
    return alen < blen ? -1 : alen > blen;
}

static int member_ptr_cmp(const void *x, const void *y)
{
    const json_member_t *a = *(const json_member_t *const *)x;
    const json_member_t *b = *(const json_member_t *const *)y;
    return key_cmp(a->key, a->keylen, b->key, b->keylen);
}

/* The sorted index of a large object sits right after its members. */
static const json_member_t **object_index(const struct util_json *v)
{
    return (const json_member_t **)(void *)(v->v.members + v->count);
}

static bool parse_object(parser_t *ps, struct util_json *v)
{
    if (!enter(ps))
        return false;
    const char *open = ps->p;
    unsigned open_line = ps->line;
    const char *open_line_start = ps->line_start;
    size_t base = ps->nmems;
    ps->p++; /* '{' */
    skip_ws(ps);
    if (ps->p < ps->end && *ps->p == '}') {
        ps->p++;
    } else {
        for (;;) {
            json_member_t m;
            memset(&m, 0, sizeof(m));
            skip_ws(ps);
            if (ps->p >= ps->end || *ps->p != '"') {
                char buf[16];
                fail_at(ps, ps->p, "expected a string key, found %s",
                        show_char(ps, ps->p, buf));
                return false;
            }
            const char *keypos = ps->p;
            if (!parse_string(ps, &m.key, &m.keylen))
                return false;
            if (ps->nmems - base < JSON_LINEAR_MAX) {
                for (size_t i = base; i < ps->nmems; i++)
                    if (!key_cmp(ps->mems[i].key, ps->mems[i].keylen, m.key, m.keylen)) {
                        fail_at(ps, keypos, "duplicate key \"%.64s\"", m.key);
                        return false;
                    }
            }
            skip_ws(ps);
            if (ps->p >= ps->end || *ps->p != ':') {
                char buf[16];
                fail_at(ps, ps->p, "expected ':' after object key, found %s",
                        show_char(ps, ps->p, buf));
                return false;
            }
            ps->p++;
            skip_ws(ps);
            if (!parse_value(ps, &m.value))
                return false;
            if (!push_mem(ps, &m)) {
                fail_oom(ps);
                return false;
            }
            int more = next_item(ps, '}', "object member");
            if (more < 0)
                return false;
            if (!more)
                break;
        }
    }
    size_t count = ps->nmems - base;
    if (count > UINT32_MAX / 2) {
        fail_at(ps, ps->p, "object too large");
        return false;
    }
    v->type = UTIL_JSON_OBJECT;
    v->count = (uint32_t)count;
    v->sub = 0;
    v->v.members = NULL;
    if (count) {
        bool indexed = count > JSON_LINEAR_MAX;
        size_t bytes = count * sizeof(json_member_t);
        if (indexed)
            bytes += count * sizeof(json_member_t *);
        v->v.members = arena_alloc(ps->doc, bytes);
        if (!v->v.members) {
            fail_oom(ps);
            return false;
        }
        memcpy(v->v.members, ps->mems + base, count * sizeof(json_member_t));
        if (indexed) {
            const json_member_t **idx = object_index(v);
            for (size_t i = 0; i < count; i++)
                idx[i] = &v->v.members[i];
            qsort(idx, count, sizeof(*idx), member_ptr_cmp);
            for (size_t i = 1; i < count; i++)
                if (!member_ptr_cmp(&idx[i - 1], &idx[i])) {
                    /* Report at the object's opening brace: the key's own
                     * position was not kept. */
                    unsigned save_line = ps->line;
                    const char *save_ls = ps->line_start;
                    ps->line = open_line;
                    ps->line_start = open_line_start;
                    fail_at(ps, open, "duplicate key \"%.64s\" in this object",
                            idx[i]->key);
                    ps->line = save_line;
                    ps->line_start = save_ls;
                    return false;
                }
            v->sub = 1;
        }
    }
    ps->nmems = base;
    ps->depth--;
    return true;
}

static bool parse_value(parser_t *ps, struct util_json *v)
{
    memset(v, 0, sizeof(*v));
    if (ps->p >= ps->end) {
        fail_at(ps, ps->p, "expected a value, found end of input");
        return false;
    }
    switch (*ps->p) {
    case '{':
        return parse_object(ps, v);
    case '[':
        return parse_array(ps, v);
    case '"': {
        const char *s;
        uint32_t len;
        if (!parse_string(ps, &s, &len))
            return false;
        v->type = UTIL_JSON_STRING;
        v->v.s = s;
        v->count = len;
        return true;
    }
    case 't':
        v->type = UTIL_JSON_BOOL;
        v->sub = 1;
        return literal(ps, "true", 4);
    case 'f':
        v->type = UTIL_JSON_BOOL;
        return literal(ps, "false", 5);
    case 'n':
        v->type = UTIL_JSON_NULL;
        return literal(ps, "null", 4);
    default:
        if (*ps->p == '-' || is_digit(*ps->p))
            return parse_number(ps, v);
        char buf[16];
        fail_at(ps, ps->p, "expected a value, found %s", show_char(ps, ps->p, buf));
        return false;
    }
}

util_json_doc_t *util_json_parse(const char *text, size_t len,
                                 const util_json_limits_t *lim, util_err_t *err)
{
    size_t max_bytes = lim && lim->max_bytes ? lim->max_bytes : UTIL_JSON_DEFAULT_MAX_BYTES;
    unsigned max_depth = lim && lim->max_depth ? lim->max_depth : UTIL_JSON_DEFAULT_MAX_DEPTH;
    if (max_bytes > UTIL_JSON_MAX_BYTES_CEILING)
        max_bytes = UTIL_JSON_MAX_BYTES_CEILING;
    if (max_depth > UTIL_JSON_MAX_DEPTH_CEILING)
        max_depth = UTIL_JSON_MAX_DEPTH_CEILING;

    if (!text) {
        util_err_set(err, "no JSON text given");
        return NULL;
    }
    if (len > max_bytes) {
        util_err_set(err, "JSON text is %zu bytes, more than the limit of %zu", len, max_bytes);
        return NULL;
    }
    util_json_doc_t *doc = calloc(1, sizeof(*doc));
    if (!doc) {
        util_err_set(err, "out of memory");
        return NULL;
    }
    parser_t ps = {
        .p = text, .end = text + len, .line_start = text, .line = 1,
        .max_depth = max_depth, .doc = doc, .err = err,
    };
    /* A UTF-8 byte-order mark is tolerated (RFC 8259 section 8.1). */
    if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0) {
        ps.p += 3;
        ps.line_start = ps.p;
    }
    skip_ws(&ps);
    bool ok = parse_value(&ps, &doc->root);
    if (ok) {
        skip_ws(&ps);
        if (ps.p != ps.end) {
            char buf[16];
            fail_at(&ps, ps.p, "unexpected %s after the end of the document",
                    show_char(&ps, ps.p, buf));
            ok = false;
        }
    }
    free(ps.vals);
    free(ps.mems);
    if (!ok) {
        util_json_free(doc);
        return NULL;
    }
    return doc;
}

util_json_doc_t *util_json_parse_file(const char *path,
                                      const util_json_limits_t *lim,
                                      util_err_t *err)
{
    size_t max_bytes = lim && lim->max_bytes ? lim->max_bytes : UTIL_JSON_DEFAULT_MAX_BYTES;
    if (max_bytes > UTIL_JSON_MAX_BYTES_CEILING)
        max_bytes = UTIL_JSON_MAX_BYTES_CEILING;
    if (!path) {
        util_err_set(err, "no JSON file given");
        return NULL;
    }
    util_sys_load_t f;
    switch (util_sys_load(path, max_bytes, &f)) {
    case UTIL_SYS_LOAD_OK:
        break;
    case UTIL_SYS_LOAD_NO_OPEN:
        util_err_set(err, "%s: %s", path, f.why);
        return NULL;
    case UTIL_SYS_LOAD_NOT_REGULAR:
        util_err_set(err, "%s: not a regular file", path);
        return NULL;
    case UTIL_SYS_LOAD_TOO_BIG:
        util_err_set(err, "%s: %lld bytes, more than the JSON size limit of %zu",
                     path, (long long)f.size, max_bytes);
        return NULL;
    case UTIL_SYS_LOAD_NO_MEMORY:
        util_err_set(err, "%s: out of memory reading %zu bytes", path, (size_t)f.size);
        return NULL;
    case UTIL_SYS_LOAD_SHORT:
        util_err_set(err, "%s: short read (%zu of %zu bytes)", path, f.len, (size_t)f.size);
        free(f.data);
        return NULL;
    }
    char *buf = f.data;
    size_t size = f.len;
    static const struct { const char *magic; size_t len; const char *what; } packed[] = {
        { "\xfd" "7zXZ", 5, "xz" },
        { "\x1f\x8b", 2, "gzip" },
        { "BZh", 3, "bzip2" },
    };
    for (size_t i = 0; i < sizeof(packed) / sizeof(packed[0]); i++)
        if (size >= packed[i].len && memcmp(buf, packed[i].magic, packed[i].len) == 0) {
            util_err_set(err, "%s: %s-compressed; decompress it first", path, packed[i].what);
            free(buf);
            return NULL;
        }
    util_json_doc_t *doc = util_json_parse(buf, size, lim, err);
    free(buf);
    if (!doc)
        util_err_prefix(err, "%s", path);
    return doc;
}

/* ---- Accessors ---- */

const util_json_t *util_json_root(const util_json_doc_t *doc)
{
    return doc ? &doc->root : NULL;
}

util_json_type_t util_json_type(const util_json_t *v)
{
    return v ? (util_json_type_t)v->type : UTIL_JSON_NULL;
}

const char *util_json_type_name(util_json_type_t t)
{
    switch (t) {
    case UTIL_JSON_NULL: return "null";
    case UTIL_JSON_BOOL: return "boolean";
    case UTIL_JSON_NUMBER: return "number";
    case UTIL_JSON_STRING: return "string";
    case UTIL_JSON_ARRAY: return "array";
    case UTIL_JSON_OBJECT: return "object";
    }
    return "unknown";
}

const util_json_t *util_json_getn(const util_json_t *v, const char *key, size_t keylen)
{
    if (!v || v->type != UTIL_JSON_OBJECT || !key)
        return NULL;
    if (!v->sub) {
        for (uint32_t i = 0; i < v->count; i++) {
            const json_member_t *m = &v->v.members[i];
            if (!key_cmp(m->key, m->keylen, key, keylen))
                return &m->value;
        }
        return NULL;
    }
    const json_member_t **idx = object_index(v);
    size_t lo = 0, hi = v->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = key_cmp(idx[mid]->key, idx[mid]->keylen, key, keylen);
        if (c == 0)
            return &idx[mid]->value;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

const util_json_t *util_json_get(const util_json_t *v, const char *key)
{
    return key ? util_json_getn(v, key, strlen(key)) : NULL;
}

size_t util_json_count(const util_json_t *v)
{
    if (!v || (v->type != UTIL_JSON_ARRAY && v->type != UTIL_JSON_OBJECT))
        return 0;
    return v->count;
}

const util_json_t *util_json_at(const util_json_t *v, size_t i)
{
    if (!v || i >= util_json_count(v))
        return NULL;
    if (v->type == UTIL_JSON_ARRAY)
        return &v->v.items[i];
    return &v->v.members[i].value;
}

const char *util_json_key_at(const util_json_t *v, size_t i, size_t *keylen)
{
    if (!v || v->type != UTIL_JSON_OBJECT || i >= v->count)
        return NULL;
    if (keylen)
        *keylen = v->v.members[i].keylen;
    return v->v.members[i].key;
}

const char *util_json_str(const util_json_t *v, size_t *len)
{
    if (!v || v->type != UTIL_JSON_STRING)
        return NULL;
    if (len)
        *len = v->count;
    return v->v.s;
}

bool util_json_u64(const util_json_t *v, uint64_t *out)
{
    if (!v || v->type != UTIL_JSON_NUMBER)
        return false;
    if (v->sub == NUM_U64) {
        *out = v->v.u;
        return true;
    }
    return false; /* negative or not an exact integer */
}

bool util_json_i64(const util_json_t *v, int64_t *out)
{
    if (!v || v->type != UTIL_JSON_NUMBER)
        return false;
    if (v->sub == NUM_I64) {
        *out = v->v.i;
        return true;
    }
    if (v->sub == NUM_U64 && v->v.u <= (uint64_t)INT64_MAX) {
        *out = (int64_t)v->v.u;
        return true;
    }
    return false;
}

bool util_json_bool(const util_json_t *v, bool *out)
{
    if (!v || v->type != UTIL_JSON_BOOL)
        return false;
    *out = v->sub != 0;
    return true;
}

bool util_json_is_null(const util_json_t *v)
{
    return v && v->type == UTIL_JSON_NULL;
}
