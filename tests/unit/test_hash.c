/*
 * test_hash.c - the general hash table: what goes in comes out, growth keeps
 * every entry, replacement and removal free exactly what they should, and
 * removing during iteration visits every entry once.
 */
#include "test.h"

#include "util/hash.h"

#include <stdbool.h>
#include <stdint.h>

static int key_frees, val_frees;

static void count_key_free(void *p)
{
    key_frees++;
    free(p);
}

static void count_val_free(void *p)
{
    val_frees++;
    free(p);
}

static void reset_counts(void)
{
    key_frees = val_frees = 0;
}

static uint64_t *u64_new(uint64_t v)
{
    uint64_t *p = malloc(sizeof(*p));
    if (!p)
        abort();
    *p = v;
    return p;
}

static char *str_new(const char *s)
{
    char *p = malloc(strlen(s) + 1);
    if (!p)
        abort();
    strcpy(p, s);
    return p;
}

/* Every key hashes alike: all entries share one chain, the worst case. */
static uint64_t bad_hash(const void *key)
{
    (void)key;
    return 42;
}

static void test_mix64(void)
{
    /* splitmix64 seeded with 0 first outputs mix(0x9e3779b97f4a7c15). */
    CHECK_EQ_U64(util_hash_mix64(UINT64_C(0x9e3779b97f4a7c15)), UINT64_C(0xe220a8397b1dcdaf));
    CHECK_EQ_U64(util_hash_mix64(0), 0);
    CHECK(util_hash_mix64(1) != util_hash_mix64(2));
    /* Calls through a pointer use the external definition in hash.c. */
    uint64_t (*fn)(uint64_t) = util_hash_mix64;
    CHECK_EQ_U64(fn(12345), util_hash_mix64(12345));
}

static void test_growth_100k(void)
{
    const uint64_t n = 100000;
    util_hash_t *h = util_hash_new(util_hash_u64, util_hash_u64_eq, count_key_free, count_val_free);
    uint64_t probe;
    bool all_ok = true;

    reset_counts();
    CHECK(h != NULL);
    /* Page-aligned keys: the pattern of guest addresses. */
    for (uint64_t i = 0; i < n; i++)
        all_ok &= util_hash_insert(h, u64_new(i << 12), u64_new(i * 3));
    CHECK(all_ok);
    CHECK_EQ_U64(util_hash_count(h), n);
    for (uint64_t i = 0; i < n; i++) {
        uint64_t *v;
        probe = i << 12;
        v = util_hash_lookup(h, &probe);
        if (!v || *v != i * 3) {
            CHECK(v && *v == i * 3);
            break;
        }
    }
    probe = (n << 12);
    CHECK(util_hash_lookup(h, &probe) == NULL);
    probe = 1;
    CHECK(!util_hash_contains(h, &probe));
    probe = 7 << 12;
    CHECK(util_hash_contains(h, &probe));
    CHECK_EQ_U64(key_frees, 0);
    util_hash_free(h);
    CHECK_EQ_U64(key_frees, n);
    CHECK_EQ_U64(val_frees, n);
}

static void test_replace_frees_old(void)
{
    util_hash_t *h = util_hash_new(util_hash_str, util_hash_str_eq, count_key_free, count_val_free);
    char *k1 = str_new("kpgd"), *k2 = str_new("kpgd");
    uint64_t *v1 = u64_new(1), *v2 = u64_new(2), *v;

    reset_counts();
    CHECK(util_hash_insert(h, k1, v1));
    CHECK(util_hash_insert(h, k2, v2)); /* same text, different pointer */
    CHECK_EQ_U64(util_hash_count(h), 1);
    CHECK_EQ_U64(key_frees, 1);
    CHECK_EQ_U64(val_frees, 1);
    v = util_hash_lookup(h, "kpgd");
    CHECK(v == v2);

    /* Putting the very same key back with a new value frees only the value. */
    uint64_t *v3 = u64_new(3);
    CHECK(util_hash_insert(h, k2, v3));
    CHECK_EQ_U64(key_frees, 1);
    CHECK_EQ_U64(val_frees, 2);
    CHECK(util_hash_lookup(h, "kpgd") == v3);

    /* And the very same pair frees nothing. */
    CHECK(util_hash_insert(h, k2, v3));
    CHECK_EQ_U64(key_frees, 1);
    CHECK_EQ_U64(val_frees, 2);

    util_hash_free(h);
    CHECK_EQ_U64(key_frees, 2);
    CHECK_EQ_U64(val_frees, 3);
}

static void test_remove_and_clear(void)
{
    util_hash_t *h = util_hash_new(util_hash_str, util_hash_str_eq, count_key_free, count_val_free);

    reset_counts();
    CHECK(util_hash_insert(h, str_new("init_task"), str_new("0xffffffff82a0c940")));
    CHECK(util_hash_insert(h, str_new("linux_name"), str_new("0xb48")));
    CHECK(util_hash_insert(h, str_new("linux_pid"), str_new("0x938")));
    CHECK(util_hash_remove(h, "linux_name"));
    CHECK_EQ_U64(key_frees, 1);
    CHECK_EQ_U64(val_frees, 1);
    CHECK(!util_hash_remove(h, "linux_name"));
    CHECK(!util_hash_remove(h, "nothing"));
    CHECK_EQ_U64(key_frees, 1);
    CHECK_EQ_U64(util_hash_count(h), 2);
    CHECK_STREQ(util_hash_lookup(h, "linux_pid"), "0x938");
    CHECK(util_hash_lookup(h, "linux_name") == NULL);

    util_hash_clear(h);
    CHECK_EQ_U64(util_hash_count(h), 0);
    CHECK_EQ_U64(key_frees, 3);
    CHECK_EQ_U64(val_frees, 3);
    CHECK(util_hash_lookup(h, "init_task") == NULL);
    /* Still usable after clear. */
    CHECK(util_hash_insert(h, str_new("ostype"), str_new("Linux")));
    CHECK_STREQ(util_hash_lookup(h, "ostype"), "Linux");
    util_hash_free(h);
    CHECK_EQ_U64(key_frees, 4);
    CHECK_EQ_U64(val_frees, 4);
}

static void test_no_free_functions(void)
{
    /* Keys and values owned by the caller: the table frees nothing. */
    static uint64_t keys[3] = {10, 20, 30};
    static int vals[3];
    util_hash_t *h = util_hash_new(util_hash_u64, util_hash_u64_eq, NULL, NULL);

    for (int i = 0; i < 3; i++)
        CHECK(util_hash_insert(h, &keys[i], &vals[i]));
    uint64_t k = 20;
    CHECK(util_hash_lookup(h, &k) == &vals[1]);
    CHECK(util_hash_remove(h, &k));
    CHECK_EQ_U64(util_hash_count(h), 2);
    util_hash_free(h);
    util_hash_free(NULL);
}

/* Remove every other entry as the iterator hands them out, then check that
 * each entry was seen once and exactly the removed ones are gone. */
static void iterate_delete_every_other(util_hash_fn hash, uint64_t n)
{
    util_hash_t *h = util_hash_new(hash, util_hash_u64_eq, count_key_free, count_val_free);
    unsigned char *seen = calloc(n, 1), *removed = calloc(n, 1);
    util_hash_iter_t it;
    void *k, *v;
    uint64_t visits = 0, nremoved = 0;
    bool once = true, consistent = true;

    reset_counts();
    for (uint64_t i = 0; i < n; i++)
        CHECK(util_hash_insert(h, u64_new(i), u64_new(i + 1000)));

    util_hash_iter_init(h, &it);
    while (util_hash_iter_next(&it, &k, &v)) {
        uint64_t key = *(uint64_t *)k;
        consistent &= key < n && *(uint64_t *)v == key + 1000;
        if (key >= n)
            continue;
        once &= !seen[key];
        seen[key] = 1;
        if (visits++ % 2 == 0) {
            removed[key] = 1;
            nremoved++;
            util_hash_iter_remove(&it);
            util_hash_iter_remove(&it); /* a second call is harmless */
        }
    }
    CHECK(once);
    CHECK(consistent);
    CHECK_EQ_U64(visits, n);
    CHECK_EQ_U64(nremoved, (n + 1) / 2);
    CHECK_EQ_U64(key_frees, nremoved);
    CHECK_EQ_U64(val_frees, nremoved);
    CHECK_EQ_U64(util_hash_count(h), n - nremoved);

    bool rest_ok = true;
    for (uint64_t i = 0; i < n; i++) {
        uint64_t *got = util_hash_lookup(h, &i);
        rest_ok &= seen[i] == 1;
        rest_ok &= removed[i] ? got == NULL : (got && *got == i + 1000);
    }
    CHECK(rest_ok);

    /* A second pass sees exactly the survivors. */
    uint64_t survivors = 0;
    util_hash_iter_init(h, &it);
    while (util_hash_iter_next(&it, &k, NULL)) {
        survivors++;
        CHECK(!removed[*(uint64_t *)k]);
    }
    CHECK_EQ_U64(survivors, n - nremoved);

    util_hash_free(h);
    CHECK_EQ_U64(key_frees, n);
    free(seen);
    free(removed);
}

static void test_iter_remove_every_other(void)
{
    iterate_delete_every_other(util_hash_u64, 1000);
    iterate_delete_every_other(util_hash_u64, 1);
}

static void test_iter_remove_one_chain(void)
{
    /* All in one chain: removal must unlink from the middle of a chain. */
    iterate_delete_every_other(bad_hash, 200);
}

static void test_iter_remove_all(void)
{
    util_hash_t *h = util_hash_new(util_hash_u64, util_hash_u64_eq, count_key_free, NULL);
    util_hash_iter_t it;

    reset_counts();
    for (uint64_t i = 0; i < 100; i++)
        CHECK(util_hash_insert(h, u64_new(i), NULL));
    util_hash_iter_init(h, &it);
    while (util_hash_iter_next(&it, NULL, NULL))
        util_hash_iter_remove(&it);
    CHECK_EQ_U64(util_hash_count(h), 0);
    CHECK_EQ_U64(key_frees, 100);
    util_hash_iter_init(h, &it);
    CHECK(!util_hash_iter_next(&it, NULL, NULL));
    util_hash_free(h);
}

static void test_bad_hash_still_correct(void)
{
    util_hash_t *h = util_hash_new(bad_hash, util_hash_u64_eq, count_key_free, count_val_free);

    reset_counts();
    for (uint64_t i = 0; i < 500; i++)
        CHECK(util_hash_insert(h, u64_new(i), u64_new(i * i)));
    for (uint64_t i = 0; i < 500; i += 3)
        CHECK(util_hash_remove(h, &i));
    bool ok = true;
    for (uint64_t i = 0; i < 500; i++) {
        uint64_t *v = util_hash_lookup(h, &i);
        ok &= (i % 3 == 0) ? v == NULL : (v && *v == i * i);
    }
    CHECK(ok);
    util_hash_free(h);
    CHECK_EQ_U64(key_frees, 500);
    CHECK_EQ_U64(val_frees, 500);
}

static void test_string_keys(void)
{
    util_hash_t *h = util_hash_new(util_hash_str, util_hash_str_eq, count_key_free, NULL);
    char buf[32];

    reset_counts();
    for (int i = 0; i < 5000; i++) {
        snprintf(buf, sizeof(buf), "sym_%d", i);
        CHECK(util_hash_insert(h, str_new(buf), (void *)(uintptr_t)(i + 1)));
    }
    CHECK_EQ_U64(util_hash_count(h), 5000);
    bool ok = true;
    for (int i = 0; i < 5000; i++) {
        snprintf(buf, sizeof(buf), "sym_%d", i);
        ok &= util_hash_lookup(h, buf) == (void *)(uintptr_t)(i + 1);
    }
    CHECK(ok);
    CHECK(util_hash_lookup(h, "sym_5000") == NULL);
    CHECK(util_hash_lookup(h, "") == NULL);
    CHECK(util_hash_insert(h, str_new(""), (void *)1));
    CHECK(util_hash_lookup(h, "") == (void *)1);
    CHECK(util_hash_str("abc") == util_hash_str("abc"));
    CHECK(util_hash_str("abc") != util_hash_str("abd"));
    CHECK(util_hash_str_eq("abc", "abc"));
    CHECK(!util_hash_str_eq("abc", "ab"));
    util_hash_free(h);
    CHECK_EQ_U64(key_frees, 5001);
}

static void test_u64_key_functions(void)
{
    uint64_t a = 0xffffffff81000000ULL, b = 0xffffffff81000000ULL, c = 0xffffffff81001000ULL;

    CHECK(util_hash_u64(&a) == util_hash_u64(&b));
    CHECK(util_hash_u64(&a) != util_hash_u64(&c));
    CHECK(util_hash_u64_eq(&a, &b));
    CHECK(!util_hash_u64_eq(&a, &c));
}

int main(void)
{
    TEST_RUN(test_mix64);
    TEST_RUN(test_growth_100k);
    TEST_RUN(test_replace_frees_old);
    TEST_RUN(test_remove_and_clear);
    TEST_RUN(test_no_free_functions);
    TEST_RUN(test_iter_remove_every_other);
    TEST_RUN(test_iter_remove_one_chain);
    TEST_RUN(test_iter_remove_all);
    TEST_RUN(test_bad_hash_still_correct);
    TEST_RUN(test_string_keys);
    TEST_RUN(test_u64_key_functions);
    TEST_DONE();
}
