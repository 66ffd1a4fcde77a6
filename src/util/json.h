/*
 * json.h - a small, strict, bounded JSON reader (RFC 8259), our own so the
 * library stays free of dependencies.  It exists for symbol tables
 * (Volatility 3 ISF files, several megabytes with objects of thousands of
 * members) and JSON profiles, which come from users and are untrusted input.
 *
 * The whole document is parsed at once into a compact read-only tree that
 * owns copies of every string, so the input buffer may be freed right after
 * parsing.  Strict means: no comments, no trailing commas, no single quotes,
 * no leading zeros, no NaN/Infinity, control characters must be escaped,
 * raw bytes must be valid UTF-8, lone surrogates are rejected, and an object
 * must not repeat a key.  Bounded means: input size and nesting depth have
 * limits, so a hostile file cannot exhaust the stack or memory.  Errors say
 * where: "line 12, column 7: expected ',' or '}' after object member".
 *
 * What this must not do: write JSON, keep a reference to the input, or
 * accept anything a strict reader should reject.
 */
#ifndef TINYVMI_UTIL_JSON_H
#define TINYVMI_UTIL_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

typedef enum util_json_type {
    UTIL_JSON_NULL,
    UTIL_JSON_BOOL,
    UTIL_JSON_NUMBER,
    UTIL_JSON_STRING,
    UTIL_JSON_ARRAY,
    UTIL_JSON_OBJECT,
} util_json_type_t;

typedef struct util_json util_json_t;         /* one value in the tree */
typedef struct util_json_doc util_json_doc_t; /* a parsed document */

typedef struct util_json_limits {
    size_t max_bytes;   /* largest input accepted; 0: UTIL_JSON_DEFAULT_MAX_BYTES */
    unsigned max_depth; /* deepest nesting of arrays/objects; 0: default */
} util_json_limits_t;

#define UTIL_JSON_DEFAULT_MAX_BYTES ((size_t)512 << 20) /* 512 MiB */
#define UTIL_JSON_DEFAULT_MAX_DEPTH 128u
/* Hard ceilings, whatever the caller asks for: string lengths and member
 * counts are kept in 32 bits, and recursion needs a bounded stack. */
#define UTIL_JSON_MAX_BYTES_CEILING ((size_t)0xffffffffu)
#define UTIL_JSON_MAX_DEPTH_CEILING 1000u

/* Parse len bytes of text (need not be NUL-terminated).  lim may be NULL for
 * the defaults.  NULL on failure, with the reason (and line:column) in err. */
util_json_doc_t *util_json_parse(const char *text, size_t len,
                                 const util_json_limits_t *lim, util_err_t *err);
/* Read and parse a whole file.  Recognises gzip / xz / bzip2 files and says
 * they must be decompressed first (Volatility ships ISF as .json.xz). */
util_json_doc_t *util_json_parse_file(const char *path,
                                      const util_json_limits_t *lim,
                                      util_err_t *err);
void util_json_free(util_json_doc_t *doc);

const util_json_t *util_json_root(const util_json_doc_t *doc);

/* Every accessor accepts NULL and then answers "absent" (NULL, 0, false), so
 * lookups chain: util_json_get(util_json_get(root, "metadata"), "format"). */
util_json_type_t util_json_type(const util_json_t *v); /* NULL: UTIL_JSON_NULL */
const char *util_json_type_name(util_json_type_t t);    /* "object", ... */

/* Object member by key (exact, byte for byte); NULL when absent or when v is
 * not an object.  Large objects are searched by binary search. */
const util_json_t *util_json_get(const util_json_t *v, const char *key);
const util_json_t *util_json_getn(const util_json_t *v, const char *key,
                                  size_t keylen);

/* Members of an array or object (0 for anything else). */
size_t util_json_count(const util_json_t *v);
/* The i-th element of an array, or the i-th member value of an object, in
 * document order; NULL past the end. */
const util_json_t *util_json_at(const util_json_t *v, size_t i);
/* The i-th key of an object, in document order; NULL past the end or when v
 * is not an object.  keylen (may be NULL) receives its length. */
const char *util_json_key_at(const util_json_t *v, size_t i, size_t *keylen);

/* A string's text (NUL-terminated; it may also contain NUL from "\u0000",
 * so len tells the true length).  NULL when v is not a string. */
const char *util_json_str(const util_json_t *v, size_t *len);

/* Numbers.  Only integers are kept (symbol tables hold nothing else):
 * u64 / i64 succeed for an integer written without fraction or exponent
 * that fits.  Any other number is valid JSON, accepted by the parser, and
 * has no value here. */
bool util_json_u64(const util_json_t *v, uint64_t *out);
bool util_json_i64(const util_json_t *v, int64_t *out);
bool util_json_bool(const util_json_t *v, bool *out);
bool util_json_is_null(const util_json_t *v); /* a JSON null (not absence) */

#endif
