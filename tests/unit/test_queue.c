/*
 * test_queue.c - the ring-buffer FIFO: first in is first out, also when the
 * ring has wrapped and when it grows while wrapped.
 */
#include "test.h"

#include "util/queue.h"

#include <stdbool.h>
#include <stdint.h>

#define P(n) ((void *)(uintptr_t)(n))

static int frees;

static void count_free(void *p)
{
    (void)p;
    frees++;
}

static void test_empty(void)
{
    util_queue_t *q = util_queue_new();

    CHECK(q != NULL);
    CHECK(util_queue_is_empty(q));
    CHECK_EQ_U64(util_queue_length(q), 0);
    CHECK(util_queue_pop(q) == NULL);
    CHECK(util_queue_peek(q) == NULL);
    frees = 0;
    util_queue_free(q, count_free);
    CHECK_EQ_U64(frees, 0);
    util_queue_free(NULL, NULL);
}

static void test_fifo(void)
{
    util_queue_t *q = util_queue_new();

    for (uintptr_t i = 1; i <= 5; i++)
        CHECK(util_queue_push(q, P(i)));
    CHECK_EQ_U64(util_queue_length(q), 5);
    CHECK(util_queue_peek(q) == P(1));
    CHECK(util_queue_peek(q) == P(1)); /* peek does not consume */
    for (uintptr_t i = 1; i <= 5; i++)
        CHECK(util_queue_pop(q) == P(i));
    CHECK(util_queue_is_empty(q));
    CHECK(util_queue_pop(q) == NULL);
    util_queue_free(q, NULL);
}

/* The starting ring holds 8.  Push 6, pop 5, so the head sits near the end;
 * 7 more pushes wrap past the array end, then 10 more fill the wrapped ring
 * and force it to grow while wrapped. */
static void test_wrap_then_grow(void)
{
    util_queue_t *q = util_queue_new();
    uintptr_t next_in = 1, next_out = 1;
    bool order = true;

    for (int i = 0; i < 6; i++)
        CHECK(util_queue_push(q, P(next_in++)));
    for (int i = 0; i < 5; i++)
        order &= util_queue_pop(q) == P(next_out++);
    for (int i = 0; i < 7; i++) /* now exactly full and wrapped */
        CHECK(util_queue_push(q, P(next_in++)));
    CHECK_EQ_U64(util_queue_length(q), 8);
    for (int i = 0; i < 10; i++) /* grows while wrapped */
        CHECK(util_queue_push(q, P(next_in++)));
    CHECK_EQ_U64(util_queue_length(q), 18);
    CHECK(util_queue_peek(q) == P(next_out));
    while (!util_queue_is_empty(q))
        order &= util_queue_pop(q) == P(next_out++);
    CHECK(order);
    CHECK_EQ_U64(next_out, next_in);
    util_queue_free(q, NULL);
}

/* Many rounds of uneven push/pop keep the ring wrapping and growing at
 * every offset; the queue must agree with a plain counter model. */
static void test_churn(void)
{
    util_queue_t *q = util_queue_new();
    uintptr_t next_in = 1, next_out = 1;
    bool order = true;

    for (int round = 0; round < 2000; round++) {
        int pushes = (round * 7) % 13 + 1, pops = (round * 5) % 11;
        for (int i = 0; i < pushes; i++)
            CHECK(util_queue_push(q, P(next_in++)));
        for (int i = 0; i < pops && !util_queue_is_empty(q); i++)
            order &= util_queue_pop(q) == P(next_out++);
        order &= util_queue_length(q) == next_in - next_out;
    }
    CHECK(order);
    /* What is still queued is handed to data_free exactly once each. */
    frees = 0;
    size_t left = util_queue_length(q);
    CHECK(left > 0);
    util_queue_free(q, count_free);
    CHECK_EQ_U64(frees, left);
}

int main(void)
{
    TEST_RUN(test_empty);
    TEST_RUN(test_fifo);
    TEST_RUN(test_wrap_then_grow);
    TEST_RUN(test_churn);
    TEST_DONE();
}
