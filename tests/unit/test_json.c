/*
 * test_json.c - the JSON reader: what RFC 8259 accepts comes back exactly,
 * what it rejects is refused with the right line and column.
 */
#include "test.h"

#include <stdbool.h>
#include <stdint.h>
#include <unistd.h>

#include "util/json.h"

static util_json_doc_t *parse(const char *s, util_err_t *err)
{
    util_err_clear(err);
    return util_json_parse(s, strlen(s), NULL, err);
}

/* Parsing must fail and the reason must contain want. */
static void check_rejects(const char *text, const char *want, int line)
{
    util_err_t err;
    util_json_doc_t *d = parse(text, &err);
    if (!CHECK_QUIET(!d && strstr(util_err_msg(&err), want)))
        fprintf(stderr, "  FAIL line %d: input %s: wanted error containing \"%s\", got %s\"%s\"\n",
                line, text, want, d ? "success " : "", util_err_msg(&err));
    util_json_free(d);
}
#define REJECTS(text, want) check_rejects(text, want, __LINE__)

static void test_scalars(void)
{
    util_err_t err;
    util_json_doc_t *d = parse(" [true, false, null, 0, -0, 42, -17, 1.5, -2.5e3, 1E2,"
                               " 18446744073709551615, -9223372036854775808,"
                               " 18446744073709551616, \"\"] ", &err);
    CHECK(d != NULL);
    const util_json_t *a = util_json_root(d);
    CHECK(util_json_type(a) == UTIL_JSON_ARRAY);
    CHECK_EQ_U64(util_json_count(a), 14);
    bool b = false;
    CHECK(util_json_bool(util_json_at(a, 0), &b) && b);
    CHECK(util_json_bool(util_json_at(a, 1), &b) && !b);
    CHECK(util_json_is_null(util_json_at(a, 2)));
    CHECK(!util_json_is_null(util_json_at(a, 99))); /* absent is not null */
    uint64_t u = 1;
    int64_t i = 1;
    CHECK(util_json_u64(util_json_at(a, 3), &u) && u == 0);
    CHECK(util_json_i64(util_json_at(a, 4), &i) && i == 0);
    CHECK(util_json_u64(util_json_at(a, 5), &u) && u == 42);
    CHECK(util_json_i64(util_json_at(a, 6), &i) && i == -17);
    CHECK(!util_json_u64(util_json_at(a, 6), &u)); /* negative: not a u64 */
    /* Fractions and exponents are numbers without a value here. */
    CHECK(util_json_type(util_json_at(a, 7)) == UTIL_JSON_NUMBER);
    CHECK(!util_json_u64(util_json_at(a, 7), &u) && !util_json_i64(util_json_at(a, 7), &i));
    CHECK(!util_json_i64(util_json_at(a, 8), &i));
    CHECK(!util_json_u64(util_json_at(a, 9), &u)); /* 1E2 is not written as an integer */
    CHECK(util_json_u64(util_json_at(a, 10), &u) && u == UINT64_MAX);
    CHECK(!util_json_i64(util_json_at(a, 10), &i)); /* does not fit */
    CHECK(util_json_i64(util_json_at(a, 11), &i) && i == INT64_MIN);
    CHECK(!util_json_u64(util_json_at(a, 12), &u)); /* beyond 64 bits: no value */
    CHECK(util_json_type(util_json_at(a, 12)) == UTIL_JSON_NUMBER);
    size_t len = 99;
    CHECK_STREQ(util_json_str(util_json_at(a, 13), &len), "");
    CHECK_EQ_U64(len, 0);
    CHECK(util_json_at(a, 14) == NULL);
    util_json_free(d);

    /* Huge exponents are valid JSON; without a value here, nothing can
     * overflow. */
    d = parse("[1e999, -0.5e-999]", &err);
    CHECK(d != NULL && !util_json_u64(util_json_at(util_json_root(d), 0), &u));
    util_json_free(d);

    d = parse("7", &err); /* any value may be the root */
    CHECK(d && util_json_u64(util_json_root(d), &u) && u == 7);
    util_json_free(d);
}

static void test_strings(void)
{
    util_err_t err;
    util_json_doc_t *d = parse("[\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\", \"\\u0041\\u00e9\\u20ac\","
                               " \"\\ud83d\\ude00\", \"caf\xc3\xa9 \xf0\x9f\x98\x80\", \"x\\u0000y\"]",
                               &err);
    CHECK(d != NULL);
    const util_json_t *a = util_json_root(d);
    size_t len;
    CHECK_STREQ(util_json_str(util_json_at(a, 0), NULL), "a\"b\\c/d\b\f\n\r\t");
    CHECK_STREQ(util_json_str(util_json_at(a, 1), NULL), "A\xc3\xa9\xe2\x82\xac");
    CHECK_STREQ(util_json_str(util_json_at(a, 2), NULL), "\xf0\x9f\x98\x80");
    CHECK_STREQ(util_json_str(util_json_at(a, 3), NULL), "caf\xc3\xa9 \xf0\x9f\x98\x80");
    const char *s = util_json_str(util_json_at(a, 4), &len);
    CHECK(s && len == 3 && memcmp(s, "x\0y", 3) == 0);
    CHECK(util_json_str(util_json_at(a, 5), NULL) == NULL);
    CHECK(util_json_str(NULL, NULL) == NULL);
    util_json_free(d);
}

static void test_objects(void)
{
    util_err_t err;
    util_json_doc_t *d = parse("{\"b\": 1, \"a\": {\"x\": [1, 2, {\"deep\": \"yes\"}]}, \"\": 3}", &err);
    CHECK(d != NULL);
    const util_json_t *o = util_json_root(d);
    uint64_t u = 0;
    CHECK_EQ_U64(util_json_count(o), 3);
    CHECK(util_json_u64(util_json_get(o, "b"), &u) && u == 1);
    CHECK(util_json_u64(util_json_get(o, ""), &u) && u == 3);
    CHECK(util_json_get(o, "c") == NULL);
    CHECK(util_json_get(o, "bb") == NULL);
    CHECK_STREQ(util_json_str(util_json_get(util_json_at(util_json_get(util_json_get(o, "a"),
                                                                         "x"), 2), "deep"), NULL),
                "yes");
    /* Document order is kept for iteration. */
    size_t kl = 0;
    CHECK_STREQ(util_json_key_at(o, 0, &kl), "b");
    CHECK_EQ_U64(kl, 1);
    CHECK_STREQ(util_json_key_at(o, 1, NULL), "a");
    CHECK(util_json_key_at(o, 3, NULL) == NULL);
    /* Chained lookups through absent values stay NULL, never crash. */
    CHECK(util_json_get(util_json_get(o, "nope"), "x") == NULL);
    CHECK(util_json_get(util_json_get(o, "b"), "x") == NULL); /* not an object */
    CHECK_EQ_U64(util_json_count(util_json_get(o, "b")), 0);
    util_json_free(d);
}

/* An object the size of ISF's user_types: lookups by binary search must find
 * every member, and miss what is absent. */
static void test_large_object(void)
{
    enum { N = 5000 };
    size_t cap = (size_t)N * 40 + 16;
    char *buf = malloc(cap);
    CHECK(buf != NULL);
    if (!buf)
        return;
    size_t n = 0;
    buf[n++] = '{';
    for (int i = 0; i < N; i++)
        n += (size_t)snprintf(buf + n, cap - n, "%s\"_TYPE_%d\": %d", i ? ",\n" : "",
                              (i * 7919) % N, i);
    buf[n++] = '}';
    util_err_t err;
    util_json_doc_t *d = util_json_parse(buf, n, NULL, &err);
    CHECK(d != NULL);
    const util_json_t *o = util_json_root(d);
    CHECK_EQ_U64(util_json_count(o), N);
    int found = 0;
    for (int i = 0; i < N; i++) {
        char key[32];
        snprintf(key, sizeof(key), "_TYPE_%d", (i * 7919) % N);
        uint64_t v;
        if (util_json_u64(util_json_get(o, key), &v) && v == (uint64_t)i)
            found++;
    }
    CHECK_EQ_U64(found, N);
    CHECK(util_json_get(o, "_TYPE_") == NULL);
    CHECK(util_json_get(o, "_TYPE_5000") == NULL);
    CHECK(util_json_get(o, "") == NULL);
    util_json_free(d);

    /* A repeated key in a large object is found too (after sorting). */
    n = (size_t)snprintf(buf, cap, "{\"k0\":0,\"k1\":1,\"k2\":2,\"k3\":3,\"k4\":4,\"k5\":5,"
                                   "\"k6\":6,\"k7\":7,\"k8\":8,\"k9\":9,\"k3\":10}");
    d = util_json_parse(buf, n, NULL, &err);
    CHECK(d == NULL);
    CHECK(strstr(util_err_msg(&err), "duplicate key \"k3\"") != NULL);
    CHECK(strstr(util_err_msg(&err), "line 1, column 1:") != NULL);
    free(buf);
}

static void test_malformed(void)
{
    REJECTS("", "expected a value, found end of input");
    REJECTS("   \n  ", "line 2, column 3: expected a value");
    REJECTS("[1, 2", "line 1, column 6: expected ',' or ']'");
    REJECTS("[1, 2,]", "trailing comma before ']'");
    REJECTS("{\"a\": 1,}", "trailing comma before '}'");
    REJECTS("{\"a\" 1}", "expected ':' after object key");
    REJECTS("{a: 1}", "expected a string key, found 'a'");
    REJECTS("{'a': 1}", "expected a string key");
    REJECTS("{\"a\": 1, \"a\": 2}", "line 1, column 10: duplicate key \"a\"");
    REJECTS("[01]", "leading zeros");
    REJECTS("[-]", "a number needs digits");
    REJECTS("[1.]", "decimal point must be followed by digits");
    REJECTS("[.5]", "expected a value, found '.'");
    REJECTS("[1e]", "an exponent needs digits");
    REJECTS("[+1]", "expected a value, found '+'");
    REJECTS("[NaN]", "expected a value, found 'N'");
    REJECTS("[Infinity]", "expected a value");
    REJECTS("[tru]", "unexpected 't'");
    REJECTS("[nul", "unexpected 'n'");
    REJECTS("\"abc", "string never ends");
    REJECTS("\"abc\\", "string never ends");
    REJECTS("\"a\tb\"", "control character 0x09");
    REJECTS("\"\\x\"", "invalid escape '\\x'");
    REJECTS("\"\\u12\"", "four hexadecimal digits");
    REJECTS("\"\\u12G4\"", "four hexadecimal digits");
    REJECTS("\"\\ud800\"", "not followed by a low surrogate");
    REJECTS("\"\\ud800\\u0041\"", "not followed by a low surrogate");
    REJECTS("\"\\udc00\"", "lone low surrogate");
    REJECTS("\"\xff\"", "invalid UTF-8");
    REJECTS("\"\xc0\xaf\"", "invalid UTF-8");          /* overlong '/' */
    REJECTS("\"\xed\xa0\x80\"", "invalid UTF-8");      /* encoded surrogate */
    REJECTS("\"\xf4\x90\x80\x80\"", "invalid UTF-8");  /* above U+10FFFF */
    REJECTS("\"\xe2\x82\"", "invalid UTF-8");          /* truncated */
    REJECTS("{} {}", "after the end of the document");
    REJECTS("[1] x", "line 1, column 5: unexpected 'x'");
    REJECTS("// comment\n1", "expected a value, found '/'");
    REJECTS("[\n  1,\n  2\n  3]", "line 4, column 3: expected ',' or ']'");
    REJECTS("[\x01]", "found byte 0x01");
}

static void test_limits(void)
{
    util_err_t err;
    /* Depth: 128 levels pass by default, 129 do not. */
    char deep[300];
    memset(deep, '[', 128);
    memset(deep + 128, ']', 128);
    util_json_doc_t *d = util_json_parse(deep, 256, NULL, &err);
    CHECK(d != NULL);
    util_json_free(d);
    memset(deep, '[', 129);
    memset(deep + 129, ']', 129);
    d = util_json_parse(deep, 258, NULL, &err);
    CHECK(d == NULL && strstr(util_err_msg(&err), "nesting deeper than 128 levels"));
    util_json_limits_t lim = { .max_depth = 2 };
    d = util_json_parse("[[1]]", 5, &lim, &err);
    CHECK(d != NULL);
    util_json_free(d);
    d = util_json_parse("[[[1]]]", 7, &lim, &err);
    CHECK(d == NULL && strstr(util_err_msg(&err), "column 3: nesting deeper than 2"));

    /* A hostile, endlessly nested document fails cleanly, not by stack
     * overflow. */
    size_t n = 1 << 20;
    char *big = malloc(n);
    CHECK(big != NULL);
    if (big) {
        memset(big, '[', n);
        d = util_json_parse(big, n, NULL, &err);
        CHECK(d == NULL && strstr(util_err_msg(&err), "nesting deeper"));
        free(big);
    }

    lim = (util_json_limits_t){ .max_bytes = 4 };
    d = util_json_parse("[1,2]", 5, &lim, &err);
    CHECK(d == NULL && strstr(util_err_msg(&err), "more than the limit of 4"));
    d = util_json_parse(NULL, 0, NULL, &err);
    CHECK(d == NULL);
}

static void test_file(void)
{
    char path[] = "/tmp/tvmi-json-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    if (fd < 0)
        return;
    const char *text = "\xef\xbb\xbf{\"metadata\": {\"format\": \"6.2.0\"}}\n";
    CHECK(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
    close(fd);
    util_err_t err;
    util_json_doc_t *d = util_json_parse_file(path, NULL, &err);
    CHECK(d != NULL);
    CHECK_STREQ(util_json_str(util_json_get(util_json_get(util_json_root(d), "metadata"),
                                            "format"), NULL), "6.2.0");
    util_json_free(d);

    /* A compressed ISF is named as such. */
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL);
    if (f) {
        fwrite("\xfd" "7zXZ\0\0\0", 1, 8, f);
        fclose(f);
    }
    d = util_json_parse_file(path, NULL, &err);
    CHECK(d == NULL && strstr(util_err_msg(&err), "xz-compressed"));

    /* Errors in a file carry its name. */
    f = fopen(path, "wb");
    if (f) {
        fputs("{\n\"a\": }", f);
        fclose(f);
    }
    d = util_json_parse_file(path, NULL, &err);
    CHECK(d == NULL && strstr(util_err_msg(&err), path) &&
          strstr(util_err_msg(&err), "line 2, column 6"));
    unlink(path);

    d = util_json_parse_file("/nonexistent/x.json", NULL, &err);
    CHECK(d == NULL && strstr(util_err_msg(&err), "/nonexistent/x.json"));
}

int main(void)
{
    TEST_RUN(test_scalars);
    TEST_RUN(test_strings);
    TEST_RUN(test_objects);
    TEST_RUN(test_large_object);
    TEST_RUN(test_malformed);
    TEST_RUN(test_limits);
    TEST_RUN(test_file);
    TEST_DONE();
}
