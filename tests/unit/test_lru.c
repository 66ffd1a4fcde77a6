/*
 * test_lru.c - the bounded LRU cache: which entries leave and in what order,
 * that the evict callback sees every value that leaves (eviction,
 * replacement, remove, remove_if, clear, free), that remove_if keeps the
 * others in their order, and that the cache agrees with a plain reference
 * model over a long random run.
 */
#include "test.h"

#include "util/lru.h"

#include <stdbool.h>
#include <stdint.h>

/* Every evict callback call, in order. */
typedef struct evlog {
    size_t n;
    uint64_t k1[4096], k2[4096], val[4096];
} evlog_t;

static void log_evict(void *ctx, uint64_t k1, uint64_t k2, uint64_t val)
{
    evlog_t *log = ctx;
    if (log->n < 4096) {
        log->k1[log->n] = k1;
        log->k2[log->n] = k2;
        log->val[log->n] = val;
    }
    log->n++;
}

/* Recency order as "k2,k2,..." (most recent first). */
typedef struct order {
    char buf[512];
    size_t off;
} order_t;

static bool add_to_order(void *ctx, uint64_t k1, uint64_t k2, uint64_t val)
{
    order_t *o = ctx;
    (void)k1;
    (void)val;
    if (o->off < sizeof(o->buf) - 24)
        o->off += (size_t)snprintf(o->buf + o->off, sizeof(o->buf) - o->off, "%s%" PRIu64,
                                   o->off ? "," : "", k2);
    return true;
}

static const char *order_of(const util_lru_t *c)
{
    static order_t o;
    o.off = 0;
    o.buf[0] = '\0';
    util_lru_foreach(c, add_to_order, &o);
    return o.buf;
}

static const char *evicted_k2(const evlog_t *log)
{
    static char buf[512];
    size_t off = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < log->n && i < 4096 && off < sizeof(buf) - 24; i++)
        off += (size_t)snprintf(buf + off, sizeof(buf) - off, "%s%" PRIu64, off ? "," : "",
                                log->k2[i]);
    return buf;
}

static void test_new_bounds(void)
{
    CHECK(util_lru_new(0, NULL, NULL) == NULL);
    util_lru_t *c = util_lru_new(5, NULL, NULL);
    CHECK(c != NULL);
    CHECK_EQ_U64(util_lru_capacity(c), 5);
    CHECK_EQ_U64(util_lru_count(c), 0);
    CHECK(!util_lru_get(c, 0, 0, NULL));
    CHECK(!util_lru_remove(c, 0, 0));
    util_lru_free(c);
    util_lru_free(NULL);
}

static void test_get_put(void)
{
    util_lru_t *c = util_lru_new(8, NULL, NULL);
    uint64_t v = 0;

    /* v2p-style keys: (page-table base, virtual page). */
    util_lru_put(c, 0x1aa000, 0xffffffff81000000ULL, 0x1000000 | 1);
    util_lru_put(c, 0x2bb000, 0xffffffff81000000ULL, 0x5000000 | 1);
    CHECK(util_lru_get(c, 0x1aa000, 0xffffffff81000000ULL, &v));
    CHECK_EQ_U64(v, 0x1000001);
    CHECK(util_lru_get(c, 0x2bb000, 0xffffffff81000000ULL, &v));
    CHECK_EQ_U64(v, 0x5000001);
    CHECK(util_lru_get(c, 0x2bb000, 0xffffffff81000000ULL, NULL));
    CHECK(!util_lru_get(c, 0x1aa000, 0xffffffff81001000ULL, &v));
    CHECK(!util_lru_get(c, 0xffffffff81000000ULL, 0x1aa000, &v)); /* k1,k2 are not symmetric */
    /* Zero and all-ones are ordinary keys, not markers. */
    util_lru_put(c, 0, 0, 7);
    util_lru_put(c, UINT64_MAX, UINT64_MAX, 8);
    CHECK(util_lru_get(c, 0, 0, &v));
    CHECK_EQ_U64(v, 7);
    CHECK(util_lru_get(c, UINT64_MAX, UINT64_MAX, &v));
    CHECK_EQ_U64(v, 8);
    CHECK_EQ_U64(util_lru_count(c), 4);
    util_lru_free(c);
}

/* Fill 1..4, touch 1 and 3, insert 5, 6, 7: the least recently used go
 * first, so 2, then 4, then 1 leave, and the callback sees them in that
 * order with their own values. */
static void test_eviction_order(void)
{
    evlog_t log = {0};
    util_lru_t *c = util_lru_new(4, log_evict, &log);

    for (uint64_t k = 1; k <= 4; k++)
        util_lru_put(c, 100, k, k * 10);
    CHECK_STREQ(order_of(c), "4,3,2,1");
    CHECK(util_lru_get(c, 100, 1, NULL));
    CHECK(util_lru_get(c, 100, 3, NULL));
    CHECK_STREQ(order_of(c), "3,1,4,2");
    CHECK_EQ_U64(log.n, 0);

    util_lru_put(c, 100, 5, 50);
    util_lru_put(c, 100, 6, 60);
    util_lru_put(c, 100, 7, 70);
    CHECK_EQ_U64(log.n, 3);
    CHECK_STREQ(evicted_k2(&log), "2,4,1");
    CHECK_EQ_U64(log.val[0], 20);
    CHECK_EQ_U64(log.val[1], 40);
    CHECK_EQ_U64(log.val[2], 10);
    CHECK_EQ_U64(log.k1[0], 100);
    CHECK_STREQ(order_of(c), "7,6,5,3");
    CHECK_EQ_U64(util_lru_count(c), 4);
    CHECK(!util_lru_get(c, 100, 2, NULL));
    CHECK(!util_lru_get(c, 100, 4, NULL));
    CHECK(!util_lru_get(c, 100, 1, NULL));
    CHECK(util_lru_get(c, 100, 3, NULL));

    /* Free hands over what is left: 3 (just touched), 7, 6, 5. */
    log.n = 0;
    util_lru_free(c);
    CHECK_EQ_U64(log.n, 4);
    CHECK_STREQ(evicted_k2(&log), "5,6,7,3");
}

static void test_capacity_one(void)
{
    evlog_t log = {0};
    util_lru_t *c = util_lru_new(1, log_evict, &log);
    uint64_t v;

    util_lru_put(c, 1, 1, 11);
    CHECK(util_lru_get(c, 1, 1, &v));
    CHECK_EQ_U64(v, 11);
    util_lru_put(c, 2, 2, 22);
    CHECK_EQ_U64(log.n, 1);
    CHECK_EQ_U64(log.val[0], 11);
    CHECK(!util_lru_get(c, 1, 1, &v));
    CHECK(util_lru_get(c, 2, 2, &v));
    CHECK_EQ_U64(v, 22);
    CHECK_EQ_U64(util_lru_count(c), 1);
    /* Replacing the only entry's value is a replacement, not an eviction of
     * another entry. */
    util_lru_put(c, 2, 2, 23);
    CHECK_EQ_U64(log.n, 2);
    CHECK_EQ_U64(log.val[1], 22);
    CHECK(util_lru_remove(c, 2, 2));
    CHECK_EQ_U64(log.n, 3);
    CHECK_EQ_U64(log.val[2], 23);
    CHECK_EQ_U64(util_lru_count(c), 0);
    util_lru_put(c, 3, 3, 33);
    CHECK(util_lru_get(c, 3, 3, &v));
    CHECK_EQ_U64(v, 33);
    CHECK_EQ_U64(log.n, 3);
    util_lru_free(c);
    CHECK_EQ_U64(log.n, 4);
    CHECK_EQ_U64(log.val[3], 33);
}

static void test_replace_evicts_old_value(void)
{
    evlog_t log = {0};
    util_lru_t *c = util_lru_new(3, log_evict, &log);
    uint64_t v;

    util_lru_put(c, 9, 1, 100);
    util_lru_put(c, 9, 2, 200);
    util_lru_put(c, 9, 3, 300);
    util_lru_put(c, 9, 1, 101); /* replace: old 100 leaves, 1 becomes most recent */
    CHECK_EQ_U64(log.n, 1);
    CHECK_EQ_U64(log.k1[0], 9);
    CHECK_EQ_U64(log.k2[0], 1);
    CHECK_EQ_U64(log.val[0], 100);
    CHECK_EQ_U64(util_lru_count(c), 3);
    CHECK_STREQ(order_of(c), "1,3,2");
    CHECK(util_lru_get(c, 9, 1, &v));
    CHECK_EQ_U64(v, 101);

    /* The same value again leaves nothing behind: no callback (a mapped
     * page handed back in must stay mapped), but it does become recent. */
    util_lru_put(c, 9, 2, 200);
    CHECK_EQ_U64(log.n, 1);
    CHECK_STREQ(order_of(c), "2,1,3");

    /* Still full, so a new key evicts the least recent (3). */
    util_lru_put(c, 9, 4, 400);
    CHECK_EQ_U64(log.n, 2);
    CHECK_EQ_U64(log.k2[1], 3);
    CHECK_EQ_U64(log.val[1], 300);
    util_lru_free(c);
}

static bool k1_is(void *ctx, uint64_t k1, uint64_t k2, uint64_t val)
{
    (void)k2;
    (void)val;
    return k1 == *(uint64_t *)ctx;
}

static bool never(void *ctx, uint64_t k1, uint64_t k2, uint64_t val)
{
    (void)ctx; (void)k1; (void)k2; (void)val;
    return false;
}

/* Flushing one page table's translations: two page tables (k1 = 0xA000 and
 * 0xB000) interleaved; removing 0xA000's must remove exactly those, hand
 * each to evict, and leave 0xB000's in their recency order. */
static void test_remove_if_keeps_others(void)
{
    evlog_t log = {0};
    util_lru_t *c = util_lru_new(16, log_evict, &log);
    uint64_t dtb = 0xA000;

    for (uint64_t k = 1; k <= 10; k++)
        util_lru_put(c, (k % 2) ? 0xA000 : 0xB000, k, k + 1000);
    CHECK(util_lru_get(c, 0xB000, 4, NULL));
    CHECK(util_lru_get(c, 0xA000, 3, NULL));
    CHECK_STREQ(order_of(c), "3,4,10,9,8,7,6,5,2,1");

    CHECK_EQ_U64(util_lru_remove_if(c, never, NULL), 0);
    CHECK_EQ_U64(log.n, 0);
    CHECK_STREQ(order_of(c), "3,4,10,9,8,7,6,5,2,1");

    CHECK_EQ_U64(util_lru_remove_if(c, k1_is, &dtb), 5);
    CHECK_EQ_U64(util_lru_count(c), 5);
    CHECK_STREQ(order_of(c), "4,10,8,6,2");
    CHECK_EQ_U64(log.n, 5);
    bool all_a = true;
    uint64_t seen = 0;
    for (size_t i = 0; i < log.n; i++) {
        all_a &= log.k1[i] == 0xA000 && log.val[i] == log.k2[i] + 1000 && (log.k2[i] % 2) == 1;
        seen |= UINT64_C(1) << log.k2[i];
    }
    CHECK(all_a);
    CHECK_EQ_U64(seen, (1u << 1) | (1u << 3) | (1u << 5) | (1u << 7) | (1u << 9));
    for (uint64_t k = 1; k <= 10; k++) {
        uint64_t v = 0;
        bool hit = util_lru_get(c, (k % 2) ? 0xA000 : 0xB000, k, &v);
        CHECK(hit == ((k % 2) == 0));
        if (hit)
            CHECK_EQ_U64(v, k + 1000);
    }

    /* The freed slots are reusable, and the survivors still age normally. */
    for (uint64_t k = 20; k < 31; k++)
        util_lru_put(c, 0xC000, k, k);
    CHECK_EQ_U64(util_lru_count(c), 16);
    util_lru_put(c, 0xC000, 31, 31); /* evicts the oldest survivor: */
    CHECK_EQ_U64(log.k1[log.n - 1], 0xB000);
    util_lru_free(c);
}

static void test_remove(void)
{
    evlog_t log = {0};
    util_lru_t *c = util_lru_new(4, log_evict, &log);

    util_lru_put(c, 1, 1, 10);
    util_lru_put(c, 1, 2, 20);
    util_lru_put(c, 1, 3, 30);
    CHECK(util_lru_remove(c, 1, 2));
    CHECK(!util_lru_remove(c, 1, 2));
    CHECK_EQ_U64(log.n, 1);
    CHECK_EQ_U64(log.val[0], 20);
    CHECK_STREQ(order_of(c), "3,1");
    CHECK_EQ_U64(util_lru_count(c), 2);
    util_lru_free(c);
}

static void test_clear(void)
{
    evlog_t log = {0};
    util_lru_t *c = util_lru_new(8, log_evict, &log);

    for (uint64_t k = 1; k <= 6; k++)
        util_lru_put(c, 5, k, k * 7);
    util_lru_clear(c);
    CHECK_EQ_U64(util_lru_count(c), 0);
    CHECK_EQ_U64(log.n, 6);
    CHECK_STREQ(evicted_k2(&log), "1,2,3,4,5,6"); /* least recent first */
    bool vals = true;
    for (size_t i = 0; i < 6; i++)
        vals &= log.val[i] == log.k2[i] * 7;
    CHECK(vals);
    CHECK_STREQ(order_of(c), "");
    for (uint64_t k = 1; k <= 6; k++)
        CHECK(!util_lru_get(c, 5, k, NULL));
    /* Usable again at full capacity. */
    for (uint64_t k = 1; k <= 8; k++)
        util_lru_put(c, 6, k, k);
    CHECK_EQ_U64(util_lru_count(c), 8);
    CHECK_EQ_U64(log.n, 6);
    util_lru_free(c);
    CHECK_EQ_U64(log.n, 14);
}

static bool stop_after_two(void *ctx, uint64_t k1, uint64_t k2, uint64_t val)
{
    int *n = ctx;
    (void)k1; (void)k2; (void)val;
    return ++*n < 2;
}

static void test_foreach_stops(void)
{
    util_lru_t *c = util_lru_new(4, NULL, NULL);
    int n = 0;

    for (uint64_t k = 1; k <= 4; k++)
        util_lru_put(c, 0, k, k);
    util_lru_foreach(c, stop_after_two, &n);
    CHECK_EQ_U64(n, 2);
    util_lru_free(c);
}

/* ---- the cache against a plain reference model ---- */

typedef struct model {
    size_t n, cap;
    uint64_t k1[256], k2[256], val[256]; /* [0] is the most recent */
    evlog_t log;
} model_t;

static long model_find(const model_t *m, uint64_t k1, uint64_t k2)
{
    for (size_t i = 0; i < m->n; i++)
        if (m->k1[i] == k1 && m->k2[i] == k2)
            return (long)i;
    return -1;
}

static void model_take(model_t *m, size_t i)
{
    memmove(&m->k1[i], &m->k1[i + 1], (m->n - i - 1) * sizeof(uint64_t));
    memmove(&m->k2[i], &m->k2[i + 1], (m->n - i - 1) * sizeof(uint64_t));
    memmove(&m->val[i], &m->val[i + 1], (m->n - i - 1) * sizeof(uint64_t));
    m->n--;
}

static void model_front(model_t *m, uint64_t k1, uint64_t k2, uint64_t v)
{
    memmove(&m->k1[1], &m->k1[0], m->n * sizeof(uint64_t));
    memmove(&m->k2[1], &m->k2[0], m->n * sizeof(uint64_t));
    memmove(&m->val[1], &m->val[0], m->n * sizeof(uint64_t));
    m->k1[0] = k1;
    m->k2[0] = k2;
    m->val[0] = v;
    m->n++;
}

static bool model_get(model_t *m, uint64_t k1, uint64_t k2, uint64_t *v)
{
    long i = model_find(m, k1, k2);
    if (i < 0)
        return false;
    *v = m->val[i];
    model_take(m, (size_t)i);
    model_front(m, k1, k2, *v);
    return true;
}

static void model_put(model_t *m, uint64_t k1, uint64_t k2, uint64_t v)
{
    long i = model_find(m, k1, k2);
    if (i >= 0) {
        uint64_t old = m->val[i];
        model_take(m, (size_t)i);
        model_front(m, k1, k2, v);
        if (old != v)
            log_evict(&m->log, k1, k2, old);
        return;
    }
    if (m->n == m->cap) {
        uint64_t a = m->k1[m->n - 1], b = m->k2[m->n - 1], c = m->val[m->n - 1];
        m->n--;
        model_front(m, k1, k2, v);
        log_evict(&m->log, a, b, c);
        return;
    }
    model_front(m, k1, k2, v);
}

static uint64_t rng_state = 0x123456789abcdefULL;

static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

typedef struct walk {
    const model_t *m;
    size_t i;
    bool same;
} walk_t;

static bool compare_entry(void *ctx, uint64_t k1, uint64_t k2, uint64_t val)
{
    walk_t *w = ctx;
    if (w->i >= w->m->n || w->m->k1[w->i] != k1 || w->m->k2[w->i] != k2 ||
        w->m->val[w->i] != val)
        w->same = false;
    w->i++;
    return true;
}

static bool k1_odd(void *ctx, uint64_t k1, uint64_t k2, uint64_t val)
{
    (void)ctx; (void)k2; (void)val;
    return k1 & 1;
}

static void run_model(size_t cap, uint64_t key_space, int ops)
{
    static model_t m;
    evlog_t *log = calloc(1, sizeof(*log));
    util_lru_t *c = util_lru_new(cap, log_evict, log);
    bool same = true, same_log = true;

    memset(&m, 0, sizeof(m));
    m.cap = cap;
    for (int op = 0; op < ops && same; op++) {
        uint64_t r = rnd();
        uint64_t k1 = (r >> 8) % 3, k2 = ((r >> 16) % key_space) << 12, v = r >> 32;
        uint64_t got = 0, want = 0;
        size_t before = log->n;

        switch (r % 16) {
        case 0:
        case 1:
        case 2:
        case 3:
        case 4:
        case 5: {
            bool hit = util_lru_get(c, k1, k2, &got);
            same &= hit == model_get(&m, k1, k2, &want);
            same &= !hit || got == want;
            break;
        }
        case 6:
            /* Same value as held: a touch, no callback. */
            if (model_find(&m, k1, k2) >= 0)
                v = m.val[model_find(&m, k1, k2)];
            /* fallthrough */
        default:
            util_lru_put(c, k1, k2, v);
            model_put(&m, k1, k2, v);
            break;
        case 13:
        case 14: {
            long i = model_find(&m, k1, k2);
            bool removed = util_lru_remove(c, k1, k2);
            same &= removed == (i >= 0);
            if (i >= 0) {
                log_evict(&m.log, k1, k2, m.val[i]);
                model_take(&m, (size_t)i);
            }
            break;
        }
        case 15:
            if ((r >> 40) % 8 == 0) {
                /* Rarely: flush the odd page tables. */
                size_t want_n = 0;
                for (size_t i = 0; i < m.n;) {
                    if (m.k1[i] & 1) {
                        log_evict(&m.log, m.k1[i], m.k2[i], m.val[i]);
                        model_take(&m, i);
                        want_n++;
                    } else {
                        i++;
                    }
                }
                same &= util_lru_remove_if(c, k1_odd, NULL) == want_n;
            }
            break;
        }
        /* The callback saw the same values, in the same order (remove_if
         * walks most recent first, as the model does). */
        same_log &= log->n == m.log.n;
        for (size_t i = before; i < log->n && i < 4096; i++)
            same_log &= log->k1[i] == m.log.k1[i] && log->k2[i] == m.log.k2[i] &&
                        log->val[i] == m.log.val[i];
        if (log->n > 3000) {
            log->n = 0;
            m.log.n = 0;
        }
        same &= util_lru_count(c) == m.n;
        if (op % 97 == 0) {
            walk_t w = {&m, 0, true};
            util_lru_foreach(c, compare_entry, &w);
            same &= w.same && w.i == m.n;
        }
    }
    CHECK(same);
    CHECK(same_log);
    walk_t w = {&m, 0, true};
    util_lru_foreach(c, compare_entry, &w);
    CHECK(w.same && w.i == m.n);
    size_t left = util_lru_count(c);
    log->n = 0;
    util_lru_free(c);
    CHECK_EQ_U64(log->n, left);
    free(log);
}

static void test_against_model(void)
{
    run_model(1, 4, 20000);
    run_model(3, 8, 20000);
    run_model(7, 16, 50000);   /* not a power of two */
    run_model(64, 100, 100000);
    run_model(200, 150, 100000); /* never full */
    run_model(200, 400, 100000);
}

/* A big cache sees many pages of few page tables; everything put is found
 * while it fits, and exactly the oldest leave once it does not. */
static void test_large(void)
{
    const size_t cap = 1 << 16;
    evlog_t *log = calloc(1, sizeof(*log));
    util_lru_t *c = util_lru_new(cap, log_evict, log);
    bool ok = true;

    for (uint64_t i = 0; i < cap; i++)
        util_lru_put(c, 0x1000 * (i % 4), i << 12, i);
    for (uint64_t i = 0; i < cap; i++) {
        uint64_t v = UINT64_MAX;
        ok &= util_lru_get(c, 0x1000 * (i % 4), i << 12, &v) && v == i;
    }
    CHECK(ok);
    CHECK_EQ_U64(log->n, 0);
    for (uint64_t i = cap; i < cap + 1000; i++)
        util_lru_put(c, 0x1000 * (i % 4), i << 12, i);
    CHECK_EQ_U64(log->n, 1000);
    ok = true;
    for (size_t i = 0; i < 1000; i++)
        ok &= log->val[i] == i;
    CHECK(ok);
    CHECK_EQ_U64(util_lru_count(c), cap);
    log->n = 0;
    util_lru_free(c);
    CHECK_EQ_U64(log->n, cap);
    free(log);
}

int main(void)
{
    TEST_RUN(test_new_bounds);
    TEST_RUN(test_get_put);
    TEST_RUN(test_eviction_order);
    TEST_RUN(test_capacity_one);
    TEST_RUN(test_replace_evicts_old_value);
    TEST_RUN(test_remove_if_keeps_others);
    TEST_RUN(test_remove);
    TEST_RUN(test_clear);
    TEST_RUN(test_foreach_stops);
    TEST_RUN(test_against_model);
    TEST_RUN(test_large);
    TEST_DONE();
}
