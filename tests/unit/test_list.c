/*
 * test_list.c - the singly linked list behaves like GSList: order after
 * prepend/append/reverse, removal of first/middle/last/absent, and free
 * calling the data callback once per element.
 */
#include "test.h"

#include "util/list.h"

#include <stdbool.h>
#include <stdint.h>

#define P(n) ((void *)(uintptr_t)(n))

static int frees;

static void count_free(void *p)
{
    (void)p;
    frees++;
}

/* The list as "1,2,3" so a failure shows the whole order. */
static const char *render(const util_list_t *l)
{
    static char buf[256];
    size_t off = 0;

    buf[0] = '\0';
    for (; l && off < sizeof(buf) - 24; l = l->next)
        off += (size_t)snprintf(buf + off, sizeof(buf) - off, "%s%lu", off ? "," : "",
                                (unsigned long)(uintptr_t)l->data);
    return buf;
}

static void test_empty(void)
{
    CHECK_EQ_U64(util_list_length(NULL), 0);
    CHECK(util_list_find(NULL, P(1)) == NULL);
    CHECK(util_list_reverse(NULL) == NULL);
    CHECK(util_list_remove(NULL, P(1)) == NULL);
    util_list_free(NULL, count_free);
}

static void test_prepend_append(void)
{
    util_list_t *l = NULL;
    bool ok = false;

    l = util_list_append(l, P(2), &ok);
    CHECK(ok);
    l = util_list_append(l, P(3), NULL);
    l = util_list_prepend(l, P(1), &ok);
    CHECK(ok);
    l = util_list_append(l, P(4), &ok);
    CHECK_STREQ(render(l), "1,2,3,4");
    CHECK_EQ_U64(util_list_length(l), 4);
    CHECK(util_list_find(l, P(3)) != NULL && util_list_find(l, P(3))->data == P(3));
    CHECK(util_list_find(l, P(9)) == NULL);
    frees = 0;
    util_list_free(l, count_free);
    CHECK_EQ_U64(frees, 4);
}

static void test_remove(void)
{
    util_list_t *l = NULL;

    for (int i = 5; i >= 1; i--)
        l = util_list_prepend(l, P(i), NULL);
    CHECK_STREQ(render(l), "1,2,3,4,5");
    l = util_list_remove(l, P(1));
    CHECK_STREQ(render(l), "2,3,4,5");
    l = util_list_remove(l, P(4));
    CHECK_STREQ(render(l), "2,3,5");
    l = util_list_remove(l, P(5));
    CHECK_STREQ(render(l), "2,3");
    l = util_list_remove(l, P(9));
    CHECK_STREQ(render(l), "2,3");
    /* Only the first of equal elements goes. */
    l = util_list_append(l, P(2), NULL);
    l = util_list_remove(l, P(2));
    CHECK_STREQ(render(l), "3,2");
    l = util_list_remove(l, P(3));
    l = util_list_remove(l, P(2));
    CHECK(l == NULL);
}

static void test_reverse(void)
{
    util_list_t *l = NULL;

    for (int i = 1; i <= 6; i++)
        l = util_list_append(l, P(i), NULL);
    l = util_list_reverse(l);
    CHECK_STREQ(render(l), "6,5,4,3,2,1");
    l = util_list_reverse(l);
    CHECK_STREQ(render(l), "1,2,3,4,5,6");
    frees = 0;
    util_list_free(l, NULL);
    CHECK_EQ_U64(frees, 0);

    l = util_list_prepend(NULL, P(7), NULL);
    l = util_list_reverse(l);
    CHECK_STREQ(render(l), "7");
    util_list_free(l, count_free);
    CHECK_EQ_U64(frees, 1);
}

static void test_long_list(void)
{
    util_list_t *l = NULL;
    const uintptr_t n = 10000;

    /* The GSList idiom: prepend, then reverse once. */
    for (uintptr_t i = 0; i < n; i++)
        l = util_list_prepend(l, P(i), NULL);
    l = util_list_reverse(l);
    CHECK_EQ_U64(util_list_length(l), n);
    uintptr_t expect = 0;
    bool in_order = true;
    for (util_list_t *it = l; it; it = it->next)
        in_order &= it->data == P(expect++);
    CHECK(in_order);
    frees = 0;
    util_list_free(l, count_free);
    CHECK_EQ_U64(frees, n);
}

int main(void)
{
    TEST_RUN(test_empty);
    TEST_RUN(test_prepend_append);
    TEST_RUN(test_remove);
    TEST_RUN(test_reverse);
    TEST_RUN(test_long_list);
    TEST_DONE();
}
