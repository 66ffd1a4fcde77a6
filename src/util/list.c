/*
 * list.c - the singly linked list of opaque pointers (see list.h).
 *
 * Deliberately minimal: the core only needs GSList's handful of operations.
 * Nothing here looks at the data, and nothing frees data except
 * util_list_free's optional callback.
 */
#include "util/list.h"

#include <stdlib.h>

static util_list_t *node_new(void *data, bool *ok)
{
    util_list_t *n = malloc(sizeof(*n));

    if (!n) {
        if (ok)
            *ok = false;
        return NULL;
    }
    n->data = data;
    n->next = NULL;
    if (ok)
        *ok = true;
    return n;
}

util_list_t *util_list_prepend(util_list_t *l, void *data, bool *ok)
{
    util_list_t *n = node_new(data, ok);

    if (!n)
        return l;
    n->next = l;
    return n;
}

util_list_t *util_list_append(util_list_t *l, void *data, bool *ok)
{
    util_list_t *n = node_new(data, ok), *last;

    if (!n)
        return l;
    if (!l)
        return n;
    for (last = l; last->next; last = last->next)
        ;
    last->next = n;
    return l;
}

util_list_t *util_list_remove(util_list_t *l, const void *data)
{
    util_list_t **link = &l;

    while (*link) {
        util_list_t *n = *link;
        if (n->data == data) {
            *link = n->next;
            free(n);
            break;
        }
        link = &n->next;
    }
    return l;
}

util_list_t *util_list_reverse(util_list_t *l)
{
    util_list_t *prev = NULL;

    while (l) {
        util_list_t *next = l->next;
        l->next = prev;
        prev = l;
        l = next;
    }
    return prev;
}

util_list_t *util_list_find(util_list_t *l, const void *data)
{
    for (; l; l = l->next)
        if (l->data == data)
            return l;
    return NULL;
}

size_t util_list_length(const util_list_t *l)
{
    size_t n = 0;

    for (; l; l = l->next)
        n++;
    return n;
}

void util_list_free(util_list_t *l, void (*data_free)(void *))
{
    while (l) {
        util_list_t *next = l->next;
        if (data_free)
            data_free(l->data);
        free(l);
        l = next;
    }
}
