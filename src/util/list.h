/*
 * list.h - a singly linked list of opaque pointers (the GSList replacement).
 *
 * A list is a pointer to its first node; NULL is the empty list.  Functions
 * that change the head return the new head, as GSList does, so call sites read
 * the same.  Prepend is O(1); append is O(n) and meant for short lists.
 */
#ifndef TINYVMI_UTIL_LIST_H
#define TINYVMI_UTIL_LIST_H

#include <stdbool.h>
#include <stddef.h>

typedef struct util_list {
    void *data;
    struct util_list *next;
} util_list_t;

/* On allocation failure these return the list unchanged and set *ok=false
 * when ok is non-NULL. */
util_list_t *util_list_prepend(util_list_t *l, void *data, bool *ok);
util_list_t *util_list_append(util_list_t *l, void *data, bool *ok);
/* Remove the first node holding data (the data itself is not freed). */
util_list_t *util_list_remove(util_list_t *l, const void *data);
util_list_t *util_list_reverse(util_list_t *l);
util_list_t *util_list_find(util_list_t *l, const void *data);
size_t util_list_length(const util_list_t *l);
/* Free the nodes; data_free (may be NULL) is called on each element. */
void util_list_free(util_list_t *l, void (*data_free)(void *));

#endif
