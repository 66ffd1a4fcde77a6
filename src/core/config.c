/*
 * config.c - the libvmi.conf reader (see config.h).
 *
 * A hand-written scanner: entries are `name { key = value; ... }`, values
 * are quoted strings, numbers or bare words, `#` starts a comment.  Input is
 * bounded by the caller's buffer and every token has a length cap, so a
 * hostile config cannot make the parser run away.
 */
#include "core/config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/hash.h"
#include "util/strutil.h"
#include "util/sys.h"

/* Keys, entry names and bare words are short; quoted values may be long and
 * span lines, so that a whole System.map can be compiled into a program as
 * `sysmap = "<the map>"`. */
#define CONFIG_TOKEN_MAX 4096
#define CONFIG_STRING_MAX (64u << 20)
#define CONFIG_FILE_MAX (CONFIG_STRING_MAX + (1u << 20))

struct config {
    util_hash_t *keys; /* char * -> char * */
};

config_t *config_new(void)
{
    config_t *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->keys = util_hash_new(util_hash_str, util_hash_str_eq, free, free);
    if (!c->keys) {
        free(c);
        return NULL;
    }
    return c;
}

void config_free(config_t *c)
{
    if (!c)
        return;
    util_hash_free(c->keys);
    free(c);
}

bool config_set(config_t *c, const char *key, const char *value)
{
    char *k = util_strdup(key), *v = util_strdup(value);
    if (!k || !v || !util_hash_insert(c->keys, k, v)) {
        free(k);
        free(v);
        return false;
    }
    return true;
}

const char *config_get(const config_t *c, const char *key)
{
    return c ? util_hash_lookup(c->keys, key) : NULL;
}

bool config_get_u64(const config_t *c, const char *key, uint64_t *out, util_err_t *err)
{
    const char *v = config_get(c, key);
    if (!v)
        return false;
    if (!util_parse_u64(v, out)) {
        util_err_set(err, "config key %s: \"%s\" is not a number", key, v);
        return false;
    }
    return true;
}

size_t config_count(const config_t *c)
{
    return util_hash_count(c->keys);
}

static int cmp_str_ptr(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

void config_foreach(const config_t *c, void (*fn)(void *ctx, const char *k, const char *v),
                    void *ctx)
{
    size_t n = util_hash_count(c->keys), i = 0;
    const char **keys = calloc(n ? n : 1, sizeof(*keys));
    util_hash_iter_t it;
    void *k, *v;

    if (!keys)
        return;
    util_hash_iter_init(c->keys, &it);
    while (i < n && util_hash_iter_next(&it, &k, &v))
        keys[i++] = k;
    qsort(keys, i, sizeof(*keys), cmp_str_ptr);
    for (size_t j = 0; j < i; j++)
        fn(ctx, keys[j], config_get(c, keys[j]));
    free(keys);
}

bool config_entry_matches(const char *entry, const char *want)
{
    const char *base, *dot;
    size_t len;

    if (!entry || !want)
        return false;
    if (strcmp(entry, want) == 0)
        return true;
    base = strrchr(want, '/');
    base = base ? base + 1 : want;
    if (strcmp(entry, base) == 0)
        return true;
    dot = strchr(base, '.');
    len = dot ? (size_t)(dot - base) : strlen(base);
    return len > 0 && strlen(entry) == len && strncmp(entry, base, len) == 0;
}

/* ---- the scanner ---- */

typedef struct scanner {
    const char *p;
    int line;
    util_err_t *err;
} scanner_t;

static void skip_space(scanner_t *s)
{
    for (;;) {
        while (*s->p && util_is_space(*s->p)) {
            if (*s->p == '\n')
                s->line++;
            s->p++;
        }
        if (*s->p == '#') {
            while (*s->p && *s->p != '\n')
                s->p++;
            continue;
        }
        return;
    }
}

/* A word: a key, an entry name or an unquoted value, into buf. */
static bool scan_word(scanner_t *s, char *buf)
{
    size_t n = 0;
    while (*s->p && !util_is_space(*s->p) && !strchr(";{}=#\"", *s->p)) {
        if (n + 1 >= CONFIG_TOKEN_MAX) {
            util_err_set(s->err, "line %d: word longer than %d bytes (quote long values)",
                         s->line, CONFIG_TOKEN_MAX - 1);
            return false;
        }
        buf[n++] = *s->p++;
    }
    buf[n] = '\0';
    return true;
}

/* A value: a quoted string (any length up to CONFIG_STRING_MAX, newlines
 * allowed) or a word.  Returns a malloc'd copy, or NULL with a reason. */
static char *scan_value(scanner_t *s, bool *quoted)
{
    char word[CONFIG_TOKEN_MAX], *v;
    const char *start, *q;
    int start_line = s->line;
    size_t len;

    *quoted = *s->p == '"';
    if (!*quoted)
        return scan_word(s, word) ? util_strdup(word) : NULL;
    start = ++s->p;
    for (q = start; *q && *q != '"'; q++)
        if (*q == '\n')
            s->line++;
    if (!*q) {
        util_err_set(s->err, "line %d: unterminated string", start_line);
        return NULL;
    }
    len = (size_t)(q - start);
    if (len > CONFIG_STRING_MAX) {
        util_err_set(s->err, "line %d: value longer than %u bytes", start_line,
                     CONFIG_STRING_MAX);
        return NULL;
    }
    v = malloc(len + 1);
    if (!v) {
        util_err_set(s->err, "line %d: out of memory for a %zu-byte value", start_line, len);
        return NULL;
    }
    memcpy(v, start, len);
    v[len] = '\0';
    s->p = q + 1;
    return v;
}

/* Body: `key = value;` pairs until '}' (braced) or the end (bare). */
static bool scan_body(scanner_t *s, config_t *c, bool store, bool braced)
{
    char key[CONFIG_TOKEN_MAX], *val;
    bool quoted;

    for (;;) {
        skip_space(s);
        if (*s->p == '\0') {
            if (braced) {
                util_err_set(s->err, "line %d: missing '}'", s->line);
                return false;
            }
            return true;
        }
        if (*s->p == '}') {
            if (!braced) {
                util_err_set(s->err, "line %d: '}' without '{'", s->line);
                return false;
            }
            s->p++;
            return true;
        }
        if (*s->p == ';') {
            s->p++;
            continue;
        }
        if (!scan_word(s, key))
            return false;
        if (!key[0]) {
            util_err_set(s->err, "line %d: expected a key, found '%c'", s->line, *s->p);
            return false;
        }
        skip_space(s);
        if (*s->p != '=') {
            util_err_set(s->err, "line %d: expected '=' after \"%s\"", s->line, key);
            return false;
        }
        s->p++;
        skip_space(s);
        if (!(val = scan_value(s, &quoted)))
            return false;
        if (!quoted && !val[0]) {
            util_err_set(s->err, "line %d: key \"%s\" has no value", s->line, key);
            free(val);
            return false;
        }
        int value_line = s->line; /* report where the value was, not the next token */
        skip_space(s);
        if (*s->p == ';')
            s->p++;
        else if (*s->p && *s->p != '}') {
            util_err_set(s->err, "line %d: expected ';' after the value of \"%s\"", value_line,
                         key);
            free(val);
            return false;
        }
        if (!store) {
            free(val);
            continue;
        }
        char *k = util_strdup(key);
        if (!k || !util_hash_insert(c->keys, k, val)) {
            free(k);
            free(val);
            util_err_set(s->err, "out of memory storing \"%s\"", key);
            return false;
        }
    }
}

bool config_parse(config_t *c, const char *text, const char *want, bool *found,
                  util_err_t *err)
{
    scanner_t s = { .p = text, .line = 1, .err = err };
    char word[CONFIG_TOKEN_MAX];
    const char *save;
    int save_line;

    *found = false;
    skip_space(&s);
    if (*s.p == '{') { /* "{ key = value; }": an anonymous entry */
        s.p++;
        *found = true;
        if (!scan_body(&s, c, true, true))
            return false;
        skip_space(&s);
        if (*s.p) {
            util_err_set(err, "line %d: text after the closing '}'", s.line);
            return false;
        }
        return true;
    }
    /* Named entries, or a bare body.  Tell them apart by what follows the
     * first word: '{' starts an entry, '=' a bare body. */
    save = s.p;
    save_line = s.line;
    if (!scan_word(&s, word))
        return false;
    skip_space(&s);
    if (*s.p != '{') {
        s.p = save;
        s.line = save_line;
        *found = true;
        return scan_body(&s, c, true, false);
    }
    s.p = save;
    s.line = save_line;
    for (;;) {
        bool take;
        skip_space(&s);
        if (!*s.p)
            return true;
        if (!scan_word(&s, word))
            return false;
        if (!word[0]) {
            util_err_set(err, "line %d: expected an entry name, found '%c'", s.line, *s.p);
            return false;
        }
        skip_space(&s);
        if (*s.p != '{') {
            util_err_set(err, "line %d: expected '{' after entry name \"%s\"", s.line, word);
            return false;
        }
        s.p++;
        take = !*found && (!want || config_entry_matches(word, want));
        if (!scan_body(&s, c, take, true))
            return false;
        if (take)
            *found = true;
    }
}

bool config_parse_file(config_t *c, const char *path, const char *want, bool *found,
                       util_err_t *err)
{
    util_sys_load_t f;
    bool ok;

    switch (util_sys_load(path, CONFIG_FILE_MAX, &f)) {
    case UTIL_SYS_LOAD_NO_OPEN:
        util_err_set(err, "cannot open config file %s: %s", path, f.why);
        return false;
    case UTIL_SYS_LOAD_NOT_REGULAR:
    case UTIL_SYS_LOAD_TOO_BIG:
        util_err_set(err, "config file %s is not a regular file of at most %u bytes", path,
                     CONFIG_FILE_MAX);
        return false;
    case UTIL_SYS_LOAD_NO_MEMORY:
        util_err_set(err, "out of memory reading %s", path);
        return false;
    case UTIL_SYS_LOAD_OK:
    case UTIL_SYS_LOAD_SHORT: /* what could be read is parsed, as it always was */
        break;
    }
    if (strlen(f.data) != f.len) {
        free(f.data);
        util_err_set(err, "config file %s contains a NUL byte", path);
        return false;
    }
    ok = config_parse(c, f.data, want, found, err);
    free(f.data);
    if (!ok)
        util_err_prefix(err, "%s", path);
    return ok;
}
