/*
 * gslist.c - lists a glib program can free (see gslist.h).
 *
 * The four glib functions are weak references: a program that links glib
 * resolves them (the dynamic linker for a shared glib; the static linker
 * when libglib-2.0.a's gslice and gmem objects are in the link, which they
 * are whenever the program calls g_slist_free or g_free), and everything
 * else sees NULL.  Only all four together count, so allocation and freeing
 * always pair up.  The choice is made per call but cannot change while the
 * process runs: weak references are bound once, at load.
 *
 * Must not: include glib.h (TinyVMI has no build dependency on glib), or
 * mix allocators within one list.
 */
#include "util/gslist.h"

#include <stdlib.h>

/* glib's names and ABI: gsize is size_t on every platform glib supports. */
extern void *g_slice_alloc(size_t block_size) __attribute__((weak));
extern void g_slice_free1(size_t block_size, void *mem_block) __attribute__((weak));
extern void *g_try_malloc0(size_t n_bytes) __attribute__((weak));
extern void g_free(void *mem) __attribute__((weak));

_Static_assert(sizeof(util_list_t) == 2 * sizeof(void *), "GSList is two pointers");

static bool have_glib(void)
{
    return g_slice_alloc && g_slice_free1 && g_try_malloc0 && g_free;
}

const char *util_gslist_allocator(void)
{
    return have_glib() ? "glib" : "malloc";
}

void *util_gslist_data_alloc(size_t size)
{
    return have_glib() ? g_try_malloc0(size) : calloc(1, size);
}

bool util_gslist_append(util_list_t **head, util_list_t **tail, void *data)
{
    util_list_t *n = have_glib() ? g_slice_alloc(sizeof(*n)) : malloc(sizeof(*n));

    if (!n)
        return false;
    n->data = data;
    n->next = NULL;
    if (*tail)
        (*tail)->next = n;
    else
        *head = n;
    *tail = n;
    return true;
}

void util_gslist_free(util_list_t *list)
{
    bool glib = have_glib();

    while (list) {
        util_list_t *next = list->next;
        if (glib) {
            g_free(list->data);
            g_slice_free1(sizeof(*list), list);
        } else {
            free(list->data);
            free(list);
        }
        list = next;
    }
}
